from celery import shared_task

from kaigan.notifications.services import notification_email_send, notification_email_sweep


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_task(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)


@shared_task(ignore_result=False)  # periodic: its summary is kept
def notification_email_sweep_task() -> int:
    return notification_email_sweep()
