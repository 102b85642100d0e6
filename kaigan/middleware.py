import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

nul_logger = logging.getLogger("django.security.NulCharacter")


class MethodNotAllowedPageMiddleware:
    """A visit to an address that only takes a form (a GET on a POST-only view) answers with a
    page in the site's layout and language that says so, instead of Django's empty 405. The
    API's 405 answers carry their own JSON and pass as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response


NUL = "\x00"


class RefuseNulCharactersMiddleware:
    """A NUL character in the address, the query string, a header or the session cookie is
    refused with a 400: the API's JSON error, or the 400 page.

    PostgreSQL cannot hold NUL in text, so any such value that reaches a query (a page's
    filter, the admin's changelist filters and search, a token, a session key) would fail
    there with a 500; no client of this site sends one. Posted values are left to the forms
    and serializers, whose text fields refuse NUL with a message next to the field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        kind, name = where
        nul_logger.warning("NUL character in the %s %r of %s", kind, name, request.path)
        if kind == "cookie":
            # The session behind that cookie cannot be read (nor by an outer middleware that
            # asks who is signed in): answer as to a visitor.
            request.user = AnonymousUser()
        if request.path_info.startswith("/api/"):
            return self._api_answer(kind, name)
        return render(request, "400.html", status=400)

    @staticmethod
    def _nul_in(request) -> tuple[str, str] | None:
        if NUL in request.path:
            return ("path", "")
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or NUL in query:  # else the decoded parameters hold none either
            for key, values in request.GET.lists():
                if NUL in key or any(NUL in value for value in values):
                    return ("query", key)
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
                return ("header", key)
        # Octal escapes in a quoted cookie value (`"\\000"`) decode to NUL.
        if NUL in request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""):
            return ("cookie", settings.SESSION_COOKIE_NAME)
        return None

    @staticmethod
    def _api_answer(kind: str, name: str) -> JsonResponse:
        message = _("A NUL character is not allowed here.")
        if kind == "query":
            body = {
                "detail": _("Some fields are not valid."),
                "code": "invalid",
                "errors": {name.replace(NUL, "") or "non_field_errors": [message]},
            }
        else:
            body = {"detail": message, "code": "parse_error", "errors": {}}
        return JsonResponse(body, status=400)


class NoStoreForSignedInMiddleware:
    """Every answer to a signed-in person (a page, the API, a file) says `Cache-Control:
    no-store, private`: a shared computer's browser cache or back button, or a proxy, must not
    keep a page with someone's briefs, invitations or money. Anonymous pages keep their own
    caching, and static files are served before this runs (WhiteNoise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self._signed_in(request, response):
            response["Cache-Control"] = "no-store, private"
        return response

    @staticmethod
    def _signed_in(request, response) -> bool:
        user = request.__dict__.get("user")
        if user is not None and not isinstance(user, SimpleLazyObject):
            # Set by DRF once its view authenticated the request (a token, a session).
            return user.is_authenticated
        if "HTTP_AUTHORIZATION" in request.META:  # a token (or an attempt at one)
            return True
        cookie = settings.SESSION_COOKIE_NAME
        if cookie not in request.COOKIES and cookie not in response.cookies:
            # No session, none begun (a sign-in sets the cookie): nobody is signed in, and the
            # session is not read for nothing (reading it would add `Vary: Cookie`).
            return False
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
