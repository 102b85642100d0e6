"""`Idempotency-Key` on the API's money POSTs: the same key answers the same result.

A small adapter, billing's own until the project's shared mechanism lands; then `idempotent`
should delegate to it (one decorator, so the switch is one place). The ledger's own keys hold
regardless: this only makes a retried HTTP call answer what the first one answered.

- A POST with the header, from a signed-in person, inserts its key row first, in the same
  transaction as the work: a second request with the key waits for the first to commit, then
  answers the stored result (`Idempotent-Replayed: true`). A failed request stores nothing (its
  row is rolled back with its work), so it can be retried with the same key.
- The same key with another body or path is refused (409): a key names one request.
- Keys are per person; 1–200 printable ASCII characters.
"""

import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from billing.models import IdempotentRequest
from kaigan.errors import ApplicationError, Conflict

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,200}$")

#: The header as the schema documents it, on each operation that takes it.
PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional. The same key (1–200 printable ASCII characters, per person) answers the "
        "result of the first request again, with `Idempotent-Replayed: true`, and moves no "
        "money twice; the same key with another body answers 409."
    ),
)


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(stored: IdempotentRequest, fingerprint: str, path: str) -> Response:
    if stored.fingerprint != fingerprint or stored.path != path:
        raise Conflict(
            _("This Idempotency-Key was used for another request."),
            fields={HEADER: [_("Use a new key for a new request.")]},
            code="idempotency_conflict",
        )
    response = Response(stored.body, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(method):
    """Decorate an APIView's `post` (after authentication and permissions have run)."""

    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return method(view, request, *args, **kwargs)
        if not _VALID.match(key):
            raise ApplicationError(
                _("Some fields are not valid."),
                fields={HEADER: [_("1 to 200 printable ASCII characters.")]},
            )
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotentRequest.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:300],
                        fingerprint=fingerprint,
                        status_code=0,
                        body={},
                    )
            except IntegrityError:  # answered before (or just now, by a request we waited for)
                stored = IdempotentRequest.objects.get(user=request.user, key=key)
                return _replay(stored, fingerprint, request.path[:300])
            response = method(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # nothing stored: the key may be used again
                return response
            row.status_code = response.status_code
            row.body = json.loads(json.dumps(response.data, default=str))
            row.save(update_fields=["status_code", "body"])
        return response

    return wrapper


def with_idempotency_key(view_class):
    """A subclass of another app's APIView whose `post` takes the header too (documented), for
    the lifecycle operations that move money (accepting the work, cancelling)."""
    from drf_spectacular.utils import extend_schema

    post = idempotent(view_class.post)
    # Its own schema annotation: extend_schema writes into `kwargs`, which wraps() shared.
    post.kwargs = dict(getattr(view_class.post, "kwargs", {}))
    post = extend_schema(parameters=[PARAMETER])(post)
    return type(view_class.__name__, (view_class,), {"post": post, "__module__": __name__})
