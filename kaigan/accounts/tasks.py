from celery import shared_task

from kaigan.accounts.services import account_mail_send


# A mail server that is down or slow must not lose the mail: retried with backoff for about a
# quarter of an hour (each delay below the broker's visibility timeout, settings.base).
@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def account_mail_send_task(message: dict) -> None:
    account_mail_send(message=message)
