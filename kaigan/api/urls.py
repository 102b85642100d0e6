from django.urls import include, path, re_path

from kaigan.api import converters  # noqa: F401  (registers the `id` path converter)
from kaigan.api.auth import TokenApi, TokenListApi, TokenRevokeApi
from kaigan.api.views import ApiNotFound
from kaigan.files.api import FileDownloadApi, FileUploadApi
from kaigan.notifications.api import NotificationListApi, NotificationReadApi

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("auth/tokens/", TokenListApi.as_view(), name="api-tokens"),
    path("auth/tokens/<id:pk>/", TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", NotificationReadApi.as_view(), name="api-notifications-read"),
    path("files/", FileUploadApi.as_view(), name="api-files"),
    path("files/<id:pk>/download/", FileDownloadApi.as_view(), name="api-file-download"),
    path("", include("billing.api.urls")),
    path("", include("experts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("projects.api.urls")),
    # Last: any other path under /api/v1/ gets the API's JSON 404.
    re_path(r"^[\s\S]*$", ApiNotFound.as_view(), name="api-not-found"),  # newlines too
]
