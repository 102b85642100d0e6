"""Issue 18, points 1 and 2: who is in a brief's pool of candidates, and newer candidates.

A candidate withdrawn only because another was approved was never turned down: they go back
into the pool (the same row returns to `proposed`). Everyone rejected, declined, expired or
replaced on the brief stays out of it. The ranking, the PM's pick by hand and an approval agree
on who may be proposed. A brief awaiting approval takes newer candidates from its PM's "add
newer candidates" without touching its open proposals.
"""

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experts.models import Expert
from experts.services import expert_refresh_rank_base
from kaigan.errors import InvalidTransition, NotAllowed
from marketplace import selectors
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches, rank_experts
from marketplace.matching.selectors import candidate_queryset, candidate_refusal
from marketplace.models import Brief, BriefEvent, Match
from projects.models import RematchJob
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

S = Brief.Status
M = Match.Status


@pytest.fixture(autouse=True)
def _round_of_five(settings):
    settings.KAIGAN_MATCH_ROUND_SIZE = 5


def _experts(n, **fields):
    experts = [factories.ExpertFactory(**fields) for _ in range(n)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    return experts


def _ranked(brief) -> set[int]:
    return {c.expert_id for c in rank_experts(brief, limit=50)}


def _rows(brief) -> dict[int, tuple]:
    """Every match of the brief as (expert, status, round, rank, score), by id."""
    return {
        m.pk: (m.expert_id, m.status, m.round, m.rank, m.score)
        for m in Match.objects.filter(brief=brief)
    }


# --- point 1: one decline never leaves a brief stuck ---------------------------------------


def test_one_decline_on_a_tag_of_four_brings_the_withdrawn_candidates_back(
    client, pm, django_capture_on_commit_callbacks
):
    """The issue's case: four experts of the tag; approve one, they decline. The other three
    were withdrawn only because of that approval: they come back on their own rows, the PM
    approves one and the work starts. Before, the brief was stuck in `needs_attention`."""
    _experts(4)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    first, *others = brief.matches.order_by("rank")
    client.force_login(pm)
    approve = reverse("admin:marketplace_match_approve", args=[first.pk])
    assert client.post(approve, {"note": "最合适"}).status_code == 302
    assert set(brief.matches.exclude(pk=first.pk).values_list("status", flat=True)) == {M.WITHDRAWN}

    with django_capture_on_commit_callbacks(execute=True):
        declined = client_for(first.expert.user).post(
            f"/api/v1/invitations/{first.pk}/decline/", {"reason": "档期冲突"}
        )
    assert declined.status_code == 200

    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    assert RematchJob.objects.get(brief=brief).status == RematchJob.Status.DONE
    again = {m.pk: m for m in brief.matches.filter(status=M.PROPOSED)}
    assert set(again) == {m.pk for m in others}  # the same rows, not new ones
    assert {m.round for m in again.values()} == {2}
    assert sorted(m.rank for m in again.values()) == [1, 2, 3]
    assert all(m.decided_at is None and m.decision_text == "" for m in again.values())
    assert brief.matches.count() == 4
    first.refresh_from_db()
    assert first.status == M.DECLINED

    # The PM's page offers them again; approving one invites them, and they accept.
    page = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk])).content
    best = min(again.values(), key=lambda m: m.rank)
    approve = reverse("admin:marketplace_match_approve", args=[best.pk])
    assert approve.encode() in page
    assert client.post(approve, {"note": ""}).status_code == 302
    accepted = client_for(best.expert.user).post(f"/api/v1/invitations/{best.pk}/accept/")
    assert accepted.status_code == 200
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS


@pytest.mark.parametrize(
    ("status", "back"),
    [
        (M.WITHDRAWN, True),
        (M.PROPOSED, False),
        (M.APPROVED, False),
        (M.ACCEPTED, False),
        (M.COMPLETED, False),
        (M.REJECTED, False),
        (M.DECLINED, False),
        (M.EXPIRED, False),
        (M.REPLACED, False),
    ],
)
def test_only_a_withdrawn_candidate_goes_back_into_the_pool(status, back):
    expert, fresh = _experts(2)
    brief = factories.BriefFactory()
    factories.MatchFactory(brief=brief, expert=expert, status=status)

    assert _ranked(brief) == ({expert.pk, fresh.pk} if back else {fresh.pk})
    assert set(selectors.pick_candidates(brief=brief)) == ({expert, fresh} if back else {fresh})
    assert (candidate_refusal(brief=brief, expert=expert) is None) is back


def test_a_new_round_revives_the_withdrawn_row_and_leaves_the_others_alone(pm):
    withdrawn, rejected, fresh = _experts(3)
    brief = factories.BriefFactory(pm=pm, status=S.REMATCHING, match_round=1)
    old = factories.MatchFactory(
        brief=brief, expert=withdrawn, status=M.WITHDRAWN, round=1, rank=2, score=0.1
    )
    old.decide("另一位已获批准")
    old.save()
    no = factories.MatchFactory(brief=brief, expert=rejected, status=M.REJECTED, round=1, rank=3)
    before = _rows(brief)[no.pk]

    with transaction.atomic():
        locked = marketplace_services.brief_lock(brief_id=brief.pk)
        from marketplace.matching import propose_round

        matches = propose_round(brief=locked)

    assert {m.expert_id for m in matches} == {withdrawn.pk, fresh.pk}
    old.refresh_from_db()
    assert (old.status, old.round, old.decision_reason) == (M.PROPOSED, 2, "")
    assert old.score != 0.1  # ranked again
    assert _rows(brief)[no.pk] == before
    assert brief.matches.count() == 3


def test_pick_by_hand_lists_a_withdrawn_candidate_and_picks_them_on_their_row(client, pm):
    """A withdrawn candidate paused during the re-match, so nobody was found; once available
    again, the PM's pick list offers them (not the decliner) and picking uses their row."""
    decliner, withdrawn, replaced_elsewhere = _experts(3)
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(pm=pm, startup=startup, status=S.NEEDS_ATTENTION)
    factories.MatchFactory(brief=brief, expert=decliner, status=M.DECLINED, rank=1)
    kept = factories.MatchFactory(brief=brief, expert=withdrawn, status=M.WITHDRAWN, rank=2)
    earlier = factories.BriefFactory(startup=startup)
    factories.MatchFactory(brief=earlier, expert=replaced_elsewhere, status=M.REPLACED)
    client.force_login(pm)
    url = reverse("admin:marketplace_brief_pick", args=[brief.pk])

    form = client.get(url).context["form"]
    assert list(form.fields["expert"].queryset) == [withdrawn]

    # A forged choice of the decliner is refused by the form and by the service.
    refused = client.post(url, {"expert": decliner.pk, "note": ""})
    assert refused.status_code == 200
    assert "expert" in refused.context["form"].errors
    with pytest.raises(InvalidTransition) as caught:
        marketplace_services.match_pick(brief_id=brief.pk, expert_id=decliner.pk, actor=pm)
    assert caught.value.fields["expert"]
    with pytest.raises(InvalidTransition):
        marketplace_services.match_pick(
            brief_id=brief.pk, expert_id=replaced_elsewhere.pk, actor=pm
        )
    assert brief.matches.count() == 2

    assert client.post(url, {"expert": withdrawn.pk, "note": "之前只是被撤回"}).status_code == 302
    kept.refresh_from_db()
    brief.refresh_from_db()
    assert (kept.status, kept.pm_note, kept.breakdown) == (
        M.APPROVED,
        "之前只是被撤回",
        {"picked_by_pm": 1},
    )
    assert brief.status == S.AWAITING_EXPERT
    assert brief.matches.count() == 2


def test_approval_refuses_an_expert_the_pool_lost_since_the_proposal(pm):
    """Approving follows the same hard filters: an expert now at capacity, or replaced on an
    earlier brief of this startup since they were proposed, is refused, and nothing changes."""
    busy, replaced, fine = _experts(3)
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(pm=pm, startup=startup)
    propose_matches(brief)
    Expert.objects.filter(pk=busy.pk).update(active_load=3, capacity=3)
    factories.MatchFactory(
        brief=factories.BriefFactory(startup=startup), expert=replaced, status=M.REPLACED
    )
    before = _rows(brief)
    for expert in (busy, replaced):
        match = brief.matches.get(expert=expert)
        with pytest.raises(InvalidTransition) as caught:
            marketplace_services.match_approve(match_id=match.pk, actor=pm)
        assert expert.display_name in caught.value.message
    assert _rows(brief) == before
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    marketplace_services.match_approve(match_id=brief.matches.get(expert=fine).pk, actor=pm)


STATUSES = [None, *M.values]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(STATUSES),  # the expert's match on the brief, if any
            st.booleans(),  # available
            st.integers(min_value=0, max_value=3),  # active load (capacity 3)
            st.booleans(),  # replaced on an earlier brief of the same startup
            st.booleans(),  # of the brief's tag
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_ranking_pick_list_and_refusal_agree_on_who_may_be_proposed(people):
    """For any mix of experts, the ranking, the PM's pick list and `candidate_refusal` (the
    pick by hand's and the approval's check) name the same experts, and that set is exactly
    the experts of the tag, available, below capacity, never replaced for this startup, with
    no match on the brief or only a withdrawn one."""
    with transaction.atomic():
        startup = factories.StartupFactory()
        brief = factories.BriefFactory(startup=startup)
        earlier = factories.BriefFactory(startup=startup)
        expected, experts, live = set(), [], False
        for rank, (status, available, load, replaced, tagged) in enumerate(people, start=1):
            if status in Match.LIVE_STATUSES:
                if live:  # one live match per brief (a constraint): this one ended
                    status = M.DECLINED
                live = True
            expert = factories.ExpertFactory(
                availability="available" if available else "paused",
                capacity=3,
                active_load=load,
                tag=factories.tag("copywriting" if tagged else "naming"),
            )
            expert_refresh_rank_base(expert_id=expert.pk)
            experts.append(expert)
            if status is not None:
                factories.MatchFactory(brief=brief, expert=expert, status=status, rank=rank)
            if replaced:
                factories.MatchFactory(brief=earlier, expert=expert, status=M.REPLACED)
            if tagged and available and load < 3 and not replaced and status in (None, M.WITHDRAWN):
                expected.add(expert.pk)

        assert _ranked(brief) == expected
        assert {e.pk for e in selectors.pick_candidates(brief=brief)} == expected
        assert (
            set(
                candidate_queryset(
                    tag_id=brief.tag_id, brief_id=brief.pk, startup_id=startup.pk
                ).values_list("pk", flat=True)
            )
            == expected
        )
        refused = {e.pk for e in experts if candidate_refusal(brief=brief, expert=e) is not None}
        assert {e.pk for e in experts} - refused == expected
        transaction.set_rollback(True)


# --- point 2: newer candidates for a brief awaiting approval -------------------------------


def _awaiting(pm, *, experts=3):
    _experts(experts)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    return brief


def test_the_pm_adds_newer_candidates_without_touching_the_open_proposals(client, pm):
    brief = _awaiting(pm, experts=3)
    first, second, third = brief.matches.order_by("rank")
    marketplace_services.match_reject(match_id=third.pk, actor=pm, reason="作品不符")
    before = _rows(brief)
    # Meanwhile two experts join the tag; the rejected one is as good as ever but stays out.
    newcomers = _experts(2)
    client.force_login(pm)
    change = reverse("admin:marketplace_brief_change", args=[brief.pk])
    url = reverse("admin:marketplace_brief_add_candidates", args=[brief.pk])
    assert url.encode() in client.get(change).content

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "补充候选" in confirm.content.decode()
    response = client.post(url, follow=True)

    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("已补充新的候选：")
    added = brief.matches.exclude(pk__in=before)
    assert {m.expert_id for m in added} == {e.pk for e in newcomers}
    assert third.expert_id not in {m.expert_id for m in added}
    assert {(m.status, m.round) for m in added} == {(M.PROPOSED, 1)}
    assert sorted(m.rank for m in added) == [4, 5]  # after the round's proposals
    assert {pk: row for pk, row in _rows(brief).items() if pk in before} == before
    event = BriefEvent.objects.filter(brief=brief).order_by("-id").first()
    assert (event.actor, event.from_status, event.to_status, event.reason_key) == (
        pm,
        S.AWAITING_APPROVAL,
        S.AWAITING_APPROVAL,
        "candidates_added",
    )
    assert event.reason_params["n"] == 2
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL

    # Nothing newer: a second click adds nothing and records nothing.
    again = client.post(url, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "没有新的专家排进这个需求的前 5 名，未添加任何候选。"
    ]
    assert brief.matches.count() == 5
    assert BriefEvent.objects.filter(brief=brief, reason_key="candidates_added").count() == 1


def test_newer_candidates_must_rank_among_the_rounds_best(pm, settings):
    """A full round takes a newcomer only if they beat an open proposal; an expert turned down
    on the brief never comes back, however good."""
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    weak = _experts(2, rating_sum=4, rating_count=2)  # rated 2 of 5: below the open ones
    strong = _experts(2, rating_sum=100, rating_count=20)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    assert {m.expert_id for m in brief.matches.all()} == {e.pk for e in strong}
    turned_down = brief.matches.get(expert=strong[0])
    marketplace_services.match_reject(match_id=turned_down.pk, actor=pm, reason="不合适")
    star = _experts(1, rating_sum=150, rating_count=30)[0]
    late_weak = _experts(1, rating_sum=2, rating_count=1)[0]

    added = marketplace_services.brief_add_candidates(brief_id=brief.pk, actor=pm)

    # One place was free (the rejection): the best newcomer takes it; the rejected expert and
    # the weaker ones do not come in.
    assert [m.expert_id for m in added] == [star.pk]
    proposed = set(brief.matches.filter(status=M.PROPOSED).values_list("expert_id", flat=True))
    assert proposed == {strong[1].pk, star.pk}
    assert late_weak.pk not in proposed
    assert not {e.pk for e in weak} & proposed
    turned_down.refresh_from_db()
    assert turned_down.status == M.REJECTED


@pytest.mark.parametrize("who", ["other_pm", "startup", "expert"])
def test_adding_candidates_is_the_brief_pms_and_changes_nothing_for_others(client, pm, who):
    brief = _awaiting(pm, experts=1)
    _experts(2)
    before = _rows(brief)
    users = {
        "other_pm": factories.ProjectManagerFactory().user,
        "startup": brief.startup.owner,
        "expert": brief.matches.get().expert.user,
    }
    user = users[who]
    if who == "other_pm":
        from projects.services import pm_group_ensure

        user.groups.add(pm_group_ensure())
    client.force_login(user)
    response = client.post(reverse("admin:marketplace_brief_add_candidates", args=[brief.pk]))
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    with pytest.raises(NotAllowed):
        marketplace_services.brief_add_candidates(brief_id=brief.pk, actor=user)
    assert _rows(brief) == before
    assert not BriefEvent.objects.filter(brief=brief, reason_key="candidates_added").exists()


def test_candidates_are_added_only_while_the_brief_awaits_approval(client, pm):
    brief = _awaiting(pm, experts=1)
    marketplace_services.match_approve(match_id=brief.matches.get().pk, actor=pm)
    _experts(2)
    before = _rows(brief)
    client.force_login(pm)
    change = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk]))
    url = reverse("admin:marketplace_brief_add_candidates", args=[brief.pk])
    assert url.encode() not in change.content
    response = client.post(url, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert "只能为等待审批的需求补充候选" in message
    assert _rows(brief) == before


def test_the_add_candidates_page_speaks_english_too(client, pm, settings):
    brief = _awaiting(pm, experts=1)
    _experts(1)
    client.force_login(pm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("admin:marketplace_brief_add_candidates", args=[brief.pk])
    assert "Add newer candidates" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Newer candidates added: ")
