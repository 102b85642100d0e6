"""Reads for the marketplace pages and API; every list is scoped to the person asking."""

from django.db.models import Prefetch, Q

from kaigan.accounts.models import User
from marketplace.models import Brief, BriefEvent, Match, Quote, Startup

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
    if User.startup.is_cached(user):  # read with the user (token authentication), or before
        return User.startup.related.get_cached_value(user)
    startup = Startup.objects.filter(owner=user).first()
    if startup is not None:
        # Kept on the user, as `user.startup` would: brief_list_for then filters on its id.
        User.startup.related.set_cached_value(user, startup)
    return startup


def _loaded_startup_id(user) -> int | None:
    """The id of the user's startup if it was read with the user (token authentication reads
    it in the same query) or by startup_for; None when it was not read or there is none."""
    if not User.startup.is_cached(user):
        return None
    startup = User.startup.related.get_cached_value(user)
    return startup.pk if startup is not None else None


def brief_list_for(*, user):
    """The briefs a person may see: a startup its own, a PM those assigned, a superuser all."""
    qs = Brief.objects.select_related("tag", "campaign", "pm", "startup")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == User.Role.STARTUP:
        startup_id = _loaded_startup_id(user)
        if startup_id is not None:
            # A literal id: PostgreSQL then reads a big tenant's newest briefs in the order of
            # brief_startup_idx. Through the join it estimates a few rows, reads all of them
            # and sorts.
            return qs.filter(startup_id=startup_id)
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


def _matches_in_order(qs):
    return qs.select_related("expert__tag").order_by("round", "rank")


def brief_matches_for(*, brief: Brief, user):
    qs = _matches_in_order(brief.matches.all())
    if user.is_superuser or (user.role == User.Role.PM and brief.pm_id == user.pk):
        return qs
    return qs.filter(status__in=STARTUP_VISIBLE_MATCH_STATUSES)


def brief_matches_of_managed_brief(*, brief_id: int, user):
    """All the matches of the brief if `user` is its PM, as brief_matches_for gives them to
    its PM; nothing for any other brief."""
    return _matches_in_order(Match.objects.filter(brief_id=brief_id, brief__pm=user))


def expert_work_for(*, expert) -> dict:
    """Invitations waiting for the expert's answer, and their engagements."""
    matches = (
        Match.objects.filter(expert=expert)
        .filter(
            Q(status=Match.Status.APPROVED)
            | Q(status__in=[Match.Status.ACCEPTED, Match.Status.COMPLETED])
            # An engagement the startup ended stays in the expert's history, marked so.
            | Q(status=Match.Status.REPLACED, responded_at__isnull=False)
        )
        .select_related("brief__tag", "brief__startup", "brief__pm", "project")
        .prefetch_related(
            Prefetch(
                "quotes",
                queryset=Quote.objects.filter(
                    status__in=[Quote.Status.OFFERED, Quote.Status.AGREED, Quote.Status.PROPOSED]
                ).order_by("version"),
                to_attr="open_quotes",
            )
        )
        .order_by("-invited_at", "-id")
    )
    invitations, engagements = [], []
    for match in matches:
        match.quote = next((q for q in match.open_quotes if q.status != "proposed"), None)
        match.quote_change = next((q for q in match.open_quotes if q.status == "proposed"), None)
        (invitations if match.status == Match.Status.APPROVED else engagements).append(match)
    return {"invitations": invitations, "engagements": engagements}


def brief_with_timeline(*, brief_id: int, user):
    return (
        brief_list_for(user=user)
        .prefetch_related(Prefetch("events", queryset=BriefEvent.objects.select_related("actor")))
        .get(pk=brief_id)
    )


def quotes_for_brief(brief: Brief) -> dict:
    """The current quote (offered or agreed) of the live match, or of the match that completed
    the brief, and any change waiting for an answer."""
    rows = list(
        Quote.objects.filter(
            brief=brief,
            match__status__in=Match.CURRENT_STATUSES,
            status__in=[Quote.Status.OFFERED, Quote.Status.AGREED, Quote.Status.PROPOSED],
        ).select_related("proposed_by")
    )
    current = next((q for q in rows if q.status != Quote.Status.PROPOSED), None)
    change = next((q for q in rows if q.status == Quote.Status.PROPOSED), None)
    return {"quote": current, "quote_change": change}


def quotes_for_startup(*, user):
    """Every quote of the startup's briefs, for the CSV download (newest first)."""
    return (
        Quote.objects.filter(brief__startup__owner=user)
        .select_related("brief", "match__expert")
        .order_by("-created_at", "-id")
    )


def fee_totals_by_month(*, briefs):
    """Platform fees agreed per month on these briefs (the PM's dashboard)."""
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncMonth

    return list(
        Quote.objects.filter(
            brief__in=briefs,
            status=Quote.Status.AGREED,  # the version in force; superseded ones are replaced
            agreed_at__isnull=False,
        )
        .annotate(month=TruncMonth("agreed_at"))
        .values("month")
        .annotate(fees=Sum("platform_fee"), quotes=Count("pk"))
        .order_by("-month")[:12]
    )


#: While a brief is in one of these after a complaint, the re-match promise is still open.
PROMISE_STATUSES = (
    Brief.Status.REMATCHING,
    Brief.Status.AWAITING_APPROVAL,
    Brief.Status.NEEDS_ATTENTION,
)


def rematch_promise_open(*, brief: Brief, timeline) -> bool:
    """The platform's promise after a complaint (a new, PM-approved candidate by a time) is
    open until a PM approves someone: from the brief and its timeline, with no query."""
    started = brief.rematch_started_at
    if started is None or brief.status not in PROMISE_STATUSES:
        return False
    return not any(
        e.to_status == Brief.Status.AWAITING_EXPERT and e.created_at >= started for e in timeline
    )


def with_rematch_promise(briefs):
    """`briefs` annotated with `promise_open`, as rematch_promise_open says, in the same query."""
    from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef

    kept = BriefEvent.objects.filter(
        brief=OuterRef("pk"),
        to_status=Brief.Status.AWAITING_EXPERT,
        created_at__gte=OuterRef("rematch_started_at"),
    )
    return briefs.annotate(
        promise_open=ExpressionWrapper(
            Q(status__in=PROMISE_STATUSES, rematch_started_at__isnull=False) & ~Exists(kept),
            output_field=BooleanField(),
        )
    )


def pick_candidates(*, brief: Brief):
    """The experts a PM may pick by hand for the brief: available, of its tag, and never
    proposed for it (one match per brief and expert), best stored score first."""
    from experts.models import Expert

    return (
        Expert.objects.filter(tag_id=brief.tag_id, availability="available")
        .exclude(matches__brief=brief)
        .order_by("-rank_base", "id")
    )
