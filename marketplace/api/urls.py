from django.urls import path

from marketplace.api import views

# Cancelling is routed by billing.api.urls (with billing's service, which refunds escrow); its
# view is BriefCancelApi here.
urlpatterns = [
    path("briefs/", views.BriefListApi.as_view(), name="api-briefs"),
    path("briefs/<id:pk>/", views.BriefDetailApi.as_view(), name="api-brief"),
    path("briefs/<id:pk>/matches/", views.BriefMatchListApi.as_view(), name="api-brief-matches"),
]
