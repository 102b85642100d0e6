"""The one door to a brief a person may not see: another tenant's brief is a 404."""

from django.http import Http404

from marketplace.models import Brief
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


def access_invited_brief(user, pk) -> Brief:
    """A brief `user`, an expert, was invited to (approved by its PM), whatever became of the
    invitation since; a brief they were only ranked for, or never saw, is a 404."""
    from marketplace.models import Match

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
