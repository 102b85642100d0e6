"""Shared bases for the PM's workplace in the admin."""

from django.contrib import admin


class PeopleAsText:
    """Readonly fields that point to a user show the person (name and email) as text to staff
    who may not open the user admin (PMs): as links, they led to a 403.

    The field keeps its name among the readonly fields (so forms leave it out) and gains a
    display callable, which the fieldsets show in its place. Mixed into every admin class and
    inline a PM can open; superusers keep Django's links.
    """

    _people: dict = {}

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return names
        shown = [self._person(name) for name in names if isinstance(name, str)]
        return [*names, *(callable_ for callable_ in shown if callable_ is not None)]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (title, {**options, "fields": self._swapped(options["fields"])})
            for title, options in fieldsets
        ]

    def _swapped(self, names):
        out, seen = [], set()
        for name in names:
            if isinstance(name, list | tuple):
                out.append(type(name)(self._swapped(name)))
                continue
            shown = self._person(name) if isinstance(name, str) else None
            item = shown or name
            if item not in seen:  # Django's default fields list the name and the callable
                seen.add(item)
                out.append(item)
        return out

    def _person(self, name: str):
        """The display callable for a user foreign key `name`, or None for any other field."""
        from django.contrib.auth import get_user_model
        from django.core.exceptions import FieldDoesNotExist

        key = (self.model, name)
        if key not in self._people:
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
            is_person = (
                field is not None
                and (field.many_to_one or field.one_to_one)
                and (field.related_model is get_user_model())
            )
            self._people[key] = _person_display(name, field.verbose_name) if is_person else None
        return self._people[key]


def _person_display(name: str, label):
    @admin.display(description=label)
    def person(obj):
        user = getattr(obj, name)
        if user is None:
            return "—"
        return f"{user.name} · {user.email}" if user.name else user.email

    person.__name__ = f"{name}_person"
    return person


class SaveChangedFieldsOnly:
    """A change form writes only the columns it changed.

    Django's admin saves the whole row as it was read when the form was posted: a counter, a
    status or a tag that a service changed meanwhile would be written back (a lost update of a
    field the form does not even show). Only the edited columns (and `auto_now` stamps) go out.
    """

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        columns = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
        changed = [name for name in form.changed_data if name in columns]
        if not changed:
            return None
        stamps = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=[*changed, *stamps])
        return None


class NoDeleteAdmin(SaveChangedFieldsOnly, PeopleAsText, admin.ModelAdmin):
    """Business records are never deleted: briefs are cancelled, matches end in a status."""

    def has_delete_permission(self, request, obj=None):
        return False


class PMScope:
    """A PM sees only the rows that belong to the briefs assigned to them (another's answers
    "not found", in the list, the change page and its history); superusers see all.

    `pm_lookup` leads from this model to a brief's PM. When it passes a one-to-many relation
    (a startup's briefs, an expert's matches), one row may reach several briefs: the rows are
    then chosen by a subquery, so that none is listed twice.
    """

    pm_lookup = "brief__pm"
    pm_lookup_many = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return self.pm_scope(qs, user=request.user)

    def pm_scope(self, qs, *, user):
        if self.pm_lookup_many:
            reached = self.model._base_manager.filter(**{self.pm_lookup: user}).values("pk")
            return qs.filter(pk__in=reached)
        return qs.filter(**{self.pm_lookup: user})


class PMScopedAdmin(PMScope, NoDeleteAdmin):
    """A PM sees only the rows of the briefs assigned to them; superusers see all."""


class ServiceRecordAdmin(PMScopedAdmin):
    """Records that only services write (a match, an engagement, feedback, a quote, a re-match
    job): nobody edits them in a form, not even a superuser, so an audited field (a match's
    recorded decision, say) cannot be rewritten around the audited state change. The change
    page shows every field read-only; a posted change form answers 403. Actions that call a
    service name their own permission."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
