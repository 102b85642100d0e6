from django import forms
from django.utils.translation import gettext_lazy as _

from experts.models import Tag
from experts.selectors import tag_list
from kaigan.forms import DateInput, Textarea
from marketplace.models import BUDGET_MAX, BUDGET_MIN, Brief, Startup


class TagChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Tag):
        return obj.display_name


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tag_list()

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
