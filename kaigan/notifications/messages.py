"""Every kind of notification and its text, translated when shown (not when sent)."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "brief_assigned": _("New brief “%(brief)s” is assigned to you."),
    "brief_unassigned": _("Brief “%(brief)s” was posted but no project manager is free."),
    "brief_proposals_ready": _("Brief “%(brief)s” has new ranked proposals to review."),
    "brief_needs_attention": _("Brief “%(brief)s” needs attention: no candidate is left."),
    "brief_cancelled": _("Brief “%(brief)s” was cancelled by the startup."),
    "match_approved": _("An expert was approved for “%(brief)s” and has been invited."),
    "invitation_received": _("You are invited to work on “%(brief)s”."),
    "invitation_accepted": _("%(expert)s accepted “%(brief)s” and starts work."),
    "invitation_declined": _("%(expert)s declined “%(brief)s”; the platform is re-matching."),
    "invitation_expired": _("The invitation for “%(brief)s” expired; the platform is re-matching."),
    "work_delivered": _("The work for “%(brief)s” was delivered. Please review it."),
    "work_accepted": _("The startup accepted your work on “%(brief)s” and rated it %(rating)s/5."),
    "rematch_started": _("The startup is not satisfied with “%(brief)s”; re-matching started."),
    "engagement_replaced": _("The startup asked for another expert on “%(brief)s”."),
    "rematch_dead": _("Re-matching for “%(brief)s” failed repeatedly; please act on it."),
    "quote_change_proposed": _(
        "A change to the quote of “%(brief)s” is proposed. Please agree or reject it."
    ),
    "quote_change_agreed": _("Your change to the quote of “%(brief)s” is agreed."),
    "quote_change_rejected": _("Your change to the quote of “%(brief)s” was rejected."),
    "brief_funded": _("“%(brief)s” is funded: the work can start."),
    "earnings_released": _("¥%(amount)s for “%(brief)s” is released to your balance."),
    "share_decided": _("Your share for “%(brief)s” is decided: ¥%(amount)s."),
    "refund_paid": _("¥%(amount)s for “%(brief)s” was refunded to you."),
    "payout_paid": _("¥%(amount)s was paid out to your bank account."),
    "invoice_issued": _("Your 发票 %(number)s is issued."),
}


def render(kind: str, params: dict) -> str:
    template = MESSAGES.get(kind)
    return kind if template is None else fill(template, params)


def fill(template, params: dict) -> str:
    """A stored text's translated template with its stored parameters; the template alone
    when they no longer fit it (a row older than a change of wording)."""
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
