"""Issue 5: the ranking's filters, order and cost, and one round of proposals per brief."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from experts import scoring as base
from experts.models import Expert
from experts.services import expert_refresh_rank_base, expert_refresh_rank_bases
from experts.tasks import rank_bases_refresh_task
from kaigan.notifications.models import Notification
from marketplace.matching import propose_matches, rank_experts
from marketplace.matching.scoring import W_RATE_FIT
from marketplace.matching.selectors import candidate_rows, candidate_sql
from marketplace.models import Brief, BriefEvent, Match
from marketplace.tasks import propose_matches_task
from projects.services import brief_submit
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LONG_AGO = NOW - timedelta(days=2 * 365)
BREAKDOWN_KEYS = {
    "rating",
    "experience",
    "free_capacity",
    "activity",
    "newcomer",
    "rate_fit",
    "rating_avg",
}


@pytest.fixture(autouse=True)
def _round_of_five(settings):
    settings.KAIGAN_MATCH_ROUND_SIZE = 5


def make_expert(*, tag: str = "copywriting", joined=NOW, active=NOW, **fields) -> Expert:
    """An expert with the given counters, joined and last active at fixed times, rank_base set."""
    expert = factories.ExpertFactory(tag=factories.tag(tag), **fields)
    Expert.objects.filter(pk=expert.pk).update(created_at=joined, last_active_at=active)
    return expert_refresh_rank_base(expert_id=expert.pk, now=NOW)


def ranked_ids(brief: Brief, limit: int = 20) -> list[int]:
    return [candidate.expert_id for candidate in rank_experts(brief, limit=limit, now=NOW)]


# --- hard filters ---------------------------------------------------------------------------


def test_only_experts_of_the_brief_tag_are_ranked():
    writers = [make_expert(tag="copywriting") for _ in range(2)]
    make_expert(tag="naming")
    make_expert(tag="visual-identity")
    factories.ExpertFactory(tag=None)
    brief = factories.BriefFactory(tag=factories.tag("copywriting"))

    assert sorted(ranked_ids(brief)) == sorted(e.pk for e in writers)


def test_paused_experts_and_experts_at_capacity_never_appear():
    available = make_expert(capacity=2, active_load=1)
    make_expert(availability=Expert.Availability.PAUSED)
    make_expert(capacity=2, active_load=2)
    brief = factories.BriefFactory()

    assert ranked_ids(brief) == [available.pk]


@pytest.mark.parametrize("status", [Match.Status.PROPOSED, Match.Status.REJECTED])
def test_an_expert_once_proposed_for_the_brief_never_reappears_for_it(status):
    proposed, other = make_expert(), make_expert()
    brief = factories.BriefFactory()
    factories.MatchFactory(brief=brief, expert=proposed, status=status)
    # A proposal for another brief does not count.
    factories.MatchFactory(expert=other, status=Match.Status.REJECTED)

    assert ranked_ids(brief) == [other.pk]


def test_an_expert_replaced_after_this_startups_dissatisfaction_never_reappears(startup):
    replaced, replaced_elsewhere, worked_fine, fresh = (make_expert() for _ in range(4))
    earlier = factories.BriefFactory(startup=startup)
    factories.MatchFactory(brief=earlier, expert=replaced, status=Match.Status.REPLACED)
    factories.MatchFactory(brief=earlier, expert=worked_fine, status=Match.Status.COMPLETED, rank=2)
    # Another startup's dissatisfaction is that startup's business.
    factories.MatchFactory(expert=replaced_elsewhere, status=Match.Status.REPLACED)
    brief = factories.BriefFactory(startup=startup)

    assert sorted(ranked_ids(brief)) == sorted([replaced_elsewhere.pk, worked_fine.pk, fresh.pk])


# --- soft score -----------------------------------------------------------------------------


def test_newcomer_bonus_lifts_a_new_expert_above_an_equal_old_one():
    old = make_expert(joined=LONG_AGO)
    new = make_expert(joined=NOW - timedelta(days=1))
    brief = factories.BriefFactory()

    first, second = rank_experts(brief, limit=2, now=NOW)

    assert (first.expert_id, second.expert_id) == (new.pk, old.pk)
    assert second.breakdown["newcomer"] == 0
    assert first.breakdown["newcomer"] == pytest.approx(base.W_NEWCOMER * 89 / 90, abs=1e-4)
    assert first.score - second.score == pytest.approx(first.breakdown["newcomer"], abs=1e-4)


def test_newcomer_bonus_does_not_lift_a_new_expert_above_a_clearly_better_one():
    better = make_expert(joined=LONG_AGO, completed_count=12, rating_count=10, rating_sum=48)
    new = make_expert(joined=NOW)
    brief = factories.BriefFactory()

    first, second = rank_experts(brief, limit=2, now=NOW)

    assert (first.expert_id, second.expert_id) == (better.pk, new.pk)
    assert second.breakdown["newcomer"] == base.W_NEWCOMER


def test_the_bonus_is_gone_once_a_newcomer_has_a_record():
    expert = make_expert(joined=NOW, completed_count=base.NEWCOMER_UNTIL)
    brief = factories.BriefFactory()

    (candidate,) = rank_experts(brief, limit=1, now=NOW)

    assert candidate.expert_id == expert.pk
    assert candidate.breakdown["newcomer"] == 0


def test_a_day_rate_the_budget_covers_beats_one_it_does_not():
    pricey = make_expert(joined=LONG_AGO, day_rate=20_000)
    affordable = make_expert(joined=LONG_AGO, day_rate=1_500)
    brief = factories.BriefFactory(budget_min=5_000, budget_max=10_000)

    first, second = rank_experts(brief, limit=2, now=NOW)

    assert (first.expert_id, second.expert_id) == (affordable.pk, pricey.pk)
    assert first.breakdown["rate_fit"] == W_RATE_FIT
    assert second.breakdown["rate_fit"] == pytest.approx(W_RATE_FIT * 10_000 / (20_000 * 5))


def test_better_ratings_rank_higher_and_scores_come_with_their_breakdown():
    weak = make_expert(joined=LONG_AGO, completed_count=5, rating_count=5, rating_sum=15)
    strong = make_expert(joined=LONG_AGO, completed_count=5, rating_count=5, rating_sum=25)
    brief = factories.BriefFactory()

    candidates = rank_experts(brief, limit=5, now=NOW)

    assert [c.expert_id for c in candidates] == [strong.pk, weak.pk]
    for candidate in candidates:
        assert set(candidate.breakdown) == BREAKDOWN_KEYS
        parts = sum(v for k, v in candidate.breakdown.items() if k != "rating_avg")
        assert 0 <= candidate.score <= 1
        assert candidate.score == pytest.approx(parts, abs=5e-4)
    assert candidates[0].breakdown["rating_avg"] == 4.4  # (3.8 * 5 + 25) / 10


def test_equal_scores_break_by_the_lower_id_every_time():
    experts = [make_expert(joined=LONG_AGO) for _ in range(4)]
    brief = factories.BriefFactory()

    first = rank_experts(brief, limit=4, now=NOW)
    again = rank_experts(brief, limit=4, now=NOW)

    assert len({c.score for c in first}) == 1
    assert [c.expert_id for c in first] == [e.pk for e in experts]
    assert again == first


def test_limit_caps_the_ranking():
    experts = [make_expert(joined=LONG_AGO, completed_count=i) for i in range(6)]
    brief = factories.BriefFactory()

    assert ranked_ids(brief, limit=3) == [e.pk for e in reversed(experts)][:3]


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("experts", [5, 50])
def test_ranking_is_one_query_whatever_the_number_of_experts(experts, django_assert_num_queries):
    for i in range(experts):
        make_expert(completed_count=i % 7)
    brief = factories.BriefFactory()
    factories.MatchFactory(brief=brief, expert=Expert.objects.first())

    with django_assert_num_queries(1):
        candidates = rank_experts(brief, limit=20)

    assert len(candidates) == min(experts - 1, 20)


def test_the_compiled_query_is_the_one_the_orm_would_send():
    brief = factories.BriefFactory()

    for window in (30, 60):
        sql, params = candidate_sql(brief, window=window)
        orm_sql, orm_params = candidate_rows(brief, window=window).query.sql_with_params()
        assert (sql, tuple(params)) == (orm_sql, tuple(orm_params))


# --- proposals ------------------------------------------------------------------------------


def test_propose_matches_stores_the_top_five_and_awaits_the_pms_approval(pm):
    experts = [make_expert(joined=LONG_AGO, completed_count=i) for i in range(7)]
    brief = factories.BriefFactory(pm=pm)
    expected = rank_experts(brief, limit=5)

    matches = propose_matches(brief)

    brief.refresh_from_db()
    assert brief.status == Brief.Status.AWAITING_APPROVAL
    assert brief.match_round == 1
    stored = list(brief.matches.order_by("rank"))
    assert [m.pk for m in stored] == [m.pk for m in matches]
    assert [(m.expert_id, m.rank, m.round, m.status) for m in stored] == [
        (e.pk, rank, 1, Match.Status.PROPOSED)
        for rank, e in enumerate(reversed(experts[2:]), start=1)
    ]
    for match, candidate in zip(stored, expected, strict=True):
        assert match.score == pytest.approx(candidate.score, abs=1e-5)
        assert set(match.breakdown) == BREAKDOWN_KEYS
    events = BriefEvent.objects.filter(brief=brief).values_list("from_status", "to_status")
    assert list(events) == [(Brief.Status.OPEN, Brief.Status.AWAITING_APPROVAL)]
    assert list(Notification.objects.filter(recipient=pm).values_list("kind", flat=True)) == [
        "brief_proposals_ready"
    ]


def test_propose_matches_twice_adds_nothing(pm):
    for _ in range(8):
        make_expert()
    brief = factories.BriefFactory(pm=pm)
    first = propose_matches(brief)

    again = propose_matches(brief.pk)
    by_task = propose_matches_task(brief.pk)

    assert len(first) == 5
    assert again == []
    assert by_task == 0
    assert Match.objects.filter(brief=brief).count() == 5
    assert BriefEvent.objects.filter(brief=brief).count() == 1
    assert Notification.objects.filter(recipient=pm).count() == 1


def test_a_brief_nobody_qualifies_for_needs_attention_and_the_pm_is_told(pm):
    make_expert(tag="naming")
    make_expert(availability=Expert.Availability.PAUSED)
    brief = factories.BriefFactory(pm=pm)

    matches = propose_matches(brief)

    brief.refresh_from_db()
    assert matches == []
    assert brief.status == Brief.Status.NEEDS_ATTENTION
    assert not Match.objects.filter(brief=brief).exists()
    assert list(Notification.objects.filter(recipient=pm).values_list("kind", flat=True)) == [
        "brief_needs_attention"
    ]


def test_posting_a_brief_ranks_experts_after_commit(
    startup, pm, django_capture_on_commit_callbacks
):
    for i in range(3):
        make_expert(completed_count=i)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        brief = brief_submit(
            startup=startup,
            actor=startup.owner,
            title="发布会新闻稿",
            description="为新品发布写一篇新闻稿。",
            tag="copywriting",
            budget_min=5000,
            budget_max=10000,
            deadline=timezone.localdate() + timedelta(days=30),
        )
        # Nothing is ranked before the transaction commits.
        assert Brief.objects.get(pk=brief.pk).status == Brief.Status.OPEN
        assert not Match.objects.filter(brief=brief).exists()

    assert callbacks
    brief.refresh_from_db()
    assert brief.pm == pm
    assert brief.status == Brief.Status.AWAITING_APPROVAL
    assert Match.objects.filter(brief=brief, status=Match.Status.PROPOSED).count() == 3


# --- stored base scores fade with time ---------------------------------------------------


def _stored_base_now(expert: Expert, now) -> float:
    expert.refresh_from_db()
    return base.base_score_of(expert, now)


def test_the_nightly_refresh_lets_dormant_experts_and_old_newcomers_sink(
    django_assert_max_num_queries,
):
    dormant = make_expert(joined=LONG_AGO, completed_count=4, rating_count=4, rating_sum=18)
    newcomer = make_expert(joined=NOW)
    later = NOW + timedelta(days=120)
    busy = make_expert(joined=LONG_AGO, completed_count=4, rating_count=4, rating_sum=18)
    Expert.objects.filter(pk=busy.pk).update(last_active_at=later)
    stored_before = dict(Expert.objects.values_list("pk", "rank_base"))

    # Five experts in batches of two: three batches, each a read and one write between a
    # savepoint and its release, then an empty read; a write per row would be two more.
    for _ in range(2):
        make_expert(tag="naming")
    with django_assert_max_num_queries(3 * 4 + 3):
        changed = expert_refresh_rank_bases(now=later, batch_size=2)

    # Everyone faded but the one active `later`, whose score is what it was when stored.
    assert changed == 4
    for expert in (dormant, newcomer, busy):
        expert.refresh_from_db()
        assert expert.rank_base == pytest.approx(_stored_base_now(expert, later), abs=1e-12)
    assert dormant.rank_base < stored_before[dormant.pk]
    assert newcomer.rank_base < stored_before[newcomer.pk]
    # The one still active now outranks the one who went quiet, in the stored order too.
    assert busy.rank_base > dormant.rank_base
    # Nothing left to change: a second run writes nothing.
    assert expert_refresh_rank_bases(now=later, batch_size=2) == 0


def test_the_refresh_runs_nightly_from_beat(settings):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "experts.tasks.rank_bases_refresh_task"
    ]
    assert len(entries) == 1
    make_expert(active=LONG_AGO)
    # Stored "now" in make_expert; a year on, activity has faded and the task rewrites it.
    Expert.objects.update(rank_base=1.0)
    assert rank_bases_refresh_task.apply().get() == 1
    assert Expert.objects.get().rank_base < 1.0


def test_approving_a_match_refreshes_the_experts_stored_score(pm):
    from marketplace.services import match_approve

    quiet = make_expert(joined=LONG_AGO, active=LONG_AGO, completed_count=5)
    brief = factories.BriefFactory(pm=pm)
    match = propose_matches(brief)[0]
    assert match.expert_id == quiet.pk
    stale = Expert.objects.get(pk=quiet.pk).rank_base

    match_approve(match_id=match.pk, actor=pm)

    quiet.refresh_from_db()
    # Approval counts as activity (last_active_at is now): the stored score follows at once.
    assert quiet.rank_base > stale
    assert quiet.rank_base == pytest.approx(_stored_base_now(quiet, timezone.now()), abs=1e-4)


# --- bench commands (smoke) ------------------------------------------------------------------


def test_bench_commands_load_experts_and_report_json_last():
    out = io.StringIO()
    call_command("bench_load_experts", experts=60, stdout=out)
    call_command("bench_load_experts", experts=20, stdout=out)

    bench = Expert.objects.filter(user__email__endswith="@bench.example.com")
    assert bench.count() == 80
    assert bench.values("user__email").distinct().count() == 80
    assert bench.filter(user__password="!").count() == 80
    assert bench.values("tag").distinct().count() >= 10
    for expert in bench.filter(tag__isnull=False)[:20]:
        stored = expert.rank_base
        expected = base.base_score_of(expert, expert.updated_at)
        assert stored == pytest.approx(expected, abs=1e-6)  # updated_at: the load, give or take

    out = io.StringIO()
    call_command("bench_ranking", briefs=6, repeat=1, recall=2, stdout=out)
    report = json.loads(out.getvalue().strip().splitlines()[-1])

    assert report["experts"] == 80
    assert report["briefs"] == 6
    assert report["samples"] == 6
    assert report["rank_experts_ms"]["median"] > 0
    assert report["raw_sql_ms"]["median"] > 0
    assert report["recall_briefs"] == 2
