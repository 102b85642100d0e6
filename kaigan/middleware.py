from django.conf import settings
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject


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
