from django.contrib import admin

from kaigan.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email"]
    readonly_fields = ["recipient", "kind", "params", "url", "created_at", "read_at", "emailed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only: a saved form would write back `emailed_at` as it was read, and a mail the
        # worker sent meanwhile would go out again.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
