"""The PM's workplace: a brief queue, ranked proposals with their reasons, and the decisions.

Every decision calls a service; the admin only parses the form and reports the outcome.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from experts.models import Expert
from kaigan.accounts.models import User
from kaigan.admin_base import (
    NoDeleteAdmin,
    PeopleAsText,
    PMScope,
    PMScopedAdmin,
    ServiceRecordAdmin,
)
from kaigan.errors import ApplicationError, error_message
from kaigan.files.selectors import files_of
from kaigan.forms import Textarea
from marketplace import selectors, services
from marketplace.models import Brief, BriefEvent, BriefStatusLog, Campaign, Match, Quote, Startup

S = Brief.Status

BREAKDOWN_LABELS = {
    "rating": gettext_lazy("rating"),
    "experience": gettext_lazy("experience"),
    "free_capacity": gettext_lazy("free capacity"),
    "activity": gettext_lazy("recent activity"),
    "newcomer": gettext_lazy("newcomer bonus"),
    "rate_fit": gettext_lazy("day rate fits the budget"),
}


def breakdown_in_words(match: Match) -> str:
    parts = match.breakdown or {}
    if parts.get("picked_by_pm"):
        return _("Picked by hand by the PM.")
    ranked = sorted(
        ((key, value) for key, value in parts.items() if key in BREAKDOWN_LABELS),
        key=lambda item: -item[1],
    )
    separator = _(", ")  # a list separator: "、" in Chinese
    words = separator.join(f"{BREAKDOWN_LABELS[key]} +{value:.2f}" for key, value in ranked)
    if "rating_avg" in parts:
        words += " · " + _("Bayesian rating %(r)s") % {"r": parts["rating_avg"]}
    return words


@admin.register(Startup)
class StartupAdmin(PMScope, NoDeleteAdmin):
    list_display = ["__str__", "stage", "industry", "city", "created_at"]
    list_filter = ["stage"]
    search_fields = ["company_name", "owner__email", "industry", "city"]
    list_select_related = ["owner"]
    readonly_fields = ["owner", "created_at", "updated_at"]
    # A PM sees the startups whose briefs they follow.
    pm_lookup = "briefs__pm"
    pm_lookup_many = True


@admin.register(Campaign)
class CampaignAdmin(PMScope, NoDeleteAdmin):
    list_display = ["name", "startup", "created_at"]
    list_select_related = ["startup__owner"]
    search_fields = ["name", "startup__company_name"]
    pm_lookup = "briefs__pm"
    pm_lookup_many = True

    def get_readonly_fields(self, request, obj=None):
        # A campaign stays with its startup: moving it would put one tenant's briefs under
        # another's name.
        names = list(super().get_readonly_fields(request, obj))
        return [*names, "startup"] if obj is not None else names


class BriefEventInline(PeopleAsText, admin.TabularInline):
    model = BriefEvent
    extra = 0
    fields = ["created_at", "from_status", "to_status", "actor", "reason_shown"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = gettext_lazy("audit history")

    @admin.display(description=gettext_lazy("reason"))
    def reason_shown(self, event):
        # Every event and every reason as written (the admin shows a PM only their own briefs),
        # as the timeline's one rule gives them to the PM.
        return selectors.timeline_entry(event, reader=selectors.TimelineReader.PM, user=None).reason

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MatchInline(admin.TabularInline):
    model = Match
    extra = 0
    can_delete = False
    ordering = ["round", "rank"]
    fields = [
        "round",
        "rank",
        "expert_link",
        "status",
        "score_display",
        "why",
        "expert_rating",
        "expert_load",
        "expert_day_rate",
        "decide",
    ]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("ranked proposals")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("expert__tag", "expert__user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("expert"))
    def expert_link(self, match):
        url = reverse("admin:experts_expert_change", args=[match.expert_id])
        return format_html('<a href="{}">{}</a>', url, match.expert.display_name)

    @admin.display(description=gettext_lazy("score"))
    def score_display(self, match):
        return f"{match.score:.3f}"

    @admin.display(description=gettext_lazy("why this rank"))
    def why(self, match):
        return breakdown_in_words(match)

    @admin.display(description=gettext_lazy("rating"))
    def expert_rating(self, match):
        expert = match.expert
        return f"{expert.rating_avg} ({expert.rating_count})" if expert.rating_count else "—"

    @admin.display(description=gettext_lazy("load"))
    def expert_load(self, match):
        return f"{match.expert.active_load}/{match.expert.capacity}"

    @admin.display(description=gettext_lazy("day rate"))
    def expert_day_rate(self, match):
        return f"¥{match.expert.day_rate}" if match.expert.day_rate else "—"

    @admin.display(description=gettext_lazy("decide"))
    def decide(self, match):
        if match.status != Match.Status.PROPOSED:
            return match.decision_text or "—"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:marketplace_match_approve", args=[match.pk]),
            _("Approve"),
            reverse("admin:marketplace_match_reject", args=[match.pk]),
            _("Reject"),
        )


class ApproveForm(forms.Form):
    scope_days = forms.DecimalField(
        label=gettext_lazy("Scope (days)"),
        required=False,
        min_value=0.5,
        max_value=120,
        decimal_places=1,
        max_digits=4,
        help_text=gettext_lazy("Half-day steps; suggested so the total fits the budget."),
    )
    fixed_price = forms.IntegerField(
        label=gettext_lazy("Or a fixed price (CNY)"),
        required=False,
        min_value=100,
        max_value=5_000_000,
    )
    note = forms.CharField(
        label=gettext_lazy("Why this match (shown to the startup and the expert)"),
        max_length=1000,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class PickForm(forms.Form):
    expert = forms.ModelChoiceField(label=gettext_lazy("Expert"), queryset=Expert.objects.none())
    note = forms.CharField(label=gettext_lazy("Why this match"), max_length=1000, required=False)

    def __init__(self, *args, brief: Brief, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = selectors.pick_candidates(brief=brief)


@admin.register(Brief)
class BriefAdmin(PMScopedAdmin):
    list_display = [
        "title",
        "startup",
        "tag",
        "status_badge",
        "waiting_since",
        "rematch_count",
        "promise",
        "pm",
    ]
    list_filter = ["status", "tag", "tag__stage", "campaign"]
    list_select_related = ["startup__owner", "tag", "pm", "campaign"]
    search_fields = ["title", "startup__company_name", "campaign__name"]
    ordering = ["status_changed_at"]
    readonly_fields = [
        "startup",
        "campaign",
        "title",
        "description",
        "tag",
        "budget_min",
        "budget_max",
        "deadline",
        "status",
        "pm",
        "rematch_count",
        "rematch_started_at",
        "match_round",
        "created_at",
        "status_changed_at",
        "reference_files",
        "pm_tools",
    ]
    # Compact: the PM reads the brief at a glance, the proposals follow right below.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("title", "status"),
                    ("startup", "campaign", "tag"),
                    ("budget_min", "budget_max", "deadline"),
                    "description",
                    "reference_files",
                    ("pm", "rematch_count", "rematch_started_at"),
                    "pm_tools",
                ]
            },
        ),
        (
            gettext_lazy("Dates"),
            {
                "classes": ["collapse"],
                "fields": [("created_at", "status_changed_at", "match_round")],
            },
        ),
    ]
    inlines = [MatchInline, BriefEventInline]
    pm_lookup = "pm"

    def get_queryset(self, request):
        return selectors.with_rematch_promise(super().get_queryset(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A PM changes a brief only through the decisions above, never by saving the form.
        if not request.user.is_superuser:
            extra_context = {
                **(extra_context or {}),
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
                "show_delete_link": False,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False  # startups post briefs

    @admin.display(description=gettext_lazy("reference files"))
    def reference_files(self, brief):
        """The startup's reference files, each downloaded through the access check."""
        files = files_of(brief)
        if not files:
            return "—"
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}">{}</a> ({})',
            (
                (reverse("files:download", args=[f.pk]), f.name, filesizeformat(f.size))
                for f in files
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            # Superusers may reassign the PM; everything else stays as the startup wrote it.
            return [f for f in self.readonly_fields if f != "pm"]
        return super().get_readonly_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pm":
            kwargs["queryset"] = User.objects.filter(role=User.Role.PM, is_active=True).order_by(
                "email"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Never a whole-row save: it would write back the status and counters read when the
        # form was loaded. The only field a superuser edits here goes through its service.
        if change and "pm" in form.changed_data:
            services.brief_reassign_pm(brief_id=obj.pk, pm_user=obj.pm, actor=request.user)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, brief):
        return format_html(
            '<span class="badge status-{}">{}</span>', brief.status, brief.get_status_display()
        )

    @admin.display(description=gettext_lazy("in this status since"), ordering="status_changed_at")
    def waiting_since(self, brief):
        return timezone.localtime(brief.status_changed_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=gettext_lazy("re-match promise"))
    def promise(self, brief):
        if not getattr(brief, "promise_open", False):
            return "—"
        left = brief.rematch_promised_by - timezone.now()
        hours = left.total_seconds() / 3600
        css = "late" if hours < 0 else ("soon" if hours < 12 else "ok")
        return format_html(
            '<span class="promise {}">{}</span>', css, _("%(h).0f h left") % {"h": hours}
        )

    @admin.display(description=gettext_lazy("PM tools"))
    def pm_tools(self, brief):
        if brief.pk is None:
            return "—"
        links = []
        if brief.status == S.AWAITING_APPROVAL:
            links = [
                (
                    reverse("admin:marketplace_brief_add_candidates", args=[brief.pk]),
                    _("Add newer candidates"),
                )
            ]
        if brief.status == S.NEEDS_ATTENTION:
            links = [
                (reverse("admin:marketplace_brief_rerun", args=[brief.pk]), _("Re-run matching")),
                (reverse("admin:marketplace_brief_pick", args=[brief.pk]), _("Pick an expert")),
                (
                    reverse("admin:marketplace_brief_requeue", args=[brief.pk]),
                    _("Requeue re-match"),
                ),
            ]
        if not links:
            return _("Nothing to do by hand in this status.")
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/rerun/",
                self.admin_site.admin_view(self.rerun_view),
                name="marketplace_brief_rerun",
            ),
            path(
                "<int:pk>/add-candidates/",
                self.admin_site.admin_view(self.add_candidates_view),
                name="marketplace_brief_add_candidates",
            ),
            path(
                "<int:pk>/pick/",
                self.admin_site.admin_view(self.pick_view),
                name="marketplace_brief_pick",
            ),
            path(
                "<int:pk>/requeue/",
                self.admin_site.admin_view(self.requeue_view),
                name="marketplace_brief_requeue",
            ),
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="marketplace_brief_dashboard",
            ),
        ]
        return extra + super().get_urls()

    def _brief_for(self, request, pk) -> Brief:
        brief = self.get_queryset(request).filter(pk=pk).first()
        if brief is None or not self.has_change_permission(request, brief):
            raise Http404
        return brief

    def _back(self, brief):
        return HttpResponseRedirect(reverse("admin:marketplace_brief_change", args=[brief.pk]))

    def _confirm(self, request, brief, *, title, form, button, note="", intro=""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "brief": brief,
            "form": form,
            "button": button,
            "note": note,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/kaigan/confirm.html", context)

    def rerun_view(self, request, pk):
        brief = self._brief_for(request, pk)
        if request.method != "POST":
            return self._confirm(
                request, brief, title=_("Re-run matching"), form=None, button=_("Re-run")
            )
        try:
            matches = services.brief_rerun_matching(brief_id=brief.pk, actor=request.user)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_message(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(n)d new proposals.") % {"n": len(matches)}
                if matches
                else _("Still nobody qualifies: pick an expert by hand."),
                messages.SUCCESS if matches else messages.WARNING,
            )
        return self._back(brief)

    def add_candidates_view(self, request, pk):
        brief = self._brief_for(request, pk)
        if request.method != "POST":
            return self._confirm(
                request,
                brief,
                title=_("Add newer candidates"),
                form=None,
                button=_("Add candidates"),
                intro=_(
                    "The brief is ranked again. Experts who joined, claimed the tag or freed "
                    "capacity since its proposals were made, and who now rank among its best "
                    "%(n)d, are added after the open proposals; those stay as they are. Nobody "
                    "turned down on this brief is proposed again."
                )
                % {"n": settings.KAIGAN_MATCH_ROUND_SIZE},
            )
        try:
            matches = services.brief_add_candidates(brief_id=brief.pk, actor=request.user)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_message(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Newer candidates added: %(names)s.")
                % {"names": _(", ").join(m.expert.display_name for m in matches)}
                if matches
                else _("No newer expert ranks among the brief's best %(n)d: nothing was added.")
                % {"n": settings.KAIGAN_MATCH_ROUND_SIZE},
                messages.SUCCESS if matches else messages.INFO,
            )
        return self._back(brief)

    def pick_view(self, request, pk):
        brief = self._brief_for(request, pk)
        form = PickForm(request.POST or None, brief=brief)
        if request.method == "POST" and form.is_valid():
            try:
                services.match_pick(
                    brief_id=brief.pk,
                    expert_id=form.cleaned_data["expert"].pk,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, error_message(exc), messages.ERROR)
            else:
                self.message_user(request, _("The expert is approved and invited."))
                return self._back(brief)
        if not form.fields["expert"].queryset.exists():
            # An empty list would leave the PM guessing: say who is left out, and why.
            note = _(
                "No expert can be picked: every expert with the tag “%(tag)s” who is available "
                "and has free capacity is already on this brief or was turned down on it "
                "(%(proposed)d in all), or the startup was not satisfied with them before. An "
                "expert rejected, declined, expired or replaced on a brief is never proposed for "
                "it again, so that a re-match always brings someone new; a candidate withdrawn "
                "only because another was approved is listed again. Experts who claim this tag, "
                "become available or free up capacity will appear here."
            ) % {"tag": brief.tag, "proposed": selectors.pool_kept_out(brief=brief)}
            return self._confirm(
                request, brief, title=_("Pick an expert by hand"), form=None, button="", note=note
            )
        return self._confirm(
            request, brief, title=_("Pick an expert by hand"), form=form, button=_("Approve")
        )

    def requeue_view(self, request, pk):
        from projects.services import rematch_requeue

        brief = self._brief_for(request, pk)
        if request.method != "POST":
            return self._confirm(
                request, brief, title=_("Requeue re-match"), form=None, button=_("Requeue")
            )
        try:
            rematch_requeue(brief_id=brief.pk, actor=request.user)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_message(exc), messages.ERROR)
        else:
            self.message_user(request, _("Re-matching is queued again."))
        return self._back(brief)

    def dashboard_view(self, request):
        from projects.selectors import pm_dashboard

        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("My dashboard"),
            "opts": self.model._meta,
            **pm_dashboard(briefs=self.get_queryset(request)),
        }
        return TemplateResponse(request, "admin/kaigan/dashboard.html", context)


@admin.register(Match)
class MatchAdmin(ServiceRecordAdmin):
    """Read-only: a match changes only through the PM's decisions (approve, reject) and the
    workflow's services, each of which records why; its recorded decision is never edited."""

    list_display = ["brief", "expert", "status", "round", "rank", "score", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["brief", "expert"]
    search_fields = ["brief__title", "expert__display_name"]
    readonly_fields = [
        "brief",
        "expert",
        "status",
        "round",
        "rank",
        "score",
        "breakdown",
        "pm_note",
        "decision_shown",
        "created_at",
        "decided_at",
        "invited_at",
        "expires_at",
        "responded_at",
    ]
    actions = ["approve_selected", "reject_selected"]

    @admin.display(description=gettext_lazy("reason"))
    def decision_shown(self, match):
        return match.decision_text or "—"

    def has_approve_permission(self, request):
        return request.user.has_perm("marketplace.approve_match")

    def _match_for(self, request, pk) -> Match:
        match = self.get_queryset(request).select_related("brief", "expert").filter(pk=pk).first()
        if match is None:
            raise Http404
        if not self.has_approve_permission(request):
            raise PermissionDenied
        return match

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="marketplace_match_approve",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="marketplace_match_reject",
            ),
        ]
        return extra + super().get_urls()

    def _page(self, request, match, *, title, form, button):
        context = {
            "rule": services.fee_rule(),
            **self.admin_site.each_context(request),
            "title": title,
            "brief": match.brief,
            "match": match,
            "why": breakdown_in_words(match),
            "form": form,
            "button": button,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/kaigan/confirm.html", context)

    def _to_brief(self, match):
        return HttpResponseRedirect(
            reverse("admin:marketplace_brief_change", args=[match.brief_id])
        )

    def approve_view(self, request, pk):
        match = self._match_for(request, pk)
        default_days, default_price = services.quote_default_terms(
            brief=match.brief, expert=match.expert
        )
        form = ApproveForm(
            request.POST or None,
            initial={"scope_days": default_days} if default_days is not None else {},
        )
        if default_price is not None:  # else the quote's default would pass unannounced
            form.fields["fixed_price"].help_text = _(
                "This expert has no day rate: give a fixed price, or the lower budget "
                "(¥%(budget)s) is offered."
            ) % {"budget": default_price}
        if request.method == "POST" and form.is_valid():
            days, price = form.cleaned_data["scope_days"], form.cleaned_data["fixed_price"]
            if days is not None and price is not None:
                days = None  # a fixed price, when given, is what the PM meant
            try:
                services.match_approve(
                    match_id=match.pk,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    scope_days=days,
                    fixed_price=price,
                )
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, error_message(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(expert)s is approved and invited.") % {"expert": match.expert},
                    messages.SUCCESS,
                )
                quote = match.quotes.order_by("-version").first()
                if quote and days is None and price is None and default_price is not None:
                    self.message_user(
                        request,
                        _("No day rate and no scope: the offer is a fixed ¥%(price)s.")
                        % {"price": quote.fixed_price},
                        messages.WARNING,
                    )
                if quote and quote.total > match.brief.budget_max:
                    self.message_user(
                        request,
                        _("The total ¥%(total)s exceeds the brief's budget of ¥%(budget)s.")
                        % {"total": quote.total, "budget": match.brief.budget_max},
                        messages.WARNING,
                    )
            return self._to_brief(match)
        return self._page(
            request, match, title=_("Approve this match"), form=form, button=_("Approve")
        )

    def reject_view(self, request, pk):
        match = self._match_for(request, pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.match_reject(
                    match_id=match.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, error_message(exc), messages.ERROR)
            else:
                self.message_user(request, _("The proposal is rejected."), messages.SUCCESS)
            return self._to_brief(match)
        return self._page(
            request, match, title=_("Reject this match"), form=form, button=_("Reject")
        )

    @admin.action(
        description=gettext_lazy("Approve the selected proposal"), permissions=["approve"]
    )
    def approve_selected(self, request, queryset):
        self._each(
            request, queryset, lambda m: services.match_approve(match_id=m.pk, actor=request.user)
        )

    @admin.action(
        description=gettext_lazy("Reject the selected proposals (with a reason)"),
        permissions=["approve"],
    )
    def reject_selected(self, request, queryset):
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                self._each(
                    request,
                    queryset,
                    lambda m: services.match_reject(
                        match_id=m.pk, actor=request.user, reason=reason
                    ),
                )
                return None
        else:
            form = RejectForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject the selected proposals"),
            "queryset": queryset,
            "form": form,
            "action": "reject_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return render(request, "admin/kaigan/reject_action.html", context)

    def _each(self, request, queryset, act):
        """Call the service for each row and report each outcome on its own."""
        for match in queryset.select_related("expert", "brief").order_by("brief_id", "rank"):
            try:
                act(match)
            except (ApplicationError, ValidationError) as exc:
                self.message_user(
                    request,
                    f"{match.expert} / {match.brief}: {error_message(exc)}",
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(expert)s / %(brief)s: done")
                    % {"expert": match.expert, "brief": match.brief},
                    messages.SUCCESS,
                )


@admin.register(Quote)
class QuoteAdmin(ServiceRecordAdmin):
    """Read-only: quotes change only through the approval and the two sides' agreement."""

    list_display = [
        "brief",
        "match",
        "version",
        "status",
        "expert_earnings",
        "platform_fee",
        "total",
        "fee_waived",
        "agreed_at",
    ]
    list_filter = ["status", "fee_waived"]
    list_select_related = ["brief", "match__expert"]
    search_fields = ["brief__title"]


@admin.register(BriefStatusLog)
class BriefStatusLogAdmin(NoDeleteAdmin):
    """The trigger-written log of every status change (bulk updates included)."""

    list_display = ["changed_at", "brief", "old_status", "new_status"]
    list_filter = ["new_status"]
    list_select_related = ["brief"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
