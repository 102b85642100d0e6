from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from kaigan.accounts import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user.role = form.cleaned_data["role"]
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                services.user_profile_create(user=user)
        return user

    def get_login_redirect_url(self, request):
        return services.user_home_url(user=request.user)

    def get_signup_redirect_url(self, request):
        return services.user_home_url(user=request.user)
