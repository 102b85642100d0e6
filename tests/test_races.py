"""Issue 17: races on the real PostgreSQL, each trial run by threads released behind a barrier.

Every test prints its figures (run with `-s` to read them); docs/RELIABILITY.md keeps them.
"""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F

from experts.models import Expert
from experts.services import expert_claim_tag, expert_refresh_rank_base
from kaigan.errors import ApplicationError
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match
from tests import factories

S = Brief.Status
M = Match.Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Eager tasks (the notifications' mail) run in the threads. Celery marks "inside a task"
    in one process-wide flag that each eager call sets and then puts back as it found it:
    threads interleaving leave it set, and a later test's `result.get()` would refuse to
    block. Put it back as it was."""
    from celery._state import _set_task_join_will_block, task_join_will_block

    before = task_join_will_block()
    yield
    _set_task_join_will_block(before)


def together(*calls) -> list:
    """Run each call in its own thread, all released at once; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001  (returned to the test, which asserts on it)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _pm():
    from projects.services import pm_group_ensure

    profile = factories.ProjectManagerFactory()
    profile.user.groups.add(pm_group_ensure())
    return profile.user


# --- approve vs the expert's tag change (issue 17, point 5) -----------------------------------


def test_approving_and_changing_the_experts_tag_at_once_never_approves_another_tag():
    """Either the approval wins (the tag change is refused while the invitation is open) or the
    tag change wins (the approval is refused): never an approved expert of another tag."""
    pm = _pm()
    trials = 40
    outcomes = Counter()
    for _ in range(trials):
        expert = factories.ExpertFactory()
        expert_refresh_rank_base(expert_id=expert.pk)
        brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
        match = factories.MatchFactory(brief=brief, expert=expert)
        approved, claimed = together(
            lambda m=match: marketplace_services.match_approve(match_id=m.pk, actor=pm),
            lambda e=expert: expert_claim_tag(expert_id=e.pk, tag_slug="naming", actor=e.user),
        )
        match.refresh_from_db()
        expert.refresh_from_db()
        approve_ok = not isinstance(approved, BaseException)
        claim_ok = not isinstance(claimed, BaseException)
        for result in (approved, claimed):
            if isinstance(result, BaseException) and not isinstance(result, ApplicationError):
                raise result
        if approve_ok and not claim_ok and match.status == M.APPROVED:
            consistent = expert.tag.slug == "copywriting" and expert.pending_invitations == 1
            outcomes["approve first" if consistent else "inconsistent"] += 1
        elif claim_ok and not approve_ok and match.status == M.PROPOSED:
            consistent = expert.tag.slug == "naming" and expert.pending_invitations == 0
            outcomes["tag change first" if consistent else "inconsistent"] += 1
        else:
            outcomes["inconsistent"] += 1
    print(f"approve vs tag change: {trials} trials, {dict(sorted(outcomes.items()))}")
    assert outcomes["inconsistent"] == 0
    assert sum(outcomes.values()) == trials
    # No expert carries a live match of a brief whose tag is not theirs.
    assert not Match.objects.filter(status__in=Match.LIVE_STATUSES).exclude(
        expert__tag=F("brief__tag")
    )


class Crew:
    """Threads that run one call each per trial, released together behind a barrier, and keep
    their database connection from trial to trial (hundreds of trials stay fast)."""

    def __init__(self, size: int):
        self.size = size
        self.start = threading.Barrier(size + 1)
        self.done = threading.Barrier(size + 1)
        self.calls: list = [None] * size
        self.results: list = [None] * size
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(size)]
        for thread in self.threads:
            thread.start()

    def _loop(self, i: int) -> None:
        try:
            while True:
                self.start.wait()
                call = self.calls[i]
                if call is None:
                    return
                try:
                    self.results[i] = call()
                except Exception as exc:  # noqa: BLE001  (returned to the test)
                    self.results[i] = exc
                self.done.wait()
        finally:
            connection.close()

    def run(self, *calls) -> list:
        assert len(calls) == self.size
        self.calls = list(calls)
        self.start.wait()
        self.done.wait()
        return list(self.results)

    def close(self) -> None:
        self.calls = [None] * self.size
        self.start.wait()
        for thread in self.threads:
            thread.join()


@pytest.fixture
def crew2():
    crew = Crew(2)
    yield crew
    crew.close()


# --- approve vs "not satisfied" on the same brief -------------------------------------------


def _approve_vs_complain_setup(pm):
    """A brief awaiting approval with one proposal; the last trial's expert is paused, so the
    re-match that a complaint starts (eagerly, in tests) finds nobody, as in every trial."""
    Expert.objects.filter(availability="available").update(availability="paused")
    expert = factories.ExpertFactory()
    brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
    match = factories.MatchFactory(brief=brief, expert=expert)
    return brief, match


def _outcome(result):
    if isinstance(result, ApplicationError):
        return type(result).__name__
    if isinstance(result, BaseException):
        raise result
    return "ok"


def _snapshot(brief, match, approved, complained) -> tuple:
    """Everything the two calls may have changed, without ids: comparable across trials."""
    from projects.models import Feedback, RematchJob

    brief.refresh_from_db()
    match.refresh_from_db()
    expert = Expert.objects.get(pk=match.expert_id)
    return (
        _outcome(approved),
        _outcome(complained),
        brief.status,
        tuple(brief.events.order_by("pk").values_list("from_status", "to_status")),
        match.status,
        tuple(match.quotes.order_by("pk").values_list("status", flat=True)),
        tuple(Feedback.objects.filter(brief=brief).values_list("kind", "reason")),
        tuple(RematchJob.objects.filter(brief=brief).values_list("cause", "status")),
        (expert.pending_invitations, expert.active_load),
    )


def test_approve_and_not_satisfied_on_one_brief_always_end_in_one_serial_order(crew2):
    """200 trials: the PM approves the brief's proposal while its startup says "not satisfied".
    Each end state equals the state of one of the two serial orders, found first by running
    them one after the other."""
    from projects.services import dissatisfaction_submit

    pm = _pm()

    def approve(match):
        return lambda: marketplace_services.match_approve(match_id=match.pk, actor=pm)

    def complain(brief):
        owner = brief.startup.owner
        return lambda: dissatisfaction_submit(brief_id=brief.pk, user=owner, reason="quality")

    serial = {}
    brief, match = _approve_vs_complain_setup(pm)
    first = approve(match)()
    serial["approve first"] = _snapshot(brief, match, first, _run(complain(brief)))
    brief, match = _approve_vs_complain_setup(pm)
    first = _run(complain(brief))
    serial["complaint first"] = _snapshot(brief, match, _run(approve(match)), first)
    assert serial["approve first"] != serial["complaint first"]

    trials = 200
    outcomes = Counter()
    for _ in range(trials):
        brief, match = _approve_vs_complain_setup(pm)
        approved, complained = crew2.run(approve(match), complain(brief))
        state = _snapshot(brief, match, approved, complained)
        order = [name for name, serial_state in serial.items() if serial_state == state]
        outcomes[order[0] if order else "inconsistent"] += 1
        if not order:
            print("inconsistent:", state)
    print(f"approve vs complain: {trials} trials, {dict(sorted(outcomes.items()))}")
    assert outcomes["inconsistent"] == 0
    assert sum(outcomes.values()) == trials


def _run(call):
    try:
        return call()
    except ApplicationError as exc:
        return exc


# --- the locking helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("helper", "make"),
    [
        ("marketplace.services.brief_lock", lambda: {"brief_id": factories.BriefFactory().pk}),
        ("experts.services.expert_lock", lambda: {"expert_id": factories.ExpertFactory().pk}),
    ],
)
def test_a_locking_helper_outside_a_transaction_fails_loudly(helper, make):
    """In autocommit a row lock would end with its own statement, protecting nothing: the
    helpers refuse instead of returning a row that only looks locked."""
    from django.db import transaction
    from django.db.transaction import TransactionManagementError
    from django.utils.module_loading import import_string

    lock = import_string(helper)
    kwargs = make()
    assert connection.get_autocommit()
    with pytest.raises(TransactionManagementError, match="outside of a transaction"):
        lock(**kwargs)
    with transaction.atomic():  # the same call inside one is what every service does
        assert lock(**kwargs).pk == next(iter(kwargs.values()))


# --- every unique-guarded write, twenty at once -----------------------------------------------

AT_ONCE = 20


def _proposed(pm, n=1):
    brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
    for rank in range(1, n + 1):
        factories.MatchFactory(brief=brief, expert=factories.ExpertFactory(), rank=rank)
    return brief


def _invited(pm):
    brief = _proposed(pm)
    match = brief.matches.get()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    return brief, match


def _in_progress(pm):
    from billing.services import fund_with_dev_provider
    from projects.services import invitation_accept

    brief, match = _invited(pm)
    invitation_accept(match_id=match.pk, user=match.expert.user)
    fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)  # work may start
    return brief, match


def _delivered(pm):
    from projects.services import work_deliver

    brief, match = _in_progress(pm)
    work_deliver(brief_id=brief.pk, user=match.expert.user)
    return brief, match


def _case_approve_different(pm):
    brief = _proposed(pm, n=AT_ONCE)
    calls = [(pm, f"/api/v1/matches/{m.pk}/approve/", {}) for m in brief.matches.all()]
    return calls, 200, lambda: brief.matches.filter(status__in=Match.LIVE_STATUSES).count()


def _case_approve_same(pm):
    match = _proposed(pm).matches.get()
    calls = [(pm, f"/api/v1/matches/{match.pk}/approve/", {})] * AT_ONCE
    return calls, 200, lambda: match.quotes.count()


def _case_reject_same(pm):
    from marketplace.models import BriefEvent

    brief = _proposed(pm)
    match = brief.matches.get()
    calls = [(pm, f"/api/v1/matches/{match.pk}/reject/", {"reason": "不合适"})] * AT_ONCE
    return (
        calls,
        200,
        lambda: BriefEvent.objects.filter(brief=brief, to_status=S.NEEDS_ATTENTION).count(),
    )


def _case_accept_invitation(pm):
    from projects.models import Project

    brief, match = _invited(pm)
    calls = [(match.expert.user, f"/api/v1/invitations/{match.pk}/accept/", {})] * AT_ONCE
    return calls, 200, lambda: Project.objects.filter(brief=brief).count()


def _case_decline_invitation(pm):
    from projects.models import RematchJob

    brief, match = _invited(pm)
    calls = [(match.expert.user, f"/api/v1/invitations/{match.pk}/decline/", {})] * AT_ONCE
    return calls, 200, lambda: RematchJob.objects.filter(brief=brief).count()


def _case_dissatisfaction(pm):
    from projects.models import Feedback, RematchJob

    brief, _match = _in_progress(pm)
    calls = [
        (brief.startup.owner, f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "quality"})
    ] * AT_ONCE

    def effect():
        jobs = RematchJob.objects.filter(brief=brief).count()
        feedback = Feedback.objects.filter(brief=brief).count()
        return jobs if jobs == feedback else -1

    return calls, 202, effect


def _case_deliver(pm):
    from marketplace.models import BriefEvent

    brief, match = _in_progress(pm)
    calls = [(match.expert.user, f"/api/v1/briefs/{brief.pk}/deliver/", {})] * AT_ONCE
    return calls, 200, lambda: BriefEvent.objects.filter(brief=brief, to_status=S.DELIVERED).count()


def _case_accept_delivery(pm):
    from projects.models import Feedback

    brief, match = _delivered(pm)
    calls = [(brief.startup.owner, f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 5})] * AT_ONCE

    def effect():
        expert = Expert.objects.get(pk=match.expert_id)
        ratings = Feedback.objects.filter(brief=brief, kind="rating").count()
        return ratings if (expert.completed_count, expert.rating_count) == (1, 1) else -1

    return calls, 200, effect


def _case_cancel(pm):
    from marketplace.models import BriefEvent

    brief = _proposed(pm)
    calls = [(brief.startup.owner, f"/api/v1/briefs/{brief.pk}/cancel/", {})] * AT_ONCE
    return calls, 200, lambda: BriefEvent.objects.filter(brief=brief, to_status=S.CANCELLED).count()


def _case_quote_change(pm):
    from marketplace.models import Quote

    brief, _match = _in_progress(pm)
    calls = [
        (brief.startup.owner, f"/api/v1/briefs/{brief.pk}/quote/change/", {"scope_days": "4"})
    ] * AT_ONCE
    return calls, 201, lambda: Quote.objects.filter(brief=brief, status="proposed").count()


def _case_quote_agree(pm):
    from marketplace.models import Quote

    brief, match = _in_progress(pm)
    change = marketplace_services.quote_propose_change(
        brief_id=brief.pk, user=brief.startup.owner, scope_days=4
    )
    calls = [(match.expert.user, f"/api/v1/quotes/{change.pk}/agree/", {})] * AT_ONCE
    return calls, 200, lambda: Quote.objects.filter(brief=brief, status="superseded").count()


@pytest.mark.parametrize(
    "case",
    [
        _case_approve_different,
        _case_approve_same,
        _case_reject_same,
        _case_accept_invitation,
        _case_decline_invitation,
        _case_dissatisfaction,
        _case_deliver,
        _case_accept_delivery,
        _case_cancel,
        _case_quote_change,
        _case_quote_agree,
    ],
    ids=lambda case: case.__name__.removeprefix("_case_"),
)
def test_a_guarded_write_fired_twenty_times_at_once_succeeds_once(case):
    """One 2xx, the rest 409 (or 400), never a 500; and the effect happened exactly once."""
    from tests.conftest import client_for

    pm = _pm()
    calls, success, effect = case(pm)

    def post(user, path, data):
        return lambda: client_for(user).post(path, data, format="json").status_code

    codes = together(*(post(*call) for call in calls))
    for code in codes:
        if isinstance(code, BaseException):
            raise code
    print(f"{case.__name__.removeprefix('_case_')}: {AT_ONCE} at once → {dict(Counter(codes))}")
    assert codes.count(success) == 1
    assert set(codes) - {success} <= {409, 400}
    assert effect() == 1


@pytest.mark.parametrize("verification", ["optional", "mandatory"])
def test_twenty_signups_with_one_email_at_once_make_one_account_and_no_500(settings, verification):
    """The email is unique in the database; the form's check runs before the insert, so
    simultaneous signups all pass it. The later ones get what a signup after the first gets:
    the form again with "already registered" (optional verification), or the same "check your
    mail" page as the first (mandatory verification, enumeration prevented)."""
    from django.core import mail
    from django.test import Client

    from kaigan.accounts.models import User

    settings.ACCOUNT_EMAIL_VERIFICATION = verification

    def signup():
        response = Client().post(
            "/accounts/signup/",
            {
                "email": "twin@example.com",
                "password1": factories.PASSWORD,
                "password2": factories.PASSWORD,
                "role": "startup",
            },
        )
        form_again = response.status_code == 200 and 'value="twin@example.com"' in str(
            response.content, "utf-8"
        )
        return "form again" if form_again else response.status_code

    answers = together(*[signup] * AT_ONCE)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    print(f"signup ({verification}): {AT_ONCE} at once → {dict(Counter(answers))}")
    if verification == "optional":
        assert sorted(answers, key=str) == [302] + ["form again"] * (AT_ONCE - 1)
    else:
        assert answers == [302] * AT_ONCE
        # One verification mail, and an "you already have an account" mail for each other one.
        assert len(mail.outbox) == AT_ONCE
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


def test_twenty_briefs_naming_one_new_campaign_at_once_share_it():
    """A campaign is created on first use (unique per startup and name): twenty briefs naming a
    new one at once are all posted, into one campaign."""
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.models import Campaign
    from tests.conftest import client_for

    startup = factories.StartupFactory()
    factories.ProjectManagerFactory(capacity=200)
    data = {
        "title": "新品发布",
        "description": "为新品发布写一篇新闻稿。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 10000,
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "campaign": "秋季发布",
    }

    def post():
        return client_for(startup.owner).post("/api/v1/briefs/", data, format="json").status_code

    codes = together(*[post] * AT_ONCE)
    for code in codes:
        if isinstance(code, BaseException):
            raise code
    print(f"brief with a new campaign: {AT_ONCE} at once → {dict(Counter(codes))}")
    assert codes == [201] * AT_ONCE
    campaign = Campaign.objects.get(startup=startup)
    assert (campaign.name, campaign.briefs.count()) == ("秋季发布", AT_ONCE)
