from kaigan.notifications.models import Notification


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: the count query runs only when a template shows it.
    return {
        "unread_notifications_count": lambda: Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
    }
