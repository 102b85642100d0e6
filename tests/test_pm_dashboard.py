"""Issue 18, point 4: every count on the PM's dashboard is the number of rows it links to.

The admin's brief queryset carries the admin's ordering (`status_changed_at`); grouped by
status, that ordering went into the GROUP BY and every brief made a group of its own
("awaiting approval 1" above a list of 10).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Brief, Match, Quote
from projects.models import Feedback, RematchJob
from tests import factories

pytestmark = pytest.mark.django_db

S = Brief.Status

#: Briefs per status for the dashboard's PM: several for most, none for one.
MINE = {
    S.OPEN: 2,
    S.AWAITING_APPROVAL: 12,
    S.AWAITING_EXPERT: 3,
    S.IN_PROGRESS: 2,
    S.DELIVERED: 0,
    S.REMATCHING: 2,
    S.NEEDS_ATTENTION: 4,
    S.COMPLETED: 3,
    S.CANCELLED: 2,
}


def _world(pm):
    """The PM's briefs (each status changed at its own moment), another PM's, feedback and
    re-match jobs on both."""
    now = timezone.now()
    minute = 0
    briefs = {}
    for status, n in MINE.items():
        for _ in range(n):
            minute += 1
            brief = factories.BriefFactory(pm=pm, status=status, match_round=1)
            Brief.objects.filter(pk=brief.pk).update(
                status_changed_at=now - timedelta(minutes=minute)
            )
            briefs.setdefault(status, []).append(brief)
    other_pm = factories.ProjectManagerFactory().user
    for status in (S.AWAITING_APPROVAL, S.AWAITING_APPROVAL, S.COMPLETED, S.NEEDS_ATTENTION):
        factories.BriefFactory(pm=other_pm, status=status, match_round=1)
    # Two of the PM's briefs were re-matched once; ratings on the completed ones.
    Brief.objects.filter(pk__in=[b.pk for b in briefs[S.REMATCHING]]).update(rematch_count=1)
    for brief, rating in zip(briefs[S.COMPLETED], (5, 4, 3), strict=True):
        factories.FeedbackFactory(brief=brief, rating=rating)
    factories.FeedbackFactory(brief=factories.BriefFactory(pm=other_pm), rating=1)
    # Agreed quotes (the fee in force) on the completed briefs: two this month, one earlier.
    for brief, days in zip(briefs[S.COMPLETED], (0, 0, 62), strict=True):
        _agreed_quote(brief, agreed_at=now - timedelta(days=days))
    for brief in briefs[S.NEEDS_ATTENTION][:2]:
        factories.RematchJobFactory(brief=brief, status=RematchJob.Status.DEAD)
    factories.RematchJobFactory(brief=briefs[S.REMATCHING][0])  # pending: not dead
    return briefs


def _agreed_quote(brief, *, agreed_at):
    match = factories.MatchFactory(brief=brief, status=Match.Status.COMPLETED)
    return Quote.objects.create(
        brief=brief,
        match=match,
        status=Quote.Status.AGREED,
        scope_days=4,
        day_rate=1500,
        expert_earnings=6000,
        platform_fee=600,
        total=6600,
        fee_percent=10,
        agreed_at=agreed_at,
    )


def _listed(client, url, **filters) -> int:
    """How many rows the admin list at `url` shows with these filters (what a count links to)."""
    return client.get(url, filters).context["cl"].result_count


def test_every_count_on_the_dashboard_is_the_rows_it_links_to(client, pm):
    _world(pm)
    client.force_login(pm)
    dashboard = client.get(reverse("admin:marketplace_brief_dashboard"))
    assert dashboard.status_code == 200
    context = dashboard.context
    briefs_url = reverse("admin:marketplace_brief_changelist")

    by_status = {status: n for status, _label, n in context["by_status"]}
    assert set(by_status) == set(Brief.OPEN_STATUSES)
    for status, n in by_status.items():
        assert n == MINE[status], status
        assert n == _listed(client, briefs_url, status__exact=status), status
    html = dashboard.content.decode()
    row = '?status__exact=awaiting_approval">待项目经理审核</a></td><td class="count-cell">12<'
    assert row in html

    waiting = [S.AWAITING_APPROVAL, S.NEEDS_ATTENTION, S.REMATCHING, S.AWAITING_EXPERT]
    oldest = context["oldest"]
    assert len(oldest) == 10
    assert {b.status for b in oldest} <= set(waiting)
    mine_waiting = Brief.objects.filter(pm=pm, status__in=waiting).order_by("status_changed_at")
    assert [b.pk for b in oldest] == [b.pk for b in mine_waiting[:10]]

    assert context["completed"] == MINE[S.COMPLETED]
    assert context["completed"] == _listed(client, briefs_url, status__exact=S.COMPLETED)
    feedback_url = reverse("admin:projects_feedback_changelist")
    assert context["rating_count"] == 3
    assert context["rating_count"] == _listed(client, feedback_url, kind__exact="rating")
    assert context["rating_avg"] == 4.0
    jobs_url = reverse("admin:projects_rematchjob_changelist")
    assert context["dead_jobs"] == 2
    assert context["dead_jobs"] == _listed(client, jobs_url, status__exact="dead")
    months = context["fees_by_month"]
    assert [row["quotes"] for row in months] == [2, 1]
    assert [row["fees"] for row in months] == [1200, 600]
    # (A PM has no quote list in the admin: the rows are the agreed quotes of their briefs.)
    agreed = Quote.objects.filter(brief__pm=pm, status=Quote.Status.AGREED)
    assert sum(row["quotes"] for row in months) == agreed.count()
    started = sum(MINE.values())  # every brief of the world had a round
    assert context["rematch_rate"] == round(100 * 2 / started, 1)


def test_a_superusers_dashboard_counts_every_pms_briefs(client, pm, superuser):
    _world(pm)
    client.force_login(superuser)
    context = client.get(reverse("admin:marketplace_brief_dashboard")).context
    by_status = {status: n for status, _label, n in context["by_status"]}
    for status in Brief.OPEN_STATUSES:
        assert by_status[status] == Brief.objects.filter(status=status).count(), status
    assert by_status[S.AWAITING_APPROVAL] == 14
    assert context["completed"] == 4
    assert context["rating_count"] == Feedback.objects.filter(kind="rating").count() == 4
