"""Account workflows. This module sits at the interface level: it may call every app's services."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.urls import reverse

from experts.services import expert_create
from kaigan.accounts.models import User
from marketplace.services import startup_create

logger = logging.getLogger(__name__)


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

    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        User.objects.filter(pk=user.pk).update(language=language)


# --- account mail (verification, password reset, "you already have an account") ---------------


def account_mail_queue(*, message: EmailMessage) -> None:
    """Send an account mail from a worker, with retries, never from the request.

    allauth mails after the user row (or the reset request) is saved: a mail server that is
    down or slow then made the page a 500 for an account that exists. The rendered message
    goes to a Celery task (its link and all, so nothing is looked up again); the page says the
    mail is on its way, which is now true. It is published at once, not on commit: allauth calls
    this after its own writes have committed, and the message needs no row to exist.
    If the broker is unreachable the mail is tried at once; if that fails too it is logged.
    """
    from celery.exceptions import Retry
    from kombu.exceptions import OperationalError

    from kaigan.accounts.tasks import account_mail_send_task

    data = _mail_data(message)
    try:
        account_mail_send_task.delay(data)
    except OperationalError:
        logger.warning("broker unreachable: account mail to %s sent from the request", data["to"])
        try:
            account_mail_send(message=data)
        except OSError:
            logger.exception("account mail to %s could not be sent", data["to"])
    except (OSError, Retry):  # tasks run eagerly (no Redis): the one attempt failed
        logger.exception("account mail to %s could not be sent", data["to"])


def account_mail_send(*, message: dict) -> None:
    mail = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        cc=message["cc"],
        bcc=message["bcc"],
        reply_to=message["reply_to"],
        headers=message["headers"],
        alternatives=[tuple(alternative) for alternative in message["alternatives"]],
    )
    mail.content_subtype = message["content_subtype"]
    mail.send()


def _mail_data(message: EmailMessage) -> dict:
    """The message as JSON for the task (allauth's account mails have no attachments)."""
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "content_subtype": message.content_subtype,
    }
