"""Issue 17: a Hypothesis state machine drives one brief through the real services.

Rules: propose (first round, or the PM's re-run), approve, reject, accept, decline, deliver,
not satisfied, accept the delivery, run the re-match task, a worker that claimed a job and died
(its lease runs out), the sweeper. After every step the database must show: at most one holding
match (approved or accepted) and at most one open re-match job for the brief, no expert proposed
twice, each expert's counters equal to their matches, and every status change audited (the
services' `BriefEvent` chain matches the database trigger's log, step for step).
"""

import itertools
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from experts.models import Expert, Tag
from experts.services import expert_refresh_rank_base
from kaigan.errors import ApplicationError
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, BriefEvent, BriefStatusLog, Match
from projects import services
from projects.models import Feedback, RematchJob
from projects.tasks import rematch_run_task
from tests import factories

pytestmark = pytest.mark.django_db

S = Brief.Status
M = Match.Status
J = RematchJob.Status
EXPERTS = 7
_tags = itertools.count(1)

#: A refusal by a rule of the workflow: the step did nothing, which the invariants check too.
REFUSED = (ApplicationError, ValidationError, Http404, Retry)


class BriefLifecycle(RuleBasedStateMachine):
    """One brief, its PM, its startup and a pool of experts of a tag of their own."""

    @initialize()
    def post_a_brief(self):
        n = next(_tags)
        # A tag per example: the experts of earlier examples (same test transaction) stay out.
        self.tag = Tag.objects.create(
            slug=f"machine-{n}",
            name=f"状态机{n}",
            name_en=f"Machine {n}",
            stage=Tag.Stage.CONTENT,
            description="状态机测试的标签。",
        )
        self.experts = [
            factories.ExpertFactory(tag=self.tag, capacity=1 + i % 2) for i in range(EXPERTS)
        ]
        for expert in self.experts:
            expert_refresh_rank_base(expert_id=expert.pk)
        self.pm = factories.ProjectManagerFactory().user
        self.brief = factories.BriefFactory(pm=self.pm, tag=self.tag)
        BriefEvent.objects.create(brief=self.brief, from_status="", to_status=S.OPEN)
        self.outcomes: dict[str, int] = {}
        propose_matches(self.brief.pk)

    # --- helpers ------------------------------------------------------------------------------

    def _fresh(self) -> Brief:
        return Brief.objects.get(pk=self.brief.pk)

    def _matches(self, *statuses):
        matches = Match.objects.filter(brief=self.brief).select_related("expert__user")
        return list(matches.filter(status__in=statuses).order_by("pk") if statuses else matches)

    def _open_job(self) -> RematchJob | None:
        return RematchJob.objects.filter(
            brief=self.brief, status__in=RematchJob.OPEN_STATUSES
        ).first()

    def _do(self, name: str, call) -> None:
        try:
            call()
        except REFUSED:
            name += " (refused)"
        self._count(name)

    def _count(self, name: str) -> None:
        self.outcomes[name] = self.outcomes.get(name, 0) + 1

    # --- rules: each one where the workflow offers it; `stray` tries any of them anywhere ---------

    def _status(self) -> str:
        return self._fresh().status

    def _propose(self, pick=0):
        if self._status() == S.NEEDS_ATTENTION:
            self._do(
                "re-run matching",
                lambda: marketplace_services.brief_rerun_matching(
                    brief_id=self.brief.pk, actor=self.pm
                ),
            )
        else:
            self._do("propose", lambda: propose_matches(self.brief.pk))

    def _approve(self, pick=0):
        matches = self._matches(M.PROPOSED) or self._matches()
        match = matches[pick % len(matches)]
        self._do(
            "approve", lambda: marketplace_services.match_approve(match_id=match.pk, actor=self.pm)
        )

    def _reject(self, pick=0):
        matches = self._matches(M.PROPOSED) or self._matches()
        match = matches[pick % len(matches)]
        self._do(
            "reject",
            lambda: marketplace_services.match_reject(
                match_id=match.pk, actor=self.pm, reason="不合适"
            ),
        )

    def _invited(self, pick=0) -> Match:
        matches = self._matches(M.APPROVED) or self._matches()
        return matches[pick % len(matches)]

    def _accept(self, pick=0):
        match = self._invited(pick)
        self._do(
            "accept", lambda: services.invitation_accept(match_id=match.pk, user=match.expert.user)
        )

    def _decline(self, pick=0):
        match = self._invited(pick)
        self._do(
            "decline",
            lambda: services.invitation_decline(
                match_id=match.pk, user=match.expert.user, reason="档期冲突"
            ),
        )

    def _deliver(self, pick=0):
        matches = self._matches(M.ACCEPTED) or self._matches()
        match = matches[pick % len(matches)]
        self._do(
            "deliver",
            lambda: services.work_deliver(
                brief_id=self.brief.pk, user=match.expert.user, note="终稿"
            ),
        )

    def _dissatisfy(self, pick=0):
        reason = Feedback.Reason.values[pick % len(Feedback.Reason.values)]
        self._do(
            "not satisfied",
            lambda: services.dissatisfaction_submit(
                brief_id=self.brief.pk, user=self.brief.startup.owner, reason=reason
            ),
        )

    def _accept_delivery(self, pick=0):
        self._do(
            "accept delivery",
            lambda: services.work_accept(
                brief_id=self.brief.pk, user=self.brief.startup.owner, rating=1 + pick % 5
            ),
        )

    def _run_rematch(self, pick=0):
        """The Celery task's own function, as a worker (or a redelivered message) runs it."""
        job = self._open_job() or RematchJob.objects.filter(brief=self.brief).last()
        if job is not None:
            self._do("re-match task", lambda: rematch_run_task(job.pk))

    @precondition(lambda self: self._status() in (S.OPEN, S.NEEDS_ATTENTION))
    @rule()
    def propose(self):
        self._propose()

    @precondition(lambda self: self._matches(M.PROPOSED))
    @rule(pick=st.integers(min_value=0, max_value=9))
    def approve(self, pick):
        self._approve(pick)

    @precondition(lambda self: self._matches(M.PROPOSED))
    @rule(pick=st.integers(min_value=0, max_value=9))
    def reject(self, pick):
        self._reject(pick)

    @precondition(lambda self: self._matches(M.APPROVED))
    @rule()
    def accept(self):
        self._accept()

    @precondition(lambda self: self._matches(M.APPROVED))
    @rule()
    def decline(self):
        self._decline()

    @precondition(lambda self: self._matches(M.ACCEPTED))
    @rule()
    def deliver(self):
        self._deliver()

    @precondition(lambda self: self._status() in services.DISSATISFACTION_FROM)
    @rule(pick=st.integers(min_value=0, max_value=9))
    def dissatisfy(self, pick):
        self._dissatisfy(pick)

    @precondition(lambda self: self._status() == S.DELIVERED)
    @rule(pick=st.integers(min_value=0, max_value=9))
    def accept_delivery(self, pick):
        self._accept_delivery(pick)

    @precondition(lambda self: self._open_job() is not None)
    @rule()
    def run_rematch(self):
        self._run_rematch()

    @precondition(
        lambda self: RematchJob.objects.filter(brief=self.brief, status=J.PENDING).exists()
    )
    @rule()
    def worker_crash(self):
        """A worker claimed the job and died: the job stays running until its lease ends."""
        job = RematchJob.objects.get(brief=self.brief, status=J.PENDING)
        lease = timedelta(seconds=django_settings.KAIGAN_REMATCH_LEASE_SECONDS)
        claimed = services.rematch_claim(job_id=job.pk, now=timezone.now() - lease * 2)
        self._count("worker crash" if claimed else "worker crash (refused)")

    @precondition(lambda self: self._open_job() is not None)
    @rule()
    def sweep(self):
        self._do("sweep", lambda: services.rematch_sweep(pending_grace_seconds=0))

    @rule(
        action=st.sampled_from(
            [
                "_propose",
                "_approve",
                "_reject",
                "_accept",
                "_decline",
                "_deliver",
                "_dissatisfy",
                "_accept_delivery",
                "_run_rematch",
            ]
        ),
        pick=st.integers(min_value=0, max_value=9),
    )
    def stray(self, action, pick):
        """Any action at any moment (a stale page, a replayed request): refused or harmless."""
        getattr(self, action)(pick)

    # --- invariants, read from the database ---------------------------------------------------

    @invariant()
    def at_most_one_holding_match(self):
        assert Match.objects.filter(brief=self.brief, status__in=Match.LIVE_STATUSES).count() <= 1

    @invariant()
    def at_most_one_open_job(self):
        jobs = RematchJob.objects.filter(brief=self.brief, status__in=RematchJob.OPEN_STATUSES)
        assert jobs.count() <= 1

    @invariant()
    def never_the_same_expert_twice(self):
        repeated = (
            Match.objects.filter(brief=self.brief)
            .values("expert")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not repeated.exists()

    @invariant()
    def the_status_fits_the_matches_and_jobs(self):
        brief = self._fresh()
        live = self._matches(*Match.LIVE_STATUSES)
        if brief.status == S.AWAITING_EXPERT:
            assert [m.status for m in live] == [M.APPROVED]
        elif brief.status in (S.IN_PROGRESS, S.DELIVERED):
            assert [m.status for m in live] == [M.ACCEPTED]
        else:
            assert live == []
        if brief.status == S.AWAITING_APPROVAL:
            assert self._matches(M.PROPOSED)
        if brief.status == S.REMATCHING:
            assert self._open_job() is not None

    @invariant()
    def counters_equal_the_matches(self):
        experts = Expert.objects.filter(tag=self.tag).annotate(
            approved=Count("matches", filter=Q(matches__status=M.APPROVED)),
            accepted=Count("matches", filter=Q(matches__status=M.ACCEPTED)),
        )
        for expert in experts:
            assert (expert.pending_invitations, expert.active_load) == (
                expert.approved,
                expert.accepted,
            ), expert
            assert expert.active_load <= expert.capacity

    @invariant()
    def every_ended_match_says_when_and_why(self):
        for match in self._matches():
            if match.status != M.PROPOSED:
                assert match.decided_at or match.responded_at, match
            if match.status in (M.REJECTED, M.WITHDRAWN, M.DECLINED, M.EXPIRED, M.REPLACED):
                assert match.decision_reason or match.decision_key, match

    @invariant()
    def every_status_change_is_audited(self):
        brief = self._fresh()
        events = list(
            BriefEvent.objects.filter(brief=brief)
            .order_by("pk")
            .values_list("from_status", "to_status")
        )
        # A chain: each change starts where the last one ended, and ends at today's status.
        for (_before, previous), (after_from, _after) in itertools.pairwise(events):
            assert after_from == previous
        assert events[-1][1] == brief.status
        # The trigger logs every UPDATE of the status, however it was made: the same steps.
        logged = list(
            BriefStatusLog.objects.filter(brief=brief)
            .order_by("pk")
            .values_list("old_status", "new_status")
        )
        assert logged == events[1:]


def test_brief_lifecycle_state_machine(settings):
    """Every example drives a fresh brief; the figures (steps, refusals) are printed."""
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    outcomes: dict[str, int] = {}
    original = BriefLifecycle.teardown

    def teardown(self):
        for name, count in getattr(self, "outcomes", {}).items():
            outcomes[name] = outcomes.get(name, 0) + count
        original(self)

    BriefLifecycle.teardown = teardown
    started = time.monotonic()
    try:
        run_state_machine_as_test(
            BriefLifecycle,
            settings=settings_for_machine(),
        )
    finally:
        BriefLifecycle.teardown = original
    print(
        f"state machine: {sum(outcomes.values())} steps in {time.monotonic() - started:.1f}s,"
        f" {dict(sorted(outcomes.items()))}"
    )
    # Every rule did something at least once (a rule never reached proves nothing).
    for name in (
        "approve",
        "accept",
        "decline",
        "deliver",
        "not satisfied",
        "accept delivery",
        "re-match task",
        "worker crash",
    ):
        assert outcomes.get(name, 0) > 0, name


def settings_for_machine():
    return hypothesis_settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        # The same sequences on every run: CI's figures are comparable from run to run.
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
