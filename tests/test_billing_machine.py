"""Issue 21: a Hypothesis state machine over the money of a brief, through the real services.

Rules: approve at a price, accept the invitation, fund (development provider, or a bank transfer
confirmed by finance, in full or in part), deliver, accept the work (release), not satisfied
(re-match), the PM's share for a replaced expert, approve a higher price or keep it, cancel,
finance paying refunds back, the weekly payout batch, a correction (reversing a receipt) and the
sweep. After every step: every transaction balances; no escrow, payable or refunds-due account is
below zero; the fee is charged at most once per brief and is the brief's fee; each brief's money
adds up (paid in by the startup and the platform = to experts + fee + refunds + held); escrow
never keeps more than the brief owes once the next price is known; payables and refunds due match
their records.
"""

import itertools
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
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

from billing import ledger, selectors
from billing import services as billing
from billing.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    Receipt,
    Refund,
)
from experts.models import Tag
from experts.services import expert_refresh_rank_base
from kaigan.errors import ApplicationError
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Match
from projects import services as projects_services
from projects.models import RematchJob
from tests import factories

pytestmark = pytest.mark.django_db

S = Brief.Status
K = Account.Kind
REFUSED = (ApplicationError, ValidationError, Http404)
_tags = itertools.count(1)
_weeks = itertools.count(1)
_bank_refs = itertools.count(1)


class BriefMoney(RuleBasedStateMachine):
    @initialize()
    def post_a_brief(self):
        n = next(_tags)
        self.tag = Tag.objects.create(
            slug=f"money-{n}",
            name=f"钱{n}",
            name_en=f"Money {n}",
            stage=Tag.Stage.CONTENT,
            description="状态机测试的标签。",
        )
        self.experts = [factories.ExpertFactory(tag=self.tag, capacity=2) for _ in range(5)]
        for expert in self.experts:
            expert_refresh_rank_base(expert_id=expert.pk)
        self.pm = factories.ProjectManagerFactory().user
        self.finance = factories.UserFactory(role="admin", is_staff=True)
        self.finance.groups.add(billing.finance_group_ensure())
        self.briefs = []
        self.outcomes: dict[str, int] = {}
        self._post()

    def _post(self):
        self.brief = factories.BriefFactory(pm=self.pm, tag=self.tag)
        self.owner = self.brief.startup.owner
        self.briefs.append(self.brief)
        propose_matches(self.brief.pk)
        self._look()

    # --- helpers -------------------------------------------------------------------------------

    def _do(self, name, call):
        try:
            call()
        except REFUSED:
            name += " (refused)"
        self.outcomes[name] = self.outcomes.get(name, 0) + 1
        self._look()

    def _look(self):
        """What the rules' preconditions read: the brief, its matches and money, after a step."""
        brief = self._fresh()
        self.status = brief.status
        self.rematches = brief.rematch_count
        self.matches = set(Match.objects.filter(brief=brief).values_list("status", flat=True))
        self.money = selectors.escrow_state(brief)
        self.refunds_due = Refund.objects.filter(brief=brief, status=Refund.Status.DUE).exists()
        self.unreversed_receipt = (
            Receipt.objects.filter(brief=brief, transaction__reversed_by__isnull=True)
            .select_related("transaction")
            .order_by("-pk")
            .first()
        )
        self.payable = any(selectors.expert_available(e.pk) > 0 for e in self.experts)

    def _fresh(self) -> Brief:
        return Brief.objects.get(pk=self.brief.pk)

    def _state(self):
        return selectors.escrow_state(self._fresh())

    def _match(self, *statuses):
        return (
            Match.objects.filter(brief=self.brief, status__in=statuses)
            .select_related("expert__user")
            .order_by("round", "rank", "pk")
            .first()
        )

    # --- rules ---------------------------------------------------------------------------------

    @precondition(lambda self: Match.Status.PROPOSED in self.matches)
    @rule(price=st.sampled_from([3000, 8000, 12000]))
    def approve(self, price):
        match = self._match(Match.Status.PROPOSED)
        if match is None:
            return
        self._do(
            "approve",
            lambda: marketplace_services.match_approve(
                match_id=match.pk, actor=self.pm, fixed_price=price
            ),
        )

    @precondition(lambda self: Match.Status.APPROVED in self.matches)
    @rule()
    def accept_invitation(self):
        match = self._match(Match.Status.APPROVED)
        if match is not None:
            self._do(
                "accept invitation",
                lambda: billing.invitation_accept(match_id=match.pk, user=match.expert.user),
            )

    @precondition(lambda self: self.money.due > 0)
    @rule()
    def fund_dev(self):
        self._do(
            "fund (dev)",
            lambda: billing.fund_with_dev_provider(brief_id=self.brief.pk, user=self.owner),
        )

    @precondition(lambda self: self.money.due > 0)
    @rule(part=st.sampled_from([1, 2]))
    def fund_bank(self, part):
        due = self._state().due
        if due <= 0:
            return
        self._do(
            "fund (bank)",
            lambda: billing.receipt_confirm(
                brief_id=self.brief.pk,
                amount=due // part,
                received_on=timezone.localdate(),
                bank_reference=f"M-{next(_bank_refs)}",
                actor=self.finance,
            ),
        )

    @precondition(lambda self: self.status == S.IN_PROGRESS and self.money.may_work)
    @rule()
    def deliver(self):
        match = self._match(Match.Status.ACCEPTED)
        if match is not None:
            self._do(
                "deliver",
                lambda: billing.work_deliver(brief_id=self.brief.pk, user=match.expert.user),
            )

    @precondition(lambda self: self.status == S.DELIVERED)
    @rule()
    def accept_work(self):
        self._do(
            "accept work",
            lambda: billing.work_accept(brief_id=self.brief.pk, user=self.owner, rating=4),
        )

    @precondition(
        lambda self: (
            (self.status == S.DELIVERED or (self.status == S.IN_PROGRESS and self.rematches))
            and self.money.paid_in > 0
            and self.rematches < 2
        )
    )
    @rule()
    def not_satisfied(self):
        def complain():
            job = projects_services.dissatisfaction_submit(
                brief_id=self.brief.pk, user=self.owner, reason="quality"
            )
            projects_services.rematch_run(job_id=job.pk)

        self._do("not satisfied", complain)

    @precondition(lambda self: any(s.decided is None for s in self.money.shares))
    @rule(percent=st.integers(min_value=0, max_value=50))
    def decide_share(self, percent):
        share = next((s for s in self._state().shares if s.decided is None), None)
        if share is not None:
            self._do(
                "decide share",
                lambda: billing.settlement_decide(
                    match_id=share.match_id, actor=self.pm, percent=percent, reason="按交付比例"
                ),
            )

    @precondition(lambda self: self.money.status == "difference_to_approve")
    @rule(keep=st.booleans())
    def higher_price(self, keep):
        if keep:
            call = lambda: billing.price_keep(  # noqa: E731
                brief_id=self.brief.pk, actor=self.pm, reason="平台承诺"
            )
        else:
            call = lambda: billing.difference_approve(  # noqa: E731
                brief_id=self.brief.pk, user=self.owner
            )
        self._do("keep price" if keep else "approve difference", call)

    @precondition(
        lambda self: (
            self.status in (S.REMATCHING, S.NEEDS_ATTENTION)
            or (self.status in marketplace_services.CANCELLABLE and self.money.held > 0)
        )
    )
    @rule()
    def cancel(self):
        self._do("cancel", lambda: billing.brief_cancel(brief_id=self.brief.pk, actor=self.owner))

    @precondition(lambda self: self.refunds_due)
    @rule()
    def pay_refunds(self):
        for refund in Refund.objects.filter(brief=self.brief, status=Refund.Status.DUE):
            self._do(
                "refund paid",
                lambda refund=refund: billing.refund_mark_paid(
                    refund_id=refund.pk, actor=self.finance, bank_reference="RB"
                ),
            )

    @precondition(lambda self: self.payable)
    @rule()
    def payout(self):
        for expert in self.experts:
            if not hasattr(expert, "bank_account"):
                billing.bank_account_save(
                    expert=expert,
                    holder_name=expert.display_name,
                    bank_name="招商银行",
                    branch="",
                    account_number=f"62258800{expert.pk:08d}",
                )
        day = timezone.localdate() + timedelta(weeks=next(_weeks))

        def pay():
            batch = billing.payout_batch_create(actor=self.finance, day=day)
            billing.payout_batch_export(batch_id=batch.pk, actor=self.finance)
            billing.payout_batch_mark_paid(
                batch_id=batch.pk, actor=self.finance, bank_reference="PB"
            )

        self._do("payout", pay)

    @precondition(lambda self: self.unreversed_receipt is not None)
    @rule()
    def correct_a_receipt(self):
        receipt = self.unreversed_receipt
        if receipt is not None:
            self._do(
                "reverse receipt",
                lambda: ledger.reverse(
                    original=receipt.transaction, actor=self.finance, memo="错账"
                ),
            )

    @precondition(lambda self: self.status in (S.COMPLETED, S.CANCELLED))
    @rule()
    def next_brief(self):
        """The brief is over: the startup posts another (the money of the last stays checked)."""
        self._post()
        self.outcomes["next brief"] = self.outcomes.get("next brief", 0) + 1

    @precondition(lambda self: self.status in (S.COMPLETED, S.CANCELLED))
    @rule()
    def sweep(self):
        self._do("sweep", billing.escrow_sweep)

    @precondition(lambda self: self.status == S.REMATCHING)
    @rule()
    def finish_rematch(self):
        job = RematchJob.objects.filter(
            brief=self.brief, status__in=RematchJob.OPEN_STATUSES
        ).first()
        if job is not None:
            self._do("re-match task", lambda: projects_services.rematch_run(job_id=job.pk))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def every_transaction_balances(self):
        bad = (
            LedgerTransaction.objects.annotate(total=Sum("entries__amount"), n=Count("entries"))
            .filter(Q(n__lt=2) | ~Q(total=0))
            .count()
        )
        assert bad == 0

    @invariant()
    def nothing_below_zero(self):
        for kind in Account.NEVER_NEGATIVE:
            accounts = Account.objects.filter(kind=kind)
            assert all(v >= 0 for v in ledger.balances(accounts).values()), kind

    @invariant()
    def the_fee_at_most_once_per_brief(self):
        for brief in self.briefs:
            fees = LedgerTransaction.objects.filter(brief=brief, kind="fee")
            assert fees.count() <= 1
            if fees:
                state = selectors.escrow_state(Brief.objects.get(pk=brief.pk))
                assert -fees.get().entries.get(account__kind=K.FEE_INCOME).amount == state.fee

    @invariant()
    def the_money_of_each_brief_adds_up(self):
        for brief in self.briefs:
            self._adds_up(Brief.objects.get(pk=brief.pk))

    def _adds_up(self, brief):
        totals = selectors.brief_totals(brief)
        assert totals.balanced, totals
        state = selectors.escrow_state(brief)
        assert totals.held == state.held
        # The records agree with the ledger: receipts with what it booked as paid in, refunds
        # with what it booked as refunded.
        receipts = Receipt.objects.filter(brief=brief).aggregate(t=Sum("amount"))["t"]
        assert totals.paid_in == (receipts or 0)
        refunds = Refund.objects.filter(brief=brief).aggregate(t=Sum("amount"))["t"]
        assert totals.refunded == (refunds or 0)
        # What escrow holds beyond what the brief owes is refunded by the step that freed it.
        assert state.refundable == 0, state

    @invariant()
    def payables_and_refunds_match_their_records(self):
        for expert in self.experts:
            received = -(
                LedgerEntry.objects.filter(
                    account__kind=K.PAYABLE,
                    account__expert=expert,
                    transaction__kind__in=["earnings", "settlement"],
                ).aggregate(t=Sum("amount"))["t"]
                or 0
            )
            paid = (
                Payout.objects.filter(expert=expert, transaction__isnull=False).aggregate(
                    t=Sum("amount")
                )["t"]
                or 0
            )
            assert ledger.balance(ledger.payable_account(expert.pk)) == received - paid
        due = Refund.objects.filter(status=Refund.Status.DUE).aggregate(t=Sum("amount"))["t"] or 0
        assert ledger.balance(ledger.platform_account(K.REFUNDS_DUE)) == due


def test_money_state_machine(settings):
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    outcomes: dict[str, int] = {}
    original = BriefMoney.teardown

    def teardown(self):
        for name, count in getattr(self, "outcomes", {}).items():
            outcomes[name] = outcomes.get(name, 0) + count
        original(self)

    BriefMoney.teardown = teardown
    started = time.monotonic()
    try:
        run_state_machine_as_test(
            BriefMoney,
            settings=hypothesis_settings(
                max_examples=12,
                stateful_step_count=35,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        BriefMoney.teardown = original
    print(
        f"money machine: {sum(outcomes.values())} steps in {time.monotonic() - started:.1f}s,"
        f" {dict(sorted(outcomes.items()))}"
    )
    for name in (
        "approve",
        "accept invitation",
        "fund (dev)",
        "fund (bank)",
        "deliver",
        "accept work",
        "not satisfied",
        "decide share",
        "cancel",
        "refund paid",
        "payout",
        "approve difference",
        "reverse receipt",
    ):
        assert outcomes.get(name, 0) > 0, name
