from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from experts.models import Expert, Tag, TagChange
from kaigan.admin_base import PeopleAsText, PMScope, SaveChangedFieldsOnly


class SuperuserManagedAdmin(SaveChangedFieldsOnly, PeopleAsText, admin.ModelAdmin):
    """Viewable by PMs; only superusers change it."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(SuperuserManagedAdmin):
    list_display = ["name", "name_en", "slug", "stage", "position", "is_active", "expert_count"]
    list_filter = ["stage", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_experts=Count("experts"))

    @admin.display(description=_("experts"), ordering="_experts")
    def expert_count(self, obj):
        return obj._experts


class RatingFilter(admin.SimpleListFilter):
    title = _("rating")
    parameter_name = "rating"

    def lookups(self, request, model_admin):
        return [
            ("none", _("No ratings yet")),
            ("4.5", _("4.5 and above")),
            ("4", _("4 and above")),
            ("below4", _("Below 4")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(rating_count=0)
        if value in ("4.5", "4"):
            return queryset.filter(
                rating_count__gt=0, rating_sum__gte=F("rating_count") * float(value)
            )
        if value == "below4":
            return queryset.filter(rating_count__gt=0, rating_sum__lt=F("rating_count") * 4)
        return queryset


class TagChangeInline(PeopleAsText, admin.TabularInline):
    model = TagChange
    fk_name = "expert"
    extra = 0
    fields = ["created_at", "from_tag", "to_tag", "actor"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("tag history")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Expert)
class ExpertAdmin(PMScope, SuperuserManagedAdmin):
    list_display = [
        "display_name",
        "tag",
        "city",
        "day_rate",
        "rating_display",
        "completed_count",
        "load_display",
        "availability",
    ]
    list_filter = ["tag", "availability", RatingFilter, "tag__stage"]
    list_select_related = ["tag", "user"]
    search_fields = [
        "display_name",
        "city",
        "tag__name",
        "tag__name_en",
        "tag__slug",
        "user__email",
    ]
    readonly_fields = [
        "user",
        "tag",
        "tag_claimed_at",
        "rating_count",
        "rating_sum",
        "completed_count",
        "active_load",
        "pending_invitations",
        "last_active_at",
        "rank_base",
        "created_at",
        "updated_at",
    ]
    inlines = [TagChangeInline]
    # A PM sees the experts proposed for the briefs they follow.
    pm_lookup = "matches__brief__pm"
    pm_lookup_many = True

    @admin.display(description=_("rating"), ordering="rating_sum")
    def rating_display(self, obj):
        return f"{obj.rating_avg} ({obj.rating_count})" if obj.rating_count else "—"

    @admin.display(description=_("load"))
    def load_display(self, obj):
        return f"{obj.active_load}/{obj.capacity}"


@admin.register(TagChange)
class TagChangeAdmin(PMScope, SuperuserManagedAdmin):
    """The audit trail of tag claims: written by `expert_claim_tag` only, never edited."""

    list_display = ["created_at", "expert", "from_tag", "to_tag", "actor"]
    list_select_related = ["expert", "from_tag", "to_tag", "actor"]
    list_filter = ["to_tag"]
    search_fields = ["expert__display_name"]
    pm_lookup = "expert__matches__brief__pm"
    pm_lookup_many = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
