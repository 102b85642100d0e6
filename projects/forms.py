from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import Feedback


class AcceptForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, f"{n} ★") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    review = forms.CharField(
        label=_("Review (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DissatisfactionForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What went wrong?"), choices=Feedback.Reason.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Tell us more (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)
