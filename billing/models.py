"""Money: a double-entry ledger in integer fen, and the records around it (funding, receipts,
refunds, settlements of a re-match, payouts, 发票 requests).

Ledger rows are append-only: entries and transactions are never updated or deleted (database
triggers on PostgreSQL and SQLite, and the querysets below refuse it too); a correction is a
reversing transaction. No money row of any kind is deleted (a PostgreSQL trigger, migration
0002). See docs/MONEY.md.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from experts.models import Expert
from marketplace.models import Brief, Match, Startup

CURRENCY = "CNY"


class AppendOnlyError(Exception):
    """A ledger row was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("ledger rows are never updated: post a reversing transaction")

    def delete(self):
        raise AppendOnlyError("ledger rows are never deleted: post a reversing transaction")


class NoDeleteQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("money rows are never deleted")


class Account(models.Model):
    """A place money is: the platform's bank, a brief's escrow, an expert's payable, …"""

    class Kind(models.TextChoices):
        BANK = "bank", _("Platform bank account")
        PROVIDER = "provider", _("Payment provider clearing")
        ESCROW = "escrow", _("Escrow")
        PAYABLE = "payable", _("Expert payable")
        REFUNDS_DUE = "refunds_due", _("Refunds due")
        UNMATCHED = "unmatched", _("Unmatched receipts")
        FEE_INCOME = "fee_income", _("Platform fee income")
        PLATFORM_COST = "platform_cost", _("Platform cost (prices kept)")

    #: Accounts whose balance is naturally a debit (assets, expenses); the others are credits.
    DEBIT_KINDS = (Kind.BANK, Kind.PROVIDER, Kind.PLATFORM_COST)
    #: Accounts that never hold less than nothing (held by the database at commit).
    NEVER_NEGATIVE = (Kind.ESCROW, Kind.PAYABLE, Kind.REFUNDS_DUE)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    brief = models.ForeignKey(
        Brief,
        verbose_name=_("brief"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A provider's name for a provider account ("dev", later "alipay", "wechat"); else empty.
    provider = models.CharField(_("provider"), max_length=16, blank=True, default="")
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief"], condition=models.Q(kind="escrow"), name="account_one_escrow"
            ),
            models.UniqueConstraint(
                fields=["expert"], condition=models.Q(kind="payable"), name="account_one_payable"
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=models.Q(kind="provider"),
                name="account_one_per_provider",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(
                    kind__in=["bank", "refunds_due", "unmatched", "fee_income", "platform_cost"]
                ),
                name="account_one_platform_account",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="escrow", brief__isnull=False, expert__isnull=True)
                    | models.Q(kind="payable", expert__isnull=False, brief__isnull=True)
                    | (
                        ~models.Q(kind__in=["escrow", "payable"])
                        & models.Q(brief__isnull=True, expert__isnull=True)
                    )
                ),
                name="account_owner_matches_kind",
            ),
        ]

    def __str__(self):
        if self.brief_id:
            return f"{self.get_kind_display()} · {self.brief_id}"
        if self.expert_id:
            return f"{self.get_kind_display()} · {self.expert_id}"
        if self.provider:
            return f"{self.get_kind_display()} · {self.provider}"
        return str(self.get_kind_display())

    @property
    def debit_normal(self) -> bool:
        return self.kind in self.DEBIT_KINDS


class LedgerTransaction(models.Model):
    """One movement of money: two or more entries that add up to zero."""

    class Cause(models.TextChoices):
        FUNDING = "funding", _("Funding")
        RELEASE = "release", _("Release")
        REFUND = "refund", _("Refund")
        PAYOUT = "payout", _("Payout")
        ADJUSTMENT = "adjustment", _("Adjustment")

    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    # What exactly happened, for statements (billing.selectors.MOVEMENT_LABELS).
    kind = models.CharField(_("movement"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    brief = models.ForeignKey(
        Brief,
        verbose_name=_("brief"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["id"]
        indexes = [models.Index(fields=["brief", "id"], name="ledgertxn_brief_idx")]

    def __str__(self):
        return f"#{self.pk} {self.get_cause_display()} ({self.idempotency_key})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("ledger transactions are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger transactions are never deleted")


class LedgerEntry(models.Model):
    """One side of a transaction on one account, in fen: debit positive, credit negative."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.BigIntegerField(_("amount (fen)"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["transaction_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledgerentry_not_zero")
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="ledgerentry_account_idx")]

    def __str__(self):
        return f"{self.account}: {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("ledger entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries are never deleted")


class BriefFunding(models.Model):
    """A brief's money record: the unique reference a bank transfer for it carries."""

    brief = models.OneToOneField(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="funding"
    )
    reference = models.CharField(_("payment reference"), max_length=24, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("brief funding")
        verbose_name_plural = _("brief funding")
        ordering = ["id"]

    def __str__(self):
        return self.reference


class FundingDecision(models.Model):
    """A decision about a brief's money that someone took and answers for (the audit record)."""

    class Kind(models.TextChoices):
        DIFFERENCE_APPROVED = "difference_approved", _("Startup approved the higher price")
        PRICE_KEPT = "price_kept", _("PM kept the price (the platform pays the difference)")
        UNFUNDED_START = "unfunded_start", _("PM let work start unfunded")

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="funding_decisions"
    )
    match = models.ForeignKey(
        Match, verbose_name=_("engagement"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("decision"), max_length=24, choices=Kind.choices)
    amount = models.BigIntegerField(_("amount (fen)"), default=0)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("funding decision")
        verbose_name_plural = _("funding decisions")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["match", "kind"], name="fundingdecision_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.brief_id}"


class Method(models.TextChoices):
    """How money comes in and goes back (a refund goes back the way it came)."""

    BANK_TRANSFER = "bank_transfer", _("Bank transfer (对公转账)")
    DEV = "dev", _("Development provider (no real money)")
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")


class StatementImport(models.Model):
    """One bank statement file finance imported."""

    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(_("checksum"), max_length=64, unique=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name


class StatementLine(models.Model):
    """One line of a bank statement: money in (positive) or out (negative), in fen."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        UNMATCHED = "unmatched", _("Unmatched")
        ASSIGNED = "assigned", _("Assigned by finance")
        RETURNED = "returned", _("Sent back")

    statement = models.ForeignKey(
        StatementImport,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    bank_id = models.CharField(_("bank's transaction id"), max_length=64, unique=True)
    booked_on = models.DateField(_("date"))
    amount = models.BigIntegerField(_("amount (fen)"))
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, null=True, blank=True
    )
    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["booked_on", "id"]
        indexes = [models.Index(fields=["status"], name="statementline_status_idx")]

    def __str__(self):
        return f"{self.booked_on} {self.amount / 100:.2f} {self.memo[:40]}"


class Receipt(models.Model):
    """Money a startup paid for a brief, confirmed (by finance, a statement, or a provider)."""

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="receipts"
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    amount = models.BigIntegerField(_("amount (fen)"))
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=100, blank=True)
    received_on = models.DateField(_("received on"))
    statement_line = models.OneToOneField(
        StatementLine,
        verbose_name=_("statement line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt",
    )
    transaction = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_positive")
        ]

    def __str__(self):
        return f"{self.brief_id}: ¥{self.amount / 100:.2f}"


class Refund(models.Model):
    """Money owed back to a startup: due first, then paid by finance the way it came."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid back")

    class Reason(models.TextChoices):
        CANCELLED = "cancelled", _("The brief was cancelled")
        LOWER_QUOTE = "lower_quote", _("The next expert's quote is lower")
        SURPLUS = "surplus", _("More was paid than the brief needs")

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="refunds"
    )
    key = models.CharField(_("key"), max_length=120, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    amount = models.BigIntegerField(_("amount (fen)"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    payee = models.CharField(_("to"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="due")
    due_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="refund_due"
    )
    paid_transaction = models.OneToOneField(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_paid",
    )
    bank_reference = models.CharField(_("bank's reference"), max_length=100, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("due since"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive")
        ]

    def __str__(self):
        return f"{self.brief_id}: ¥{self.amount / 100:.2f} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        """What finance writes on the bank transfer back, so the statement import matches it."""
        return f"KGR{self.pk}"


class Settlement(models.Model):
    """What a replaced expert is paid for work delivered but not accepted: the PM decides."""

    match = models.OneToOneField(
        Match, verbose_name=_("engagement"), on_delete=models.PROTECT, related_name="settlement"
    )
    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="settlements"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="settlements"
    )
    earnings = models.BigIntegerField(_("their quote's earnings (fen)"))
    percent = models.PositiveSmallIntegerField(_("share (%)"))
    amount = models.BigIntegerField(_("share (fen)"))
    reason = models.CharField(_("reason"), max_length=500)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    transaction = models.OneToOneField(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement",
    )
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("replaced expert's share")
        verbose_name_plural = _("replaced experts' shares")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, percent__lte=100), name="settlement_bounds"
            )
        ]

    def __str__(self):
        return f"{self.expert}: {self.percent}%"


class ExpertBankAccount(models.Model):
    """Where an expert is paid. The account number is encrypted at rest (billing.crypto)."""

    expert = models.OneToOneField(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="bank_account"
    )
    holder_name = models.CharField(_("account holder"), max_length=100)
    bank_name = models.CharField(_("bank"), max_length=100)
    branch = models.CharField(_("branch"), max_length=100, blank=True)
    account_number_encrypted = models.TextField(_("account number (encrypted)"), editable=False)
    account_last4 = models.CharField(_("last digits"), max_length=4, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert bank account")
        verbose_name_plural = _("expert bank accounts")
        ordering = ["id"]

    def __str__(self):
        return f"{self.bank_name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return f"**** **** {self.account_last4}"


class PayoutBatch(models.Model):
    """A week's payouts to experts, exported for the bank and marked paid with its reference."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ready to export")
        EXPORTED = "exported", _("Exported for the bank")
        PAID = "paid", pgettext_lazy("payout", "Paid")

    week = models.CharField(_("week"), max_length=8, unique=True)  # ISO week, e.g. 2026-W42
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bank_reference = models.CharField(_("bank's reference"), max_length=100, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked paid by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-week"]

    def __str__(self):
        return self.week


class Payout(models.Model):
    """One expert's money in a batch."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="payouts"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField(_("amount (fen)"))
    transaction = models.OneToOneField(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout",
    )

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "expert"], name="payout_once_per_batch"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_positive"),
        ]

    def __str__(self):
        return f"{self.expert}: ¥{self.amount / 100:.2f}"

    @property
    def reference(self) -> str:
        return f"KGP{self.pk}"


def invoice_pdf_path(instance, filename):
    return f"invoices/{instance.pk or 'new'}/{filename}"


class InvoiceRequest(models.Model):
    """A startup's request for a 发票 for the platform's fee of one brief."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")

    startup = models.ForeignKey(
        Startup, verbose_name=_("startup"), on_delete=models.PROTECT, related_name="invoices"
    )
    brief = models.OneToOneField(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="invoice"
    )
    title = models.CharField(_("company title (抬头)"), max_length=100)
    tax_id = models.CharField(_("unified social credit code"), max_length=18)
    address = models.CharField(_("address and telephone"), max_length=200)
    bank = models.CharField(_("bank and account"), max_length=200)
    amount = models.BigIntegerField(_("platform fee invoiced (fen)"))
    expert_part = models.BigIntegerField(_("the expert's part, not invoiced (fen)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    pdf = models.FileField(_("invoice PDF"), upload_to=invoice_pdf_path, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("发票 request")
        verbose_name_plural = _("发票 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.title} · {self.brief_id}"


class IdempotentRequest(models.Model):
    """The stored answer to a money POST sent with an `Idempotency-Key` (billing.idempotency)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotentrequest_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.key}"
