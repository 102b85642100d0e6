"""Browser actions after posting: the startup accepts or is not satisfied; the expert answers
invitations and delivers. Each view parses the form, calls one service, and redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaigan.errors import ApplicationError, error_message
from marketplace import services as marketplace_services
from marketplace.access import (
    access_brief,
    access_brief_or_engagement,
    access_engaged_brief,
    access_invitation,
    access_invited_brief,
)
from marketplace.models import Brief, Match, Quote
from marketplace.selectors import brief_matches_for, brief_timeline_for, quotes_for_brief
from projects import selectors, services
from projects.forms import (
    AcceptForm,
    DeclineForm,
    DeliverForm,
    DissatisfactionForm,
    QuoteChangeForm,
)


def brief_detail_context(request, brief, *, accept_form=None, dissatisfaction_form=None) -> dict:
    """What the startup can do next on its brief page."""
    status = brief.status
    matches = list(brief_matches_for(brief=brief, user=request.user))
    return {
        **quotes_for_brief(brief),
        "quote_change_form": QuoteChangeForm()
        if status in (Brief.Status.IN_PROGRESS, Brief.Status.DELIVERED)
        else None,
        "matches": matches,
        # Every viewer's list holds the approved and accepted matches, in (round, rank) order:
        # the live one (at most one, a constraint) is read from it, not queried again.
        "live_match": next((m for m in matches if m.status in Match.LIVE_STATUSES), None),
        **_completed(brief, matches),
        "delivery_note": selectors.delivery_note(brief=brief)
        if status in (Brief.Status.DELIVERED, Brief.Status.COMPLETED)
        else "",
        "accept_form": accept_form or (AcceptForm() if status == Brief.Status.DELIVERED else None),
        "dissatisfaction_form": dissatisfaction_form
        or (DissatisfactionForm() if status in services.DISSATISFACTION_FROM else None),
    }


def _completed(brief, matches) -> dict:
    """Who did the work of a completed brief, and the rating the startup gave."""
    done = next((m for m in matches if m.status == Match.Status.COMPLETED), None)
    if done is None:
        return {"done_match": None, "rating": None}
    return {"done_match": done, "rating": selectors.match_rating(match=done)}


def _brief_page_again(request, brief, **forms):
    from marketplace.views import brief_detail_page_context

    context = brief_detail_page_context(request, brief)
    context.update(brief_detail_context(request, brief, **forms))
    return render(request, "marketplace/brief_detail.html", context, status=400)


@login_required
@require_POST
def brief_accept(request, pk, accept=services.work_accept):
    """`accept`: the service; the project's URLconf wires billing's (it releases escrow)."""
    brief = access_brief(request.user, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            accept(brief_id=brief.pk, user=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            from kaigan.forms import add_service_errors

            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you! The work is accepted and the expert rated."))
            return redirect("marketplace:brief_detail", pk=brief.pk)
    return _brief_page_again(request, brief, accept_form=form)


@login_required
@require_POST
def brief_not_satisfied(request, pk):
    brief = access_brief(request.user, pk)
    form = DissatisfactionForm(request.POST)
    if form.is_valid():
        try:
            services.dissatisfaction_submit(
                brief_id=brief.pk, user=request.user, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as exc:
            from kaigan.forms import add_service_errors

            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("We are sorry. The platform takes responsibility and is finding someone new."),
            )
            return redirect("marketplace:brief_detail", pk=brief.pk)
    return _brief_page_again(request, brief, dissatisfaction_form=form)


def _form_errors(form) -> str:
    """A refused small form's errors, as one message (the page it came from is a list)."""
    return " ".join(e for errs in form.errors.values() for e in errs)


def _expert_action(request, action, success_message):
    try:
        action()
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, success_message)
    return redirect("experts:dashboard")


@login_required
@require_POST
def invitation_accept(request, pk, accept=services.invitation_accept):
    """`accept`: the service; the project's URLconf wires billing's (it settles the escrow)."""
    return _expert_action(
        request,
        lambda: accept(match_id=pk, user=request.user),
        _("You accepted the invitation. The startup is told; good luck!"),
    )


@login_required
@require_POST
def invitation_decline(request, pk):
    access_invitation(request.user, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():  # refused, not declined without the reason
        messages.error(request, _form_errors(form))
        return redirect("experts:dashboard")
    reason = form.cleaned_data["reason"]
    return _expert_action(
        request,
        lambda: services.invitation_decline(match_id=pk, user=request.user, reason=reason),
        _("You declined. The platform will find someone else."),
    )


@login_required
@require_POST
def brief_deliver(request, pk, deliver=services.work_deliver):
    """`deliver`: the service; the project's URLconf wires billing's (not before funding)."""
    access_engaged_brief(request.user, pk)
    form = DeliverForm(request.POST)
    if not form.is_valid():  # refused as a whole: not delivered without the note
        messages.error(request, _form_errors(form))
        return redirect("experts:dashboard")
    return _expert_action(
        request,
        lambda: deliver(brief_id=pk, user=request.user, note=form.cleaned_data["note"]),
        _("Marked as delivered. The startup will review it."),
    )


@login_required
def expert_brief_timeline(request, pk):
    """A brief's timeline as the invited expert may read it: their own part of it."""
    brief = access_invited_brief(request.user, pk)
    return render(
        request,
        "experts/brief_timeline.html",
        {"brief": brief, "timeline": brief_timeline_for(brief=brief, user=request.user)},
    )


def _back_to_work(request, brief_id):
    if request.user.role == "expert":
        return redirect("experts:dashboard")
    return redirect("marketplace:brief_detail", pk=brief_id)


@login_required
@require_POST
def quote_change(request, pk):
    """Either side proposes a new scope for work under way; the other must agree."""
    brief = access_brief_or_engagement(request.user, pk)
    form = QuoteChangeForm(request.POST)
    if form.is_valid():
        try:
            marketplace_services.quote_propose_change(
                brief_id=brief.pk,
                user=request.user,
                scope_days=form.cleaned_data["scope_days"],
                fixed_price=form.cleaned_data["fixed_price"],
            )
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Your proposal is sent; the other side must agree."))
    else:
        messages.error(request, _form_errors(form))
    return _back_to_work(request, brief.pk)


@login_required
@require_POST
def quote_answer(request, pk):
    quote = Quote.objects.filter(pk=pk).first()
    if quote is None:
        raise Http404
    brief = access_brief_or_engagement(request.user, quote.brief_id)
    agree = request.POST.get("answer") == "agree"
    try:
        marketplace_services.quote_answer_change(quote_id=quote.pk, user=request.user, agree=agree)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The new quote is agreed.") if agree else _("The change is rejected.")
        )
    return _back_to_work(request, brief.pk)
