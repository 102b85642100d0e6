from django.urls import path

from projects.api import views

urlpatterns = [
    path("matches/<int:pk>/approve/", views.MatchApproveApi.as_view(), name="api-match-approve"),
    path("matches/<int:pk>/reject/", views.MatchRejectApi.as_view(), name="api-match-reject"),
    path("invitations/", views.InvitationListApi.as_view(), name="api-invitations"),
    path(
        "invitations/<int:pk>/accept/",
        views.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "invitations/<int:pk>/decline/",
        views.InvitationDeclineApi.as_view(),
        name="api-invitation-decline",
    ),
    path("briefs/<int:pk>/deliver/", views.BriefDeliverApi.as_view(), name="api-brief-deliver"),
    path("briefs/<int:pk>/accept/", views.BriefAcceptApi.as_view(), name="api-brief-accept"),
    path(
        "briefs/<int:pk>/dissatisfaction/",
        views.BriefDissatisfactionApi.as_view(),
        name="api-brief-dissatisfaction",
    ),
]
