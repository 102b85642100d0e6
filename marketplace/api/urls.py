from django.urls import path

from marketplace.api import views

urlpatterns = [
    path("briefs/", views.BriefListApi.as_view(), name="api-briefs"),
    path("briefs/<id:pk>/", views.BriefDetailApi.as_view(), name="api-brief"),
    path("briefs/<id:pk>/cancel/", views.BriefCancelApi.as_view(), name="api-brief-cancel"),
    path("briefs/<id:pk>/matches/", views.BriefMatchListApi.as_view(), name="api-brief-matches"),
]
