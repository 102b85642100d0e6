"""Workflows that span the apps: posting with PM assignment, engagements, feedback, re-matching."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, Q

from kaigan.accounts.models import User
from marketplace import services as marketplace_services
from marketplace.models import Brief, Startup
from projects.models import ProjectManager

PM_GROUP = "Project managers"
#: Exactly what a PM needs in the admin: follow briefs and their matches, read experts and
#: their tag history, act on re-match jobs. No delete anywhere.
PM_PERMISSIONS = (
    ("marketplace", "view_brief"),
    ("marketplace", "change_brief"),
    ("marketplace", "view_briefevent"),
    ("marketplace", "view_match"),
    ("marketplace", "change_match"),
    ("marketplace", "approve_match"),
    ("marketplace", "view_startup"),
    ("marketplace", "view_campaign"),
    ("experts", "view_expert"),
    ("experts", "view_tag"),
    ("experts", "view_tagchange"),
    ("projects", "view_project"),
    ("projects", "view_feedback"),
    ("projects", "view_rematchjob"),
    ("projects", "change_rematchjob"),
    ("projects", "view_projectmanager"),
)


def pm_group_ensure() -> Group:
    """Create or repair the "Project managers" group with exactly the PM permissions."""
    group, _created = Group.objects.get_or_create(name=PM_GROUP)
    query = Q(pk__in=[])
    for app_label, codename in PM_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(query))
    return group


@transaction.atomic
def pm_create(*, email: str, password: str, name: str = "", capacity: int = 20) -> User:
    """A staff user with a PM profile in the PM group (idempotent on the email)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    else:
        user.set_password(password)
    user.role = User.Role.PM
    user.is_staff = True
    user.is_active = True
    if name:
        user.name = name
    user.save()
    ProjectManager.objects.update_or_create(
        user=user, defaults={"capacity": capacity, "is_active": True}
    )
    user.groups.add(pm_group_ensure())
    _verified_email(user)
    return user


def _verified_email(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def pm_pick(*, brief: Brief) -> User | None:
    """The active PM with the fewest open briefs below capacity; ties: knows the tag, then id.

    PM rows are locked (in pk order) so that concurrent posts cannot push a PM over capacity.
    """
    pms = list(
        ProjectManager.objects.select_for_update()
        .filter(is_active=True, user__is_active=True)
        .order_by("pk")
    )
    if not pms:
        return None
    loads = dict(
        Brief.objects.filter(pm_id__in=[pm.user_id for pm in pms], status__in=Brief.OPEN_STATUSES)
        .values("pm_id")
        .annotate(n=Count("pk"))
        .values_list("pm_id", "n")
    )
    knows_tag = set(
        ProjectManager.tags.through.objects.filter(
            projectmanager_id__in=[pm.pk for pm in pms], tag_id=brief.tag_id
        ).values_list("projectmanager_id", flat=True)
    )
    free = [pm for pm in pms if loads.get(pm.user_id, 0) < pm.capacity]
    if not free:
        return None
    best = min(free, key=lambda pm: (loads.get(pm.user_id, 0), pm.pk not in knows_tag, pm.pk))
    return best.user


@transaction.atomic
def brief_submit(*, startup: Startup, actor, **fields) -> Brief:
    """Post a brief: store it, give it a PM (or tell superusers), rank experts after commit."""
    from marketplace.tasks import propose_matches_task

    brief = marketplace_services.brief_create(startup=startup, actor=actor, **fields)
    pm_user = pm_pick(brief=brief)
    if pm_user is not None:
        marketplace_services.brief_assign_pm(brief=brief, pm_user=pm_user)
    else:
        marketplace_services.brief_notify_unassigned(brief=brief)
    transaction.on_commit(lambda: propose_matches_task.delay(brief.pk))
    return brief
