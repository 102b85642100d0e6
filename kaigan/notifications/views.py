from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kaigan.notifications.selectors import notification_list_for
from kaigan.notifications.services import notifications_mark_read


@login_required
def notification_list(request):
    page = Paginator(notification_list_for(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_mark_all_read(request):
    notifications_mark_read(user=request.user)
    return redirect("notifications:list")
