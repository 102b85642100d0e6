from kaigan.notifications.models import Notification


def notification_list_for(*, user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
