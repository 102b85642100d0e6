"""Browser actions after posting: the startup accepts or is not satisfied; the expert answers
invitations and delivers. Each view parses the form, calls one service, and redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaigan.errors import ApplicationError
from marketplace.access import access_brief
from marketplace.models import Brief
from marketplace.selectors import brief_matches_for
from projects import services
from projects.forms import AcceptForm, DeclineForm, DissatisfactionForm


def brief_detail_context(request, brief, *, accept_form=None, dissatisfaction_form=None) -> dict:
    """What the startup can do next on its brief page."""
    status = brief.status
    return {
        "matches": brief_matches_for(brief=brief, user=request.user),
        "accept_form": accept_form or (AcceptForm() if status == Brief.Status.DELIVERED else None),
        "dissatisfaction_form": dissatisfaction_form
        or (DissatisfactionForm() if status in services.DISSATISFACTION_FROM else None),
    }


def _brief_page_again(request, brief, **forms):
    from marketplace.views import brief_detail_page_context

    context = brief_detail_page_context(request, brief)
    context.update(brief_detail_context(request, brief, **forms))
    return render(request, "marketplace/brief_detail.html", context, status=400)


@login_required
@require_POST
def brief_accept(request, pk):
    brief = access_brief(request.user, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.work_accept(brief_id=brief.pk, user=request.user, **form.cleaned_data)
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


def _expert_action(request, action, success_message):
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success_message)
    return redirect("experts:dashboard")


@login_required
@require_POST
def invitation_accept(request, pk):
    return _expert_action(
        request,
        lambda: services.invitation_accept(match_id=pk, user=request.user),
        _("You accepted the invitation. The startup is told; good luck!"),
    )


@login_required
@require_POST
def invitation_decline(request, pk):
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _expert_action(
        request,
        lambda: services.invitation_decline(match_id=pk, user=request.user, reason=reason),
        _("You declined. The platform will find someone else."),
    )


@login_required
@require_POST
def brief_deliver(request, pk):
    return _expert_action(
        request,
        lambda: services.work_deliver(brief_id=pk, user=request.user),
        _("Marked as delivered. The startup will review it."),
    )
