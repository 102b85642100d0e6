"""Two reference views for the load benchmark (bench/load.sh), served only when the
KAIGAN_BENCH_VIEWS setting is on (never in production; kaigan/settings/bench.py turns it on).

- `hello`: a plain Django view, no database: the ceiling of the stack (middleware included).
- `BareTagApi`: a bare DRF view that does one indexed query (a tag by primary key) and
  renders it as JSON: no authentication, permission or throttle, so every real endpoint is
  compared with the cost of DRF plus one round trip to PostgreSQL.
- `SignedInTagApi`: the same view with the API's own authentication, permission and
  throttling (a token): what every real API endpoint pays before its own work. It is not a
  target; it splits each endpoint's gap to the bare view into the part that any signed-in
  request pays and the endpoint's own.
"""

from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from experts.models import Tag


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


class BareTagApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    # Not part of the API: left out of the OpenAPI schema.
    schema = None

    def get(self, request, pk):
        tag = Tag.objects.only("pk", "slug", "name").get(pk=pk)
        return Response({"id": tag.pk, "slug": tag.slug, "name": tag.name})


class SignedInTagApi(BareTagApi):
    # The API's defaults (settings.REST_FRAMEWORK), as every real endpoint has them.
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES
    throttle_classes = api_settings.DEFAULT_THROTTLE_CLASSES


urlpatterns = [
    path("hello/", hello, name="bench-hello"),
    path("tag/<int:pk>/", BareTagApi.as_view(), name="bench-bare-drf"),
    path("signed-in-tag/<int:pk>/", SignedInTagApi.as_view(), name="bench-signed-in-drf"),
]
