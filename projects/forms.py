from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kaigan.forms import Textarea
from projects.models import Feedback, Project


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
        widget=Textarea(attrs={"rows": 3}),
    )


class DissatisfactionForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What went wrong?"), choices=Feedback.Reason.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Tell us more (optional)"),
        max_length=2000,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
    )


class DeliverForm(forms.Form):
    note = forms.CharField(
        label=_("What you hand over"),
        max_length=Project.DELIVERY_NOTE_MAX,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        help_text=_("Links, where the files are, anything the startup should know."),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class QuoteChangeForm(forms.Form):
    scope_days = forms.DecimalField(
        label=_("New scope (days)"),
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal("120"),
        decimal_places=1,
        max_digits=4,
        help_text=_("In half days. Or give a fixed price instead."),
    )
    fixed_price = forms.IntegerField(
        label=_("Or a fixed price (CNY)"), required=False, min_value=100, max_value=5_000_000
    )

    def clean(self):
        cleaned = super().clean()
        days, price = cleaned.get("scope_days"), cleaned.get("fixed_price")
        if not self.errors and (days is None) == (price is None):
            raise forms.ValidationError(_("Give either a scope in days or a fixed price."))
        return cleaned
