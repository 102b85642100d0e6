"""Shared bases for the PM's workplace in the admin."""

from django.contrib import admin


class NoDeleteAdmin(admin.ModelAdmin):
    """Business records are never deleted: briefs are cancelled, matches end in a status."""

    def has_delete_permission(self, request, obj=None):
        return False


class PMScopedAdmin(NoDeleteAdmin):
    """A PM sees only the rows of the briefs assigned to them; superusers see all."""

    #: The lookup from this model to the brief's PM.
    pm_lookup = "brief__pm"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.pm_lookup: request.user})
