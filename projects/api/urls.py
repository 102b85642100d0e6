from django.urls import path

from projects.api import quotes, views

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
    path("briefs/<id:pk>/quote/change/", quotes.QuoteChangeApi.as_view(), name="api-quote-change"),
    path(
        "quotes/<id:pk>/agree/", quotes.QuoteAnswerApi.as_view(agree=True), name="api-quote-agree"
    ),
    path(
        "quotes/<id:pk>/reject/",
        quotes.QuoteAnswerApi.as_view(agree=False),
        name="api-quote-reject",
    ),
]
