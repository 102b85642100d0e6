"""Reads of files: what is attached to an object (one query, however many files), and the
files a staff user manages in the admin."""

from collections import defaultdict

from django.db.models import Q, QuerySet

from kaigan.files import registry
from kaigan.files.models import FileAttachment, StoredFile


def _of_model(model, prefix: str = "") -> dict:
    """Filter on a model's content type by its natural key: joined in the query rather than
    looked up first, so that a read costs the same queries whether or not this process has
    the content type cached."""
    meta = model._meta
    return {
        f"{prefix}target_type__app_label": meta.app_label,
        f"{prefix}target_type__model": meta.model_name,
    }


def files_of(target) -> list[StoredFile]:
    """The files attached to `target` and not removed nor hidden, in the order attached. The
    caller has checked that the person may see `target`."""
    return list(
        StoredFile.objects.filter(
            **_of_model(target, "attachments__"),
            attachments__target_id=target.pk,
            attachments__removed_at__isnull=True,
            hidden_at__isnull=True,
        ).order_by("attachments__attached_at", "attachments__id")
    )


def files_of_many(model, ids) -> dict[int, list[StoredFile]]:
    """{object id: its files} for many objects of one model, in one query."""
    attachments = (
        FileAttachment.objects.filter(
            **_of_model(model),
            target_id__in=list(ids),
            removed_at__isnull=True,
            file__hidden_at__isnull=True,
        )
        .select_related("file")
        .order_by("attached_at", "id")
    )
    found: dict[int, list[StoredFile]] = defaultdict(list)
    for attachment in attachments:
        found[attachment.target_id].append(attachment.file)
    return dict(found)


def files_managed_by(*, user) -> QuerySet[StoredFile]:
    """Every file for a superuser; for other staff, the files attached to the objects they
    manage (a PM's briefs), as each registered model says."""
    files = StoredFile.objects.all()
    if user.is_superuser:
        return files
    reached = Q(pk__in=[])
    for entry in registry.registered():
        if entry.managed_ids is None:
            continue
        reached |= Q(
            pk__in=FileAttachment.objects.filter(
                **_of_model(entry.model), target_id__in=entry.managed_ids(user)
            ).values("file_id")
        )
    return files.filter(reached)
