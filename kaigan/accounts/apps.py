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
    """At login, a language the person chose in this browser (the switch's cookie) becomes the
    one their mails use; a browser that never chose keeps the saved choice as it is."""
    from django.conf import settings

    from kaigan.accounts.services import user_language_remember

    chosen = getattr(request, "COOKIES", {}).get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        user_language_remember(user=user, language=chosen)
