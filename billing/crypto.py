"""Field encryption for bank details: Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`.

The keys come from the environment (`KAIGAN_FIELD_ENCRYPTION_KEY`): one or more urlsafe-base64
Fernet keys separated by commas. The first encrypts; all decrypt, so a key is rotated by putting
the new one first (and `manage.py billing_rotate_key` re-encrypts the rows). Production has no
default (kaigan/settings/production.py); local and test settings have a development key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    parts = [key.strip() for key in keys.split(",") if key.strip()]
    if not parts:
        raise ImproperlyConfigured("KAIGAN_FIELD_ENCRYPTION_KEY is not set.")
    try:
        return MultiFernet([Fernet(key) for key in parts])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "KAIGAN_FIELD_ENCRYPTION_KEY must be Fernet keys (urlsafe base64 of 32 bytes), "
            "separated by commas."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(settings.KAIGAN_FIELD_ENCRYPTION_KEY)


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A bank account number cannot be decrypted with KAIGAN_FIELD_ENCRYPTION_KEY."
        ) from exc


def rotate(token: str) -> str:
    """The same secret under the first (newest) key."""
    return fernet().rotate(token.encode()).decode()
