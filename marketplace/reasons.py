"""Why the platform moved a brief or ended a match, written in the reader's language.

A reason a person types (a PM's note, a startup's cancel reason) is stored as typed. A reason
the platform gives is stored as a key and its parameters (`BriefEvent.reason_key` and
`reason_params`, `Match.decision_key` and `decision_params`) and written out when read, in
the reader's language: stored as text, it was in whichever language the person who set it off
happened to use. The text column also keeps it in the site's language, for the export and any
reader of the raw row.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kaigan.notifications.messages import fill

TEXTS = {
    "no_candidate": _("No candidate is left."),
    "proposals_rejected": _("All proposals were rejected."),
    "rerun_by_pm": _("Matching re-run by the PM."),
    "invitation_expired": _("The invitation expired without an answer."),
    "declined": _("Declined."),
    "rematch_round": _("Re-match round %(n)d"),
    # A round after a declined or expired invitation: not a re-match the startup asked for.
    "new_candidates": _("New candidates, as the invitation ended."),
    "rematch_failed": _("Re-matching failed %(n)d times."),
    "requeued_by_pm": _("Requeued by the PM."),
    # An action on the proposals that changes no status (an event only PMs read).
    "candidates_added": _("Newer candidates added by the PM (%(n)d): %(names)s."),
    # Why a match ended, as its `decision_key` says.
    "brief_cancelled": _("The brief was cancelled."),
    "another_approved": _("Another expert was approved."),
    "no_answer": _("No answer in time."),
}


class Reason:
    """A platform's reason: a key of TEXTS, or `feedback` with the Feedback.Reason code."""

    def __init__(self, key: str, **params):
        if key != "feedback" and key not in TEXTS:
            raise KeyError(key)
        self.key, self.params = key, params

    def __str__(self) -> str:
        return render(self.key, self.params)

    def in_site_language(self) -> str:
        return site_text(self)


def render(key: str, params: dict) -> str:
    if key == "feedback":  # a startup's dissatisfaction: the reason it chose, as listed
        from projects.models import Feedback

        code = params.get("code", "")
        return str(Feedback.Reason(code).label) if code in Feedback.Reason.values else code
    text = TEXTS.get(key)
    return key if text is None else fill(text, params)


def site_text(text) -> str:
    """A platform's text stored on a row that PMs read (a match's decision), in the site's
    language, whichever language the request that wrote it was in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def stored(reason) -> tuple[str, str, dict]:
    """(text, key, parameters) to store for a reason: typed text as it is (at most 500
    characters), a platform's `Reason` as its key and parameters with the site's text."""
    if isinstance(reason, Reason):
        return reason.in_site_language()[:500], reason.key, reason.params
    return (reason or "")[:500], "", {}
