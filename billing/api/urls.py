"""The money API, and the lifecycle operations whose money billing settles.

The four routes at the top are the lower apps' own views (their classes, their schema), wired
here with billing's services: accepting an invitation settles the escrow, delivering waits for
funding, accepting the work releases escrow, cancelling refunds it (these two also take an
`Idempotency-Key`). They live here, not in
`marketplace.api.urls` / `projects.api.urls`, because lower apps never import billing.
"""

from django.urls import path

from billing import services
from billing.api import views
from billing.idempotency import with_idempotency_key
from marketplace.api.views import BriefCancelApi
from projects.api.views import BriefAcceptApi, BriefDeliverApi, InvitationAcceptApi

urlpatterns = [
    path(
        "invitations/<id:pk>/accept/",
        InvitationAcceptApi.as_view(accept_invitation=services.invitation_accept),
        name="api-invitation-accept",
    ),
    path(
        "briefs/<id:pk>/deliver/",
        BriefDeliverApi.as_view(deliver_work=services.work_deliver),
        name="api-brief-deliver",
    ),
    path(
        "briefs/<id:pk>/accept/",
        with_idempotency_key(BriefAcceptApi).as_view(accept_work=services.work_accept),
        name="api-brief-accept",
    ),
    path(
        "briefs/<id:pk>/cancel/",
        with_idempotency_key(BriefCancelApi).as_view(cancel_brief=services.brief_cancel),
        name="api-brief-cancel",
    ),
    path("briefs/<id:pk>/funding/", views.BriefFundingApi.as_view(), name="api-brief-funding"),
    path(
        "briefs/<id:pk>/funding/approve/",
        views.ApproveDifferenceApi.as_view(),
        name="api-brief-approve-difference",
    ),
    path(
        "briefs/<id:pk>/statement/", views.BriefStatementApi.as_view(), name="api-brief-statement"
    ),
    path("experts/me/balance/", views.ExpertBalanceApi.as_view(), name="api-expert-balance"),
    path("experts/me/payouts/", views.ExpertPayoutListApi.as_view(), name="api-expert-payouts"),
    path("invoices/", views.InvoiceListApi.as_view(), name="api-invoices"),
]
