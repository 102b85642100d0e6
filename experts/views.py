from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from experts import selectors, services
from experts.forms import ExpertProfileForm, TagClaimForm
from kaigan.errors import ApplicationError
from kaigan.forms import add_service_errors


def _my_expert(request):
    expert = selectors.expert_get_for_user(user=request.user)
    if expert is None:
        raise PermissionDenied
    return expert


@login_required
def dashboard(request):
    expert = _my_expert(request)
    form = ExpertProfileForm(request.POST or None, instance=expert)
    if request.method == "POST" and form.is_valid():
        try:
            services.expert_update(
                expert_id=expert.pk,
                data={name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("experts:dashboard")
    context = {"expert": expert, "form": form}
    context.update(_work_context(expert))
    return render(request, "experts/dashboard.html", context)


def _work_context(expert) -> dict:
    """Invitations and engagements, filled in by the marketplace once matching exists."""
    from marketplace.selectors import expert_work_for

    return expert_work_for(expert=expert)


@login_required
def claim_tag(request):
    expert = _my_expert(request)
    form = TagClaimForm(
        request.POST or None, initial={"tag": expert.tag.slug if expert.tag else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.expert_claim_tag(
                expert_id=expert.pk, tag_slug=form.cleaned_data["tag"], actor=request.user
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your tag is claimed."))
            return redirect("experts:dashboard")
    return render(
        request,
        "experts/claim_tag.html",
        {
            "expert": expert,
            "form": form,
            "groups": selectors.tags_by_stage(),
            "selected": form["tag"].value(),
        },
    )
