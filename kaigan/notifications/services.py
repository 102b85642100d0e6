from collections.abc import Iterable

from django.utils import timezone

from kaigan.notifications.models import Notification
from kaigan.publish import publish_on_commit


def notify(*, recipients: Iterable, kind: str, params: dict, url: str = "") -> list[Notification]:
    """Store a notification for each recipient and mail it after the transaction commits."""
    from kaigan.notifications.tasks import notification_email_task

    seen = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, params=params, url=url))
    created = Notification.objects.bulk_create(rows)
    for row in created:
        # Robust: a broker outage must not fail the request; the sweep mails what is left.
        publish_on_commit(notification_email_task, row.pk)
    return created


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those ids) as read; returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Mail one notification once; a redelivered task finds it already mailed."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation

    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
        text = notification.text
        subject = f"[{settings.KAIGAN_SITE_NAME}] {text}"[:180]
        # The mail is read away from the site: the page's full address.
        body = text + (
            f"\n\n{settings.KAIGAN_SITE_URL}{notification.url}" if notification.url else ""
        )
    send_mail(subject, body, None, [notification.recipient.email])
    return True


def notification_email_sweep(*, older_than_seconds: float = 60, limit: int = 500) -> int:
    """Republish mail for notifications whose message was lost (broker down at the time)."""
    from datetime import timedelta

    from kaigan.notifications.tasks import notification_email_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        notification_email_task.delay(pk)
    return len(ids)
