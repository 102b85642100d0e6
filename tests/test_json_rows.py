"""The brief list and the match list rendered by PostgreSQL (kaigan.api.json_rows) answer
exactly what the serializers answer: whole responses compared, on rows of every shape, in
several time zones, with filters, pages and refusals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from kaigan.api import json_rows
from marketplace.models import Brief, Match, Quote
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL renders the lists only there"
    ),
]

AWKWARD = 'Say "开干" \\ back\tslash\nnew line \u2028 😀 </script><b>x</b>'


def _whole_second(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


def _briefs(startup, pm):
    """Briefs of every shape the list can show."""
    unnamed_pm = factories.ProjectManagerFactory(user__name="").user
    campaign = factories.CampaignFactory(startup=startup, name=AWKWARD[:60])
    plain = factories.BriefFactory(startup=startup, pm=None, campaign=campaign, title=AWKWARD)
    # Microseconds of zero are left out of ISO 8601 by DRF; the rematch promise is computed.
    _whole_second(
        Brief,
        plain.pk,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        rematch_started_at=datetime(1988, 7, 1, 12, 0, tzinfo=UTC),  # Shanghai summer time
        rematch_count=1,
    )
    factories.BriefFactory(startup=startup, pm=unnamed_pm, description=AWKWARD)

    # A live match with its quote in force: days at a day rate, offered.
    offered = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.AWAITING_EXPERT)
    untagged = factories.ExpertFactory(tag=None, display_name=AWKWARD[:60])
    match = factories.MatchFactory(brief=offered, expert=untagged, status=Match.Status.APPROVED)
    Quote.objects.create(
        brief=offered,
        match=match,
        scope_days=Decimal("2.5"),
        day_rate=1500,
        expert_earnings=3750,
        platform_fee=375,
        total=4125,
        fee_percent=Decimal("10.00"),
    )
    # Accepted, at a fixed price agreed, with a superseded version before it.
    agreed = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.IN_PROGRESS)
    match = factories.MatchFactory(brief=agreed, status=Match.Status.ACCEPTED)
    Quote.objects.create(
        brief=agreed,
        match=match,
        fixed_price=9000,
        expert_earnings=9000,
        platform_fee=0,
        total=9000,
        fee_percent=Decimal("0.00"),
        fee_waived=True,
        status=Quote.Status.SUPERSEDED,
    )
    quote = Quote.objects.create(
        brief=agreed,
        match=match,
        version=2,
        fixed_price=9900,
        expert_earnings=9000,
        platform_fee=900,
        total=9900,
        fee_percent=Decimal("10.00"),
        status=Quote.Status.AGREED,
        agreed_at=datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    )
    _whole_second(Quote, quote.pk, created_at=datetime(2026, 5, 6, 7, 0, tzinfo=UTC))
    # A live match without a quote; and matches that are over.
    unquoted = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.AWAITING_EXPERT)
    factories.MatchFactory(brief=unquoted, status=Match.Status.APPROVED)
    replaced = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.REMATCHING)
    factories.MatchFactory(brief=replaced, status=Match.Status.REPLACED)
    # Completed: the match that completed it, with its agreed quote, is still the brief's.
    completed = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.COMPLETED)
    match = factories.MatchFactory(brief=completed, status=Match.Status.COMPLETED)
    Quote.objects.create(
        brief=completed,
        match=match,
        fixed_price=7000,
        expert_earnings=7000,
        platform_fee=700,
        total=7700,
        fee_percent=Decimal("10.00"),
        status=Quote.Status.AGREED,
        agreed_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
    )
    return agreed


def _matches(brief):
    """Proposals of every shape on `brief` (its PM reads them all)."""
    scores = [0.1 + 0.2, 1.0, 0.0, 1 / 3, 0.5]
    for n, (score, status) in enumerate(
        zip(scores, ["proposed", "rejected", "declined", "proposed", "expired"], strict=True)
    ):
        match = factories.MatchFactory(
            brief=brief,
            expert=factories.ExpertFactory(tag=None) if n == 2 else factories.ExpertFactory(),
            rank=n + 2,
            round=1 + n % 2,
            score=score,
            status=status,
            breakdown={"tag_fit": score, "说明": AWKWARD, "nested": {"a": [1, 2.5, None]}},
            pm_note=AWKWARD if n else "",
            decided_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC) if n else None,
        )
        if n == 4:
            _whole_second(
                Match,
                match.pk,
                invited_at=datetime(2026, 3, 1, tzinfo=UTC),
                expires_at=datetime(2026, 3, 3, 0, 0, 0, 1, tzinfo=UTC),
            )


def _both(monkeypatch, client, url):
    """The answer rendered by PostgreSQL, then the serializers' answer."""
    fast = client.get(url)
    with monkeypatch.context() as m:
        m.setattr(json_rows, "supported", lambda request, queryset: False)
        slow = client.get(url)
    return fast, slow


def _same(fast, slow):
    assert fast.status_code == slow.status_code
    assert fast["Content-Type"] == slow["Content-Type"]
    assert fast.json() == slow.json()
    if fast.status_code == 200:
        assert list(fast.json()) == ["count", "next", "previous", "results"]
        for fast_row, slow_row in zip(fast.json()["results"], slow.json()["results"], strict=True):
            assert list(fast_row) == list(slow_row)  # the fields in the same order


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_the_brief_list_is_what_the_serializer_renders(settings, monkeypatch, pm, zone):
    settings.TIME_ZONE = zone
    startup = factories.StartupFactory(company_name="")  # str(startup) is then the email
    _briefs(startup, pm)
    client = APIClient()
    client.force_authenticate(startup.owner)

    fast, slow = _both(monkeypatch, client, "/api/v1/briefs/")
    _same(fast, slow)
    rows = fast.json()["results"]
    assert len(rows) == 7
    assert (
        rows[-1]["created_at"]
        == {
            "Asia/Shanghai": "2026-01-02T11:04:05+08:00",
            "UTC": "2026-01-02T03:04:05Z",
            "America/New_York": "2026-01-01T22:04:05-05:00",
        }[zone]
    )
    if zone == "Asia/Shanghai":
        assert rows[-1]["rematch_started_at"] == "1988-07-01T21:00:00+09:00"
    assert rows[-1]["startup"] == startup.owner.email
    assert rows[-1]["title"] == AWKWARD
    assert {row["quote"]["fixed_price"] for row in rows if row["quote"]} == {None, 9900, 7000}


@pytest.mark.parametrize(
    "query",
    [
        "?page_size=2",
        "?page_size=2&page=2",
        "?page_size=4&page=2",
        "?page=3&page_size=2",
        "?page=9",
        "?page=0",
        "?page=last&page_size=4",
        "?status=in_progress&status=awaiting_expert",
        "?status=awaiting_expert&page_size=1&page=2",
        "?status=nope",
        "?tag=copywriting&created_after=2026-01-01T00:00:00Z",
        "?campaign=nothing-like-it",
        "?deadline_before=2000-01-01",
    ],
)
def test_brief_list_pages_filters_and_refusals_are_the_same(monkeypatch, pm, query):
    startup = factories.StartupFactory()
    _briefs(startup, pm)
    client = APIClient()
    client.force_authenticate(startup.owner)
    _same(*_both(monkeypatch, client, f"/api/v1/briefs/{query}"))


@pytest.mark.parametrize("who", ["pm", "superuser", "expert", "other startup"])
def test_each_role_sees_the_same_list(monkeypatch, pm, superuser, who):
    _briefs(factories.StartupFactory(), pm)
    viewer = {
        "pm": pm,
        "superuser": superuser,
        "expert": factories.ExpertFactory().user,
        "other startup": factories.StartupFactory().owner,
    }[who]
    client = APIClient()
    client.force_authenticate(viewer)
    fast, slow = _both(monkeypatch, client, "/api/v1/briefs/?page_size=3")
    _same(fast, slow)
    assert fast.json()["count"] == {"pm": 5, "superuser": 7, "expert": 0, "other startup": 0}[who]


@pytest.mark.parametrize(
    "query", ["", "?round=2", "?status=proposed&status=expired", "?page_size=2&page=3", "?page=4"]
)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_the_match_list_is_what_the_serializer_renders(settings, monkeypatch, pm, zone, query):
    settings.TIME_ZONE = zone
    brief = _briefs(factories.StartupFactory(), pm)
    _matches(brief)
    for viewer in (pm, brief.startup.owner):  # the startup sees fewer of them
        client = APIClient()
        client.force_authenticate(viewer)
        fast, slow = _both(monkeypatch, client, f"/api/v1/briefs/{brief.pk}/matches/{query}")
        _same(fast, slow)
    pm_client = APIClient()
    pm_client.force_authenticate(pm)
    everything = pm_client.get(f"/api/v1/briefs/{brief.pk}/matches/").json()
    assert everything["count"] == 6
    scores = {row["score"] for row in everything["results"]}
    assert {0.1 + 0.2, 1 / 3, 0.0, 1.0} <= scores


def test_another_pms_brief_is_still_a_404(monkeypatch, pm):
    brief = _briefs(factories.StartupFactory(), pm)
    other_pm = factories.ProjectManagerFactory().user
    client = APIClient()
    client.force_authenticate(other_pm)
    fast, slow = _both(monkeypatch, client, f"/api/v1/briefs/{brief.pk}/matches/")
    _same(fast, slow)
    assert fast.status_code == 404


def test_indented_json_is_still_the_serializers(pm):
    startup = factories.StartupFactory()
    _briefs(startup, pm)
    client = APIClient()
    client.force_authenticate(startup.owner)
    indented = client.get("/api/v1/briefs/", HTTP_ACCEPT="application/json; indent=4")
    assert indented.status_code == 200
    assert indented.content.startswith(b'{\n    "count": 7,')
    assert indented.json() == client.get("/api/v1/briefs/").json()
