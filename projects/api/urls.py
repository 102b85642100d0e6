from django.urls import path

from projects.api import views

urlpatterns = [
    path("matches/<id:pk>/approve/", views.MatchApproveApi.as_view(), name="api-match-approve"),
    path("matches/<id:pk>/reject/", views.MatchRejectApi.as_view(), name="api-match-reject"),
    path("invitations/", views.InvitationListApi.as_view(), name="api-invitations"),
    path(
        "invitations/<id:pk>/accept/",
        views.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "invitations/<id:pk>/decline/",
        views.InvitationDeclineApi.as_view(),
        name="api-invitation-decline",
    ),
    path("briefs/<id:pk>/deliver/", views.BriefDeliverApi.as_view(), name="api-brief-deliver"),
    path("briefs/<id:pk>/accept/", views.BriefAcceptApi.as_view(), name="api-brief-accept"),
    path(
        "briefs/<id:pk>/dissatisfaction/",
        views.BriefDissatisfactionApi.as_view(),
        name="api-brief-dissatisfaction",
    ),
]
