from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from experts.models import Tag
from experts.selectors import tag_list
from kaigan.files.services import file_check
from kaigan.files.uploads import TOO_LARGE, TOO_MANY
from kaigan.files.validation import UploadRefused, too_large_message
from kaigan.forms import DateInput, Textarea
from marketplace.models import BUDGET_MAX, BUDGET_MIN, Brief, Startup


class TagChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Tag):
        return obj.display_name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReferenceFilesField(forms.FileField):
    """Several files in one input; each is checked by kaigan.files (its type from its content),
    and the cleaned value is the list of checked uploads, stored by the view once the whole
    form is valid."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)
        #: Why the upload handler stopped the body (kaigan.files.uploads): then what arrived
        #: is not read at all.
        self.refusal = None

    def clean(self, data, initial=None):
        limit = settings.KAIGAN_FILE_MAX_PER_REQUEST
        if self.refusal == TOO_LARGE:
            raise forms.ValidationError(too_large_message())
        if self.refusal == TOO_MANY or (isinstance(data, list | tuple) and len(data) > limit):
            raise forms.ValidationError(
                ngettext(
                    "Send at most %(count)d file at a time.",
                    "Send at most %(count)d files at a time.",
                    limit,
                )
                % {"count": limit}
            )
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        uploads = [super(ReferenceFilesField, self).clean(one, initial) for one in uploads]
        errors, checked = [], []
        for upload in uploads:
            try:
                checked.append(file_check(uploaded=upload))
            except UploadRefused as exc:
                errors.append(f"{upload.name[:80]}: {exc.message}")
        if errors:
            raise forms.ValidationError(errors)
        return checked


def _files_help():
    return _(
        "Optional: reference material for the expert, up to %(count)d files of at most "
        "%(size)s each — images, PDF, Word, Excel, PowerPoint, zip, text or fonts."
    ) % {
        "count": settings.KAIGAN_FILE_MAX_PER_REQUEST,
        "size": filesizeformat(settings.KAIGAN_FILE_MAX_BYTES),
    }


class BriefForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What do you need?"),
        max_length=5000,
        widget=Textarea(attrs={"rows": 6}),
        help_text=_("The goal, the audience, what you already have, what good looks like."),
    )
    tag = TagChoiceField(
        label=_("The one skill this needs"),
        queryset=Tag.objects.none(),
        to_field_name="slug",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    budget_min = forms.IntegerField(
        label=_("Budget from (CNY)"), min_value=BUDGET_MIN, max_value=BUDGET_MAX
    )
    budget_max = forms.IntegerField(
        label=_("Budget up to (CNY)"), min_value=BUDGET_MIN, max_value=BUDGET_MAX
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    campaign = forms.CharField(
        label=_("Campaign (optional)"),
        max_length=60,
        required=False,
        help_text=_("Group several briefs of one launch under one name."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    files = ReferenceFilesField(label=_("Reference files"), required=False)
    remove_files = forms.TypedMultipleChoiceField(
        label=_("Remove"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    #: The fields that are the brief's own (the rest are its files).
    BRIEF_FIELDS = ("title", "description", "tag", "budget_min", "budget_max", "deadline")

    def __init__(self, *args, current_files=(), upload_refusal=None, **kwargs):
        """`current_files`: the brief's reference files, which an edit may remove;
        `upload_refusal`: why the upload handler stopped the body (kaigan.files.uploads)."""
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tag_list()
        self.fields["files"].help_text = _files_help()
        self.current_files = list(current_files)
        self.fields["remove_files"].choices = [(f.pk, f.name) for f in self.current_files]
        self.upload_refusal = self.fields["files"].refusal = upload_refusal

    def brief_data(self) -> dict:
        """The brief's own fields, as the services take them."""
        return {
            name: self.cleaned_data[name]
            for name in (*self.BRIEF_FIELDS, "campaign")
            if name in self.cleaned_data
        }

    def kept_file_ids(self) -> list[int]:
        """The brief's files that stay (those not ticked for removal)."""
        removed = set(self.cleaned_data.get("remove_files") or [])
        return [f.pk for f in self.current_files if f.pk not in removed]

    def clean(self):
        from marketplace.services import brief_input_errors

        cleaned = super().clean()
        # The service's own checks, now, so that one answer names every field; a deadline
        # that an edit leaves as it was is not checked (it may have passed meanwhile).
        deadline = cleaned.get("deadline")
        if deadline is not None and deadline == self.initial.get("deadline"):
            deadline = None
        errors = brief_input_errors(
            {
                "deadline": deadline,
                "budget_min": cleaned.get("budget_min"),
                "budget_max": cleaned.get("budget_max"),
            }
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned

    @classmethod
    def initial_for(cls, brief: Brief) -> dict:
        return {
            "title": brief.title,
            "description": brief.description,
            "tag": brief.tag.slug,
            "budget_min": brief.budget_min,
            "budget_max": brief.budget_max,
            "deadline": brief.deadline,
            "campaign": brief.campaign.name if brief.campaign else "",
            "version": brief.version,
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), max_length=500, required=False)
    # The site has no script for a "are you sure?" box: the form asks it.
    confirm = forms.BooleanField(
        label=_("Yes, cancel this brief. A cancelled brief cannot be reopened."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )


class StartupProfileForm(forms.ModelForm):
    class Meta:
        model = Startup
        fields = ["company_name", "stage", "industry", "city", "website", "description"]
        widgets = {"description": Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank until the profile is filled in (signup makes the row), but not blanked after:
        # experts and PMs know the startup by it.
        self.fields["company_name"].required = True
