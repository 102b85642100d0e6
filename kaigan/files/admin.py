"""Stored files in the admin: read-only, for superusers (all) and PMs (the files on their
briefs); hiding, with a reason, is the one action (audited). Nothing is deleted."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaigan.admin_base import PeopleAsText
from kaigan.errors import ApplicationError, error_message
from kaigan.files import services
from kaigan.files.models import FileEvent, StoredFile
from kaigan.files.selectors import files_managed_by


class HideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class FileEventInline(PeopleAsText, admin.TabularInline):
    model = FileEvent
    fields = ["created_at", "action", "actor", "target_type", "target_id", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StoredFile)
class StoredFileAdmin(PeopleAsText, admin.ModelAdmin):
    list_display = [
        "name",
        "content_type",
        "size_display",
        "uploaded_by",
        "created_at",
        "hidden",
    ]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter), "content_type"]
    list_select_related = ["uploaded_by"]
    search_fields = ["name", "sha256", "uploaded_by__email"]
    ordering = ["-created_at", "-id"]
    fields = [
        "name",
        "download",
        "content_type",
        "size_display",
        ("width", "height"),
        "sha256",
        "uploaded_by",
        "created_at",
        "hidden_at",
        "hidden_by",
    ]
    readonly_fields = [
        "name",
        "download",
        "content_type",
        "size_display",
        "width",
        "height",
        "sha256",
        "uploaded_by",
        "created_at",
        "hidden_at",
        "hidden_by",
    ]
    inlines = [FileEventInline]
    actions = ["hide_selected"]

    def get_queryset(self, request):
        return files_managed_by(user=request.user).select_related("uploaded_by", "hidden_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_hide_permission(self, request):
        return request.user.has_perm("files.hide_storedfile")

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def size_display(self, stored):
        return filesizeformat(stored.size)

    @admin.display(description=gettext_lazy("hidden"), boolean=True, ordering="hidden_at")
    def hidden(self, stored):
        return stored.hidden_at is not None

    @admin.display(description=gettext_lazy("download"))
    def download(self, stored):
        if stored.hidden_at is not None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("files:download", args=[stored.pk]), _("Download")
        )

    @admin.action(
        description=gettext_lazy("Hide the selected files (with a reason)"), permissions=["hide"]
    )
    def hide_selected(self, request, queryset):
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            for stored in queryset.order_by("pk"):
                try:
                    services.file_hide(file_id=stored.pk, actor=request.user, reason=reason)
                except (ApplicationError, ValidationError) as exc:
                    self.message_user(request, f"{stored}: {error_message(exc)}", messages.ERROR)
                else:
                    self.message_user(
                        request, _("%(file)s: hidden") % {"file": stored}, messages.SUCCESS
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Hide the selected files"),
            "queryset": queryset,
            "form": form,
            "action": "hide_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return render(request, "admin/kaigan/hide_files.html", context)
