from django.urls import path

from experts.api import views

urlpatterns = [
    path("tags/", views.TagListApi.as_view(), name="api-tags"),
    path("experts/me/", views.ExpertMeApi.as_view(), name="api-expert-me"),
    path("experts/me/tag/", views.ExpertTagApi.as_view(), name="api-expert-tag"),
]
