from django import forms
from django.utils.translation import gettext_lazy as _

from experts.models import Expert
from experts.selectors import tag_list
from experts.services import portfolio_links_check
from kaigan.forms import Textarea


class ExpertProfileForm(forms.ModelForm):
    class Meta:
        model = Expert
        fields = [
            "display_name",
            "headline",
            "city",
            "day_rate",
            "capacity",
            "availability",
            "bio",
            "portfolio_links",
        ]
        widgets = {
            "bio": Textarea(attrs={"rows": 5}),
            "portfolio_links": Textarea(
                attrs={"rows": 3, "placeholder": "https://example.com/my-work"}
            ),
        }
        help_texts = {"day_rate": _("Whole CNY per working day, between 100 and 100,000.")}

    def clean_portfolio_links(self):
        """The service's check now, so that one answer names every field."""
        cleaned, problem = portfolio_links_check(self.cleaned_data["portfolio_links"])
        if problem:
            raise forms.ValidationError(problem)
        return cleaned


class TagClaimForm(forms.Form):
    tag = forms.ChoiceField(label=_("Your one tag"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [(tag.slug, tag.display_name) for tag in tag_list()]
