"""OpenAPI pieces shared by every API view: the one error shape and its documented responses."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer of the API has this shape (see kaigan/api/exceptions.py)."""

    detail = serializers.CharField(help_text="A sentence for a person, in the request's language.")
    code = serializers.CharField(
        help_text=(
            "A stable code for programs: `invalid`, `parse_error`, `not_authenticated`, "
            "`authentication_failed`, `permission_denied`, `not_found`, `method_not_allowed`, "
            "`unsupported_media_type`, `invalid_state`, `conflict`, `busy`, `throttled`."
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "Field name → its messages (`non_field_errors` for the request as a whole); "
            "an item of a list field is named `field.index`. Empty when no field is at fault."
        ),
    )


_ERRORS: dict[int, tuple[str, OpenApiExample]] = {
    400: (
        "The input is not valid: `errors` maps each field to its messages.",
        OpenApiExample(
            "Invalid input",
            value={
                "detail": "Some fields are not valid.",
                "code": "invalid",
                "errors": {"budget_max": ["The upper budget must not be below the lower one."]},
            },
            response_only=True,
            status_codes=["400"],
        ),
    ),
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
    403: (
        "Authenticated, but this role or person may not do this.",
        OpenApiExample(
            "Not allowed",
            value={
                "detail": "Only the startup that posted this brief can do this.",
                "code": "permission_denied",
                "errors": {},
            },
            response_only=True,
            status_codes=["403"],
        ),
    ),
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
        OpenApiExample(
            "Invalid state",
            value={
                "detail": "A brief that is “In progress” cannot be cancelled.",
                "code": "invalid_state",
                "errors": {},
            },
            response_only=True,
            status_codes=["409"],
        ),
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


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation; 429 is always among them."""
    wanted = sorted({*codes, 429})
    return {
        code: OpenApiResponse(
            response=ErrorSerializer, description=_ERRORS[code][0], examples=[_ERRORS[code][1]]
        )
        for code in wanted
    }


#: The usual sets: reading as a signed-in person, reading one object, and changing one.
READ_ERRORS = (401, 403)
OBJECT_READ_ERRORS = (401, 403, 404)
OBJECT_WRITE_ERRORS = (400, 401, 403, 404, 409)


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
