from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from kaigan.accounts.models import User
from kaigan.api.schema import refused


class IsExpert(BasePermission):
    message = _("Only experts can do this.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.EXPERT)


#: IsExpert's refusal, as the schema shows it.
NOT_AN_EXPERT = refused(IsExpert.message, "Not an expert")


class IsStartup(BasePermission):
    message = _("Only startups can do this.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.STARTUP)
