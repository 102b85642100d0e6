"""API tokens: issue, revoke, check use. Only models here: the API's authentication class
imports this module while DRF loads its settings."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kaigan.accounts.models import ApiToken, User


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`, and its key (shown this once; only its hash is kept). The
    oldest tokens beyond KAIGAN_API_TOKENS_PER_USER are revoked."""
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=api_token_hash(key),
            prefix=key[:8],
            name=name,
            expires_at=now + settings.KAIGAN_API_TOKEN_LIFETIME,
            last_used_at=now,  # signing in is its first use
        )
        keep = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[
            : settings.KAIGAN_API_TOKENS_PER_USER
        ]
        ApiToken.objects.filter(user=user).exclude(pk__in=keep.values("pk")).delete()
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's tokens (another's, or none, is a 404)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise Http404


def api_token_touch(*, token: ApiToken) -> None:
    """Note that the token was used, at most once an hour (one write, not one per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
