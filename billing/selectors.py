"""Reads of money: what a brief's escrow holds and owes, statements, balances, the dashboard.

`escrow_state` is the one place that says what a brief owes and may release or refund; the
services act on it (under the brief's lock) and the pages and API show it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import ledger, references
from billing.models import (
    Account,
    FundingDecision,
    InvoiceRequest,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    Receipt,
    Refund,
    Settlement,
    StatementLine,
)
from marketplace.models import Brief, Match, Quote
from projects.models import Project

S = Brief.Status
M = Match.Status
K = Account.Kind
D = FundingDecision.Kind


def fen(cny: int) -> int:
    """Whole CNY (a quote's line) in fen."""
    return int(cny) * 100


def share_of(amount: int, percent: int) -> int:
    """`percent` of `amount` fen, rounded half up to the fen."""
    value = Decimal(amount) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def fee_key(brief_id: int) -> str:
    """The fee's idempotency key: one per brief, so it is charged at most once."""
    return f"fee:brief:{brief_id}"


def release_key(match_id: int) -> str:
    return f"release:match:{match_id}"


class FundingStatus:
    NOTHING_DUE = "nothing_due"  # no agreed quote to fund (yet, or any more)
    AWAITING_FUNDING = "awaiting_funding"
    DIFFERENCE_TO_APPROVE = "difference_to_approve"  # a re-match's higher quote
    FUNDED = "funded"
    STARTED_UNFUNDED = "started_unfunded"  # a PM let work start (the setting allows it)
    RELEASE_WAITING = "release_waiting"  # accepted, but not funded yet: released when it is
    RELEASED = "released"
    CANCELLED = "cancelled"

    LABELS = {
        NOTHING_DUE: gettext_lazy("Nothing to pay yet"),
        AWAITING_FUNDING: gettext_lazy("Awaiting funding"),
        DIFFERENCE_TO_APPROVE: gettext_lazy("A higher price to approve"),
        FUNDED: gettext_lazy("Funded: the work can start"),
        STARTED_UNFUNDED: gettext_lazy("Work started before funding (PM's decision)"),
        RELEASE_WAITING: gettext_lazy("Accepted: released once funded"),
        RELEASED: gettext_lazy("Paid out to the expert and the platform"),
        CANCELLED: gettext_lazy("Cancelled"),
    }
    #: Work on the brief may start (and be delivered).
    MAY_WORK = (FUNDED, STARTED_UNFUNDED)


#: The funding statuses as choices (the API's `FundingStatusEnum`).
FUNDING_STATUS_CHOICES = [(status, status) for status in FundingStatus.LABELS]


@dataclass
class PendingShare:
    """A replaced expert's share: decided by the PM (amount) or not yet (the most it can be)."""

    match_id: int
    expert_id: int
    expert_name: str
    earnings: int
    decided: Settlement | None
    reserved: int  # what escrow keeps for it until it is paid


@dataclass
class EscrowState:
    brief: Brief
    reference: str
    held: int  # what the brief's escrow holds now, in fen
    paid_in: int  # everything the startup paid for it
    refunded: int  # everything refunded to it (due or paid)
    platform_paid_in: int  # what the platform paid in when a PM kept the price
    fee: int  # the brief's platform fee (fen), once per brief
    fee_charged: bool
    live_match: Match | None = None  # the accepted engagement under way
    live_quote: Quote | None = None  # its agreed quote
    done_match: Match | None = None  # the engagement that completed the brief
    done_quote: Quote | None = None
    released: bool = False  # the completing expert's earnings are released
    shares: list[PendingShare] = field(default_factory=list)
    decisions: dict = field(default_factory=dict)  # kind -> FundingDecision (live match)
    is_rematch: bool = False  # an expert was replaced after money was paid in
    totals: "Totals | None" = None  # the escrow by what moved it
    decisions_all: list = field(default_factory=list)  # every decision on the brief
    replaced: list = field(default_factory=list)  # the brief's replaced engagements (Project)

    # --- what the brief owes ---------------------------------------------------------------
    @property
    def quote(self) -> Quote | None:
        return self.done_quote or self.live_quote

    @property
    def earnings_owed(self) -> int:
        """The current expert's earnings still to be released."""
        if self.released or self.quote is None:
            return 0
        return fen(self.quote.expert_earnings)

    @property
    def fee_owed(self) -> int:
        """The fee still to charge; nothing once charged, and nothing for a cancelled brief."""
        if self.fee_charged or self.brief.status == S.CANCELLED:
            return 0
        return self.fee

    @property
    def reserved(self) -> int:
        """What escrow keeps for replaced experts' shares not paid yet."""
        return sum(share.reserved for share in self.shares)

    @property
    def required(self) -> int:
        return self.earnings_owed + self.fee_owed + self.reserved

    @property
    def due(self) -> int:
        """What the startup still has to pay, when it has to pay now (an agreed quote)."""
        if self.quote is None or self.brief.status == S.CANCELLED:
            return 0
        return max(0, self.required - self.held)

    @property
    def refundable(self) -> int:
        """What escrow holds beyond what the brief owes, once the next price is known (or the
        brief is over): before that, it stays for the next expert."""
        settled = self.quote is not None or self.brief.status in (S.CANCELLED, S.COMPLETED)
        return max(0, self.held - self.required) if settled else 0

    @property
    def status(self) -> str:
        F = FundingStatus
        if self.brief.status == S.CANCELLED:
            return F.CANCELLED
        if self.done_match is not None:
            return F.RELEASED if self.released else F.RELEASE_WAITING
        if self.live_quote is None:
            return F.NOTHING_DUE
        if self.due == 0:
            return F.FUNDED
        if D.UNFUNDED_START in self.decisions:
            return F.STARTED_UNFUNDED
        if self.is_rematch and not (
            D.DIFFERENCE_APPROVED in self.decisions or D.PRICE_KEPT in self.decisions
        ):
            return F.DIFFERENCE_TO_APPROVE
        return F.AWAITING_FUNDING

    @property
    def status_label(self) -> str:
        return str(FundingStatus.LABELS[self.status])

    @property
    def may_work(self) -> bool:
        return self.status in FundingStatus.MAY_WORK

    @property
    def startup_money(self) -> int:
        """What of the escrow's money is the startup's to get back at most: what it paid in,
        less what was refunded, corrected by reversals."""
        corrections = self.totals.corrections if self.totals else 0
        return max(0, self.paid_in + corrections - self.refunded)


def reference_for(brief: Brief) -> str:
    """The brief's bank-transfer reference (what BriefFunding stores: computed the same way)."""
    return references.brief_reference(brief.pk)


def _agreed_quote(match_id: int) -> Quote | None:
    return Quote.objects.filter(match_id=match_id, status=Quote.Status.AGREED).first()


def _sum(qs, name="amount") -> int:
    return qs.aggregate(total=Coalesce(Sum(name), 0))["total"]


def escrow_state(brief: Brief) -> EscrowState:
    """What the brief's escrow holds and owes now (read; lock the brief to act on it)."""
    return escrow_states([brief])[brief.pk]


def escrow_states(briefs) -> dict[int, EscrowState]:
    """`escrow_state` for many briefs in a fixed number of queries (five, six with shares)."""
    briefs = {brief.pk: brief for brief in briefs}
    if not briefs:
        return {}
    ids = list(briefs)
    totals = {pk: Totals() for pk in ids}
    kinds = {pk: set() for pk in ids}
    for row in (
        LedgerEntry.objects.filter(account__kind=K.ESCROW, account__brief_id__in=ids)
        .values("account__brief_id", "transaction__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        brief_id, kind = row["account__brief_id"], row["transaction__kind"]
        totals[brief_id].add(kind, -row["total"])
        kinds[brief_id].add(kind)
    quotes = list(
        Quote.objects.filter(brief_id__in=ids, status=Quote.Status.AGREED)
        .select_related("match__expert")
        .order_by("agreed_at", "pk")
    )
    # A brief without money or an agreed quote has no decisions or replaced engagements that
    # matter yet: two queries, not four, for the many that never got this far.
    anything = any(kinds.values()) or bool(quotes)
    decisions = (
        list(FundingDecision.objects.filter(brief_id__in=ids).order_by("pk")) if anything else []
    )
    replaced = (
        list(
            Project.objects.filter(brief_id__in=ids, status=Project.Status.REPLACED)
            .select_related("expert")
            .order_by("started_at", "pk")
        )
        if anything
        else []
    )
    delivered = [p for p in replaced if p.delivered_at is not None]
    settled = (
        {s.match_id: s for s in Settlement.objects.filter(brief_id__in=ids)} if delivered else {}
    )
    quote_of = {quote.match_id: quote for quote in quotes}
    states = {}
    for pk, brief in briefs.items():
        total = totals[pk]
        fee_quote = next((q for q in quotes if q.brief_id == pk and q.platform_fee > 0), None)
        state = EscrowState(
            brief=brief,
            reference=reference_for(brief),
            held=total.held,
            paid_in=total.paid_in,
            refunded=total.refunded,
            platform_paid_in=total.platform_in,
            fee=fen(fee_quote.platform_fee) if fee_quote else 0,
            fee_charged="fee" in kinds[pk],
            totals=total,
            decisions_all=[d for d in decisions if d.brief_id == pk],
            replaced=[p for p in replaced if p.brief_id == pk],
        )
        current = next(
            (q for q in quotes if q.brief_id == pk and q.match.status in (M.ACCEPTED, M.COMPLETED)),
            None,
        )
        if current is not None:
            if current.match.status == M.COMPLETED:
                state.done_match, state.done_quote = current.match, current
                state.released = "earnings" in kinds[pk]
            else:
                state.live_match, state.live_quote = current.match, current
                state.decisions = {
                    d.kind: d for d in state.decisions_all if d.match_id == current.match_id
                }
        state.shares = _shares(
            [p for p in delivered if p.brief_id == pk], settled=settled, quote_of=quote_of
        )
        state.is_rematch = bool(state.paid_in) and bool(state.replaced)
        states[pk] = state
    return states


def _shares(delivered, *, settled, quote_of) -> list[PendingShare]:
    """Replaced experts who had delivered: their share, decided or still to decide, unpaid."""
    most = settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT
    shares = []
    for project in delivered:
        quote = quote_of.get(project.match_id)
        earnings = fen(quote.expert_earnings) if quote else 0
        decided = settled.get(project.match_id)
        if decided is None:
            reserved = share_of(earnings, most)
        else:
            reserved = 0 if decided.transaction_id else decided.amount
        shares.append(
            PendingShare(
                match_id=project.match_id,
                expert_id=project.expert_id,
                expert_name=project.expert.display_name,
                earnings=earnings,
                decided=decided,
                reserved=reserved,
            )
        )
    return shares


# --- statements ------------------------------------------------------------------------------


@dataclass
class Movement:
    """One line of a statement: what happened, when, the amount in or out, the balance after."""

    transaction_id: int
    created_at: object
    kind: str
    label: str
    amount: int  # + into the account, − out of it
    balance: int


MOVEMENT_LABELS = {
    "receipt": gettext_lazy("Payment received (bank transfer)"),
    "receipt_dev": gettext_lazy("Payment received (development provider, no real money)"),
    "assigned": gettext_lazy("Payment received (matched by finance)"),
    "earnings": gettext_lazy("Released to the expert"),
    "fee": gettext_lazy("Platform fee"),
    "settlement": gettext_lazy("Share paid to the replaced expert"),
    "price_kept": gettext_lazy("Paid in by the platform (the price was kept)"),
    "refund_due": gettext_lazy("Refund to you"),
    "payout": gettext_lazy("Paid out to your bank account"),
    "reversal": gettext_lazy("Correction"),
}


def movement_label(kind: str) -> str:
    return str(MOVEMENT_LABELS.get(kind, kind))


def _movements(account: Account | None, *, since=None, until=None) -> tuple[int, list[Movement]]:
    """(opening balance, movements) of one account in its own sense, in order."""
    if account is None:
        return 0, []
    entries = LedgerEntry.objects.filter(account=account).select_related("transaction")
    opening = 0
    if since is not None:
        before = entries.filter(transaction__created_at__lt=since)
        opening = ledger.natural(account.kind, _sum(before))
        entries = entries.filter(transaction__created_at__gte=since)
    if until is not None:
        entries = entries.filter(transaction__created_at__lt=until)
    running, rows = opening, []
    for entry in entries.order_by("transaction_id", "id"):
        amount = ledger.natural(account.kind, entry.amount)
        running += amount
        rows.append(
            Movement(
                transaction_id=entry.transaction_id,
                created_at=entry.transaction.created_at,
                kind=entry.transaction.kind,
                label=movement_label(entry.transaction.kind),
                amount=amount,
                balance=running,
            )
        )
    return opening, rows


def brief_statement(brief: Brief) -> list[Movement]:
    """Every movement of the brief's escrow, in order, with the balance after each."""
    escrow = Account.objects.filter(kind=K.ESCROW, brief=brief).first()
    return _movements(escrow)[1]


@dataclass
class ExpertMonth:
    month: date
    opening: int
    closing: int
    movements: list


def expert_statement(expert, month: date) -> ExpertMonth:
    """The expert's payable over one calendar month (Asia/Shanghai)."""
    from datetime import datetime

    from django.utils import timezone

    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    account = Account.objects.filter(kind=K.PAYABLE, expert=expert).first()
    opening, rows = _movements(account, since=start, until=end)
    closing = rows[-1].balance if rows else opening
    return ExpertMonth(month=start.date(), opening=opening, closing=closing, movements=rows)


# --- an expert's money -------------------------------------------------------------------------


@dataclass
class ExpertBalance:
    pending: int  # earnings of engagements under way, released on acceptance
    pending_shares: int  # replaced engagements whose share the PM has not decided (at most)
    available: int  # payable, less what an unpaid batch already holds
    in_batch: int  # in a payout batch not paid yet
    paid: int  # paid out to the bank account, ever
    engagements: list  # [(match, quote, funded)] under way


def expert_balance(expert) -> ExpertBalance:
    payable = -_sum(LedgerEntry.objects.filter(account__kind=K.PAYABLE, account__expert=expert))
    payouts = Payout.objects.filter(expert=expert).aggregate(
        in_batch=Coalesce(Sum("amount", filter=Q(transaction__isnull=True)), 0),
        paid=Coalesce(Sum("amount", filter=Q(transaction__isnull=False)), 0),
    )
    in_batch, paid = payouts["in_batch"], payouts["paid"]
    matches = list(Match.objects.filter(expert=expert, status=M.ACCEPTED).select_related("brief"))
    states = escrow_states([m.brief for m in matches])
    engagements, pending = [], 0
    for match in matches:
        state = states[match.brief_id]
        if state.live_quote is None:
            continue
        engagements.append((match, state.live_quote, state.may_work))
        pending += fen(state.live_quote.expert_earnings)
    pending_shares = sum(
        row["most"]
        for row in replaced_engagements_for(expert)
        if row["delivered"] and row["settlement"] is None
    )
    return ExpertBalance(
        pending=pending,
        pending_shares=pending_shares,
        available=payable - in_batch,
        in_batch=in_batch,
        paid=paid,
        engagements=engagements,
    )


def expert_available(expert_id: int) -> int:
    account = Account.objects.filter(kind=K.PAYABLE, expert_id=expert_id).first()
    payable = ledger.balance(account) if account else 0
    return payable - _sum(Payout.objects.filter(expert_id=expert_id, transaction__isnull=True))


def replaced_engagements_for(expert) -> list[dict]:
    """The expert's replaced engagements and what the policy pays them for each."""
    projects = list(
        Project.objects.filter(expert=expert, status=Project.Status.REPLACED)
        .select_related("brief")
        .order_by("-ended_at", "-pk")
    )
    ids = [p.match_id for p in projects]
    quotes = {
        q.match_id: q for q in Quote.objects.filter(match_id__in=ids, status=Quote.Status.AGREED)
    }
    settled = {s.match_id: s for s in Settlement.objects.filter(match_id__in=ids)} if ids else {}
    most = settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT
    rows = []
    for project in projects:
        quote = quotes.get(project.match_id)
        earnings = fen(quote.expert_earnings) if quote else 0
        rows.append(
            {
                "brief": project.brief,
                "delivered": project.delivered_at is not None,
                "earnings": earnings,
                "most": share_of(earnings, most),
                "settlement": settled.get(project.match_id),
            }
        )
    return rows


# --- finance ------------------------------------------------------------------------------------


def statement_total() -> int:
    return _sum(StatementLine.objects.all())


def bank_movements_not_on_a_statement():
    """Bank-account entries whose transaction no imported statement line shows (yet)."""
    return (
        LedgerEntry.objects.filter(account__kind=K.BANK)
        .exclude(Exists(StatementLine.objects.filter(transaction_id=OuterRef("transaction_id"))))
        .select_related("transaction")
        .order_by("transaction_id")
    )


@dataclass
class Reconciliation:
    ledger_bank: int
    statements: int
    unseen: list  # bank entries not on a statement
    unseen_total: int

    @property
    def difference(self) -> int:
        return self.ledger_bank - self.statements

    @property
    def explained(self) -> bool:
        """The ledger's bank equals the statements once the movements not seen yet are out."""
        return self.difference == self.unseen_total

    @property
    def equal(self) -> bool:
        return self.difference == 0


def reconciliation() -> Reconciliation:
    bank = Account.objects.filter(kind=K.BANK).first()
    unseen = list(bank_movements_not_on_a_statement())
    return Reconciliation(
        ledger_bank=ledger.balance(bank) if bank else 0,
        statements=statement_total(),
        unseen=unseen,
        unseen_total=sum(entry.amount for entry in unseen),
    )


def finance_dashboard() -> dict:
    escrow_held = -_sum(LedgerEntry.objects.filter(account__kind=K.ESCROW))
    completed_unreleased = (
        Brief.objects.filter(status=S.COMPLETED)
        .exclude(
            Exists(
                LedgerTransaction.objects.filter(
                    brief_id=OuterRef("pk"), idempotency_key__startswith="release:"
                )
            )
        )
        .order_by("pk")
    )
    payable_total = -_sum(LedgerEntry.objects.filter(account__kind=K.PAYABLE))
    in_batches = _sum(Payout.objects.filter(transaction__isnull=True))
    return {
        "escrow_held": escrow_held,
        "releases_due": list(completed_unreleased[:50]),
        "payouts_due": payable_total - in_batches,
        "in_open_batches": in_batches,
        "open_batches": list(PayoutBatch.objects.exclude(status=PayoutBatch.Status.PAID)),
        "refunds_due": list(
            Refund.objects.filter(status=Refund.Status.DUE).select_related("brief")
        ),
        "unmatched": list(
            StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).order_by(
                "booked_on", "pk"
            )
        ),
        "pending_shares": list(
            Project.objects.filter(status=Project.Status.REPLACED, delivered_at__isnull=False)
            .exclude(Exists(Settlement.objects.filter(match_id=OuterRef("match_id"))))
            .select_related("brief", "expert")
        ),
        "invoices_requested": InvoiceRequest.objects.filter(
            status=InvoiceRequest.Status.REQUESTED
        ).count(),
        "reconciliation": reconciliation(),
    }


def briefs_with_fee_charged(*, user):
    """The startup's briefs whose platform fee is charged (a 发票 may be requested for them)."""
    return (
        Brief.objects.filter(startup__owner=user)
        .filter(
            Exists(
                LedgerTransaction.objects.filter(
                    brief_id=OuterRef("pk"), idempotency_key__startswith="fee:brief:"
                )
            )
        )
        .order_by("-created_at", "-id")
    )


# --- every yuan explained -----------------------------------------------------------------------


@dataclass
class Totals:
    """A brief's escrow by what moved it (fen, each positive): in = out + held."""

    paid_in: int = 0  # by the startup
    platform_in: int = 0  # by the platform, keeping a price
    to_experts: int = 0  # released earnings and shares
    fee: int = 0
    refunded: int = 0  # due or paid back
    platform_returned: int = 0
    corrections: int = 0  # reversals, signed (+ into escrow)
    held: int = 0

    def add(self, kind: str, amount: int) -> None:
        """Book `amount` fen into escrow (+) or out of it (−) under its movement `kind`."""
        name = _TOTAL_OF.get(kind)
        if name is None:
            self.corrections += amount
        elif name in ("paid_in", "platform_in"):
            setattr(self, name, getattr(self, name) + amount)
        else:
            setattr(self, name, getattr(self, name) - amount)
        self.held += amount

    @property
    def balanced(self) -> bool:
        money_in = self.paid_in + self.platform_in + self.corrections
        money_out = self.to_experts + self.fee + self.refunded + self.platform_returned
        return money_in - money_out == self.held


_TOTAL_OF = {
    "receipt": "paid_in",
    "receipt_dev": "paid_in",
    "assigned": "paid_in",
    "price_kept": "platform_in",
    "earnings": "to_experts",
    "settlement": "to_experts",
    "fee": "fee",
    "refund_due": "refunded",
    "platform_returned": "platform_returned",
}


def brief_totals(brief: Brief) -> Totals:
    totals = Totals()
    for row in (
        LedgerEntry.objects.filter(account__kind=K.ESCROW, account__brief=brief)
        .values("transaction__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        totals.add(row["transaction__kind"], -row["total"])  # into escrow is a credit
    return totals


@dataclass
class Line:
    kind: str  # in, out, held, due, refund, info
    text: str
    amount: int | None = None


def _yuan(amount: int) -> str:
    return f"¥{amount / 100:,.2f}"


def _quote_text(quote: Quote, name: str) -> str:
    if quote.scope_days is not None:
        return _("%(name)s: %(days)s day(s) × ¥%(rate)s = ¥%(earnings)s") % {
            "name": name,
            "days": f"{quote.scope_days.normalize():f}",
            "rate": quote.day_rate,
            "earnings": quote.expert_earnings,
        }
    return _("%(name)s: a fixed price of ¥%(earnings)s") % {
        "name": name,
        "earnings": quote.expert_earnings,
    }


def money_explained(state: EscrowState, *, reader: str = "startup") -> list[Line]:
    """Every yuan of the brief, in words, for the startup (or its PM): what came in, where it
    went or waits, and what is still due or refundable."""
    brief = state.brief
    lines: list[Line] = []
    receipts = Receipt.objects.filter(brief=brief).order_by("pk") if state.paid_in else []
    for receipt in receipts:
        lines.append(
            Line(
                "in",
                _("Paid on %(day)s by %(method)s")
                % {"day": receipt.received_on.isoformat(), "method": receipt.get_method_display()},
                receipt.amount,
            )
        )
    for decision in (d for d in state.decisions_all if d.kind == D.PRICE_KEPT):
        lines.append(
            Line(
                "in",
                _("Paid in by the platform: your project manager kept the price (%(reason)s)")
                % {"reason": decision.reason},
                decision.amount,
            )
        )
    replaced = state.replaced
    quotes = (
        {
            q.match_id: q
            for q in Quote.objects.filter(
                match_id__in=[p.match_id for p in replaced], status=Quote.Status.AGREED
            )
        }
        if replaced
        else {}
    )
    shares = {share.match_id: share for share in state.shares}
    most = settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT
    for project in replaced:
        quote = quotes.get(project.match_id)
        name = project.expert.display_name
        if quote is not None:
            lines.append(
                Line("info", _("Replaced — %(quote)s") % {"quote": _quote_text(quote, name)})
            )
        share = shares.get(project.match_id)
        if share is None:
            lines.append(
                Line(
                    "info",
                    _("%(name)s was replaced before delivering: nothing is paid to them.")
                    % {"name": name},
                    0,
                )
            )
        elif share.decided is None:
            lines.append(
                Line(
                    "held",
                    _(
                        "Kept for %(name)s, who had delivered, until your project manager "
                        "decides their share (at most %(most)d%% of their earnings)"
                    )
                    % {"name": name, "most": most},
                    share.reserved,
                )
            )
        else:
            lines.append(
                Line(
                    "out",
                    _(
                        "Paid to %(name)s for delivered work: %(percent)d%% of ¥%(earnings)s "
                        "(%(reason)s)"
                    )
                    % {
                        "name": name,
                        "percent": share.decided.percent,
                        "earnings": f"{share.earnings / 100:,.2f}",
                        "reason": share.decided.reason,
                    },
                    share.decided.amount,
                )
            )
    quote = state.quote
    match = state.done_match or state.live_match
    if quote is not None and match is not None:
        text = _quote_text(quote, match.expert.display_name)
        if state.released:
            lines.append(
                Line(
                    "out",
                    _("%(quote)s — released to them") % {"quote": text},
                    fen(quote.expert_earnings),
                )
            )
        else:
            lines.append(
                Line(
                    "held",
                    _("%(quote)s — released to them when you accept the work") % {"quote": text},
                    fen(quote.expert_earnings),
                )
            )
    if state.fee:
        if state.fee_charged:
            lines.append(Line("out", _("Platform fee, charged once for this brief"), state.fee))
        elif brief.status == S.CANCELLED:
            lines.append(Line("info", _("Platform fee: not charged (the brief was cancelled)"), 0))
        else:
            lines.append(
                Line(
                    "held",
                    _(
                        "Platform fee, charged once for this brief when you accept the work, "
                        "however many re-matches"
                    ),
                    state.fee,
                )
            )
    refunds = Refund.objects.filter(brief=brief).order_by("pk") if state.refunded else []
    for refund in refunds:
        if refund.status == Refund.Status.PAID:
            text = _("Refunded (%(reason)s): paid back by %(method)s on %(day)s") % {
                "reason": refund.get_reason_display(),
                "method": refund.get_method_display(),
                "day": timezone_date(refund.paid_at),
            }
        else:
            text = _("Refund (%(reason)s): finance pays it back by %(method)s") % {
                "reason": refund.get_reason_display(),
                "method": refund.get_method_display(),
            }
        lines.append(Line("refund", text, refund.amount))
    lines.append(Line("held", _("Held in escrow now"), state.held))
    if state.due:
        lines.append(Line("due", _("Still to pay"), state.due))
    if state.refundable:
        lines.append(
            Line("refund", _("More than the brief needs: refunded to you"), state.refundable)
        )
    return lines


def timezone_date(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).date().isoformat() if moment else ""
