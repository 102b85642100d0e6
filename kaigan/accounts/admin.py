from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from kaigan.accounts.models import User
from kaigan.admin_base import SaveChangedFieldsOnly


@admin.register(User)
class UserAdmin(SaveChangedFieldsOnly, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "role")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        # People are deactivated, not deleted: their briefs and audit rows point to them.
        return False
