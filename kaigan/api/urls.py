from django.urls import include, path, re_path

from kaigan.api import converters  # noqa: F401  (registers the `id` path converter)
from kaigan.api.auth import TokenApi
from kaigan.api.views import ApiNotFound
from kaigan.notifications.api import NotificationListApi, NotificationReadApi

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", NotificationReadApi.as_view(), name="api-notifications-read"),
    path("", include("billing.api.urls")),
    path("", include("experts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("projects.api.urls")),
    # Last: any other path under /api/v1/ gets the API's JSON 404.
    re_path(r"^[\s\S]*$", ApiNotFound.as_view(), name="api-not-found"),  # newlines too
]
