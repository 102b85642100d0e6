"""Issue 21: money through the lifecycle — funding before work, release on acceptance, the
re-match policy (the replaced expert's share, escrow kept, a higher or lower next price), the fee
once per brief, cancelling and refunds."""

import pytest
from django.core.exceptions import ValidationError

from billing import ledger, selectors
from billing import services as billing
from billing.models import (
    Account,
    FundingDecision,
    LedgerTransaction,
    Method,
    Refund,
)
from billing.selectors import FundingStatus as F
from experts.services import expert_refresh_rank_base
from kaigan.errors import Conflict, InvalidTransition, NotAllowed
from kaigan.notifications.models import Notification
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Match
from projects import services as projects_services
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
S = Brief.Status
K = Account.Kind


def _experts(n=3, day_rate=2000):
    experts = [factories.ExpertFactory(day_rate=day_rate) for _ in range(n)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    return experts


def engage(pm, *, fixed_price=8000, brief=None):
    """A brief whose best proposal the PM approved at `fixed_price` and the expert accepted."""
    if brief is None:
        _experts()
        brief = factories.BriefFactory(pm=pm, budget_min=5000, budget_max=10000)
        propose_matches(brief)
    match = brief.matches.filter(status=Match.Status.PROPOSED).order_by("round", "rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm, fixed_price=fixed_price)
    billing.invitation_accept(match_id=match.pk, user=match.expert.user)
    brief.refresh_from_db()
    match.refresh_from_db()
    return brief, match


def rematch(brief, *, reason="quality"):
    """The startup is not satisfied; the worker proposes a new round."""
    job = projects_services.dissatisfaction_submit(
        brief_id=brief.pk, user=brief.startup.owner, reason=reason
    )
    projects_services.rematch_run(job_id=job.pk)
    brief.refresh_from_db()


def state(brief):
    brief.refresh_from_db()
    return selectors.escrow_state(brief)


def payable(expert):
    return ledger.balance(ledger.payable_account(expert.pk))


def fee_income():
    return ledger.balance(ledger.platform_account(K.FEE_INCOME))


# --- funding before work, release on acceptance ------------------------------------------------


def test_after_acceptance_the_brief_awaits_funding_and_the_expert_cannot_deliver(pm):
    brief, match = engage(pm)
    expert_api = client_for(match.expert.user)

    funding = state(brief)
    refused = expert_api.post(f"/api/v1/briefs/{brief.pk}/deliver/", {"note": "初稿"})

    assert brief.status == S.IN_PROGRESS  # the lifecycle as it was; money says "awaiting funding"
    assert (funding.status, funding.due, funding.held) == (F.AWAITING_FUNDING, 880000, 0)
    assert refused.status_code == 409
    assert refused.json()["code"] == "awaiting_funding"
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS


def test_funded_work_is_delivered_and_acceptance_releases_exactly_the_quote_lines(pm):
    brief, match = engage(pm, fixed_price=8000)
    owner = client_for(brief.startup.owner)

    funded = owner.post(f"/api/v1/briefs/{brief.pk}/funding/", {"method": "dev"})
    delivered = client_for(match.expert.user).post(f"/api/v1/briefs/{brief.pk}/deliver/")
    accepted = owner.post(f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 5})

    assert funded.status_code == 201, funded.json()
    assert (funded.json()["status"], funded.json()["held"]) == ("funded", 880000)
    assert delivered.status_code == 200
    assert accepted.status_code == 200
    after = state(brief)
    assert (after.status, after.held) == (F.RELEASED, 0)
    assert payable(match.expert) == 800000  # ¥8,000 earnings
    assert fee_income() == 80000  # ¥800 fee
    assert Notification.objects.filter(recipient=match.expert.user, kind="brief_funded").exists()
    assert Refund.objects.count() == 0


def test_a_pm_may_start_work_unfunded_only_when_the_setting_allows_and_it_is_recorded(pm, settings):
    brief, match = engage(pm)
    with pytest.raises(NotAllowed):
        billing.unfunded_start_allow(brief_id=brief.pk, actor=pm, reason="老客户")
    settings.KAIGAN_ALLOW_UNFUNDED_START = True
    with pytest.raises(ValidationError):
        billing.unfunded_start_allow(brief_id=brief.pk, actor=pm, reason="")

    decision = billing.unfunded_start_allow(brief_id=brief.pk, actor=pm, reason="老客户，月结")
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=4)

    assert (decision.kind, decision.actor, decision.amount) == (
        FundingDecision.Kind.UNFUNDED_START,
        pm,
        880000,
    )
    waiting = state(brief)
    assert (waiting.status, waiting.due) == (F.RELEASE_WAITING, 880000)
    assert payable(match.expert) == 0  # nothing to release until the money is in
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    assert state(brief).status == F.RELEASED
    assert payable(match.expert) == 800000


# --- bank transfer: confirmed by finance, or by the statement -----------------------------------


def test_finance_confirms_a_bank_transfer_once_and_the_statement_joins_it(pm, finance):
    brief, match = engage(pm)
    reference = state(brief).reference

    receipt = billing.receipt_confirm(
        brief_id=brief.pk,
        amount=880000,
        received_on=brief.created_at.date(),
        bank_reference="B20260101-1",
        actor=finance,
        payer="水杯科技",
    )
    again = billing.receipt_confirm(
        brief_id=brief.pk,
        amount=880000,
        received_on=brief.created_at.date(),
        bank_reference="B20260101-1",
        actor=finance,
    )
    csv_text = (
        "交易日期,流水号,收入金额,支出金额,对方户名,摘要\n"
        f'2026-01-01,B20260101-1,"8,800.00",,水杯科技,货款 {reference}\n'
    )
    billing.statement_import(data=csv_text.encode(), file_name="jan.csv", actor=finance)

    assert again.pk == receipt.pk
    assert state(brief).status == F.FUNDED
    receipt.refresh_from_db()
    assert receipt.statement_line is not None
    assert ledger.balance(ledger.platform_account(K.BANK)) == 880000
    assert selectors.reconciliation().equal


def test_a_statement_import_matches_references_and_lists_what_it_could_not(pm, finance):
    brief, match = engage(pm)
    reference = state(brief).reference
    typo = reference[:-1] + ("0" if reference[-1] != "0" else "1")  # a check digit wrong
    csv_text = (
        "date,bank_id,amount,counterparty,memo\n"
        f"2026-01-02,T1,8800.00,水杯科技,{reference[:2]}-{reference[2:]}\n"
        f"2026-01-02,T2,100.00,某人,{typo}\n"
        "2026-01-03,T3,50.00,某公司,没有写参考号\n"
    )

    imported = billing.statement_import(data=csv_text.encode(), file_name="s.csv", actor=finance)

    assert imported.line_count == 3
    statuses = dict(imported.lines.values_list("bank_id", "status"))
    assert statuses == {"T1": "matched", "T2": "unmatched", "T3": "unmatched"}
    assert state(brief).status == F.FUNDED
    assert ledger.balance(ledger.platform_account(K.UNMATCHED)) == 15000
    recon = selectors.reconciliation()
    assert (recon.ledger_bank, recon.statements, recon.equal) == (895000, 895000, True)
    # Finance assigns one to another brief, and sends the other back.
    other, _other_match = engage(pm)
    t2 = imported.lines.get(bank_id="T2")
    billing.statement_line_assign(line_id=t2.pk, brief_id=other.pk, actor=finance)
    t3 = imported.lines.get(bank_id="T3")
    billing.statement_line_return(line_id=t3.pk, actor=finance, bank_reference="R-T3")
    assert state(other).held == 10000
    assert ledger.balance(ledger.platform_account(K.UNMATCHED)) == 0
    recon = selectors.reconciliation()
    assert (recon.ledger_bank, recon.difference, recon.explained) == (890000, -5000, True)
    with pytest.raises(Conflict, match="已经导入过"):
        billing.statement_import(data=csv_text.encode(), file_name="again.csv", actor=finance)


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("date,amount\n2026-01-01,5\n", "bank_id"),
        ("date,bank_id,amount\nyesterday,T1,5\n", "第 2 行"),
        ("date,bank_id,amount\n2026-01-01,T1,5.001\n", "两位小数"),
        ("date,bank_id,amount\n2026-01-01,T1,5\n2026-01-01,T1,6\n", "重复了银行流水号 T1"),
    ],
)
def test_a_bad_statement_is_refused_with_its_line_and_nothing_is_booked(finance, csv_text, message):
    with pytest.raises(ValidationError, match=message):
        billing.statement_import(data=csv_text.encode(), file_name="bad.csv", actor=finance)
    assert LedgerTransaction.objects.count() == 0


def test_only_finance_confirms_money(pm):
    brief, _match = engage(pm)
    for user in (pm, brief.startup.owner):
        with pytest.raises(NotAllowed):
            billing.receipt_confirm(
                brief_id=brief.pk,
                amount=100,
                received_on=brief.created_at.date(),
                bank_reference="X",
                actor=user,
            )
    assert LedgerTransaction.objects.count() == 0


# --- re-matching ---------------------------------------------------------------------------


def _funded_and_delivered(pm, fixed_price=8000):
    brief, first = engage(pm, fixed_price=fixed_price)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=first.expert.user)
    return brief, first


def test_a_replaced_expert_who_delivered_gets_the_share_the_pm_decides_within_bounds(pm):
    brief, first = _funded_and_delivered(pm)
    rematch(brief)

    waiting = state(brief)
    assert (waiting.held, waiting.reserved) == (880000, 400000)  # up to 50 % kept for them
    for percent in (-1, 51, "30", True):
        with pytest.raises(ValidationError):
            billing.settlement_decide(match_id=first.pk, actor=pm, percent=percent, reason="r")
    with pytest.raises(ValidationError):
        billing.settlement_decide(match_id=first.pk, actor=pm, percent=30, reason=" ")
    other_pm = factories.ProjectManagerFactory().user
    with pytest.raises(NotAllowed):
        billing.settlement_decide(match_id=first.pk, actor=other_pm, percent=30, reason="r")

    decided = billing.settlement_decide(
        match_id=first.pk, actor=pm, percent=30, reason="初稿可用，但方向偏离"
    )

    assert (decided.amount, decided.decided_by) == (240000, pm)
    assert payable(first.expert) == 240000
    after = state(brief)
    assert (after.held, after.reserved) == (640000, 0)  # the rest stays for the next expert
    assert Refund.objects.count() == 0
    assert Notification.objects.filter(recipient=first.expert.user, kind="share_decided").exists()
    with pytest.raises(Conflict, match="已经决定过"):
        billing.settlement_decide(match_id=first.pk, actor=pm, percent=10, reason="again")


def test_a_replaced_expert_who_had_not_delivered_is_paid_nothing(pm):
    brief, first = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    rematch(brief)

    with pytest.raises(InvalidTransition):
        billing.settlement_decide(match_id=first.pk, actor=pm, percent=10, reason="r")
    assert state(brief).held == 880000
    assert payable(first.expert) == 0


def test_a_higher_next_price_is_approved_by_the_startup_and_the_fee_is_charged_once(pm):
    brief, first = _funded_and_delivered(pm)
    rematch(brief)
    billing.settlement_decide(match_id=first.pk, actor=pm, percent=0, reason="不可用")
    brief, second = engage(pm, fixed_price=9000, brief=brief)

    higher = state(brief)
    assert higher.live_quote.platform_fee == 0  # the fee is not quoted again
    # 9,000 for the new expert + the 800 fee still owed − 8,800 held = 1,000 more.
    assert (higher.status, higher.due) == (F.DIFFERENCE_TO_APPROVE, 100000)
    with pytest.raises(InvalidTransition):
        billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    with pytest.raises(NotAllowed):
        billing.difference_approve(brief_id=brief.pk, user=pm)

    billing.difference_approve(brief_id=brief.pk, user=brief.startup.owner)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=second.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)

    done = state(brief)
    assert (done.status, done.held) == (F.RELEASED, 0)
    assert (payable(first.expert), payable(second.expert)) == (0, 900000)
    assert fee_income() == 80000  # once, however many re-matches
    assert LedgerTransaction.objects.filter(kind="fee").count() == 1
    totals = selectors.brief_totals(brief)
    assert totals.balanced
    assert (totals.paid_in, totals.to_experts, totals.fee, totals.refunded) == (
        980000,
        900000,
        80000,
        0,
    )


def test_the_pm_may_keep_the_price_and_the_platform_pays_the_difference(pm):
    brief, first = _funded_and_delivered(pm)
    rematch(brief)
    billing.settlement_decide(match_id=first.pk, actor=pm, percent=25, reason="部分可用")
    brief, second = engage(pm, fixed_price=8000, brief=brief)
    # 8,000 + 800 fee − (8,800 − 2,000 share) = 2,000 more: the PM keeps the price.
    assert state(brief).due == 200000

    kept = billing.price_keep(brief_id=brief.pk, actor=pm, reason="平台承诺不加价")

    assert (kept.kind, kept.amount) == (FundingDecision.Kind.PRICE_KEPT, 200000)
    assert state(brief).status == F.FUNDED
    assert ledger.balance(ledger.platform_account(K.PLATFORM_COST)) == 200000
    billing.work_deliver(brief_id=brief.pk, user=second.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    totals = selectors.brief_totals(brief)
    assert (totals.paid_in, totals.platform_in, totals.to_experts, totals.fee) == (
        880000,
        200000,
        1000000,
        80000,
    )
    assert totals.balanced
    assert state(brief).held == 0


def test_a_lower_next_price_is_refunded_when_the_new_expert_accepts(pm, finance):
    brief, first = engage(pm, fixed_price=8000)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    rematch(brief, reason="fit")
    brief, second = engage(pm, fixed_price=6000, brief=brief)

    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.method) == (
        200000,
        Refund.Reason.LOWER_QUOTE,
        Method.DEV,
    )
    assert state(brief).status == F.FUNDED  # 6,000 + the 800 fee stay
    billing.refund_mark_paid(refund_id=refund.pk, actor=finance, bank_reference="DEV-R1")
    billing.refund_mark_paid(refund_id=refund.pk, actor=finance, bank_reference="DEV-R1")
    assert LedgerTransaction.objects.filter(kind="refund_paid").count() == 1
    assert ledger.balance(ledger.platform_account(K.REFUNDS_DUE)) == 0


def test_cancelling_before_work_refunds_in_full_less_a_share_still_to_decide(pm, finance):
    brief, first = _funded_and_delivered(pm)
    rematch(brief)

    response = client_for(brief.startup.owner).post(
        f"/api/v1/briefs/{brief.pk}/cancel/", {"reason": "计划取消"}
    )

    assert response.status_code == 200
    first_refund = Refund.objects.get()
    assert (first_refund.amount, first_refund.reason) == (480000, Refund.Reason.CANCELLED)
    billing.settlement_decide(match_id=first.pk, actor=pm, percent=20, reason="可用部分")
    # The rest of what was kept for the share goes back too.
    refunds = list(Refund.objects.order_by("pk").values_list("amount", flat=True))
    assert refunds == [480000, 240000]
    cancelled = state(brief)
    assert (cancelled.status, cancelled.held, cancelled.fee_owed) == (F.CANCELLED, 0, 0)
    assert fee_income() == 0  # no fee for a cancelled brief
    assert selectors.brief_totals(brief).balanced


def test_the_sweep_settles_what_the_hooks_did_not(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    # Accepted through the lower service directly (a path without billing's hook).
    projects_services.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    assert state(brief).status == F.RELEASE_WAITING

    assert billing.escrow_sweep() == [brief.pk]
    assert billing.escrow_sweep() == []
    assert state(brief).status == F.RELEASED
    assert payable(match.expert) == 800000


def test_the_wired_pages_and_api_call_billing():
    from django.urls import resolve, reverse

    for name in (
        "projects:brief_deliver",
        "projects:brief_accept",
        "projects:invitation_accept",
        "marketplace:brief_cancel",
    ):
        match = resolve(reverse(name, args=[1]))
        assert match.namespace == "billing", name
        service = next(v for k, v in match.kwargs.items() if k != "pk")
        assert service.__module__ == "billing.services", name
    api = ("briefs/1/deliver/", "briefs/1/accept/", "invitations/1/accept/", "briefs/1/cancel/")
    for path in api:
        view = resolve("/api/v1/" + path).func
        assert view.view_initkwargs, path
        assert next(iter(view.view_initkwargs.values())).__module__ == "billing.services"
