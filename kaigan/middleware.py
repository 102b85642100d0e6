from django.shortcuts import render


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
