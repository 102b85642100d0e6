"""Money pages, and the lifecycle's pages whose money billing settles.

The first four paths are the very paths of the lower apps' own pages
(`projects:invitation_accept`, `projects:brief_deliver`, `projects:brief_accept`,
`marketplace:brief_cancel`, which templates and links keep using): the project's URLconf
includes this module before those apps, so these win and call the lower apps' views with
billing's services. Lower apps never import billing.
"""

from django.urls import path

from billing import services, views
from marketplace import views as marketplace_views
from projects import views as projects_views

app_name = "billing"
urlpatterns = [
    path(
        "expert/invitations/<int:pk>/accept/",
        projects_views.invitation_accept,
        {"accept": services.invitation_accept},
        name="invitation_accept",
    ),
    path(
        "expert/briefs/<int:pk>/deliver/",
        projects_views.brief_deliver,
        {"deliver": services.work_deliver},
        name="brief_deliver",
    ),
    path(
        "briefs/<int:pk>/accept/",
        projects_views.brief_accept,
        {"accept": services.work_accept},
        name="brief_accept",
    ),
    path(
        "briefs/<int:pk>/cancel/",
        marketplace_views.brief_cancel,
        {"cancel": services.brief_cancel},
        name="brief_cancel",
    ),
    path("briefs/<int:pk>/money/", views.brief_money, name="brief_money"),
    path("briefs/<int:pk>/money.csv", views.brief_money_csv, name="brief_money_csv"),
    path("briefs/<int:pk>/money/fund/", views.brief_fund_dev, name="brief_fund_dev"),
    path(
        "briefs/<int:pk>/money/approve-difference/",
        views.brief_approve_difference,
        name="brief_approve_difference",
    ),
    path("expert/money/", views.expert_money, name="expert_money"),
    path("expert/money/statement/", views.expert_month, name="expert_month"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
]
