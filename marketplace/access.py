"""The one door to what a person may not see: another tenant's brief, match or quote is a 404.

A view that takes an id resolves it here before it reads any input, so that whatever the
request carries, an id the person may not see answers the same 404 as an id that does not
exist (tests/test_api_matrix.py walks every such route).
"""

from django.db.models import Q
from django.http import Http404

from marketplace.models import Brief, Match
from marketplace.selectors import brief_list_for


def access_brief(user, pk, *, for_update: bool = False, related: bool = True) -> Brief:
    """The brief, if `user` may see it. `related=False` for a caller that reads only the brief's
    own columns: the tag, campaign, PM and startup are then not joined in."""
    qs = brief_list_for(user=user)
    if not related:
        qs = qs.select_related(None)
    try:
        return qs.get(pk=pk)
    except (Brief.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def access_managed_match(user, pk) -> Match:
    """A match on a brief the user manages as its PM (superusers: any)."""
    qs = Match.objects.all()
    if not user.is_superuser:
        qs = qs.filter(brief__pm=user)
    match = qs.filter(pk=pk).first()
    if match is None:
        raise Http404
    return match


def access_invitation(user, pk) -> Match:
    """An invitation to the expert `user`: their match that a PM approved, open or answered (a
    proposal the PM has not approved is not theirs to see)."""
    match = (
        Match.objects.filter(pk=pk, expert__user=user)
        .filter(Q(status=Match.Status.APPROVED) | Q(invited_at__isnull=False))
        .first()
    )
    if match is None:
        raise Http404
    return match


def access_engaged_brief(user, pk) -> Brief:
    """A brief the expert `user` is invited to or works on (their match on it is live)."""
    match = (
        Match.objects.filter(brief_id=pk, expert__user=user, status__in=Match.LIVE_STATUSES)
        .select_related("brief")
        .first()
    )
    if match is None:
        raise Http404
    return match.brief


def access_brief_or_engagement(user, pk) -> Brief:
    """The startup's own brief (or the PM's), or a brief the expert is engaged on."""
    if user.role == "expert":
        return access_engaged_brief(user, pk)
    return access_brief(user, pk)


def access_engagement_party(user, brief_id) -> int:
    """The id of a brief under way that the user is a party to (its startup's owner or the
    working expert): who may propose and answer changes to its quote."""
    accepted = Match.objects.filter(brief_id=brief_id, status=Match.Status.ACCEPTED)
    party = accepted.filter(expert__user=user) | accepted.filter(brief__startup__owner=user)
    if not party.exists():
        raise Http404
    return brief_id


def access_invited_brief(user, pk) -> Brief:
    """A brief `user`, an expert, was invited to (approved by its PM), whatever became of the
    invitation since; a brief they were only ranked for, or never saw, is a 404."""
    if user.role != "expert":
        raise Http404
    match = (
        Match.objects.filter(expert__user=user, invited_at__isnull=False, brief_id=pk)
        .select_related("brief__tag")
        .first()
    )
    if match is None:
        raise Http404
    return match.brief


def brief_files_readable(user, brief_id) -> bool:
    """Who reads a brief's reference files (kaigan.files.registry): its startup, its PM, a
    superuser, and the expert invited to it or working on it while the invitation is open or the
    engagement lasts. An expert who declined, let the invitation expire, was replaced or has
    completed the work no longer does; nor does anyone else."""
    if user.is_superuser:
        return True
    live = Q(matches__expert__user=user, matches__status__in=Match.LIVE_STATUSES)
    return (
        Brief.objects.filter(pk=brief_id)
        .filter(Q(startup__owner=user) | Q(pm=user) | live)
        .exists()
    )


def briefs_managed_by(user):
    """The briefs a PM manages: the admin shows them their files."""
    return Brief.objects.filter(pm=user).values("pk")
