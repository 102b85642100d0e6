from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from kaigan.accounts import services
from kaigan.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        return client_ip(request)

    # Failed logins, across the site: once LOGIN_FAILED_SITE were hashed in a minute, further
    # attempts are refused before their password is hashed (allauth's own limits count per
    # address and per account, which many addresses or many accounts would share out).
    def pre_authenticate(self, request, **credentials) -> None:
        if not ratelimit.consume(request, action="login_failed_site", key="site", dry_run=True):
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request, **credentials) -> None:
        ratelimit.consume(request, action="login_failed_site", key="site")

    # Account mails speak as Kaigan, as the platform's own mails do, not as the host name the
    # request came in on (templates/account/email/base_message.txt).
    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.KAIGAN_SITE_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's own send_mail, rendered the same way, but sent from a worker with retries
        # (services.account_mail_queue): a mail server that is down is no 500 for a saved user.
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
            "site_name": settings.KAIGAN_SITE_NAME,
            "site_url": settings.KAIGAN_SITE_URL,
        }
        services.account_mail_queue(message=self.render_mail(template_prefix, email, context))

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
