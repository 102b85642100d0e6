"""OpenAPI pieces shared by every API view: the one error shape and its documented responses,
the token scheme, and the schema's language."""

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.functional import lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer of the API has this shape (see kaigan/api/exceptions.py)."""

    detail = serializers.CharField(help_text="A sentence for a person, in the request's language.")
    code = serializers.CharField(
        help_text=(
            "A stable code for programs: `invalid`, `parse_error`, `not_authenticated`, "
            "`authentication_failed`, `permission_denied`, `not_found`, `method_not_allowed`, "
            "`unsupported_media_type`, `invalid_state`, `conflict`, `busy`, `throttled`, "
            "`too_large`, `quota_exceeded`."
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "Field name → its messages (`non_field_errors` for the request as a whole); "
            "an item of a list field is named `field.index`. Empty when no field is at fault."
        ),
    )


#: What an error answer means, and for some statuses the one example that holds for every
#: operation. A 400, 403, 409 or 413 says something about the operation itself: each one gives
#: its own examples (`invalid`, `refused`, `invalid_state`, `too_large`), never one copied from
#: another.
_ERRORS: dict[int, tuple[str, OpenApiExample | None]] = {
    400: ("The input is not valid: `errors` maps each field to its messages.", None),
    401: (
        "Not authenticated: send `Authorization: Token <key>` (or a session cookie).",
        OpenApiExample(
            "Not authenticated",
            value={
                "detail": "Authentication credentials were not provided.",
                "code": "not_authenticated",
                "errors": {},
            },
            response_only=True,
            status_codes=["401"],
        ),
    ),
    403: ("Authenticated, but this role or person may not do this.", None),
    404: (
        "No such object, or not yours: another tenant's object answers 404, never 403.",
        OpenApiExample(
            "Not found",
            value={"detail": "Not found.", "code": "not_found", "errors": {}},
            response_only=True,
            status_codes=["404"],
        ),
    ),
    409: (
        "The object's status does not allow this now (`invalid_state`), or a change made at "
        "the same time won (`conflict`): reload and decide again.",
        None,
    ),
    413: (
        "Too large: the file is over the size limit, or would take the account over its "
        "storage quota (`too_large`, `quota_exceeded`).",
        None,
    ),
    429: (
        "Too many requests: wait the seconds the `Retry-After` header gives.",
        OpenApiExample(
            "Throttled",
            value={
                "detail": "Request was throttled. Expected available in 42 seconds.",
                "code": "throttled",
                "errors": {},
            },
            response_only=True,
            status_codes=["429"],
        ),
    ),
}


def _error_example(status: int, name: str, detail: str, code: str, errors: dict) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={"detail": detail, "code": code, "errors": errors},
        response_only=True,
        status_codes=[str(status)],
    )


def invalid(errors: dict[str, list[str]], name: str = "Invalid input") -> OpenApiExample:
    """A 400 example of this operation: its fields (or query parameters) and their messages."""
    return _error_example(400, name, "Some fields are not valid.", "invalid", errors)


def refused(detail: str, name: str = "Not allowed") -> OpenApiExample:
    """A 403 example of this operation."""
    return _error_example(403, name, detail, "permission_denied", {})


def invalid_state(
    detail: str, name: str = "Invalid state", *, code: str = "invalid_state", errors=None
) -> OpenApiExample:
    """A 409 example of this operation (`code="conflict"` for a change made at the same time)."""
    return _error_example(409, name, detail, code, errors or {})


def too_large(detail: str, name: str = "Too large", *, code: str = "too_large", errors=None):
    """A 413 example of this operation (an upload over a limit)."""
    return _error_example(413, name, detail, code, errors or {})


def error_responses(
    *codes: int, examples: Iterable[OpenApiExample] = ()
) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation; 429 is always among them.

    `examples` are the operation's own (`invalid`, `refused`, `invalid_state`, `too_large`);
    each of 400, 403, 409 and 413 among `codes` needs at least one.
    """
    wanted = sorted({*codes, 429})
    own: dict[int, list[OpenApiExample]] = {}
    for example in examples:
        for status in example.status_codes:
            own.setdefault(int(status), []).append(example)
    responses = {}
    for code in wanted:
        description, shared = _ERRORS[code]
        listed = own.pop(code, None) or ([shared] if shared else None)
        if listed is None:
            raise ValueError(f"An answer {code} needs an example of this operation.")
        responses[code] = OpenApiResponse(
            response=ErrorSerializer, description=description, examples=listed
        )
    if own:
        raise ValueError(f"Examples for answers not documented: {sorted(own)}.")
    return responses


def postprocess_unsupported_media_type(result, generator, request, public):
    """drf-spectacular hook: every operation that takes a body may answer 415.

    DRF answers 415 when a body comes with a Content-Type none of the view's parsers reads
    (JSON only, unless a view sets its own `parser_classes`); document it once here rather
    than on every view.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault(
                    "415",
                    {
                        "description": (
                            "The body's Content-Type is not one this operation reads "
                            "(the media types of its request body)."
                        ),
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"},
                            }
                        },
                    },
                )
    return result


class SchemaGenerator(BaseSchemaGenerator):
    """The schema in English, whatever the request's language or LANGUAGE_CODE.

    Its own texts are written in English; the labels of models, choices and filters would
    otherwise follow the active language (Chinese by default), and client generators name
    classes after them (`BriefsList状态`).
    """

    def get_schema(self, request=None, public=False):
        with translation.override("en"):
            return super().get_schema(request=request, public=public)


class TokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>`, for Kaigan's token authentication (kaigan.api.authentication).

    OpenAPI has no field for a custom prefix of the Authorization header, and `type: http` with
    `scheme: Token` is valid but unusable in Swagger UI (it knows basic and bearer only): an API
    key in the Authorization header whose description states the exact value to send.
    """

    target_class = "kaigan.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        keyword = self.target.keyword
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"Send `Authorization: {keyword} <key>`: the word `{keyword}` (not `Bearer`), a "
                "space and the key from `POST /api/v1/auth/token/`. A generated client needs "
                f"the prefix set, e.g. openapi-python-client's `AuthenticatedClient(base_url, "
                f'token=key, prefix="{keyword}")`.'
            ),
        }


def _days_ahead(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _moment(days: int, time: str) -> str:
    return f"{_days_ahead(days)}T{time}+08:00"


#: A date `days` after the day the schema is generated, for examples that must stay valid (a
#: brief's deadline is after today and within two years): resolved when the schema is built.
example_date = lazy(_days_ahead, str)
#: A moment (China Standard Time) of the day `days` after the schema is generated.
example_moment = lazy(_moment, str)
