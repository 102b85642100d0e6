from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kaigan.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_language, dispatch_uid="kaigan-remember-language")


def _remember_language(sender, request, user, **kwargs):
    """At every login: the language the person signs in with is the one their mails use."""
    from kaigan.accounts.services import user_language_remember

    user_language_remember(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
