from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kaigan import views
from kaigan.accounts.views import SignupView
from kaigan.ops import health, metrics

# The admin signs in through allauth: one login page, with its rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Kaigan · project managers")
admin.site.site_title = _("Kaigan admin")
admin.site.index_title = _("Workplace")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", health.liveness, name="healthz"),
    path("readyz/", health.ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Before allauth's own: the same page, safe against two signups with one email at once.
    path("accounts/signup/", SignupView.as_view(), name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("notifications/", include("kaigan.notifications.urls")),
    path("files/", include("kaigan.files.urls")),
    # Before projects and marketplace: billing wires their accept, deliver and cancel pages
    # to its services (billing/urls.py).
    path("", include("billing.urls")),
    path("", include("projects.urls")),
    path("expert/", include("experts.urls")),
    path("briefs/", include("marketplace.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("kaigan.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]

from django.conf import settings  # noqa: E402  (kept next to the one switch that uses it)

if settings.KAIGAN_BENCH_VIEWS:  # the load benchmark's reference views: kaigan/bench_views.py
    urlpatterns += [path("bench/", include("kaigan.bench_views"))]
