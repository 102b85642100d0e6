from rest_framework.permissions import BasePermission

from kaigan.accounts.models import User


class IsExpert(BasePermission):
    message = "Only experts can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.EXPERT)


class IsStartup(BasePermission):
    message = "Only startups can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.STARTUP)
