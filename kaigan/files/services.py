"""Writes on files: upload (check, then store), attach to an object, remove from it, hide.

Nothing a person does deletes a file or its bytes: removing a file from an object and hiding it
are recorded (`FileEvent`), and the rows stay (the database refuses deletes on PostgreSQL).
"""

import hashlib
import io
import logging
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps

from kaigan.errors import NotAllowed
from kaigan.files import registry, validation
from kaigan.files.models import INLINE_TYPES, FileAttachment, FileEvent, StoredFile
from kaigan.files.storage import file_storage, new_key, thumbnail_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed `file_check`, ready for `file_store`."""

    uploaded: object  # a django.core.files.uploadedfile.UploadedFile
    name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


def file_check(*, uploaded) -> CheckedUpload:
    """Check one upload (size, type from its content) and give it its display name; stores
    nothing. Raises `UploadRefused` (400) or `UploadTooLarge` (413) naming the field `file`."""
    inspected = validation.inspect(uploaded, name=uploaded.name or "")
    return CheckedUpload(
        uploaded=uploaded,
        name=validation.display_name(uploaded.name, inspected.content_type),
        content_type=inspected.content_type,
        size=uploaded.size,
        width=inspected.width,
        height=inspected.height,
    )


def bytes_stored(*, user) -> int:
    """What the account has uploaded, hidden files included (their bytes are kept)."""
    return StoredFile.objects.filter(uploaded_by=user).aggregate(total=Coalesce(Sum("size"), 0))[
        "total"
    ]


def quota_check(*, user, adding: int) -> None:
    quota = settings.KAIGAN_FILE_QUOTA_BYTES
    if bytes_stored(user=user) + adding > quota:
        raise validation.UploadTooLarge(
            _("Your files would take more than your %(quota)s of storage.")
            % {"quota": filesizeformat(quota)},
            code="quota_exceeded",
        )


def _sha256(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def file_store(*, user, checked: CheckedUpload) -> StoredFile:
    """Store a checked upload under a new key and record it; its thumbnail is made after commit.

    Call it outside any transaction: the bytes are written first, then the row in a transaction
    of its own that holds the account's lock while the quota is checked again (two uploads at
    once cannot both pass it); if the row is not written the bytes are removed again.
    """
    from kaigan.files.tasks import file_thumbnail_task

    quota_check(user=user, adding=checked.size)  # refused before a byte is written
    digest = _sha256(checked.uploaded)
    storage = file_storage()
    content = File(checked.uploaded.file, name=checked.name)
    # What object storage records as the object's type: the detected one, never the browser's.
    content.content_type = checked.content_type
    key = storage.save(new_key(), content)
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            quota_check(user=user, adding=checked.size)
            stored = StoredFile.objects.create(
                key=key,
                name=checked.name,
                size=checked.size,
                content_type=checked.content_type,
                sha256=digest,
                width=checked.width,
                height=checked.height,
                uploaded_by=user,
            )
            if stored.content_type in INLINE_TYPES:
                transaction.on_commit(lambda: file_thumbnail_task.delay(stored.pk), robust=True)
    except Exception:
        storage.delete(key)  # the server's own write, with no row pointing to it
        raise
    return stored


def file_upload(*, user, uploaded) -> StoredFile:
    """Check and store one upload: the `StoredFile`, readable by its uploader alone until it is
    attached to something."""
    return file_store(user=user, checked=file_check(uploaded=uploaded))


# --- attaching ---------------------------------------------------------------------------------


def _own_uploads(*, user, file_ids: list[int], field: str) -> list[StoredFile]:
    """The user's own files among `file_ids`, not hidden, in the order given; any other id
    (another's file, a hidden one, none at all) is refused alike, naming no owner."""
    found = {
        f.pk: f
        for f in StoredFile.objects.filter(
            pk__in=file_ids, uploaded_by=user, hidden_at__isnull=True
        )
    }
    missing = [pk for pk in file_ids if pk not in found]
    if missing:
        raise ValidationError(
            {
                field: [
                    ngettext(
                        "File %(ids)s is not one of your uploads.",
                        "Files %(ids)s are not among your uploads.",
                        len(missing),
                    )
                    % {"ids": ", ".join(str(pk) for pk in missing)}
                ]
            }
        )
    return [found[pk] for pk in file_ids]


def _limit(target) -> int:
    entry = registry.attachable(target)
    return entry.max_files or settings.KAIGAN_FILE_MAX_PER_OBJECT


def _too_many(field: str, limit: int) -> ValidationError:
    return ValidationError(
        {
            field: [
                ngettext(
                    "At most %(limit)d file can be attached here.",
                    "At most %(limit)d files can be attached here.",
                    limit,
                )
                % {"limit": limit}
            ]
        }
    )


def _live_attachments(target) -> dict[int, FileAttachment]:
    meta = target._meta
    return {
        a.file_id: a
        for a in FileAttachment.objects.filter(
            target_type__app_label=meta.app_label,
            target_type__model=meta.model_name,
            target_id=target.pk,
            removed_at__isnull=True,
        )
    }


def _attach(*, user, target, files: list[StoredFile]) -> None:
    target_type = ContentType.objects.get_for_model(target)
    FileAttachment.objects.bulk_create(
        [
            FileAttachment(file=f, target_type=target_type, target_id=target.pk, attached_by=user)
            for f in files
        ]
    )
    FileEvent.objects.bulk_create(
        [
            FileEvent(
                file=f,
                action=FileEvent.Action.ATTACHED,
                actor=user,
                target_type=target_type,
                target_id=target.pk,
            )
            for f in files
        ]
    )


def _remove(*, user, attachments: list[FileAttachment], reason: str = "") -> None:
    if not attachments:
        return
    now = timezone.now()
    FileAttachment.objects.filter(pk__in=[a.pk for a in attachments]).update(
        removed_at=now, removed_by=user
    )
    FileEvent.objects.bulk_create(
        [
            FileEvent(
                file_id=a.file_id,
                action=FileEvent.Action.REMOVED,
                actor=user,
                target_type_id=a.target_type_id,
                target_id=a.target_id,
                reason=reason,
            )
            for a in attachments
        ]
    )


def files_check_attachable(
    *, user, model, file_ids: Iterable[int], field: str = "files"
) -> list[StoredFile]:
    """Refuse now what `files_attach` would refuse on a new object of `model`, writing nothing:
    for a caller that checks its input before it takes locks."""
    wanted = list(dict.fromkeys(file_ids))
    limit = registry.attachable(model).max_files or settings.KAIGAN_FILE_MAX_PER_OBJECT
    if len(wanted) > limit:
        raise _too_many(field, limit)
    return _own_uploads(user=user, file_ids=wanted, field=field)


def files_attach(
    *, user, target, file_ids: Iterable[int], field: str = "files"
) -> list[StoredFile]:
    """Attach the user's own uploads to `target` (a registered model's object); ids already
    attached there are left as they are. The caller has checked that `user` may change `target`
    and holds its lock. Refused (ValidationError on `field`) for an id that is not the user's
    upload, and past the object's limit of files."""
    wanted = list(dict.fromkeys(file_ids))
    current = _live_attachments(target)
    new_ids = [pk for pk in wanted if pk not in current]
    files = _own_uploads(user=user, file_ids=new_ids, field=field)
    limit = _limit(target)
    if len(current) + len(files) > limit:
        raise _too_many(field, limit)
    _attach(user=user, target=target, files=files)
    return files


def files_set(*, user, target, file_ids: Iterable[int], field: str = "files") -> None:
    """Make the files attached to `target` exactly `file_ids`: new ids must be the user's own
    uploads and are attached; attached files missing from the list are removed from `target`
    (hidden there, audited). Same preconditions as `files_attach`."""
    wanted = list(dict.fromkeys(file_ids))
    current = _live_attachments(target)
    new_ids = [pk for pk in wanted if pk not in current]
    files = _own_uploads(user=user, file_ids=new_ids, field=field)
    limit = _limit(target)
    if len(wanted) > limit:
        raise _too_many(field, limit)
    keep = set(wanted)
    _remove(user=user, attachments=[a for pk, a in current.items() if pk not in keep])
    _attach(user=user, target=target, files=files)


def file_remove(*, user, target, file_id: int, reason: str = "") -> None:
    """Remove one file from `target` (hidden there, audited); a file not attached there is a
    404. Same preconditions as `files_attach`."""
    attachment = _live_attachments(target).get(file_id)
    if attachment is None:
        raise Http404
    _remove(user=user, attachments=[attachment], reason=reason)


# --- hiding ------------------------------------------------------------------------------------


def file_may_hide(*, user, stored: StoredFile) -> bool:
    """Its uploader, a superuser, or staff allowed to hide files (PMs) for a file attached to an
    object they manage."""
    if user.is_superuser or stored.uploaded_by_id == user.pk:
        return True
    if not user.has_perm("files.hide_storedfile"):
        return False
    from kaigan.files.selectors import files_managed_by

    return files_managed_by(user=user).filter(pk=stored.pk).exists()


@transaction.atomic
def file_hide(*, file_id: int, actor, reason: str = "") -> StoredFile:
    """Hide a file everywhere: no list shows it, no download serves it; its bytes and rows stay.
    Hiding a hidden file changes nothing."""
    stored = StoredFile.objects.select_for_update().filter(pk=file_id).first()
    if stored is None:
        raise Http404
    if not file_may_hide(user=actor, stored=stored):
        raise NotAllowed(_("You may not hide this file."))
    if stored.hidden_at is not None:
        return stored
    if actor.pk != stored.uploaded_by_id and not reason.strip():
        raise ValidationError({"reason": [_("Say why the file is hidden.")]})
    stored.hidden_at = timezone.now()
    stored.hidden_by = actor
    stored.save(update_fields=["hidden_at", "hidden_by"])
    FileEvent.objects.create(
        file=stored, action=FileEvent.Action.HIDDEN, actor=actor, reason=reason.strip()[:500]
    )
    return stored


# --- thumbnails --------------------------------------------------------------------------------

#: The largest side of a thumbnail, in pixels.
THUMBNAIL_SIZE = (320, 320)


def file_thumbnail_make(*, file_id: int) -> bool:
    """Make a raster image's thumbnail once: a WebP of at most THUMBNAIL_SIZE, re-encoded from
    the pixels alone (none of the original's metadata or other chunks is kept). Returns whether
    one was made now; a thumbnail made already, a file of another type, or an image that cannot
    be decoded within KAIGAN_FILE_MAX_PIXELS makes none."""
    stored = StoredFile.objects.filter(
        pk=file_id, thumbnail_key="", content_type__in=INLINE_TYPES
    ).first()
    if stored is None:
        return False
    storage = file_storage()
    # Reading the stored bytes may fail for a while (object storage): that OSError is retried.
    with storage.open(stored.key, "rb") as handle:
        original = io.BytesIO(handle.read())
    try:
        data = _thumbnail_bytes(original)
    except (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,  # UnidentifiedImageError, a truncated image
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
    ):
        logger.warning("no thumbnail for file %s: the image cannot be decoded", file_id)
        return False
    if data is None:
        return False
    content = ContentFile(data)
    content.content_type = "image/webp"
    key = storage.save(thumbnail_key(stored.key), content)
    made = StoredFile.objects.filter(pk=file_id, thumbnail_key="").update(thumbnail_key=key)
    if not made:  # another run made it meanwhile: keep theirs
        storage.delete(key)
    return bool(made)


def _thumbnail_bytes(original) -> bytes | None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(original) as image:
            if image.width * image.height > settings.KAIGAN_FILE_MAX_PIXELS:
                return None
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced size
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail(THUMBNAIL_SIZE)
            has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
                picture.mode == "P" and "transparency" in picture.info
            )
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            buffer = io.BytesIO()
            picture.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()
