"""Money on the pages of other apps (the brief page, the expert's workbench), without those
apps importing billing: their templates load this library."""

from django import template
from django.conf import settings

from billing import selectors
from billing.providers import enabled_providers, platform_bank_account

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Fen as yuan with two decimals and thousands separators: 880000 → ¥8,800.00."""
    if fen is None or fen == "":
        return "—"
    return f"¥{int(fen) / 100:,.2f}"


@register.inclusion_tag("billing/brief_money_box.html", takes_context=True)
def brief_money(context, brief):
    """The startup's money box on its brief page: status, what to pay and how, every yuan."""
    state = selectors.escrow_state(brief)
    shown = bool(state.quote or state.paid_in or state.held)
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "brief": brief,
        "state": state,
        "shown": shown,
        "lines": selectors.money_explained(state) if shown else [],
        "totals": state.totals,
        "providers": enabled_providers(),
        "bank": platform_bank_account(),
    }


@register.inclusion_tag("billing/rematch_policy.html")
def rematch_policy(audience="startup"):
    """The written policy for a re-match, shown before anyone agrees."""
    return {"audience": audience, "most": settings.KAIGAN_REPLACED_SHARE_MAX_PERCENT}


def _live_state(context, match):
    """The escrow state of an accepted engagement's brief. The states of all the expert's
    accepted engagements are read at once, on the first call of a page (kept on the request),
    so a workbench with many engagements reads them in a fixed number of queries."""
    if match.status != "accepted":
        return None
    request = context.get("request")
    states = getattr(request, "_billing_expert_states", None)
    if states is None or match.brief_id not in states:
        from marketplace.models import Match

        matches = Match.objects.filter(
            expert_id=match.expert_id, status=Match.Status.ACCEPTED
        ).select_related("brief")
        states = selectors.escrow_states([m.brief for m in matches])
        if request is not None:
            request._billing_expert_states = states
    return states.get(match.brief_id)


@register.inclusion_tag("billing/engagement_money.html", takes_context=True)
def engagement_money(context, match):
    """On the expert's engagement: may the work start (funded), or does it wait for funding."""
    return {"match": match, "state": _live_state(context, match)}


@register.simple_tag(takes_context=True)
def brief_may_work(context, match) -> bool:
    state = _live_state(context, match)
    return bool(state and state.may_work)


@register.inclusion_tag("billing/expert_money_summary.html")
def expert_money_summary(expert):
    return {"balance": selectors.expert_balance(expert)}


@register.simple_tag
def brief_money_admin_url(brief) -> str:
    """The brief's money page in the admin (its PM's decisions), once it has money."""
    from django.urls import reverse

    from billing.models import BriefFunding

    if brief is None or brief.pk is None:
        return ""
    funding = BriefFunding.objects.filter(brief=brief).values_list("pk", flat=True).first()
    return reverse("admin:billing_brieffunding_change", args=[funding]) if funding else ""
