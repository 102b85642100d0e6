"""Money pages: a brief's statement and funding actions (the startup), the expert's money,
the startup's 发票. Thin: each parses the form, calls one service or selector, renders."""

import csv
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import selectors, services
from billing.models import ExpertBankAccount, InvoiceRequest, Payout
from experts.selectors import expert_get_for_user
from kaigan.accounts.models import User
from kaigan.errors import ApplicationError, error_message
from kaigan.forms import add_service_errors
from marketplace.access import access_brief
from marketplace.models import Brief


def _my_brief(request, pk) -> Brief:
    """The startup's own brief (a PM reads money in the admin): another's is a 404."""
    brief = access_brief(request.user, pk)
    if brief.startup.owner_id != request.user.pk:
        raise Http404
    return brief


def _my_expert(request):
    expert = expert_get_for_user(user=request.user)
    if expert is None:
        raise PermissionDenied
    return expert


@login_required
def brief_money(request, pk):
    brief = _my_brief(request, pk)
    state = selectors.escrow_state(brief)
    return render(
        request,
        "billing/brief_money.html",
        {
            "brief": brief,
            "state": state,
            "movements": selectors.brief_statement(brief),
            "lines": selectors.money_explained(state, reader="startup"),
        },
    )


@login_required
def brief_money_csv(request, pk):
    brief = _my_brief(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kaigan-brief-{brief.pk}-money.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("When"), _("What"), _("Amount (CNY)"), _("Held after (CNY)")])
    for movement in selectors.brief_statement(brief):
        writer.writerow(
            [
                timezone.localtime(movement.created_at).strftime("%Y-%m-%d %H:%M"),
                movement.label,
                f"{movement.amount / 100:.2f}",
                f"{movement.balance / 100:.2f}",
            ]
        )
    return response


def _money_action(request, pk, action, success):
    brief = _my_brief(request, pk)
    try:
        action(brief)
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, success)
    return redirect("marketplace:brief_detail", pk=brief.pk)


@login_required
@require_POST
def brief_fund_dev(request, pk):
    return _money_action(
        request,
        pk,
        lambda brief: services.fund_with_dev_provider(brief_id=brief.pk, user=request.user),
        _("Paid with the development provider (no real money). The brief is funded."),
    )


@login_required
@require_POST
def brief_approve_difference(request, pk):
    return _money_action(
        request,
        pk,
        lambda brief: services.difference_approve(brief_id=brief.pk, user=request.user),
        _("You approved the new price. Pay the difference to start the work."),
    )


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(label=gettext_lazy("Account holder"), max_length=100)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=100)
    branch = forms.CharField(label=gettext_lazy("Branch"), max_length=100, required=False)
    account_number = forms.CharField(
        label=gettext_lazy("Account number"),
        max_length=40,
        help_text=gettext_lazy("Stored encrypted; shown masked."),
    )


@login_required
def expert_money(request):
    expert = _my_expert(request)
    current = ExpertBankAccount.objects.filter(expert=expert).first()
    initial = (
        {
            "holder_name": current.holder_name,
            "bank_name": current.bank_name,
            "branch": current.branch,
        }
        if current
        else {}
    )
    form = BankAccountForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.bank_account_save(expert=expert, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your bank details are saved."))
                return redirect("billing:expert_money")
        status = 400
    today = timezone.localdate()
    return render(
        request,
        "billing/expert_money.html",
        {
            "expert": expert,
            "balance": selectors.expert_balance(expert),
            "payouts": Payout.objects.filter(expert=expert)
            .select_related("batch")
            .order_by("-batch__week")[:20],
            "bank_account": current,
            "form": form,
            "replaced": selectors.replaced_engagements_for(expert),
            "months": _recent_months(today, 6),
        },
        status=status,
    )


def _recent_months(today: date, n: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _i in range(n):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _month(text: str | None) -> date:
    """`YYYY-MM` from the query string; this month when absent; 404 when not a month."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= 2100:
        raise Http404
    return first


@login_required
def expert_month(request):
    expert = _my_expert(request)
    first = _month(request.GET.get("month"))
    year, month = first.year, first.month
    statement = selectors.expert_statement(expert, date(year, month, 1))
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="kaigan-earnings-{year}-{month:02d}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([_("When"), _("What"), _("Amount (CNY)"), _("Balance after (CNY)")])
        for movement in statement.movements:
            writer.writerow(
                [
                    timezone.localtime(movement.created_at).strftime("%Y-%m-%d %H:%M"),
                    movement.label,
                    f"{movement.amount / 100:.2f}",
                    f"{movement.balance / 100:.2f}",
                ]
            )
        return response
    return render(request, "billing/expert_month.html", {"statement": statement})


class InvoiceForm(forms.Form):
    brief = forms.TypedChoiceField(label=gettext_lazy("Brief"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Company title (抬头)"), max_length=100)
    tax_id = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=18)
    address = forms.CharField(label=gettext_lazy("Address and telephone"), max_length=200)
    bank = forms.CharField(label=gettext_lazy("Bank and account"), max_length=200)

    def __init__(self, *args, briefs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brief"].choices = [(b.pk, b.title) for b in briefs]


def _invoiceable(user):
    """The startup's completed briefs whose fee is charged and not invoiced yet."""
    charged = selectors.briefs_with_fee_charged(user=user)
    return [b for b in charged if not InvoiceRequest.objects.filter(brief=b).exists()]


@login_required
def invoices(request):
    if request.user.role != User.Role.STARTUP:
        raise PermissionDenied
    form = InvoiceForm(request.POST or None, briefs=_invoiceable(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.invoice_request(
                    user=request.user,
                    brief_id=form.cleaned_data["brief"],
                    **{k: form.cleaned_data[k] for k in ("title", "tax_id", "address", "bank")},
                )
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your 发票 request is sent to finance."))
                return redirect("billing:invoices")
        status = 400
    return render(
        request,
        "billing/invoices.html",
        {
            "form": form,
            "invoices": InvoiceRequest.objects.filter(startup__owner=request.user).select_related(
                "brief"
            ),
        },
        status=status,
    )


@login_required
def invoice_pdf(request, pk):
    invoice = InvoiceRequest.objects.filter(pk=pk).select_related("startup").first()
    allowed = invoice is not None and (
        invoice.startup.owner_id == request.user.pk or services.is_finance(request.user)
    )
    if not allowed or not invoice.pdf:
        raise Http404
    return FileResponse(
        invoice.pdf.open("rb"),
        as_attachment=True,
        filename=f"fapiao-{invoice.invoice_number or invoice.pk}.pdf",
        content_type="application/pdf",
    )
