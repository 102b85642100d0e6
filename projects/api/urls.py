from django.urls import path

from projects.api import quotes, views

# Accepting an invitation, delivering and accepting the work are routed by billing.api.urls
# (with billing's services, which settle their money); their views are in projects.api.views.
urlpatterns = [
    path("matches/<id:pk>/approve/", views.MatchApproveApi.as_view(), name="api-match-approve"),
    path("matches/<id:pk>/reject/", views.MatchRejectApi.as_view(), name="api-match-reject"),
    path("invitations/", views.InvitationListApi.as_view(), name="api-invitations"),
    path(
        "invitations/<id:pk>/decline/",
        views.InvitationDeclineApi.as_view(),
        name="api-invitation-decline",
    ),
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
