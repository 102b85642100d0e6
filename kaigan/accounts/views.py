"""allauth's signup page, with the one answer a race on the email needs."""

from allauth.account.views import SignupView as AllauthSignupView
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from kaigan.accounts.models import User


class SignupView(AllauthSignupView):
    """The form checks that the email is free before the user is inserted; two signups with one
    email at the same moment both pass that check, and the database's unique email refuses the
    later insert. Answer it as the check answers once the first has committed (the form again
    with "already registered", or, when enumeration is prevented, the "verification sent" page),
    never a 500."""

    def form_valid(self, form):
        if getattr(form, "account_already_exists", False):
            # A signup with a taken email creates nothing, so it answered ten times sooner than
            # a new account (whose password is hashed): that told who has an account. Hash the
            # password all the same; the answer then takes as long.
            make_password(form.cleaned_data.get("password1") or "")
        try:
            return super().form_valid(form)
        except IntegrityError:
            email = form.cleaned_data.get("email") or ""
            if not email or not User.objects.filter(email__iexact=email).exists():
                raise
            try:
                form.validate_unique_email(email)  # now sees the committed account
            except ValidationError as exc:
                form.add_error("email", exc)
                return self.form_invalid(form)
            return super().form_valid(form)  # the account exists: allauth's enumeration answer
