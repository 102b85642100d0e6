"""Reads for the marketplace pages and API; every list is scoped to the person asking."""

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy

from kaigan.accounts.models import User
from kaigan.files.selectors import files_of_many
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
    """Every event of the brief, as stored: the audit. A person reads it through
    `brief_timeline_for`, which says what they may read of it."""
    return (
        BriefEvent.objects.filter(brief=brief).select_related("actor").order_by("created_at", "id")
    )


# --- who reads what on a brief's timeline ------------------------------------------------------


class TimelineReader(StrEnum):
    STARTUP = "startup"  # the startup that posted the brief
    EXPERT = "expert"  # an expert invited to it (approved by its PM), for their own part
    PM = "pm"  # the brief's PM, or a superuser


class TimelineEntry(NamedTuple):
    """One event as one reader may read it."""

    event_id: int
    to_status: str  # the status the brief moved to (the badge's colour)
    label: str  # what happened, in the reader's words
    reason: str  # why, when this reader may read it; "" otherwise
    created_at: datetime


# What a startup reads for a status whose own name is the PM's to-do ("needs attention" would
# read as if the startup had to act).
_FOR_STARTUP = {Brief.Status.NEEDS_ATTENTION: gettext_lazy("With your project manager")}
# Events that moved the brief to re-matching although nobody asked for a re-match: the label
# says what happened, and the stored reason (which repeats it, or is the expert's own words)
# is not needed.
_DECLINED = gettext_lazy("Declined by expert")
_EXPIRED = gettext_lazy("Invitation expired")
#: Where an invited expert's part of a brief ends (the event itself is still theirs).
_EXPERT_PART_ENDS = (Brief.Status.REMATCHING, Brief.Status.CANCELLED, Brief.Status.COMPLETED)


def startup_status_label(status: str) -> str:
    """A brief status's label as the startup's pages show it."""
    if status in _FOR_STARTUP:
        return str(_FOR_STARTUP[status])
    return Brief.Status(status).label if status in Brief.Status.values else status


def timeline_reader(*, brief: Brief, user) -> tuple[TimelineReader | None, Match | None]:
    """Who `user` is on the brief's timeline, and for an expert their invited match."""
    if not user.is_authenticated:
        return None, None
    if user.is_superuser or (brief.pm_id is not None and brief.pm_id == user.pk):
        return TimelineReader.PM, None
    if user.role == User.Role.STARTUP and brief.startup.owner_id == user.pk:
        return TimelineReader.STARTUP, None
    if user.role == User.Role.EXPERT:
        match = Match.objects.filter(
            brief=brief, expert__user=user, invited_at__isnull=False
        ).first()
        if match is not None:
            return TimelineReader.EXPERT, match
    return None, None


def brief_timeline_for(*, brief: Brief, user, events=None) -> list[TimelineEntry]:
    """The brief's timeline as `user` may read it: the one rule for every page that shows it.

    - The PM (or a superuser) reads every event and every reason as it was written, the
      records of their own actions that change no status included (the admin also shows who
      acted).
    - The startup reads every change of status; an expert invited to the brief reads those
      of their own part: from the approval that invited them to the event that ended it (their
      decline, an expired invitation, a re-match, a cancellation, the completion), nothing of
      the experts before or after them. Neither reads who acted.
    - Reasons: what the platform says (stored as a key) everyone reads; a reason a person typed
      is read by its author, the PM, and, when a PM wrote it (the "why this match" note), by
      everyone. So an expert's own words on why they declined reach the PM only.
    - Labels: a decline reads as a decline and an expired invitation as such, not as the
      re-matching they start, and the new candidates found then as new candidates. A re-match
      is what follows the startup's "not satisfied": its rounds are numbered from 1, as the
      brief page counts re-matches. Rows written before this rule (every round after the
      first called a re-match round, numbered one too high) read the same way.

    `events`: the brief's events as `brief_timeline` reads them, when the caller has them
    already; else one query. Anyone else reads nothing.
    """
    reader, match = timeline_reader(brief=brief, user=user)
    if reader is None:
        return []
    events = list(brief_timeline(brief) if events is None else events)
    entries = []
    inside = reader != TimelineReader.EXPERT
    cause, complaints = "", 0  # why the brief was last sent to re-matching; complaints so far
    for event in events:
        if event.to_status == Brief.Status.REMATCHING:
            kind = _rematch_cause(event)
            if kind == "feedback":
                complaints += 1
            if kind != "requeued":  # a requeued re-match goes on for the same cause
                cause = kind
        if reader == TimelineReader.EXPERT:
            if not inside and event.created_at >= match.invited_at:
                inside = True
            elif inside and entries and entries[-1].to_status in _EXPERT_PART_ENDS:
                break  # their part ended with the event before
        if not inside:
            continue
        if reader != TimelineReader.PM and event.from_status == event.to_status:
            continue  # a PM's record of an action on the proposals, not a change of status
        entry = timeline_entry(event, reader=reader, user=user)
        if reader != TimelineReader.PM and event.reason_key in ROUND_KEYS:
            entry = entry._replace(reason=_round_text(cause, complaints))
        entries.append(entry)
    return entries


#: The keys of the reason of a round of proposals made by a re-matching job.
ROUND_KEYS = ("rematch_round", "new_candidates")


def _rematch_cause(event: BriefEvent) -> str:
    """Why an event sent the brief to re-matching: feedback, declined, expired, requeued."""
    key, actor = event.reason_key, event.actor
    if key == "declined" or (not key and actor is not None and actor.role == User.Role.EXPERT):
        return "declined"  # older declines stored the expert's words, with no key
    return {"feedback": "feedback", "invitation_expired": "expired"}.get(key, "requeued")


def _round_text(cause: str, complaints: int) -> str:
    from marketplace.reasons import render

    if cause == "feedback":
        return render("rematch_round", {"n": complaints})
    return render("new_candidates", {})


def timeline_entry(event: BriefEvent, *, reader: TimelineReader, user) -> TimelineEntry:
    """One event's label and reason as `reader` (`user`; None for the PM) may read them, once
    `brief_timeline_for` lets them see it."""
    actor = event.actor
    own = user is not None and actor is not None and actor.pk == user.pk
    rematching = event.to_status == Brief.Status.REMATCHING
    declined = rematching and _rematch_cause(event) == "declined"
    expired = rematching and event.reason_key == "invitation_expired"
    if reader == TimelineReader.STARTUP:
        label = startup_status_label(event.to_status)
    else:
        label = event.get_to_status_display()
    if event.reason_key:
        reason = event.reason_text
    elif reader == TimelineReader.PM or own or _written_by_a_pm(actor):
        reason = event.reason
    else:
        reason = ""
    if reader != TimelineReader.PM and (declined or expired):
        label = str(_DECLINED if declined else _EXPIRED)
        if not own:
            reason = ""  # the label says it; an expert's own words are theirs and the PM's
    return TimelineEntry(
        event_id=event.pk,
        to_status=event.to_status,
        label=str(label),
        reason=reason,
        created_at=event.created_at,
    )


def _written_by_a_pm(actor) -> bool:
    return actor is not None and (actor.role == User.Role.PM or actor.is_superuser)


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
    matches = list(matches)
    # The reference files of the briefs the expert may read them on (invited, or at work).
    live = [m.brief_id for m in matches if m.status in Match.LIVE_STATUSES]
    files = files_of_many(Brief, live) if live else {}
    invitations, engagements = [], []
    for match in matches:
        match.reference_files = (
            files.get(match.brief_id, []) if match.status in Match.LIVE_STATUSES else []
        )
        match.quote = next((q for q in match.open_quotes if q.status != "proposed"), None)
        match.quote_change = next((q for q in match.open_quotes if q.status == "proposed"), None)
        (invitations if match.status == Match.Status.APPROVED else engagements).append(match)
    return {"invitations": invitations, "engagements": engagements}


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
    """The experts a PM may pick by hand for the brief: exactly those the ranking may propose
    (`marketplace.matching.selectors.candidate_queryset`), best stored score first."""
    from marketplace.matching.selectors import candidate_queryset

    return candidate_queryset(tag_id=brief.tag_id, brief_id=brief.pk, startup_id=brief.startup_id)


def pool_kept_out(*, brief: Brief) -> int:
    """How many experts the brief's own matches keep out of its pool (one per match, a
    constraint): every match but those that put the expert back (withdrawn)."""
    from marketplace.matching.selectors import BACK_IN_POOL

    return brief.matches.exclude(status__in=BACK_IN_POOL).count()
