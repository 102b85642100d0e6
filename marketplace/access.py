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
