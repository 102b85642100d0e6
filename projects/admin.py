from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaigan.admin_base import NoDeleteAdmin, ServiceRecordAdmin
from kaigan.errors import ApplicationError, error_message
from projects import services
from projects.models import Feedback, Project, ProjectManager, RematchJob


@admin.register(ProjectManager)
class ProjectManagerAdmin(NoDeleteAdmin):
    list_display = ["user", "capacity", "open_briefs", "is_active"]
    list_select_related = ["user"]
    filter_horizontal = ["tags"]
    autocomplete_fields = ["user"]
    readonly_fields = ["open_briefs"]

    def get_readonly_fields(self, request, obj=None):
        # The open-brief counter belongs to its user: a profile never moves to another user.
        if obj is not None:
            return ["user", "open_briefs"]
        return []

    def get_exclude(self, request, obj=None):
        # A new profile's counter is taken from its user's briefs on save: no "0" to show before.
        return ["open_briefs"] if obj is None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.pm_counter_init(profile=obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Project)
class ProjectAdmin(ServiceRecordAdmin):
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
class FeedbackAdmin(ServiceRecordAdmin):
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
class RematchJobAdmin(ServiceRecordAdmin):
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

    def has_requeue_permission(self, request):
        return request.user.has_perm("projects.change_rematchjob")

    @admin.action(description=_("Requeue re-matching for these briefs"), permissions=["requeue"])
    def requeue(self, request, queryset):
        for job in queryset.select_related("brief"):
            try:
                services.rematch_requeue(brief_id=job.brief_id, actor=request.user)
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, f"{job.brief}: {error_message(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{job.brief}: {_('requeued')}", messages.SUCCESS)
