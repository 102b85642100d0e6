"""Finance's workplace in the admin, and the PM's money decisions on their briefs.

Finance (the `Finance` group, or a superuser): the dashboard (escrow held, releases due, payouts
due, unmatched receipts, reconciliation), confirming bank transfers, importing statements,
assigning or returning unmatched receipts, paying refunds, the weekly payout batch, 发票, and
corrections (a reversing transaction). A PM: on the briefs assigned to them, a replaced
expert's share, keeping a re-match's price, letting work start unfunded (when allowed).

Every action calls a service; no money row is edited in a form or deleted.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import ledger, selectors, services
from billing.models import (
    Account,
    BriefFunding,
    ExpertBankAccount,
    FundingDecision,
    InvoiceRequest,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    Receipt,
    Refund,
    Settlement,
    StatementImport,
    StatementLine,
)
from kaigan.admin_base import PeopleAsText
from kaigan.errors import ApplicationError, error_message
from marketplace.models import Brief


def yuan(fen) -> str:
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


class FinanceAdmin(PeopleAsText, admin.ModelAdmin):
    """Money rows: finance reads them; nobody adds, edits or deletes them in a form (the
    actions call the services). A superuser is finance too."""

    def has_module_permission(self, request):
        return services.is_finance(request.user)

    def has_view_permission(self, request, obj=None):
        return services.is_finance(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _check(self, request):
        if not services.is_finance(request.user):
            raise PermissionDenied

    def _form_page(self, request, *, title, form, button, back, intro="", multipart=False):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "button": button,
            "back": back,
            "multipart": multipart,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/form.html", context)

    def _run(self, request, action, success, back):
        """Call a service; report its outcome. Returns a redirect, or None with the error."""
        try:
            result = action()
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_message(exc), messages.ERROR)
            return None, exc
        self.message_user(request, success(result) if callable(success) else success)
        return HttpResponseRedirect(back), None


def _field_errors(form, exc):
    from kaigan.forms import add_service_errors

    add_service_errors(form, exc)


# --- the ledger --------------------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(FinanceAdmin):
    list_display = ["__str__", "kind", "balance"]
    list_filter = ["kind"]
    search_fields = ["brief__title", "expert__display_name"]
    list_select_related = ["brief", "expert"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(raw=Sum("entries__amount"))

    @admin.display(description=gettext_lazy("balance"))
    def balance(self, account):
        return yuan(ledger.natural(account.kind, account.raw or 0))

    def get_urls(self):
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="billing_dashboard",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        self._check(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Finance dashboard"),
            "data": selectors.finance_dashboard(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/dashboard.html", context)


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_yuan"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("amount (+ debit, − credit)"))
    def amount_yuan(self, entry):
        return yuan(entry.amount)

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return services.is_finance(request.user)


class ReverseForm(forms.Form):
    memo = forms.CharField(label=gettext_lazy("Why (kept with the correction)"), max_length=500)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(FinanceAdmin):
    list_display = ["id", "created_at", "cause", "kind", "brief", "actor", "idempotency_key"]
    list_filter = ["cause", "kind"]
    search_fields = ["idempotency_key", "memo", "brief__title"]
    list_select_related = ["brief", "actor"]
    readonly_fields = [
        "cause",
        "kind",
        "actor",
        "idempotency_key",
        "brief",
        "memo",
        "reverses",
        "created_at",
        "reversal",
    ]
    inlines = [EntryInline]

    @admin.display(description=gettext_lazy("correction"))
    def reversal(self, txn):
        done = LedgerTransaction.objects.filter(reverses=txn).first()
        if done is not None:
            return _("Reversed by #%(id)s") % {"id": done.pk}
        url = reverse("admin:billing_ledgertransaction_reverse", args=[txn.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Reverse (correction)"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="billing_ledgertransaction_reverse",
            ),
            *super().get_urls(),
        ]

    def reverse_view(self, request, pk):
        self._check(request)
        txn = LedgerTransaction.objects.filter(pk=pk).first()
        if txn is None:
            raise Http404
        back = reverse("admin:billing_ledgertransaction_change", args=[pk])
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done, _exc = self._run(
                request,
                lambda: ledger.reverse(
                    original=txn, actor=request.user, memo=form.cleaned_data["memo"]
                ),
                _("The transaction is reversed."),
                back,
            )
            if done:
                return done
        return self._form_page(
            request,
            title=_("Reverse transaction #%(id)s") % {"id": txn.pk},
            intro=_(
                "A correction posts the same entries with the opposite sign; the original "
                "stays as it was."
            ),
            form=form,
            button=_("Reverse"),
            back=back,
        )


# --- money in ------------------------------------------------------------------------------------


class ReceiptForm(forms.Form):
    brief = forms.IntegerField(label=gettext_lazy("Brief number"), min_value=1)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (CNY)"), min_value=0.01, max_digits=12, decimal_places=2
    )
    received_on = forms.DateField(label=gettext_lazy("Received on (YYYY-MM-DD)"))
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank's reference (流水号)"), max_length=100
    )
    payer = forms.CharField(label=gettext_lazy("Payer"), max_length=200, required=False)


@admin.register(Receipt)
class ReceiptAdmin(FinanceAdmin):
    list_display = [
        "created_at",
        "brief",
        "method",
        "amount_yuan",
        "bank_reference",
        "confirmed_by",
    ]
    list_filter = ["method"]
    search_fields = ["brief__title", "bank_reference", "payer"]
    list_select_related = ["brief", "confirmed_by"]
    readonly_fields = [
        "brief",
        "method",
        "amount_yuan",
        "payer",
        "bank_reference",
        "received_on",
        "statement_line",
        "transaction",
        "confirmed_by",
        "created_at",
    ]
    exclude = ["amount"]

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, receipt):
        return yuan(receipt.amount)

    def get_urls(self):
        return [
            path(
                "confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="billing_receipt_confirm",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request):
        self._check(request)
        form = ReceiptForm(request.POST or None, initial={"received_on": timezone.localdate()})
        back = reverse("admin:billing_receipt_changelist")
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not Brief.objects.filter(pk=data["brief"]).exists():
                form.add_error("brief", _("Unknown brief."))
            else:
                done, exc = self._run(
                    request,
                    lambda: services.receipt_confirm(
                        brief_id=data["brief"],
                        amount=int(data["amount"] * 100),
                        received_on=data["received_on"],
                        bank_reference=data["bank_reference"],
                        payer=data["payer"],
                        actor=request.user,
                    ),
                    _("The transfer is confirmed and booked to the brief's escrow."),
                    back,
                )
                if done:
                    return done
                _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Confirm a bank transfer"),
            intro=_("The bank's reference books it once: the statement import joins it later."),
            form=form,
            button=_("Confirm"),
            back=back,
        )


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("The bank's statement (CSV)"))


class LineInline(admin.TabularInline):
    model = StatementLine
    fields = ["booked_on", "bank_id", "amount_yuan", "counterparty", "memo", "status", "brief"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, line):
        return yuan(line.amount)

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return services.is_finance(request.user)


@admin.register(StatementImport)
class StatementImportAdmin(FinanceAdmin):
    list_display = ["created_at", "file_name", "line_count", "imported_by"]
    readonly_fields = ["file_name", "sha256", "imported_by", "created_at", "line_count"]
    inlines = [LineInline]

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="billing_statementimport_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        self._check(request)
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > services.MAX_STATEMENT_BYTES:
                form.add_error("file", _("The statement is larger than 5 MB."))
            else:
                try:
                    statement = services.statement_import(
                        data=upload.read(), file_name=upload.name, actor=request.user
                    )
                except (ApplicationError, ValidationError) as exc:
                    form.add_error("file", error_message(exc))
                else:
                    unmatched = statement.lines.filter(
                        status=StatementLine.Status.UNMATCHED
                    ).count()
                    self.message_user(
                        request,
                        _("%(n)d lines imported; %(u)d could not be matched.")
                        % {"n": statement.line_count, "u": unmatched},
                        messages.WARNING if unmatched else messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:billing_statementimport_change", args=[statement.pk])
                    )
        return self._form_page(
            request,
            title=_("Import a bank statement"),
            intro=_(
                "CSV with a header: date (交易日期), bank id (流水号), amount (金额) or "
                "credit and debit (收入金额, 支出金额), counterparty (对方户名), memo (摘要). "
                "Lines with a brief's reference are matched; the others are listed as "
                "unmatched."
            ),
            form=form,
            button=_("Import"),
            back=reverse("admin:billing_statementimport_changelist"),
            multipart=True,
        )


class AssignForm(forms.Form):
    brief = forms.IntegerField(label=gettext_lazy("Brief number"), min_value=1)


class BankReferenceForm(forms.Form):
    bank_reference = forms.CharField(label=gettext_lazy("Bank's reference"), max_length=100)


@admin.register(StatementLine)
class StatementLineAdmin(FinanceAdmin):
    list_display = [
        "booked_on",
        "bank_id",
        "amount_yuan",
        "counterparty",
        "memo",
        "status",
        "brief",
        "tools",
    ]
    list_filter = ["status"]
    search_fields = ["bank_id", "memo", "counterparty"]
    list_select_related = ["brief"]
    readonly_fields = [
        "statement",
        "bank_id",
        "booked_on",
        "amount_yuan",
        "counterparty",
        "memo",
        "status",
        "brief",
        "transaction",
        "note",
    ]
    exclude = ["amount"]

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, line):
        return yuan(line.amount)

    @admin.display(description=gettext_lazy("finance"))
    def tools(self, line):
        if line.status != StatementLine.Status.UNMATCHED or line.amount <= 0:
            return "—"
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            [
                (reverse("admin:billing_statementline_assign", args=[line.pk]), _("Assign")),
                (reverse("admin:billing_statementline_return", args=[line.pk]), _("Send back")),
            ],
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="billing_statementline_assign",
            ),
            path(
                "<int:pk>/return/",
                self.admin_site.admin_view(self.return_view),
                name="billing_statementline_return",
            ),
            *super().get_urls(),
        ]

    def _line(self, pk):
        line = StatementLine.objects.filter(pk=pk).first()
        if line is None:
            raise Http404
        return line

    def assign_view(self, request, pk):
        self._check(request)
        line = self._line(pk)
        form = AssignForm(request.POST or None)
        back = reverse("admin:billing_statementline_changelist") + "?status__exact=unmatched"
        if request.method == "POST" and form.is_valid():
            done, exc = self._run(
                request,
                lambda: services.statement_line_assign(
                    line_id=line.pk, brief_id=form.cleaned_data["brief"], actor=request.user
                ),
                _("The payment is booked to the brief's escrow."),
                back,
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Assign %(amount)s from %(who)s")
            % {"amount": yuan(line.amount), "who": line.counterparty or "—"},
            intro=line.memo,
            form=form,
            button=_("Assign"),
            back=back,
        )

    def return_view(self, request, pk):
        self._check(request)
        line = self._line(pk)
        form = BankReferenceForm(request.POST or None)
        back = reverse("admin:billing_statementline_changelist") + "?status__exact=unmatched"
        if request.method == "POST" and form.is_valid():
            done, exc = self._run(
                request,
                lambda: services.statement_line_return(
                    line_id=line.pk,
                    actor=request.user,
                    bank_reference=form.cleaned_data["bank_reference"],
                ),
                _("The payment is recorded as sent back."),
                back,
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Send %(amount)s back to %(who)s")
            % {"amount": yuan(line.amount), "who": line.counterparty or "—"},
            form=form,
            button=_("Sent back"),
            back=back,
        )


# --- money out -----------------------------------------------------------------------------------


@admin.register(Refund)
class RefundAdmin(FinanceAdmin):
    list_display = [
        "created_at",
        "brief",
        "reason",
        "amount_yuan",
        "method",
        "payee",
        "status",
        "reference",
        "tools",
    ]
    list_filter = ["status", "method", "reason"]
    list_select_related = ["brief"]
    readonly_fields = [
        "brief",
        "reason",
        "amount_yuan",
        "method",
        "payee",
        "status",
        "bank_reference",
        "paid_by",
        "paid_at",
        "created_at",
    ]
    exclude = ["amount", "key", "due_transaction", "paid_transaction"]

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, refund):
        return yuan(refund.amount)

    @admin.display(description=gettext_lazy("finance"))
    def tools(self, refund):
        if refund.status != Refund.Status.DUE:
            return "—"
        url = reverse("admin:billing_refund_paid", args=[refund.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Mark paid back"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/paid/",
                self.admin_site.admin_view(self.paid_view),
                name="billing_refund_paid",
            ),
            *super().get_urls(),
        ]

    def paid_view(self, request, pk):
        self._check(request)
        refund = Refund.objects.filter(pk=pk).select_related("brief").first()
        if refund is None:
            raise Http404
        form = BankReferenceForm(request.POST or None)
        back = reverse("admin:billing_refund_changelist")
        if request.method == "POST" and form.is_valid():
            done, exc = self._run(
                request,
                lambda: services.refund_mark_paid(
                    refund_id=refund.pk,
                    actor=request.user,
                    bank_reference=form.cleaned_data["bank_reference"],
                ),
                _("The refund is recorded as paid back."),
                back,
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Pay back %(amount)s for “%(brief)s”")
            % {"amount": yuan(refund.amount), "brief": refund.brief.title},
            intro=_("By %(method)s to %(payee)s. Write %(reference)s on the transfer.")
            % {
                "method": refund.get_method_display(),
                "payee": refund.payee or "—",
                "reference": refund.reference,
            },
            form=form,
            button=_("Paid back"),
            back=back,
        )


class PayoutInline(admin.TabularInline):
    model = Payout
    fields = ["expert", "amount_yuan", "reference", "paid"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, payout):
        return yuan(payout.amount)

    @admin.display(description=gettext_lazy("paid"), boolean=True)
    def paid(self, payout):
        return payout.transaction_id is not None

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return services.is_finance(request.user)


@admin.register(PayoutBatch)
class PayoutBatchAdmin(FinanceAdmin):
    list_display = ["week", "status", "total", "created_by", "exported_at", "paid_at", "tools"]
    readonly_fields = [
        "week",
        "status",
        "created_by",
        "created_at",
        "exported_by",
        "exported_at",
        "bank_reference",
        "paid_by",
        "paid_at",
        "tools",
    ]
    inlines = [PayoutInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sum=Sum("payouts__amount"))

    @admin.display(description=gettext_lazy("total"))
    def total(self, batch):
        return yuan(getattr(batch, "sum", None) or 0)

    @admin.display(description=gettext_lazy("finance"))
    def tools(self, batch):
        links = [(reverse("admin:billing_payoutbatch_export", args=[batch.pk]), _("Export CSV"))]
        if batch.status == PayoutBatch.Status.EXPORTED:
            links.append(
                (reverse("admin:billing_payoutbatch_paid", args=[batch.pk]), _("Mark paid"))
            )
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)

    def get_urls(self):
        return [
            path(
                "make/", self.admin_site.admin_view(self.make_view), name="billing_payoutbatch_make"
            ),
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="billing_payoutbatch_export",
            ),
            path(
                "<int:pk>/paid/",
                self.admin_site.admin_view(self.paid_view),
                name="billing_payoutbatch_paid",
            ),
            *super().get_urls(),
        ]

    def make_view(self, request):
        self._check(request)
        back = reverse("admin:billing_payoutbatch_changelist")
        if request.method == "POST":
            done, _exc = self._run(
                request,
                lambda: services.payout_batch_create(actor=request.user),
                lambda batch: (
                    _("Batch %(week)s: %(n)d payouts.")
                    % {"week": batch.week, "n": batch.payouts.count()}
                ),
                back,
            )
            return done or HttpResponseRedirect(back)
        return self._form_page(
            request,
            title=_("Make this week's payout batch"),
            intro=_(
                "Everyone with money available and bank details is paid what is available. "
                "One batch per week: making it again adds who became due meanwhile."
            ),
            form=None,
            button=_("Make the batch"),
            back=back,
        )

    def export_view(self, request, pk):
        self._check(request)
        try:
            batch, text = services.payout_batch_export(batch_id=pk, actor=request.user)
        except PayoutBatch.DoesNotExist:
            raise Http404 from None
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:billing_payoutbatch_changelist"))
        response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kaigan-payouts-{batch.week}.csv"'
        return response

    def paid_view(self, request, pk):
        self._check(request)
        batch = PayoutBatch.objects.filter(pk=pk).first()
        if batch is None:
            raise Http404
        form = BankReferenceForm(request.POST or None)
        back = reverse("admin:billing_payoutbatch_change", args=[batch.pk])
        if request.method == "POST" and form.is_valid():
            done, exc = self._run(
                request,
                lambda: services.payout_batch_mark_paid(
                    batch_id=batch.pk,
                    actor=request.user,
                    bank_reference=form.cleaned_data["bank_reference"],
                ),
                _("The batch is paid: the experts see it."),
                back,
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Batch %(week)s is paid") % {"week": batch.week},
            form=form,
            button=_("Mark paid"),
            back=back,
        )


# --- 发票, shares, decisions, bank details --------------------------------------------------


class IssueForm(forms.Form):
    invoice_number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=40)
    pdf = forms.FileField(label=gettext_lazy("The 发票 (PDF)"))


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(FinanceAdmin):
    list_display = ["created_at", "title", "tax_id", "brief", "amount_yuan", "status", "tools"]
    list_filter = ["status"]
    search_fields = ["title", "tax_id", "invoice_number"]
    list_select_related = ["brief"]
    readonly_fields = [
        "startup",
        "brief",
        "title",
        "tax_id",
        "address",
        "bank",
        "amount_yuan",
        "expert_part_yuan",
        "status",
        "invoice_number",
        "pdf",
        "requested_by",
        "issued_by",
        "created_at",
        "issued_at",
    ]
    exclude = ["amount", "expert_part"]

    @admin.display(description=gettext_lazy("platform fee"))
    def amount_yuan(self, invoice):
        return yuan(invoice.amount)

    @admin.display(description=gettext_lazy("the expert's part (not invoiced)"))
    def expert_part_yuan(self, invoice):
        return yuan(invoice.expert_part)

    @admin.display(description=gettext_lazy("finance"))
    def tools(self, invoice):
        if invoice.status != InvoiceRequest.Status.REQUESTED:
            return invoice.invoice_number
        url = reverse("admin:billing_invoicerequest_issue", args=[invoice.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Mark issued"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/issue/",
                self.admin_site.admin_view(self.issue_view),
                name="billing_invoicerequest_issue",
            ),
            *super().get_urls(),
        ]

    def issue_view(self, request, pk):
        self._check(request)
        invoice = InvoiceRequest.objects.filter(pk=pk).first()
        if invoice is None:
            raise Http404
        form = IssueForm(request.POST or None, request.FILES or None)
        back = reverse("admin:billing_invoicerequest_changelist")
        if request.method == "POST" and form.is_valid():
            done, exc = self._run(
                request,
                lambda: services.invoice_issue(
                    invoice_id=invoice.pk,
                    actor=request.user,
                    invoice_number=form.cleaned_data["invoice_number"],
                    pdf=form.cleaned_data["pdf"],
                ),
                _("The 发票 is issued; the startup can download it."),
                back,
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._form_page(
            request,
            title=_("Issue the 发票 for %(title)s (%(tax_id)s)")
            % {"title": invoice.title, "tax_id": invoice.tax_id},
            intro=_("Platform fee: %(amount)s. Address: %(address)s. Bank: %(bank)s.")
            % {"amount": yuan(invoice.amount), "address": invoice.address, "bank": invoice.bank},
            form=form,
            button=_("Mark issued"),
            back=back,
            multipart=True,
        )


@admin.register(Settlement)
class SettlementAdmin(FinanceAdmin):
    list_display = ["created_at", "brief", "expert", "percent", "amount_yuan", "decided_by"]
    list_select_related = ["brief", "expert", "decided_by"]
    readonly_fields = [
        "match",
        "brief",
        "expert",
        "earnings",
        "percent",
        "amount_yuan",
        "reason",
        "decided_by",
        "transaction",
        "created_at",
    ]
    exclude = ["amount"]

    @admin.display(description=gettext_lazy("share"))
    def amount_yuan(self, settlement):
        return yuan(settlement.amount)


@admin.register(FundingDecision)
class FundingDecisionAdmin(FinanceAdmin):
    list_display = ["created_at", "brief", "kind", "amount_yuan", "actor", "reason"]
    list_filter = ["kind"]
    list_select_related = ["brief", "actor"]
    readonly_fields = ["brief", "match", "kind", "amount_yuan", "reason", "actor", "created_at"]
    exclude = ["amount"]

    @admin.display(description=gettext_lazy("amount"))
    def amount_yuan(self, decision):
        return yuan(decision.amount)


@admin.register(ExpertBankAccount)
class ExpertBankAccountAdmin(FinanceAdmin):
    list_display = ["expert", "holder_name", "bank_name", "masked_number", "updated_at"]
    readonly_fields = [
        "expert",
        "holder_name",
        "bank_name",
        "branch",
        "masked_number",
        "updated_at",
    ]
    exclude = ["account_number_encrypted", "account_last4"]
    search_fields = ["expert__display_name", "holder_name"]


# --- the PM's money decisions ---------------------------------------------------------------------


class ShareForm(forms.Form):
    match = forms.TypedChoiceField(label=gettext_lazy("Replaced expert"), coerce=int)
    percent = forms.IntegerField(label=gettext_lazy("Share of their earnings (%)"), min_value=0)
    reason = forms.CharField(label=gettext_lazy("Reason (the expert reads it)"), max_length=500)

    def __init__(self, *args, shares=(), most=50, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["match"].choices = [
            (s.match_id, f"{s.expert_name} · {yuan(s.earnings)}") for s in shares
        ]
        self.fields["percent"].max_value = most
        self.fields["percent"].help_text = _("From 0 to %(most)d.") % {"most": most}
        self.fields["percent"].validators[-1:] = []


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


def is_pm_or_finance(user) -> bool:
    return user.is_active and user.is_staff and (user.role == "pm" or services.is_finance(user))


@admin.register(BriefFunding)
class BriefFundingAdmin(PeopleAsText, admin.ModelAdmin):
    """A brief's money, for its PM (their briefs only) and finance: the state, every yuan, and
    the PM's decisions."""

    list_display = ["reference", "brief", "money_status", "held"]
    search_fields = ["reference", "brief__title"]
    list_select_related = ["brief"]
    readonly_fields = ["reference", "brief", "created_at", "money"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if services.is_finance(request.user):
            return qs
        return qs.filter(brief__pm=request.user)

    def has_module_permission(self, request):
        return is_pm_or_finance(request.user)

    def has_view_permission(self, request, obj=None):
        return is_pm_or_finance(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("money"))
    def money_status(self, funding):
        return selectors.escrow_state(funding.brief).status_label

    @admin.display(description=gettext_lazy("held"))
    def held(self, funding):
        return yuan(selectors.escrow_state(funding.brief).held)

    @admin.display(description=gettext_lazy("every yuan"))
    def money(self, funding):
        state = selectors.escrow_state(funding.brief)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            [(line.text, yuan(line.amount)) for line in selectors.money_explained(state)],
        )
        tools = []
        if any(s.decided is None for s in state.shares):
            tools.append(
                (
                    reverse("admin:billing_brieffunding_share", args=[funding.pk]),
                    _("Decide a share"),
                )
            )
        if state.status == selectors.FundingStatus.DIFFERENCE_TO_APPROVE:
            tools.append(
                (reverse("admin:billing_brieffunding_keep", args=[funding.pk]), _("Keep the price"))
            )
        if (
            state.status
            in (
                selectors.FundingStatus.AWAITING_FUNDING,
                selectors.FundingStatus.DIFFERENCE_TO_APPROVE,
            )
            and settings.KAIGAN_ALLOW_UNFUNDED_START
        ):
            tools.append(
                (
                    reverse("admin:billing_brieffunding_unfunded", args=[funding.pk]),
                    _("Let work start unfunded"),
                )
            )
        buttons = format_html_join(" ", '<a class="button" href="{}">{}</a>', tools)
        return format_html(
            '<p><strong>{}</strong></p><table class="money-lines">{}</table><p>{}</p>',
            state.status_label,
            rows,
            buttons,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/share/",
                self.admin_site.admin_view(self.share_view),
                name="billing_brieffunding_share",
            ),
            path(
                "<int:pk>/keep/",
                self.admin_site.admin_view(self.keep_view),
                name="billing_brieffunding_keep",
            ),
            path(
                "<int:pk>/unfunded/",
                self.admin_site.admin_view(self.unfunded_view),
                name="billing_brieffunding_unfunded",
            ),
            *super().get_urls(),
        ]

    def _funding(self, request, pk) -> BriefFunding:
        funding = self.get_queryset(request).filter(pk=pk).select_related("brief").first()
        if funding is None or not is_pm_or_finance(request.user):
            raise Http404
        return funding

    def _back(self, funding):
        return reverse("admin:billing_brieffunding_change", args=[funding.pk])

    def share_view(self, request, pk):
        funding = self._funding(request, pk)
        state = selectors.escrow_state(funding.brief)
        open_shares = [s for s in state.shares if s.decided is None]
        most = settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT
        form = ShareForm(request.POST or None, shares=open_shares, most=most)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            done, exc = self._run_service(
                request,
                lambda: services.settlement_decide(
                    match_id=data["match"],
                    actor=request.user,
                    percent=data["percent"],
                    reason=data["reason"],
                ),
                _("The share is decided; the expert is told."),
                self._back(funding),
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._page(
            request,
            funding,
            title=_("Share for a replaced expert who had delivered"),
            intro=_(
                "Under the policy the startup and the expert saw: at most %(most)d%% of the "
                "expert's earnings, with a reason the expert reads. What is not paid stays on "
                "the brief for the next expert."
            )
            % {"most": most},
            form=form,
            button=_("Decide"),
        )

    def keep_view(self, request, pk):
        funding = self._funding(request, pk)
        state = selectors.escrow_state(funding.brief)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done, exc = self._run_service(
                request,
                lambda: services.price_keep(
                    brief_id=funding.brief_id,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                _("The price is kept: the platform paid the difference into escrow."),
                self._back(funding),
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._page(
            request,
            funding,
            title=_("Keep the price"),
            intro=_("The platform pays the difference of %(amount)s into the brief's escrow.")
            % {"amount": yuan(state.due)},
            form=form,
            button=_("Keep the price"),
        )

    def unfunded_view(self, request, pk):
        funding = self._funding(request, pk)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done, exc = self._run_service(
                request,
                lambda: services.unfunded_start_allow(
                    brief_id=funding.brief_id,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                _("Work may start before funding; the decision is recorded."),
                self._back(funding),
            )
            if done:
                return done
            _field_errors(form, exc)
        return self._page(
            request,
            funding,
            title=_("Let work start unfunded"),
            intro=_("Recorded with your name and reason; the money is still due."),
            form=form,
            button=_("Let work start"),
        )

    def _run_service(self, request, action, success, back):
        try:
            action()
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_message(exc), messages.ERROR)
            return None, exc
        self.message_user(request, success)
        return HttpResponseRedirect(back), None

    def _page(self, request, funding, *, title, intro, form, button):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "button": button,
            "back": self._back(funding),
            "multipart": False,
            "opts": self.model._meta,
            "subject": funding.brief.title,
        }
        return TemplateResponse(request, "admin/billing/form.html", context)
