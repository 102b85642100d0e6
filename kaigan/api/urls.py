from django.urls import include, path

from kaigan.api.auth import TokenApi

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("", include("experts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("projects.api.urls")),
]
