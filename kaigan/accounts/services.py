"""Account workflows. This module sits at the interface level: it may call every app's services."""

from django.urls import reverse

from experts.services import expert_create
from kaigan.accounts.models import User
from marketplace.services import startup_create


def user_profile_create(*, user: User) -> None:
    """Create the profile that goes with the user's role (idempotent)."""
    if user.role == User.Role.EXPERT:
        expert_create(user=user)
    elif user.role == User.Role.STARTUP:
        startup_create(user=user)


def user_home_url(*, user: User) -> str:
    """Where a person lands after logging in: their own workplace."""
    if not user.is_authenticated:
        return reverse("home")
    if user.is_staff:
        return reverse("admin:index")
    if user.role == User.Role.EXPERT:
        return reverse("experts:dashboard")
    if user.role == User.Role.STARTUP:
        return reverse("marketplace:brief_list")
    return reverse("home")


def user_language_remember(*, user, language: str) -> None:
    """Keep the language a person uses the site in, for their e-mails (one write on a change)."""
    from django.conf import settings

    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        User.objects.filter(pk=user.pk).update(language=language)
