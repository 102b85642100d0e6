import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from experts.selectors import tag_list
from kaigan.accounts.models import User
from kaigan.api.throttling import scoped_throttle_wait
from kaigan.errors import ApplicationError, Conflict
from kaigan.files.selectors import files_of
from kaigan.files.services import file_store
from kaigan.files.uploads import TOO_LARGE, upload_refusal
from kaigan.forms import add_service_errors
from marketplace import selectors, services
from marketplace.access import access_brief
from marketplace.forms import BriefForm, CancelForm, StartupProfileForm
from projects.services import brief_submit
from projects.views import brief_detail_context


def _my_startup(request):
    startup = selectors.startup_for(user=request.user)
    if startup is None or request.user.role != User.Role.STARTUP:
        raise PermissionDenied
    return startup


def _my_brief(request, pk):
    """The startup's own brief, as `_my_startup` and then `access_brief` give it (403 for someone
    who is not a startup, 404 for another's brief), in one query where it can: the brief's
    query already joins the startup through its owner."""
    user = request.user
    if user.role != User.Role.STARTUP or user.is_superuser:
        _my_startup(request)
        return access_brief(user, pk)
    try:
        return access_brief(user, pk)
    except Http404:
        _my_startup(request)  # a startup account without its startup: 403, as before
        raise


@login_required
def brief_list(request):
    startup = _my_startup(request)
    briefs = selectors.brief_list_for(user=request.user).order_by("-created_at", "-id")
    status = request.GET.get("status")
    if status:
        briefs = briefs.filter(status=status)
    page = Paginator(briefs, 10).get_page(request.GET.get("page"))
    return render(
        request, "marketplace/brief_list.html", {"page": page, "startup": startup, "status": status}
    )


def _brief_form(request, **kwargs) -> BriefForm:
    """The brief form with what was posted, its files included (multipart)."""
    if request.method != "POST":
        return BriefForm(**kwargs)
    data, files = request.POST, request.FILES  # the body is parsed here
    return BriefForm(data, files, upload_refusal=upload_refusal(request), **kwargs)


def _wait_message(wait: float, *, files: bool = False) -> str:
    minutes = max(1, math.ceil(wait / 60))
    if files:
        return ngettext(
            "You have uploaded many files in a short time. Please try again in %(minutes)d minute.",
            "You have uploaded many files in a short time. Please try again in %(minutes)d "
            "minutes.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "You have posted many briefs in a short time. Please try again in %(minutes)d minute.",
        "You have posted many briefs in a short time. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _refused_upload_status(form) -> int:
    """An invalid form is shown again; a refused upload among its errors makes it a 4xx (413
    when the body was stopped for its size)."""
    if "files" not in form.errors:
        return 200
    return 413 if form.upload_refusal == TOO_LARGE else 400


def _store_uploads(request, form) -> tuple[list[int] | None, int]:
    """Store the form's checked files (kaigan.files), each counted against the API's upload
    limit: their ids, or None with the form's error and the page's status when one is refused
    (throttled: 429; over the quota: 413)."""
    ids = []
    for checked in form.cleaned_data.get("files") or []:
        wait = scoped_throttle_wait(request, "file_upload")
        if wait is not None:
            form.add_error("files", _wait_message(wait, files=True))
            return None, 429
        try:
            ids.append(file_store(user=request.user, checked=checked).pk)
        except ApplicationError as exc:
            form.add_error("files", exc.message)
            return None, exc.status_code
    return ids, 200


@login_required
def brief_create(request):
    startup = _my_startup(request)
    form = _brief_form(request)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = _refused_upload_status(form)
    elif request.method == "POST":
        # The API's limit on posting briefs, in the same window: one limit for both paths.
        wait = scoped_throttle_wait(request, "brief_post")
        if wait is not None:
            form.add_error(None, _wait_message(wait))
            status = 429
        elif (stored := _store_uploads(request, form))[0] is None:
            status = stored[1]
        else:
            try:
                brief = brief_submit(
                    startup=startup, actor=request.user, files=stored[0], **form.brief_data()
                )
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Your brief is posted. A project manager will follow it.")
                )
                return redirect("marketplace:brief_detail", pk=brief.pk)
    return render(
        request,
        "marketplace/brief_form.html",
        {"form": form, "tags": tag_list(), "campaigns": startup.campaigns.all()},
        status=status,
    )


def brief_detail_page_context(request, brief, *, cancel_form=None) -> dict:
    events = list(selectors.brief_timeline(brief))
    return {
        "brief": brief,
        "reference_files": files_of(brief),
        "timeline": selectors.brief_timeline_for(brief=brief, user=request.user, events=events),
        "promise_open": selectors.rematch_promise_open(brief=brief, timeline=events),
        "cancel_form": cancel_form or CancelForm(),
        "cancellable": brief.status in services.CANCELLABLE,
    }


@login_required
def brief_detail(request, pk):
    if request.user.is_staff and request.user.role != User.Role.STARTUP:
        # Project managers work on briefs in the admin (which decides what they may see): a
        # startup's link, say in a forwarded mail or an older notification, takes them there.
        return redirect("admin:marketplace_brief_change", pk)
    brief = _my_brief(request, pk)
    context = brief_detail_page_context(request, brief)
    context.update(brief_detail_context(request, brief))
    return render(request, "marketplace/brief_detail.html", context)


@login_required
def brief_edit(request, pk):
    brief = _my_brief(request, pk)
    if not brief.is_editable:
        messages.error(request, _("This brief can no longer be edited."))
        return redirect("marketplace:brief_detail", pk=brief.pk)
    current_files = files_of(brief)
    form = _brief_form(request, initial=BriefForm.initial_for(brief), current_files=current_files)
    newer = None
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = _refused_upload_status(form)
    elif request.method == "POST":
        data = form.brief_data()
        version = form.cleaned_data.get("version")
        if version is not None and version != brief.version:
            # Changed since the form was opened: no file is stored for an edit that will not
            # be saved as it is.
            form, newer = _edit_after_conflict(request, brief.pk)
        elif (stored := _store_uploads(request, form))[0] is None:
            status = stored[1]
        else:
            if stored[0] or form.cleaned_data.get("remove_files"):
                data["files"] = [*form.kept_file_ids(), *stored[0]]
            try:
                services.brief_update(
                    brief_id=brief.pk, actor=request.user, data=data, version=version
                )
            except Conflict:
                form, newer = _edit_after_conflict(request, brief.pk)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect("marketplace:brief_detail", pk=brief.pk)
    return render(
        request,
        "marketplace/brief_form.html",
        {
            "form": form,
            "brief": brief,
            "tags": tag_list(),
            "campaigns": brief.startup.campaigns.all(),
            "newer": newer,
        },
        status=status,
    )


def _edit_after_conflict(request, pk):
    """The brief changed since the form was opened (another tab, another person): keep what
    the user typed, show what is saved now where it differs, and let a second save replace
    it knowingly (the form now carries the saved version)."""
    brief = access_brief(request.user, pk)
    saved = BriefForm.initial_for(brief)
    data = request.POST.copy()
    data["version"] = saved["version"]
    # The files chosen are not kept: a browser cannot be handed them back.
    again = BriefForm(data, initial=saved, current_files=files_of(brief))
    again.is_valid()
    again.add_error(
        None,
        _(
            "This brief was changed since you opened it. Your edits are kept below; what is "
            "saved now is listed above them. Save again to replace it with yours."
        ),
    )
    shown = {**saved, "tag": brief.tag.display_name}
    newer = [
        (again[name].label, shown[name] or "—")
        for name in (*BriefForm.BRIEF_FIELDS, "campaign")
        if str(saved[name]).strip() != str(again[name].value() or "").strip()
    ]
    return again, newer


@login_required
@require_POST
def brief_cancel(request, pk, cancel=services.brief_cancel):
    """`cancel`: the service; the project's URLconf wires billing's (it refunds escrow)."""
    brief = _my_brief(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():  # the page again, with what was typed and why it was refused
        context = brief_detail_page_context(request, brief, cancel_form=form)
        context.update(brief_detail_context(request, brief))
        return render(request, "marketplace/brief_detail.html", context, status=400)
    try:
        cancel(brief_id=brief.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The brief is cancelled."))
    return redirect("marketplace:brief_detail", pk=brief.pk)


@login_required
def startup_profile(request):
    startup = _my_startup(request)
    form = StartupProfileForm(request.POST or None, instance=startup)
    if request.method == "POST" and form.is_valid():
        try:
            services.startup_update(
                startup_id=startup.pk,
                data={name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your company profile is saved."))
            return redirect("marketplace:brief_list")
    return render(request, "marketplace/startup_profile.html", {"form": form})


@login_required
def quotes_csv(request):
    """The startup's quotes as CSV, with headers in the page's language."""
    import csv

    from django.http import HttpResponse
    from django.utils import timezone

    _my_startup(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kaigan-quotes-{stamp}.csv"'
    response.write("\ufeff")  # a BOM, so spreadsheet programs read the Chinese right
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Brief"),
            _("Expert"),
            _("Version"),
            _("Status"),
            _("Expert's engagement"),
            _("Days"),
            _("Day rate (CNY)"),
            _("Fixed price (CNY)"),
            _("Expert earns (CNY)"),
            _("Platform fee (CNY)"),
            _("Total (CNY)"),
            _("Created"),
            _("Agreed at"),
        ]
    )
    for quote in selectors.quotes_for_startup(user=request.user):
        writer.writerow(
            [
                _csv_safe(quote.brief.title),
                _csv_safe(quote.match.expert.display_name),
                quote.version,
                quote.get_status_display(),
                # A quote stays as agreed when its expert is replaced: the engagement says so.
                quote.match.get_status_display(),
                quote.scope_days if quote.scope_days is not None else "",
                quote.day_rate if quote.scope_days is not None else "",  # a fixed price has none
                quote.fixed_price or "",
                quote.expert_earnings,
                quote.platform_fee,
                quote.total,
                timezone.localtime(quote.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(quote.agreed_at).strftime("%Y-%m-%d %H:%M")
                if quote.agreed_at
                else "",
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
