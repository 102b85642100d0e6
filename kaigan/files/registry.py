"""The models files may be attached to, each with the rule of who may read them.

An app registers its models in its `AppConfig.ready()`, so that this package decides access
without importing the apps (they sit above it):

    from kaigan.files.registry import register
    register(Brief, may_read=brief_files_readable, managed_ids=briefs_managed_by)

- `may_read(user, object_id) -> bool`: may this signed-in person read the files attached to
  that object? (A superuser and the file's uploader always may; see kaigan.files.access.)
- `managed_ids(user) -> QuerySet of ids`: the objects a staff user (a PM) works on, whose files
  the admin shows them. Optional: without it, only superusers see such files in the admin.
- `max_files`: the most files attached to one object at once (KAIGAN_FILE_MAX_PER_OBJECT).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Attachable:
    model: type[models.Model]
    may_read: Callable[..., bool]
    managed_ids: Callable[..., models.QuerySet] | None = None
    max_files: int | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_registry: dict[str, Attachable] = {}


def register(
    model: type[models.Model],
    *,
    may_read: Callable[..., bool],
    managed_ids: Callable[..., models.QuerySet] | None = None,
    max_files: int | None = None,
) -> Attachable:
    entry = Attachable(model, may_read, managed_ids, max_files)
    _registry[entry.label] = entry
    return entry


def attachable(model_or_instance) -> Attachable:
    """The registration of a model (or of an instance's model); a model nobody registered is
    a programming error."""
    label = model_or_instance._meta.label_lower
    try:
        return _registry[label]
    except KeyError:
        raise LookupError(f"{label} is not registered with kaigan.files.registry") from None


def attachable_by_label(label: str) -> Attachable | None:
    """The registration of "app_label.model", or None."""
    return _registry.get(label)


def registered() -> list[Attachable]:
    return list(_registry.values())
