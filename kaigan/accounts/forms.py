from django import forms
from django.utils.translation import gettext_lazy as _

from kaigan.accounts.models import User


class RoleSignupForm(forms.Form):
    """Extra signup fields (allauth's SIGNUP_FORM_CLASS): which side of the platform one joins.

    Only the two public roles can be chosen; project managers and staff are made by staff.
    """

    role = forms.ChoiceField(
        label=_("I am joining as"),
        choices=[(role.value, role.label) for role in User.SIGNUP_ROLES],
        widget=forms.RadioSelect,
        initial=User.Role.STARTUP,
        help_text=_("A startup posts briefs; an expert (外脑) serves startups with one skill."),
    )

    def signup(self, request, user):
        """Profile creation happens in the adapter, in the same transaction as the user."""
