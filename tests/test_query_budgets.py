"""Issue 10: every page and endpoint runs a fixed number of queries, however many rows.

Each case builds its page's rows twice — a few, then many more — and the count must not move.
The budget column pins today's figure so that it cannot creep either. (An API list whose first
page is not full sends no COUNT: kaigan/api/pagination.py. These lists stay below a page.)
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts.services import expert_refresh_rank_base
from marketplace import services as marketplace_services
from marketplace.models import Brief, BriefEvent, Match
from tests import factories

pytestmark = pytest.mark.django_db


def _live_brief(startup, pm, expert=None):
    """A brief in progress with an accepted match and its agreed quote."""
    from projects import services

    expert = expert or factories.ExpertFactory()
    brief = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.AWAITING_APPROVAL)
    match = factories.MatchFactory(brief=brief, expert=expert)
    marketplace_services.match_approve(match_id=match.pk, actor=pm, scope_days=Decimal(2))
    services.invitation_accept(match_id=match.pk, user=expert.user)
    return brief


def grow_briefs(ctx, n):
    for _ in range(n):
        _live_brief(ctx["startup"], ctx["pm"])


def grow_events(ctx, n):
    brief = ctx["brief"]
    for _ in range(n):
        BriefEvent.objects.create(brief=brief, from_status="open", to_status="open", reason="x")
        factories.MatchFactory(brief=brief, status=Match.Status.REJECTED, rank=2)


def grow_proposals(ctx, n):
    for _ in range(n):
        expert = factories.ExpertFactory()
        expert_refresh_rank_base(expert_id=expert.pk)
        factories.MatchFactory(brief=ctx["brief"], expert=expert, rank=3)
        BriefEvent.objects.create(brief=ctx["brief"], to_status="open")


def grow_invitations(ctx, n):
    for _ in range(n):
        brief = factories.BriefFactory(pm=ctx["pm"], status=Brief.Status.AWAITING_APPROVAL)
        match = factories.MatchFactory(brief=brief, expert=ctx["expert"])
        marketplace_services.match_approve(match_id=match.pk, actor=ctx["pm"])
        _live_brief(factories.StartupFactory(), ctx["pm"], expert=ctx["expert"])
        ctx["expert"].refresh_from_db()
        ctx["expert"].capacity = 10
        ctx["expert"].save(update_fields=["capacity"])


def _attach_files(user, brief, n):
    from kaigan.files.services import file_upload, files_attach
    from tests.files_helpers import PDF, uploaded

    ids = [file_upload(user=user, uploaded=uploaded(f"参考{i}.pdf", PDF)).pk for i in range(n)]
    files_attach(user=user, target=brief, file_ids=ids)


def grow_files(ctx, n):
    """More reference files on the brief; the newest of them hidden."""
    from kaigan.files.selectors import files_of
    from kaigan.files.services import file_hide

    _attach_files(ctx["startup"].owner, ctx["brief"], n)
    file_hide(file_id=files_of(ctx["brief"])[-1].pk, actor=ctx["startup"].owner)


def _open_brief(ctx):
    """A brief its startup may still edit."""
    if "open_brief" not in ctx:
        ctx["open_brief"] = factories.BriefFactory(startup=ctx["startup"], pm=ctx["pm"])
    return ctx["open_brief"]


def grow_open_brief_files(ctx, n):
    _attach_files(ctx["startup"].owner, _open_brief(ctx), n)


def grow_invitations_with_files(ctx, n):
    """Invitations to briefs that carry reference files."""
    from tests.files_helpers import invite

    for _ in range(n):
        brief = factories.BriefFactory(pm=ctx["pm"], status=Brief.Status.AWAITING_EXPERT)
        _attach_files(brief.startup.owner, brief, 2)
        invite(brief, ctx["expert"])


def grow_notifications(ctx, n):
    factories.NotificationFactory.create_batch(n, recipient=ctx["viewer"])


# (name, who looks, url, how rows grow, budget)
CASES = [
    ("brief list page", "startup", lambda c: reverse("marketplace:brief_list"), grow_briefs, 6),
    ("brief list API", "startup", lambda c: "/api/v1/briefs/", grow_briefs, 4),
    ("PM brief list API", "pm", lambda c: "/api/v1/briefs/", grow_briefs, 4),
    (
        "brief detail page",
        "startup",
        lambda c: reverse("marketplace:brief_detail", args=[c["brief"].pk]),
        grow_events,
        # + its reference files, and the money box: the escrow by movement, quotes, decisions,
        # replaced experts
        12,
    ),
    (
        "brief detail page with files",
        "startup",
        lambda c: reverse("marketplace:brief_detail", args=[c["brief"].pk]),
        grow_files,
        12,
    ),
    (
        "brief detail API with files",
        "startup",
        lambda c: f"/api/v1/briefs/{c['brief'].pk}/",
        grow_files,
        7,
    ),
    (
        "brief edit form with files",
        "startup",
        lambda c: reverse("marketplace:brief_edit", args=[_open_brief(c).pk]),
        grow_open_brief_files,
        7,
    ),
    (
        "expert dashboard with files",
        "expert",
        lambda c: reverse("experts:dashboard"),
        grow_invitations_with_files,
        7,
    ),
    ("brief detail API", "startup", lambda c: f"/api/v1/briefs/{c['brief'].pk}/", grow_events, 7),
    (
        "PM matches API",
        "pm",
        lambda c: f"/api/v1/briefs/{c['brief'].pk}/matches/",
        grow_proposals,
        3,
    ),
    # + reference files, and the funding of the accepted engagements, read at once for all
    ("expert dashboard", "expert", lambda c: reverse("experts:dashboard"), grow_invitations, 12),
    ("invitations API", "expert", lambda c: "/api/v1/invitations/", grow_invitations, 5),
    (
        "invitations API with files",
        "expert",
        lambda c: "/api/v1/invitations/",
        grow_invitations_with_files,
        5,
    ),
    ("expert me API", "expert", lambda c: "/api/v1/experts/me/", grow_invitations, 3),
    (
        "notifications page",
        "startup",
        lambda c: reverse("notifications:list"),
        grow_notifications,
        5,
    ),
    ("notifications API", "startup", lambda c: "/api/v1/notifications/", grow_notifications, 3),
    ("tags API", "anonymous", lambda c: "/api/v1/tags/", grow_briefs, 1),
    (
        "admin brief queue",
        "pm",
        lambda c: reverse("admin:marketplace_brief_changelist"),
        grow_briefs,
        9,
    ),
    (
        "admin brief page",
        "pm",
        lambda c: reverse("admin:marketplace_brief_change", args=[c["brief"].pk]),
        grow_proposals,
        14,  # + the reference files, the link to the brief's money
    ),
    (
        "admin brief page with files",
        "pm",
        lambda c: reverse("admin:marketplace_brief_change", args=[c["brief"].pk]),
        grow_files,
        14,
    ),
    (
        "admin PM dashboard",
        "pm",
        lambda c: reverse("admin:marketplace_brief_dashboard"),
        grow_briefs,
        10,
    ),
    (
        "admin match list",
        "pm",
        lambda c: reverse("admin:marketplace_match_changelist"),
        grow_proposals,
        7,
    ),
    ("home page", "anonymous", lambda c: reverse("home"), grow_briefs, 0),
    ("new brief form", "startup", lambda c: reverse("marketplace:brief_create"), grow_briefs, 6),
    (
        "startup profile",
        "startup",
        lambda c: reverse("marketplace:startup_profile"),
        grow_briefs,
        4,
    ),
    ("quotes CSV", "startup", lambda c: reverse("marketplace:quotes_csv"), grow_briefs, 4),
    ("claim tag page", "expert", lambda c: reverse("experts:claim_tag"), grow_invitations, 6),
    (
        "admin expert list",
        "pm",
        lambda c: reverse("admin:experts_expert_changelist"),
        grow_proposals,
        8,
    ),
]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


@pytest.mark.parametrize(("name", "who", "url", "grow", "budget"), CASES, ids=[c[0] for c in CASES])
def test_query_count_is_flat_as_rows_grow(client, pm, name, who, url, grow, budget):
    startup = factories.StartupFactory()
    expert = factories.ExpertFactory(capacity=10)
    viewer = {"startup": startup.owner, "pm": pm, "expert": expert.user, "anonymous": None}[who]
    ctx = {"startup": startup, "pm": pm, "expert": expert, "viewer": viewer or startup.owner}
    ctx["brief"] = _live_brief(startup, pm)
    if viewer is not None:
        client.force_login(viewer)
    target = url(ctx)
    _count(client, target)  # warm the per-process caches (content types, permissions)
    grow(ctx, 2)
    few = _count(client, target)
    grow(ctx, 6)
    many = _count(client, target)
    print(f"{name}: {few} → {many} queries")
    assert many == few, f"{name}: {few} queries with few rows, {many} with more"
    assert many <= budget, f"{name}: {many} queries, budget {budget}"
