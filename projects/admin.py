from django.contrib import admin

from projects.models import Feedback, Project, ProjectManager, RematchJob


@admin.register(ProjectManager)
class ProjectManagerAdmin(admin.ModelAdmin):
    list_display = ["user", "capacity", "is_active"]
    list_select_related = ["user"]
    filter_horizontal = ["tags"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["brief", "expert", "status", "started_at", "delivered_at", "ended_at"]
    list_filter = ["status"]
    list_select_related = ["brief", "expert"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["brief", "kind", "reason", "rating", "counts_against_expert", "created_at"]
    list_filter = ["kind", "reason"]
    list_select_related = ["brief"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RematchJob)
class RematchJobAdmin(admin.ModelAdmin):
    list_display = ["brief", "cause", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "cause"]
    list_select_related = ["brief"]

    def has_delete_permission(self, request, obj=None):
        return False
