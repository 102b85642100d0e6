"""Money moves: funding, release, re-match shares and prices, refunds, payouts, 发票.

Every service that acts on a brief locks its row first (`marketplace.services.brief_lock`),
reads `billing.selectors.escrow_state` under that lock, and posts through `billing.ledger.post`
with a key that names the event, so a repeated call moves nothing twice.

Hooks into the lifecycle (the interfaces call these instead of the lower apps' services, see
`billing/urls.py` and `billing/api/urls.py`): `work_deliver` refuses work on a brief that is not
funded; `work_accept` releases escrow in the same transaction as the acceptance; `brief_cancel`
refunds in the same transaction as the cancellation. `escrow_sweep` (beat, every minute) settles
any brief these did not reach. Lower apps never import this module.
"""

import csv
import hashlib
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from billing import crypto, ledger, references
from billing.models import (
    Account,
    BriefFunding,
    ExpertBankAccount,
    FundingDecision,
    InvoiceRequest,
    LedgerEntry,
    LedgerTransaction,
    Method,
    Payout,
    PayoutBatch,
    Receipt,
    Refund,
    Settlement,
    StatementImport,
    StatementLine,
)
from billing.providers import provider_enabled
from billing.selectors import (
    EscrowState,
    FundingStatus,
    escrow_state,
    expert_available,
    fee_key,
    release_key,
    share_of,
)
from experts.models import Expert
from kaigan.errors import Conflict, InvalidTransition, NotAllowed
from kaigan.notifications.services import notify
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match
from projects import services as projects_services
from projects.models import Project

K = Account.Kind
C = LedgerTransaction.Cause
D = FundingDecision.Kind
S = Brief.Status
FINANCE_GROUP = "Finance"


# --- who may do what ---------------------------------------------------------------------------


def is_finance(user) -> bool:
    """Finance staff: the Finance group's permissions (read through Django's per-user
    permission cache), or a superuser."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.is_superuser or user.has_perm("billing.view_ledgertransaction")


def _check_finance(user) -> None:
    if not is_finance(user):
        raise NotAllowed(_("Only finance staff can do this."))


def _check_pm(brief: Brief, user) -> None:
    if not (user.is_superuser or (brief.pm_id is not None and brief.pm_id == user.pk)):
        raise NotAllowed(_("Only the project manager of this brief can decide this."))


def _check_owner(brief: Brief, user) -> None:
    if brief.startup.owner_id != user.pk:
        raise NotAllowed(_("Only the startup that posted this brief can do this."))


def _locked(brief_id: int) -> Brief:
    return marketplace_services.brief_lock(brief_id=brief_id)


def brief_funding_ensure(*, brief: Brief) -> BriefFunding:
    """The brief's funding record with its bank-transfer reference (made on first need)."""
    funding, _created = BriefFunding.objects.get_or_create(
        brief=brief, defaults={"reference": references.brief_reference(brief.pk)}
    )
    return funding


# --- funding -------------------------------------------------------------------------------------


def _receive(
    *,
    brief: Brief,
    method: str,
    amount: int,
    key: str,
    actor,
    received_on: date,
    payer: str = "",
    bank_reference: str = "",
    statement_line: StatementLine | None = None,
    source: Account | None = None,
    kind: str = "receipt",
) -> Receipt:
    """Book money the startup paid into the brief's escrow (caller holds the brief lock)."""
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if source is None:
        source = (
            ledger.provider_account(method)
            if method != Method.BANK_TRANSFER
            else ledger.platform_account(K.BANK)
        )
    brief_funding_ensure(brief=brief)
    could_work = escrow_state(brief).may_work
    posted = ledger.post(
        cause=C.FUNDING,
        kind=kind,
        key=key,
        lines=[(source, amount), (ledger.escrow_account(brief.pk), -amount)],
        actor=actor,
        brief_id=brief.pk,
        memo=bank_reference or payer,
    )
    if not posted.created:
        return Receipt.objects.get(transaction=posted.transaction)
    receipt = Receipt.objects.create(
        brief=brief,
        method=method,
        amount=amount,
        payer=payer[:200],
        bank_reference=bank_reference[:100],
        received_on=received_on,
        statement_line=statement_line,
        transaction=posted.transaction,
        confirmed_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _settle_and_tell(brief, actor, could_work=could_work)
    return receipt


def _settle_and_tell(brief: Brief, actor, *, could_work: bool) -> None:
    """Money came in (or the price changed): settle what it allows, and tell the expert and
    the PM when the work may now start."""
    state = settle(brief=brief, actor=actor)
    if state.live_match is not None and state.may_work and not could_work:
        notify(
            recipients=[state.live_match.expert.user, brief.pm],
            kind="brief_funded",
            params={"brief": brief.title},
            url=reverse("experts:dashboard"),
        )


@transaction.atomic
def receipt_confirm(
    *,
    brief_id: int,
    amount: int,
    received_on: date,
    bank_reference: str,
    actor,
    payer: str = "",
) -> Receipt:
    """Finance confirms a bank transfer for a brief (the admin). The bank's reference (流水号)
    is the key: confirming it again, or importing the statement line later, books it once."""
    _check_finance(actor)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Give the bank's reference of the transfer.")})
    brief = _locked(brief_id)
    return _receive(
        brief=brief,
        method=Method.BANK_TRANSFER,
        amount=amount,
        key=f"bank:{bank_reference}",
        actor=actor,
        received_on=received_on,
        payer=payer,
        bank_reference=bank_reference,
    )


@transaction.atomic
def fund_with_dev_provider(*, brief_id: int, user) -> Receipt:
    """The development provider pays what is due at once (no real money; never in production).

    The startup (or the brief's PM, for a demo) may; a second call finds nothing due."""
    if not provider_enabled(Method.DEV):
        raise NotAllowed(_("The development payment provider is not enabled here."))
    brief = _locked(brief_id)
    if brief.startup.owner_id != user.pk:
        _check_pm(brief, user)
    state = escrow_state(brief)
    if state.status == FundingStatus.DIFFERENCE_TO_APPROVE:
        raise InvalidTransition(
            _("Approve the higher price first, or ask your project manager to keep the price.")
        )
    if state.due <= 0:
        raise InvalidTransition(_("Nothing is due on this brief now."))
    count = Receipt.objects.filter(brief=brief).count()
    return _receive(
        brief=brief,
        method=Method.DEV,
        amount=state.due,
        key=f"dev:brief:{brief.pk}:{count + 1}",
        actor=user,
        received_on=timezone.localdate(),
        payer=brief.startup.company_name,
        kind="receipt_dev",
    )


@transaction.atomic
def difference_approve(*, brief_id: int, user) -> FundingDecision:
    """The startup approves a re-match's higher price; it then funds the difference."""
    brief = _locked(brief_id)
    _check_owner(brief, user)
    state = escrow_state(brief)
    if state.status != FundingStatus.DIFFERENCE_TO_APPROVE:
        raise InvalidTransition(_("There is no higher price to approve on this brief."))
    return FundingDecision.objects.create(
        brief=brief,
        match=state.live_match,
        kind=D.DIFFERENCE_APPROVED,
        amount=state.due,
        actor=user,
    )


@transaction.atomic
def price_keep(*, brief_id: int, actor, reason: str) -> FundingDecision:
    """The PM keeps the price of a re-match: the platform pays the difference into escrow."""
    brief = _locked(brief_id)
    _check_pm(brief, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the platform keeps the price.")})
    state = escrow_state(brief)
    if state.status != FundingStatus.DIFFERENCE_TO_APPROVE:
        raise InvalidTransition(_("There is no higher re-match price to keep on this brief."))
    amount = state.due
    could_work = state.may_work
    ledger.post(
        cause=C.ADJUSTMENT,
        kind="price_kept",
        key=f"price-kept:match:{state.live_match.pk}",
        lines=[
            (ledger.platform_account(K.PLATFORM_COST), amount),
            (ledger.escrow_account(brief.pk), -amount),
        ],
        actor=actor,
        brief_id=brief.pk,
        memo=reason,
    )
    decision = FundingDecision.objects.create(
        brief=brief,
        match=state.live_match,
        kind=D.PRICE_KEPT,
        amount=amount,
        reason=reason[:500],
        actor=actor,
    )
    _settle_and_tell(brief, actor, could_work=could_work)
    return decision


@transaction.atomic
def unfunded_start_allow(*, brief_id: int, actor, reason: str) -> FundingDecision:
    """A PM lets work start before the brief is funded (only with the setting on); recorded."""
    if not settings.KAIGAN_ALLOW_UNFUNDED_START:
        raise NotAllowed(_("Work cannot start unfunded on this platform."))
    brief = _locked(brief_id)
    _check_pm(brief, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the work starts before funding.")})
    state = escrow_state(brief)
    if state.live_quote is None or state.due == 0 or state.may_work:
        raise InvalidTransition(_("This brief is not waiting for funding."))
    return FundingDecision.objects.create(
        brief=brief,
        match=state.live_match,
        kind=D.UNFUNDED_START,
        amount=state.due,
        reason=reason[:500],
        actor=actor,
    )


# --- settling a brief: shares, release, refunds -----------------------------------------------


def settle(*, brief: Brief, actor=None) -> EscrowState:
    """Move what the brief's state allows, each movement once (caller holds the brief lock):
    decided shares of replaced experts, the release on completion, then what escrow holds
    beyond what the brief owes, refunded (once the next price is known, or the brief is over).
    """
    state = escrow_state(brief)
    if state.quote is None and not state.held and not state.paid_in:
        return state  # no money on this brief, and none owed
    brief_funding_ensure(brief=brief)
    for share in state.shares:
        decided = share.decided
        if decided is None or decided.transaction_id or decided.amount == 0:
            continue
        if state.held < decided.amount:
            continue  # paid when the money is in
        posted = ledger.post(
            cause=C.RELEASE,
            kind="settlement",
            key=f"settlement:match:{share.match_id}",
            lines=[
                (ledger.escrow_account(brief.pk), decided.amount),
                (ledger.payable_account(share.expert_id), -decided.amount),
            ],
            actor=actor,
            brief_id=brief.pk,
        )
        decided.transaction = posted.transaction
        decided.save(update_fields=["transaction"])
        state.held -= decided.amount
        share.reserved = 0
    if state.done_match is not None and not state.released:
        owed = state.earnings_owed + state.fee_owed
        if state.held - state.reserved >= owed:
            _release(state, actor)
            state.held -= owed
            state.released = True
            state.fee_charged = state.fee_charged or bool(state.fee)
    if state.refundable > 0:
        refunded = _refund(state, actor)
        state.held -= refunded
        state.refunded += refunded
    return state


def _release(state: EscrowState, actor) -> None:
    brief, match = state.brief, state.done_match
    escrow = ledger.escrow_account(brief.pk)
    earnings = state.earnings_owed
    ledger.post(
        cause=C.RELEASE,
        kind="earnings",
        key=release_key(match.pk),
        lines=[(escrow, earnings), (ledger.payable_account(match.expert_id), -earnings)],
        actor=actor,
        brief_id=brief.pk,
    )
    if state.fee_owed:
        ledger.post(
            cause=C.RELEASE,
            kind="fee",
            key=fee_key(brief.pk),
            lines=[
                (escrow, state.fee_owed),
                (ledger.platform_account(K.FEE_INCOME), -state.fee_owed),
            ],
            actor=actor,
            brief_id=brief.pk,
        )
    notify(
        recipients=[match.expert.user],
        kind="earnings_released",
        params={"brief": brief.title, "amount": f"{earnings / 100:.2f}"},
        url=reverse("billing:expert_money"),
    )


def _refund_method(brief: Brief) -> tuple[str, str]:
    """A refund goes back the way the money came: the latest receipt's method, and its payer."""
    last = Receipt.objects.filter(brief=brief).order_by("-pk").first()
    if last is None:  # only the platform paid in (a kept price): nothing of the startup's
        return Method.BANK_TRANSFER, ""
    return last.method, last.payer


def _refund(state: EscrowState, actor) -> int:
    """Refund what escrow holds beyond what the brief owes (returns how much left escrow). The
    startup gets back up to what it paid in and was not refunded yet; money the platform paid in
    (a kept price) and no longer needed goes back to the platform."""
    brief = state.brief
    escrow = ledger.escrow_account(brief.pk)
    count = LedgerTransaction.objects.filter(brief=brief, cause=C.REFUND).count()
    to_startup = min(state.refundable, state.startup_money)
    to_platform = state.refundable - to_startup
    if to_platform > 0:
        ledger.post(
            cause=C.ADJUSTMENT,
            kind="platform_returned",
            key=f"platform-return:brief:{brief.pk}:{count + 1}",
            lines=[(escrow, to_platform), (ledger.platform_account(K.PLATFORM_COST), -to_platform)],
            actor=actor,
            brief_id=brief.pk,
        )
    if to_startup <= 0:
        return to_platform
    if brief.status == S.CANCELLED:
        reason = Refund.Reason.CANCELLED
    elif state.live_match is not None and state.is_rematch:
        reason = Refund.Reason.LOWER_QUOTE
    else:
        reason = Refund.Reason.SURPLUS
    key = f"refund:brief:{brief.pk}:{count + 1}"
    method, payee = _refund_method(brief)
    posted = ledger.post(
        cause=C.REFUND,
        kind="refund_due",
        key=key,
        lines=[(escrow, to_startup), (ledger.platform_account(K.REFUNDS_DUE), -to_startup)],
        actor=actor,
        brief_id=brief.pk,
    )
    Refund.objects.get_or_create(
        key=key,
        defaults={
            "brief": brief,
            "reason": reason,
            "amount": to_startup,
            "method": method,
            "payee": payee,
            "due_transaction": posted.transaction,
        },
    )
    return to_platform + to_startup


@transaction.atomic
def brief_settle(*, brief_id: int, actor=None) -> EscrowState:
    """Settle one brief now (the sweep, a finance action)."""
    return settle(brief=_locked(brief_id), actor=actor)


def escrow_sweep(*, limit: int = 200) -> list[int]:
    """Settle the briefs whose escrow may have something to move (beat, every minute): money
    held on a brief that is completed, cancelled or under way with a new expert (a lower
    re-match price to refund), and shares decided but not paid yet."""
    holding = (
        Account.objects.filter(kind=K.ESCROW)
        .filter(
            brief__status__in=[S.COMPLETED, S.CANCELLED, S.IN_PROGRESS, S.DELIVERED],
        )
        .annotate(raw=Sum("entries__amount"))
        .filter(raw__lt=0)
        .values_list("brief_id", flat=True)
        .order_by("brief_id")[:limit]
    )
    ids = set(holding)
    ids |= set(
        Settlement.objects.filter(transaction__isnull=True, amount__gt=0)
        .values_list("brief_id", flat=True)
        .order_by("brief_id")[:limit]
    )
    ids |= set(
        Brief.objects.filter(status=S.COMPLETED)
        .filter(Exists(Account.objects.filter(kind=K.ESCROW, brief_id=OuterRef("pk"))))
        .exclude(
            Exists(
                LedgerTransaction.objects.filter(
                    brief_id=OuterRef("pk"), idempotency_key__startswith="release:"
                )
            )
        )
        .values_list("pk", flat=True)
        .order_by("pk")[:limit]
    )
    moved = []
    for brief_id in sorted(ids):
        before = LedgerTransaction.objects.filter(brief_id=brief_id).count()
        brief_settle(brief_id=brief_id)
        if LedgerTransaction.objects.filter(brief_id=brief_id).count() != before:
            moved.append(brief_id)
    return moved


# --- the lifecycle's hooks (the interfaces call these) ------------------------------------------


def check_work_may_start(brief: Brief) -> None:
    """Work in progress on an unfunded brief may not be delivered (caller holds the lock)."""
    if brief.status != S.IN_PROGRESS:
        return
    state = escrow_state(brief)
    if state.live_match is not None and not state.may_work:
        raise InvalidTransition(
            _(
                "The brief is not funded yet: the work starts once the startup has paid the "
                "agreed price into escrow."
            ),
            code="awaiting_funding",
        )


@transaction.atomic
def invitation_accept(*, match_id: int, user) -> Project:
    """`projects.services.invitation_accept`, then the escrow settled: a re-match's lower price
    is refunded at once, and an escrow that already covers the new quote lets work start."""
    project = projects_services.invitation_accept(match_id=match_id, user=user)
    _settle_and_tell(_locked(project.brief_id), user, could_work=False)
    return project


@transaction.atomic
def work_deliver(*, brief_id: int, user, note: str = "") -> Project:
    """`projects.services.work_deliver`, refused while the brief awaits funding."""
    brief = Brief.objects.select_for_update().filter(pk=brief_id).first()
    if brief is not None:  # else the lower service answers 404
        check_work_may_start(brief)
    return projects_services.work_deliver(brief_id=brief_id, user=user, note=note)


@transaction.atomic
def work_accept(*, brief_id: int, user, rating: int, review: str = ""):
    """`projects.services.work_accept`, and escrow released in the same transaction."""
    feedback = projects_services.work_accept(
        brief_id=brief_id, user=user, rating=rating, review=review
    )
    settle(brief=feedback.brief, actor=user)  # the brief as the service locked and moved it
    return feedback


@transaction.atomic
def brief_cancel(*, brief_id: int, actor, reason: str = "") -> Brief:
    """`marketplace.services.brief_cancel`, and escrow refunded in the same transaction."""
    brief = marketplace_services.brief_cancel(brief_id=brief_id, actor=actor, reason=reason)
    settle(brief=brief, actor=actor)
    return brief


# --- re-match: the replaced expert's share ------------------------------------------------------


@transaction.atomic
def settlement_decide(*, match_id: int, actor, percent: int, reason: str) -> Settlement:
    """The PM decides what a replaced expert who had delivered is paid: a share of their
    quote's earnings within the policy's bounds, with a reason (recorded, shown to them)."""
    brief_id = Match.objects.filter(pk=match_id).values_list("brief_id", flat=True).first()
    if brief_id is None:
        raise Match.DoesNotExist
    brief = _locked(brief_id)
    _check_pm(brief, actor)
    most = settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= most:
        raise ValidationError(
            {"percent": _("The share is a whole percent from 0 to %(most)d.") % {"most": most}}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the expert reads it.")})
    state = escrow_state(brief)
    share = next((s for s in state.shares if s.match_id == match_id), None)
    if share is None:
        raise InvalidTransition(
            _("Only a replaced expert who had delivered is paid a share under the policy.")
        )
    if share.decided is not None:
        raise Conflict(_("The share of this expert is already decided."))
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(
                match_id=match_id,
                brief=brief,
                expert_id=share.expert_id,
                earnings=share.earnings,
                percent=percent,
                amount=share_of(share.earnings, percent),
                reason=reason[:500],
                decided_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("The share of this expert is already decided.")) from None
    settle(brief=brief, actor=actor)
    expert = Expert.objects.select_related("user").get(pk=share.expert_id)
    notify(
        recipients=[expert.user],
        kind="share_decided",
        params={"brief": brief.title, "amount": f"{settlement.amount / 100:.2f}"},
        url=reverse("billing:expert_money"),
    )
    return settlement


# --- refunds paid back ---------------------------------------------------------------------------


@transaction.atomic
def refund_mark_paid(*, refund_id: int, actor, bank_reference: str) -> Refund:
    """Finance has sent a refund back the way it came: refunds due → bank (or the provider)."""
    _check_finance(actor)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Give the bank's reference of the transfer.")})
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    return _refund_paid(refund, actor=actor, bank_reference=bank_reference)


def _refund_paid(refund: Refund, *, actor, bank_reference: str) -> Refund:
    if refund.status == Refund.Status.PAID:
        return refund
    target = (
        ledger.platform_account(K.BANK)
        if refund.method == Method.BANK_TRANSFER
        else ledger.provider_account(refund.method)
    )
    posted = ledger.post(
        cause=C.REFUND,
        kind="refund_paid",
        key=f"refund-paid:{refund.pk}",
        lines=[(ledger.platform_account(K.REFUNDS_DUE), refund.amount), (target, -refund.amount)],
        actor=actor,
        brief_id=refund.brief_id,
        memo=bank_reference,
    )
    refund.status = Refund.Status.PAID
    refund.paid_transaction = posted.transaction
    refund.bank_reference = bank_reference[:100]
    refund.paid_by = actor if actor is not None and actor.is_authenticated else None
    refund.paid_at = timezone.now()
    refund.save(
        update_fields=["status", "paid_transaction", "bank_reference", "paid_by", "paid_at"]
    )
    brief = Brief.objects.select_related("startup__owner").get(pk=refund.brief_id)
    notify(
        recipients=[brief.startup.owner],
        kind="refund_paid",
        params={"brief": brief.title, "amount": f"{refund.amount / 100:.2f}"},
        url=reverse("marketplace:brief_detail", args=[brief.pk]),
    )
    return refund


# --- bank statements ------------------------------------------------------------------------------

#: Header names a bank's CSV may use, in English or Chinese, for each column we read.
STATEMENT_COLUMNS = {
    "date": ("date", "booked_on", "交易日期", "记账日期", "日期"),
    "amount": ("amount", "金额", "交易金额"),
    "credit": ("credit", "收入金额", "贷方发生额", "贷方金额"),
    "debit": ("debit", "支出金额", "借方发生额", "借方金额"),
    "counterparty": ("counterparty", "对方户名", "对方账户名称", "对方名称"),
    "memo": ("memo", "reference", "摘要", "附言", "用途", "备注"),
    "bank_id": ("bank_id", "transaction_id", "流水号", "交易流水号"),
}
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def _money(text: str, *, row: int) -> int:
    cleaned = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(
            _("Line %(row)d: “%(value)s” is not an amount.") % {"row": row, "value": text[:20]}
        ) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("Line %(row)d: an amount has at most two decimals.") % {"row": row})
    return int(value * 100)


def _date(text: str, *, row: int) -> date:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar date)
        except ValueError:
            continue
    raise ValidationError(
        _("Line %(row)d: “%(value)s” is not a date.") % {"row": row, "value": text[:20]}
    )


def statement_parse(data: bytes) -> list[dict]:
    """A bank statement's CSV as lines {bank_id, booked_on, amount (fen, + in), counterparty,
    memo}. UTF-8 (with or without BOM) or GB18030; errors name the line."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValidationError(_("The statement is larger than 5 MB."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The statement is neither UTF-8 nor GB18030 text."))
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationError(_("The statement is empty."))
    names = [h.strip().lower() for h in header]
    column = {}
    for field, aliases in STATEMENT_COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                column[field] = names.index(alias.lower())
                break
    missing = [f for f in ("date", "bank_id") if f not in column]
    if "amount" not in column and not ("credit" in column or "debit" in column):
        missing.append("amount")
    if missing:
        raise ValidationError(
            _("The statement has no column for: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    lines, seen = [], set()
    for row_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(field, row=row):
            index = column.get(field)
            return row[index].strip() if index is not None and index < len(row) else ""

        if "amount" in column:
            amount = _money(cell("amount"), row=row_number)
        else:
            amount = _money(cell("credit"), row=row_number) - _money(cell("debit"), row=row_number)
        bank_id = cell("bank_id")[:64]
        if not bank_id:
            raise ValidationError(
                _("Line %(row)d has no bank transaction id.") % {"row": row_number}
            )
        if bank_id in seen:
            raise ValidationError(
                _("Line %(row)d repeats the bank transaction id %(id)s.")
                % {"row": row_number, "id": bank_id}
            )
        seen.add(bank_id)
        if amount == 0:
            continue
        lines.append(
            {
                "bank_id": bank_id,
                "booked_on": _date(cell("date"), row=row_number),
                "amount": amount,
                "counterparty": cell("counterparty")[:200],
                "memo": cell("memo")[:500],
            }
        )
    return lines


@transaction.atomic
def statement_import(*, data: bytes, file_name: str, actor) -> StatementImport:
    """Import a bank statement: each line is booked once (its bank id), matched by reference.

    Money in with a brief's valid reference funds that brief (or joins the receipt finance
    already confirmed for it); money out with a refund's or payout's reference settles it.
    Anything else is booked to unmatched receipts and listed for finance."""
    _check_finance(actor)
    lines = statement_parse(data)
    digest = hashlib.sha256(data).hexdigest()
    if StatementImport.objects.filter(sha256=digest).exists():
        raise Conflict(_("This statement was imported already."))
    statement = StatementImport.objects.create(
        file_name=(file_name or "statement.csv")[:200],
        sha256=digest,
        imported_by=actor,
        line_count=0,
    )
    count = 0
    for line in lines:
        if StatementLine.objects.filter(bank_id=line["bank_id"]).exists():
            continue  # on an earlier statement already
        _import_line(statement, line, actor)
        count += 1
    statement.line_count = count
    statement.save(update_fields=["line_count"])
    return statement


def _import_line(statement: StatementImport, data: dict, actor) -> StatementLine:
    line = StatementLine.objects.create(
        statement=statement, status=StatementLine.Status.UNMATCHED, **data
    )
    matched = _match_in(line, actor) if line.amount > 0 else _match_out(line, actor)
    if not matched:
        amount = line.amount
        posted = ledger.post(
            cause=C.FUNDING if amount > 0 else C.ADJUSTMENT,
            kind="unmatched",
            key=f"unmatched:{line.bank_id}",
            lines=[
                (ledger.platform_account(K.BANK), amount),
                (ledger.platform_account(K.UNMATCHED), -amount),
            ],
            actor=actor,
            memo=line.memo,
        )
        line.transaction = posted.transaction
        line.save(update_fields=["transaction"])
    return line


def _match_in(line: StatementLine, actor) -> bool:
    brief_id = references.brief_id_in(line.memo)
    if brief_id is None or not Brief.objects.filter(pk=brief_id).exists():
        return False
    brief = _locked(brief_id)
    receipt = (
        Receipt.objects.filter(
            brief=brief,
            method=Method.BANK_TRANSFER,
            statement_line__isnull=True,
            amount=line.amount,
        )
        .filter(bank_reference=line.bank_id)
        .first()
    ) or Receipt.objects.filter(
        brief=brief, method=Method.BANK_TRANSFER, statement_line__isnull=True, amount=line.amount
    ).order_by("pk").first()
    if receipt is not None:  # finance confirmed it by hand before the statement came
        receipt.statement_line = line
        receipt.save(update_fields=["statement_line"])
        txn = receipt.transaction
    else:
        receipt = _receive(
            brief=brief,
            method=Method.BANK_TRANSFER,
            amount=line.amount,
            key=f"bank:{line.bank_id}",
            actor=actor,
            received_on=line.booked_on,
            payer=line.counterparty,
            bank_reference=line.bank_id,
            statement_line=line,
        )
        txn = receipt.transaction
    line.status = StatementLine.Status.MATCHED
    line.brief = brief
    line.transaction = txn
    line.save(update_fields=["status", "brief", "transaction"])
    return True


def _match_out(line: StatementLine, actor) -> bool:
    refund_id = references.refund_id_in(line.memo)
    if refund_id is not None:
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None or refund.amount != -line.amount:
            return False
        if refund.method != Method.BANK_TRANSFER:
            return False
        refund = _refund_paid(refund, actor=actor, bank_reference=line.bank_id)
        line.status, line.brief_id = StatementLine.Status.MATCHED, refund.brief_id
        line.transaction = refund.paid_transaction
        line.save(update_fields=["status", "brief", "transaction"])
        return True
    payout_id = references.payout_id_in(line.memo)
    if payout_id is not None:
        payout = Payout.objects.select_related("batch").filter(pk=payout_id).first()
        if payout is None or payout.amount != -line.amount:
            return False
        batch = PayoutBatch.objects.select_for_update().get(pk=payout.batch_id)
        payout = _payout_post(Payout.objects.get(pk=payout.pk), actor=actor)
        _batch_close_if_paid(batch, actor=actor, bank_reference=line.bank_id)
        line.status = StatementLine.Status.MATCHED
        line.transaction = payout.transaction
        line.save(update_fields=["status", "transaction"])
        return True
    return False


@transaction.atomic
def statement_line_assign(*, line_id: int, brief_id: int, actor) -> Receipt:
    """Finance says which brief an unmatched receipt pays: unmatched → the brief's escrow."""
    _check_finance(actor)
    line = StatementLine.objects.select_for_update().get(pk=line_id)
    if line.status != StatementLine.Status.UNMATCHED or line.amount <= 0:
        raise InvalidTransition(_("Only an unmatched payment received can be assigned."))
    if not Brief.objects.filter(pk=brief_id).exists():
        raise ValidationError({"brief": _("Unknown brief.")})
    brief = _locked(brief_id)
    receipt = _receive(
        brief=brief,
        method=Method.BANK_TRANSFER,
        amount=line.amount,
        key=f"assign:{line.bank_id}",
        actor=actor,
        received_on=line.booked_on,
        payer=line.counterparty,
        bank_reference=line.bank_id,
        source=ledger.platform_account(K.UNMATCHED),
        kind="assigned",
    )
    line.status = StatementLine.Status.ASSIGNED
    line.brief = brief
    line.note = _("Assigned by %(who)s") % {"who": actor.get_full_name()}
    line.save(update_fields=["status", "brief", "note"])
    return receipt


@transaction.atomic
def statement_line_return(*, line_id: int, actor, bank_reference: str) -> StatementLine:
    """Finance sent an unmatched payment back to whoever sent it: unmatched → bank."""
    _check_finance(actor)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Give the bank's reference of the transfer.")})
    line = StatementLine.objects.select_for_update().get(pk=line_id)
    if line.status != StatementLine.Status.UNMATCHED or line.amount <= 0:
        raise InvalidTransition(_("Only an unmatched payment received can be sent back."))
    ledger.post(
        cause=C.REFUND,
        kind="unmatched_returned",
        key=f"return:{line.bank_id}",
        lines=[
            (ledger.platform_account(K.UNMATCHED), line.amount),
            (ledger.platform_account(K.BANK), -line.amount),
        ],
        actor=actor,
        memo=bank_reference,
    )
    line.status = StatementLine.Status.RETURNED
    line.note = bank_reference[:300]
    line.save(update_fields=["status", "note"])
    return line


# --- payouts -------------------------------------------------------------------------------------


def bank_account_save(
    *, expert: Expert, holder_name: str, bank_name: str, branch: str, account_number: str
) -> ExpertBankAccount:
    """The expert's bank details; the account number is stored encrypted, shown masked."""
    number = "".join(ch for ch in (account_number or "") if ch.isdigit())
    errors = {}
    if not 8 <= len(number) <= 30:
        errors["account_number"] = [_("A bank account number has 8 to 30 digits.")]
    for name, value in (("holder_name", holder_name), ("bank_name", bank_name)):
        if not (value or "").strip():
            errors[name] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    account, _created = ExpertBankAccount.objects.update_or_create(
        expert=expert,
        defaults={
            "holder_name": holder_name.strip()[:100],
            "bank_name": bank_name.strip()[:100],
            "branch": (branch or "").strip()[:100],
            "account_number_encrypted": crypto.encrypt(number),
            "account_last4": number[-4:],
        },
    )
    return account


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@transaction.atomic
def payout_batch_create(*, actor, day: date | None = None) -> PayoutBatch:
    """This week's payout batch: each expert with money available and bank details, once.

    One batch per ISO week (a unique column): made twice, or by two people at once, it is the
    same batch; experts paid since are added while it is still open."""
    _check_finance(actor)
    week = iso_week(day or timezone.localdate())
    try:
        with transaction.atomic():
            batch, _created = PayoutBatch.objects.get_or_create(
                week=week, defaults={"created_by": actor}
            )
    except IntegrityError:
        batch = PayoutBatch.objects.get(week=week)
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != PayoutBatch.Status.OPEN:
        raise InvalidTransition(
            _("This week's batch is already %(status)s.") % {"status": batch.get_status_display()}
        )
    experts = (
        Account.objects.filter(kind=K.PAYABLE, expert__bank_account__isnull=False)
        .exclude(expert__payouts__batch=batch)
        .values_list("expert_id", flat=True)
        .order_by("expert_id")
    )
    for expert_id in experts:
        available = expert_available(expert_id)
        if available > 0:
            Payout.objects.create(batch=batch, expert_id=expert_id, amount=available)
    return batch


def payout_batch_rows(*, batch: PayoutBatch) -> list[dict]:
    """The batch as the bank's bulk transfer needs it (account numbers in clear: finance only)."""
    rows = []
    for payout in batch.payouts.select_related("expert__bank_account", "expert__user"):
        account = payout.expert.bank_account
        rows.append(
            {
                "reference": payout.reference,
                "holder_name": account.holder_name,
                "bank_name": account.bank_name,
                "branch": account.branch,
                "account_number": crypto.decrypt(account.account_number_encrypted),
                "amount": f"{Decimal(payout.amount) / 100:.2f}",
                "expert": payout.expert.display_name,
            }
        )
    return rows


@transaction.atomic
def payout_batch_export(*, batch_id: int, actor) -> tuple[PayoutBatch, str]:
    """The batch's CSV for the bank; exporting is recorded (who, when)."""
    _check_finance(actor)
    batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
    if not batch.payouts.exists():
        raise InvalidTransition(_("This batch has no payouts."))
    rows = payout_batch_rows(batch=batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "holder_name", "bank_name", "branch", "account_number", "amount"])
    for row in rows:
        writer.writerow(
            [
                row["reference"],
                _csv_safe(row["holder_name"]),
                _csv_safe(row["bank_name"]),
                _csv_safe(row["branch"]),
                row["account_number"],
                row["amount"],
            ]
        )
    if batch.status == PayoutBatch.Status.OPEN:
        batch.status = PayoutBatch.Status.EXPORTED
    batch.exported_at = timezone.now()
    batch.exported_by = actor
    batch.save(update_fields=["status", "exported_at", "exported_by"])
    return batch, out.getvalue()


def _csv_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _payout_post(payout: Payout, *, actor) -> Payout:
    if payout.transaction_id:
        return payout
    posted = ledger.post(
        cause=C.PAYOUT,
        kind="payout",
        key=f"payout:{payout.pk}",
        lines=[
            (ledger.payable_account(payout.expert_id), payout.amount),
            (ledger.platform_account(K.BANK), -payout.amount),
        ],
        actor=actor,
        memo=payout.reference,
    )
    payout.transaction = posted.transaction
    payout.save(update_fields=["transaction"])
    expert = Expert.objects.select_related("user").get(pk=payout.expert_id)
    notify(
        recipients=[expert.user],
        kind="payout_paid",
        params={"amount": f"{payout.amount / 100:.2f}"},
        url=reverse("billing:expert_money"),
    )
    return payout


def _batch_close_if_paid(batch: PayoutBatch, *, actor, bank_reference: str) -> None:
    if batch.payouts.filter(transaction__isnull=True).exists():
        return
    batch.status = PayoutBatch.Status.PAID
    batch.paid_at = batch.paid_at or timezone.now()
    batch.paid_by = batch.paid_by or actor
    batch.bank_reference = batch.bank_reference or bank_reference[:100]
    batch.save(update_fields=["status", "paid_at", "paid_by", "bank_reference"])


@transaction.atomic
def payout_batch_mark_paid(*, batch_id: int, actor, bank_reference: str) -> PayoutBatch:
    """The bank paid the batch: each payout moves payable → bank, once."""
    _check_finance(actor)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Give the bank's reference of the batch.")})
    batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status == PayoutBatch.Status.PAID:
        return batch
    if batch.status != PayoutBatch.Status.EXPORTED:
        raise InvalidTransition(_("Export the batch for the bank before marking it paid."))
    for payout in batch.payouts.order_by("pk"):
        _payout_post(payout, actor=actor)
    _batch_close_if_paid(batch, actor=actor, bank_reference=bank_reference)
    return batch


# --- 发票 --------------------------------------------------------------------------------------


def tax_id_clean(value: str) -> str:
    """A 统一社会信用代码, checked with its check digit; a ValidationError names the field."""
    try:
        return uscc.validate(value or "")
    except StdnumError:
        raise ValidationError(
            {"tax_id": [_("This is not a valid unified social credit code (统一社会信用代码).")]}
        ) from None


@transaction.atomic
def invoice_request(
    *, user, brief_id: int, title: str, tax_id: str, address: str, bank: str
) -> InvoiceRequest:
    """A startup asks for a 发票 for the platform's fee of one of its briefs (once the fee is
    charged); the expert's part is shown, not invoiced by the platform."""
    errors = {}
    fields = {"title": title, "address": address, "bank": bank}
    limits = {"title": 100, "address": 200, "bank": 200}
    for name, value in fields.items():
        value = (value or "").strip()
        if not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limits[name]:
            errors[name] = [_("At most %(n)d characters.") % {"n": limits[name]}]
        fields[name] = value
    try:
        tax_id = tax_id_clean(tax_id)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    brief = _locked(brief_id)
    _check_owner(brief, user)
    fee = LedgerTransaction.objects.filter(idempotency_key=fee_key(brief.pk)).first()
    if fee is None:
        raise InvalidTransition(
            _("The platform's fee is charged when you accept the work; ask for the 发票 then.")
        )
    amount = fee.entries.filter(account__kind=K.FEE_INCOME).get().amount * -1
    expert_part = -_entries_total(
        LedgerEntry.objects.filter(
            transaction__brief=brief,
            transaction__kind__in=["earnings", "settlement"],
            account__kind=K.PAYABLE,
        )
    )
    try:
        with transaction.atomic():
            return InvoiceRequest.objects.create(
                startup=brief.startup,
                brief=brief,
                title=fields["title"],
                tax_id=tax_id,
                address=fields["address"],
                bank=fields["bank"],
                amount=amount,
                expert_part=expert_part,
                requested_by=user,
            )
    except IntegrityError:
        raise Conflict(
            _("A 发票 for this brief is already requested."),
            fields={"brief": [_("Already requested.")]},
        ) from None


def _entries_total(entries) -> int:
    return entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


PDF_MAX_BYTES = 10 * 1024 * 1024


@transaction.atomic
def invoice_issue(*, invoice_id: int, actor, invoice_number: str, pdf) -> InvoiceRequest:
    """Finance issued the 发票: its number and its PDF (checked to be a PDF)."""
    _check_finance(actor)
    invoice = InvoiceRequest.objects.select_for_update().get(pk=invoice_id)
    if invoice.status == InvoiceRequest.Status.ISSUED:
        raise InvalidTransition(_("This 发票 is already issued."))
    number = (invoice_number or "").strip()
    errors = {}
    if not number or len(number) > 40:
        errors["invoice_number"] = [_("Give the invoice number (at most 40 characters).")]
    if pdf is None:
        errors["pdf"] = [_("Attach the invoice as a PDF.")]
    else:
        head = pdf.read(5)
        pdf.seek(0)
        if head != b"%PDF-" or pdf.size > PDF_MAX_BYTES:
            errors["pdf"] = [_("The file must be a PDF of at most 10 MB.")]
    if errors:
        raise ValidationError(errors)
    invoice.invoice_number = number
    invoice.pdf.save(f"fapiao-{invoice.pk}.pdf", pdf, save=False)
    invoice.status = InvoiceRequest.Status.ISSUED
    invoice.issued_by = actor
    invoice.issued_at = timezone.now()
    invoice.save(update_fields=["invoice_number", "pdf", "status", "issued_by", "issued_at"])
    notify(
        recipients=[invoice.requested_by],
        kind="invoice_issued",
        params={"number": number},
        url=reverse("billing:invoices"),
    )
    return invoice


# --- the Finance group ----------------------------------------------------------------------

#: Exactly what finance needs in the admin: read the money, act through the actions.
FINANCE_PERMISSIONS = (
    ("billing", "view_account"),
    ("billing", "view_ledgertransaction"),
    ("billing", "view_ledgerentry"),
    ("billing", "view_brieffunding"),
    ("billing", "view_fundingdecision"),
    ("billing", "view_receipt"),
    ("billing", "add_receipt"),
    ("billing", "view_refund"),
    ("billing", "change_refund"),
    ("billing", "view_settlement"),
    ("billing", "view_statementimport"),
    ("billing", "add_statementimport"),
    ("billing", "view_statementline"),
    ("billing", "change_statementline"),
    ("billing", "view_payoutbatch"),
    ("billing", "add_payoutbatch"),
    ("billing", "change_payoutbatch"),
    ("billing", "view_payout"),
    ("billing", "view_invoicerequest"),
    ("billing", "change_invoicerequest"),
    ("billing", "view_expertbankaccount"),
    ("marketplace", "view_brief"),
    ("marketplace", "view_startup"),
    ("experts", "view_expert"),
)


def finance_group_ensure():
    """Create or repair the Finance group with exactly the finance permissions."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _created = Group.objects.get_or_create(name=FINANCE_GROUP)
    query = Q(pk__in=[])
    for app_label, codename in FINANCE_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(query))
    return group


@transaction.atomic
def finance_user_create(*, email: str, password: str, name: str = ""):
    """A staff user in the Finance group (idempotent on the email)."""
    from kaigan.accounts.models import User

    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    else:
        user.set_password(password)
    user.role = User.Role.ADMIN
    user.is_staff = True
    user.is_active = True
    if name:
        user.name = name
    user.save()
    user.groups.add(finance_group_ensure())
    return user
