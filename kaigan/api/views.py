"""The API's answer for a path it does not have: the usual JSON 404, never an HTML page."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


@extend_schema(exclude=True)
class ApiNotFound(APIView):
    permission_classes = [AllowAny]

    def _not_found(self, request, *args, **kwargs):
        raise NotFound

    get = post = put = patch = delete = head = options = _not_found
