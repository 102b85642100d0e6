"""Reads for the marketplace pages and API; every list is scoped to the person asking."""

from django.db.models import Prefetch, Q

from kaigan.accounts.models import User
from marketplace.models import Brief, BriefEvent, Match, Startup

#: Match statuses a startup may see: the PM has approved them (or they came after approval).
STARTUP_VISIBLE_MATCH_STATUSES = (
    Match.Status.APPROVED,
    Match.Status.ACCEPTED,
    Match.Status.DECLINED,
    Match.Status.EXPIRED,
    Match.Status.REPLACED,
    Match.Status.COMPLETED,
)


def startup_for(*, user) -> Startup | None:
    return Startup.objects.filter(owner=user).first()


def brief_list_for(*, user):
    """The briefs a person may see: a startup its own, a PM those assigned, a superuser all."""
    qs = Brief.objects.select_related("tag", "campaign", "pm", "startup")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == User.Role.STARTUP:
        return qs.filter(startup__owner=user)
    if user.role == User.Role.PM:
        return qs.filter(pm=user)
    return qs.none()


def live_match(brief: Brief) -> Match | None:
    return (
        brief.matches.filter(status__in=Match.LIVE_STATUSES).select_related("expert__tag").first()
    )


def brief_timeline(brief: Brief):
    return (
        BriefEvent.objects.filter(brief=brief).select_related("actor").order_by("created_at", "id")
    )


def brief_matches_for(*, brief: Brief, user):
    qs = brief.matches.select_related("expert__tag").order_by("round", "rank")
    if user.is_superuser or (user.role == User.Role.PM and brief.pm_id == user.pk):
        return qs
    return qs.filter(status__in=STARTUP_VISIBLE_MATCH_STATUSES)


def expert_work_for(*, expert) -> dict:
    """Invitations waiting for the expert's answer, and their engagements."""
    matches = (
        Match.objects.filter(expert=expert)
        .filter(
            Q(status=Match.Status.APPROVED)
            | Q(status__in=[Match.Status.ACCEPTED, Match.Status.COMPLETED])
        )
        .select_related("brief__tag", "brief__startup")
        .order_by("-invited_at", "-id")
    )
    invitations, engagements = [], []
    for match in matches:
        (invitations if match.status == Match.Status.APPROVED else engagements).append(match)
    return {"invitations": invitations, "engagements": engagements}


def brief_with_timeline(*, brief_id: int, user):
    return (
        brief_list_for(user=user)
        .prefetch_related(Prefetch("events", queryset=BriefEvent.objects.select_related("actor")))
        .get(pk=brief_id)
    )
