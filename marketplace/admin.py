from django.contrib import admin

from marketplace.models import Brief, BriefEvent, Campaign, Match, Startup


class NoDeleteAdmin(admin.ModelAdmin):
    """Business records are never deleted: briefs are cancelled, matches end in a status."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Startup)
class StartupAdmin(NoDeleteAdmin):
    list_display = ["__str__", "stage", "industry", "city", "created_at"]
    list_filter = ["stage"]
    search_fields = ["company_name", "owner__email", "industry", "city"]
    list_select_related = ["owner"]
    readonly_fields = ["owner", "created_at", "updated_at"]


@admin.register(Campaign)
class CampaignAdmin(NoDeleteAdmin):
    list_display = ["name", "startup", "created_at"]
    list_select_related = ["startup__owner"]
    search_fields = ["name", "startup__company_name"]


class BriefEventInline(admin.TabularInline):
    model = BriefEvent
    extra = 0
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Brief)
class BriefAdmin(NoDeleteAdmin):
    list_display = ["title", "startup", "tag", "status", "pm", "deadline", "created_at"]
    list_filter = ["status", "tag"]
    list_select_related = ["startup__owner", "tag", "pm"]
    search_fields = ["title", "startup__company_name"]
    readonly_fields = ["startup", "status", "created_at", "updated_at", "status_changed_at"]
    inlines = [BriefEventInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pm=request.user)


@admin.register(Match)
class MatchAdmin(NoDeleteAdmin):
    list_display = ["brief", "expert", "status", "round", "rank", "score"]
    list_filter = ["status"]
    list_select_related = ["brief", "expert"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(brief__pm=request.user)
