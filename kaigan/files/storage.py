"""The storage behind uploaded files: `STORAGES["kaigan_files"]` (settings), through Django's
storage API — a local folder by default, S3-compatible object storage with django-storages."""

import uuid

from django.core.files.storage import Storage, storages
from django.utils import timezone

ALIAS = "kaigan_files"


def file_storage() -> Storage:
    return storages[ALIAS]


def new_key() -> str:
    """A key the server makes: a month folder and a random name, no extension, nothing of the
    name the person gave."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def thumbnail_key(key: str) -> str:
    return f"{key}-thumb"


def signs_urls(storage: Storage) -> bool:
    """Whether the storage hands out short-lived signed URLs (object storage): downloads are
    then redirected there after the access check, instead of streamed by the web process."""
    return bool(getattr(storage, "querystring_auth", False)) and not getattr(
        storage, "custom_domain", None
    )
