"""The one door to a brief a person may not see: another tenant's brief is a 404."""

from django.http import Http404

from marketplace.models import Brief
from marketplace.selectors import brief_list_for


def access_brief(user, pk, *, for_update: bool = False) -> Brief:
    try:
        return brief_list_for(user=user).get(pk=pk)
    except (Brief.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
