"""Who may read a file: the one door every download and thumbnail goes through.

- A hidden file: nobody (404).
- Its uploader, and superusers: always.
- Anyone else: only if they may read one of the objects it is attached to (and not removed
  from), as the app that registered that object's model decides (kaigan.files.registry). An
  upload attached to nothing is its uploader's alone.

Anything else answers 404, the same as an id that does not exist.
"""

from django.http import Http404

from kaigan.files import registry
from kaigan.files.models import FileAttachment, StoredFile


def may_read(user, stored: StoredFile) -> bool:
    if stored.hidden_at is not None or not user.is_authenticated:
        return False
    if user.is_superuser or stored.uploaded_by_id == user.pk:
        return True
    targets = FileAttachment.objects.filter(file=stored, removed_at__isnull=True).values_list(
        "target_type__app_label", "target_type__model", "target_id"
    )
    for app_label, model, target_id in targets:
        entry = registry.attachable_by_label(f"{app_label}.{model}")
        if entry is not None and entry.may_read(user, target_id):
            return True
    return False


def access_file(user, pk) -> StoredFile:
    """The file, if `user` may read it; else Http404."""
    try:
        stored = StoredFile.objects.filter(pk=pk).first()
    except (ValueError, TypeError, OverflowError):
        stored = None
    if stored is None or not may_read(user, stored):
        raise Http404
    return stored
