from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaigan.errors import ApplicationError
from projects import services
from projects.models import Feedback, Project, ProjectManager, RematchJob


class PMScopedAdmin(admin.ModelAdmin):
    """A PM sees only rows of the briefs assigned to them; nothing is ever deleted."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(brief__pm=request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProjectManager)
class ProjectManagerAdmin(admin.ModelAdmin):
    list_display = ["user", "capacity", "is_active"]
    list_select_related = ["user"]
    filter_horizontal = ["tags"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(PMScopedAdmin):
    list_display = ["brief", "expert", "status", "started_at", "delivered_at", "ended_at"]
    list_filter = ["status"]
    list_select_related = ["brief", "expert"]
    readonly_fields = [
        "match",
        "brief",
        "expert",
        "status",
        "started_at",
        "delivered_at",
        "ended_at",
    ]


@admin.register(Feedback)
class FeedbackAdmin(PMScopedAdmin):
    list_display = [
        "brief",
        "expert",
        "kind",
        "reason",
        "rating",
        "counts_against_expert",
        "created_at",
    ]
    list_filter = ["kind", "reason", "counts_against_expert"]
    list_select_related = ["brief", "expert"]
    readonly_fields = [
        "brief",
        "match",
        "expert",
        "kind",
        "reason",
        "rating",
        "comment",
        "counts_against_expert",
        "author",
        "created_at",
    ]


@admin.register(RematchJob)
class RematchJobAdmin(PMScopedAdmin):
    list_display = [
        "brief",
        "cause",
        "status",
        "attempts",
        "created_at",
        "finished_at",
        "last_error",
    ]
    list_filter = ["status", "cause"]
    list_select_related = ["brief"]
    readonly_fields = [
        "brief",
        "cause",
        "status",
        "attempts",
        "lease_until",
        "last_error",
        "created_at",
        "finished_at",
    ]
    actions = ["requeue"]

    @admin.action(description=_("Requeue re-matching for these briefs"), permissions=["change"])
    def requeue(self, request, queryset):
        for job in queryset.select_related("brief"):
            try:
                services.rematch_requeue(brief_id=job.brief_id, actor=request.user)
            except (ApplicationError, ValidationError) as exc:
                message = exc.message if isinstance(exc, ApplicationError) else exc.messages
                self.message_user(request, f"{job.brief}: {message}", messages.ERROR)
            else:
                self.message_user(request, f"{job.brief}: {_('requeued')}", messages.SUCCESS)
