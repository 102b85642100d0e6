"""Writes on startups, briefs and matches; the brief's state machine lives here.

Every status change of a brief goes through `brief_transition`, which checks the move against
the lifecycle (ARCHITECTURE.md), writes a `BriefEvent` and sends the notifications that go with
the new status (stored now, mailed after commit).
"""

import functools
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from experts.models import Tag
from kaigan.accounts.models import User
from kaigan.errors import Conflict, InvalidTransition, NotAllowed
from kaigan.files.services import files_set
from kaigan.notifications.services import notify
from marketplace import pricing
from marketplace.matching.selectors import candidate_refusal
from marketplace.models import (
    BUDGET_MAX,
    BUDGET_MIN,
    Brief,
    BriefEvent,
    Campaign,
    Match,
    Quote,
    Startup,
)
from marketplace.reasons import Reason, stored

S = Brief.Status

#: The lifecycle: which status may follow which.
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.AWAITING_APPROVAL, S.NEEDS_ATTENTION, S.CANCELLED},
    S.AWAITING_APPROVAL: {S.AWAITING_EXPERT, S.NEEDS_ATTENTION, S.CANCELLED},
    S.AWAITING_EXPERT: {S.IN_PROGRESS, S.REMATCHING, S.CANCELLED},
    S.IN_PROGRESS: {S.DELIVERED, S.REMATCHING},
    S.DELIVERED: {S.COMPLETED, S.REMATCHING},
    S.REMATCHING: {S.AWAITING_APPROVAL, S.NEEDS_ATTENTION, S.CANCELLED},
    S.NEEDS_ATTENTION: {S.AWAITING_APPROVAL, S.AWAITING_EXPERT, S.REMATCHING, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
CANCELLABLE = (S.OPEN, S.AWAITING_APPROVAL, S.AWAITING_EXPERT, S.REMATCHING, S.NEEDS_ATTENTION)

#: Who hears of a new status, and with which message.
_NOTIFY_ON: dict[str, tuple[str, str]] = {
    S.AWAITING_APPROVAL: ("pm", "brief_proposals_ready"),
    S.NEEDS_ATTENTION: ("pm", "brief_needs_attention"),
    S.AWAITING_EXPERT: ("startup", "match_approved"),
    S.DELIVERED: ("startup", "work_delivered"),
    S.REMATCHING: ("pm", "rematch_started"),
    S.CANCELLED: ("pm", "brief_cancelled"),
}

#: How far ahead a deadline may be: further is a typing slip (a year 9999), not a plan.
MAX_LEAD = timedelta(days=2 * 366)

BRIEF_EDITABLE_FIELDS = ("title", "description", "tag", "budget_min", "budget_max", "deadline")


# --- startups -------------------------------------------------------------------------------


def startup_create(*, user) -> Startup:
    startup, _created = Startup.objects.get_or_create(owner=user)
    return startup


@transaction.atomic
def startup_update(*, startup_id: int, data: dict) -> Startup:
    startup = Startup.objects.select_for_update().get(pk=startup_id)
    allowed = {"company_name", "stage", "industry", "city", "website", "description"}
    for name, value in data.items():
        if name not in allowed:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(startup, name, value)
    startup.full_clean(exclude=["owner"])
    startup.save(update_fields=[*data.keys(), "updated_at"])
    return startup


# --- briefs ---------------------------------------------------------------------------------


def brief_url(brief: Brief) -> str:
    """The startup's page of its brief."""
    return reverse("marketplace:brief_detail", args=[brief.pk])


def brief_admin_url(brief: Brief) -> str:
    """The brief's page in the admin, where its PM (or a superuser) works on it."""
    return reverse("admin:marketplace_brief_change", args=[brief.pk])


def brief_lock(*, brief_id: int) -> Brief:
    """Lock the brief row; every workflow that changes a brief takes this lock first."""
    return Brief.objects.select_for_update().get(pk=brief_id)


def brief_transition(*, brief: Brief, to: str, actor=None, reason: str | Reason = "") -> BriefEvent:
    """Move the brief to `to` if the lifecycle allows it. The caller holds the brief lock.

    `reason` is what a person typed, or the platform's `Reason` (kept as a key, written out in
    each reader's language)."""
    current = brief.status
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            _("A brief that is “%(current)s” cannot become “%(to)s”.")
            % {"current": S(current).label, "to": S(to).label}
        )
    now = timezone.now()
    brief.status = to
    brief.status_changed_at = now
    brief.save(update_fields=["status", "status_changed_at", "updated_at"])
    text, key, params = stored(reason)
    event = BriefEvent.objects.create(
        brief=brief,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=current,
        to_status=to,
        reason=text,
        reason_key=key,
        reason_params=params,
    )
    audience, kind = _NOTIFY_ON.get(to, (None, None))
    if audience == "pm":
        recipients = [brief.pm] if brief.pm_id else _superusers()
        url = brief_admin_url(brief)
    elif audience == "startup":
        recipients = [brief.startup.owner]
        url = brief_url(brief)
    else:
        recipients = []
    if recipients and kind:
        notify(recipients=recipients, kind=kind, params={"brief": brief.title}, url=url)
    return event


def _superusers():
    return list(User.objects.filter(is_superuser=True, is_active=True).order_by("pk"))


def _campaign_for(startup: Startup, name: str | None) -> Campaign | None:
    name = (name or "").strip()
    if not name:
        return None
    if len(name) > 60:
        raise ValidationError({"campaign": _("At most 60 characters.")})
    campaign, _created = Campaign.objects.get_or_create(startup=startup, name=name)
    return campaign


def brief_input_errors(fields: dict, *, current: Brief | None = None) -> dict[str, list[str]]:
    """The field errors this service gives for a brief's values, all of them, writing nothing.

    For an input layer that found errors of its own (a missing title, say): it adds these for
    the fields it found valid, so that one answer names every field instead of one answer per
    layer. `fields` holds values each valid on its own (a date, whole numbers, a slug); with
    `current`, an edit's deadline that stays as it was is not checked (it may be past).
    """
    errors = {}
    today = timezone.localdate()
    deadline = fields.get("deadline")
    if deadline is None or (current is not None and deadline == current.deadline):
        pass
    elif deadline <= today:
        errors["deadline"] = [_("The deadline must be a future date.")]
    elif deadline > today + MAX_LEAD:
        errors["deadline"] = [_("The deadline must be within two years.")]
    low = fields.get("budget_min", current.budget_min if current else None)
    high = fields.get("budget_max", current.budget_max if current else None)
    if low is not None and high is not None and low > high:
        errors["budget_max"] = [_("The upper budget must not be below the lower one.")]
    slug = fields.get("tag")
    if isinstance(slug, str) and not Tag.objects.filter(slug=slug, is_active=True).exists():
        errors["tag"] = [_("Unknown tag “%(slug)s”.") % {"slug": slug[:40]}]
    return errors


def _brief_check(brief: Brief, *, deadline: bool = True) -> None:
    """Field errors for bad input, before anything is written.

    The database holds the budget constraints (`Brief.Meta.constraints`) and the foreign keys;
    the field validators and the budget order check below already refuse what they would
    refuse, and the tag is one `_tag_for` has just read. So `full_clean` checks the fields only:
    validating the constraints again costs a savepoint and a query each, and the tag an
    existence query. Should a constraint still fire, `brief_constraint_error` turns it into a
    field error. `deadline=False`: an edit that keeps the deadline keeps it, even past.
    """
    errors = brief_input_errors(
        {
            "deadline": brief.deadline if deadline else None,
            "budget_min": brief.budget_min,
            "budget_max": brief.budget_max,
        }
    )
    try:
        brief.full_clean(
            exclude=["startup", "pm", "campaign", "tag"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def brief_constraint_error(exc: IntegrityError) -> ValidationError | None:
    """The field error for a violated budget constraint of a brief, or None for another error.

    `_brief_check` refuses the same input first; this is the net under it, so that a post or an
    edit the checks missed is still a 400 with the fields named, never a 500.
    """
    text = str(exc)
    if "brief_budget_order" in text:
        return ValidationError(
            {"budget_max": [_("The upper budget must not be below the lower one.")]}
        )
    if "brief_budget_range" in text:
        message = _("Budgets are between %(min)d and %(max)d CNY.") % {
            "min": BUDGET_MIN,
            "max": BUDGET_MAX,
        }
        return ValidationError({"budget_min": [message], "budget_max": [message]})
    return None


def refuse_constraint_violations(func):
    """Turn a violated brief constraint into a `ValidationError` naming the field.

    Put it outside `transaction.atomic`: the exception is caught once the transaction (or its
    savepoint) is rolled back, so no savepoint is needed around each write.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except IntegrityError as exc:
            error = brief_constraint_error(exc)
            if error is None:
                raise
            raise error from exc

    return wrapper


def _tag_for(slug_or_tag) -> Tag:
    if isinstance(slug_or_tag, Tag):
        return slug_or_tag
    tag = Tag.objects.filter(slug=slug_or_tag, is_active=True).first()
    if tag is None:
        raise ValidationError(
            {"tag": _("Unknown tag “%(slug)s”.") % {"slug": str(slug_or_tag)[:40]}}
        )
    return tag


def brief_new(
    *,
    startup: Startup,
    title: str,
    description: str,
    tag,
    budget_min: int,
    budget_max: int,
    deadline: date,
    campaign: str | None = None,
) -> Brief:
    """A new open brief, checked and with its campaign (created if new), not saved yet.

    Run inside the caller's transaction; `brief_store` saves it.
    """
    brief = Brief(
        startup=startup,
        title=(title or "").strip(),
        description=(description or "").strip(),
        tag=_tag_for(tag),
        budget_min=budget_min,
        budget_max=budget_max,
        deadline=deadline,
        status=S.OPEN,
    )
    _brief_check(brief)
    brief.campaign = _campaign_for(startup, campaign)
    return brief


def brief_store(*, brief: Brief, actor) -> Brief:
    """Save a brief from `brief_new` (with its PM, if it has one) and its first audit record.

    Run inside the caller's transaction. The PM's open-brief counter follows by trigger.
    """
    brief.save(force_insert=True)
    BriefEvent.objects.create(brief=brief, actor=actor, from_status="", to_status=S.OPEN)
    return brief


@transaction.atomic
def brief_reassign_pm(*, brief_id: int, pm_user, actor) -> Brief:
    """A superuser hands a brief to another PM: only the PM changes, and the new PM is told.

    The brief is locked and only its `pm` column written, so a status change committed while
    the superuser had the form open is kept (a whole-row save from the form would undo it).
    """
    if not actor.is_superuser:
        raise NotAllowed(_("Only an administrator can hand a brief to another PM."))
    if pm_user is not None and pm_user.role != User.Role.PM:
        raise ValidationError({"pm": [_("Choose a project manager.")]})
    brief = brief_lock(brief_id=brief_id)
    if brief.pm_id == (pm_user.pk if pm_user is not None else None):
        return brief
    brief.pm = pm_user
    brief.save(update_fields=["pm", "updated_at"])
    if pm_user is not None:
        brief_notify_assigned(brief=brief)
    return brief


def brief_notify_assigned(*, brief: Brief) -> None:
    notify(
        recipients=[brief.pm],
        kind="brief_assigned",
        params={"brief": brief.title},
        url=brief_admin_url(brief),
    )


def brief_notify_unassigned(*, brief: Brief) -> None:
    notify(
        recipients=_superusers(),
        kind="brief_unassigned",
        params={"brief": brief.title},
        url=brief_admin_url(brief),
    )


@refuse_constraint_violations
@transaction.atomic
def brief_update(*, brief_id: int, actor, data: dict, version: int | None = None) -> Brief:
    """Edit a brief while it is editable; an outdated `version` is a conflict, not an overwrite.

    `data["files"]`, when given, is the brief's whole list of reference files."""
    brief = brief_lock(brief_id=brief_id)
    if version is not None and version != brief.version:
        raise Conflict(
            _("This brief was changed meanwhile. Reload it to see the latest version."),
            fields={"version": [_("Outdated version.")]},
        )
    if not brief.is_editable:
        raise InvalidTransition(
            _("A brief that is “%(status)s” can no longer be edited.")
            % {"status": brief.get_status_display()}
        )
    changed, deadline_before = [], brief.deadline
    for name, value in data.items():
        if name == "files":
            # The brief's whole list of reference files (kaigan.files): new ids attached,
            # those left out removed (kept, and recorded).
            files_set(user=actor, target=brief, file_ids=value)
            continue
        if name == "campaign":
            brief.campaign = _campaign_for(brief.startup, value)
            changed.append("campaign")
            continue
        if name not in BRIEF_EDITABLE_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        if name == "tag":
            value = _tag_for(value)
            if value.pk != brief.tag_id and brief.status == S.AWAITING_APPROVAL:
                raise InvalidTransition(
                    _("The tag cannot change while proposals are being reviewed."),
                    fields={"tag": [_("Locked while proposals are under review.")]},
                )
        if isinstance(value, str):
            value = value.strip()
        setattr(brief, name, value)
        changed.append(name)
    # A deadline sent again as it was is not checked: it may have passed since.
    _brief_check(brief, deadline=brief.deadline != deadline_before)
    brief.version = F("version") + 1
    brief.save(update_fields=[*changed, "version", "updated_at"])
    brief.refresh_from_db()
    return brief


@transaction.atomic
def brief_cancel(*, brief_id: int, actor, reason: str = "") -> Brief:
    """The startup withdraws a brief before work starts; open proposals are withdrawn."""
    from experts.services import expert_adjust_counters

    brief = brief_lock(brief_id=brief_id)
    if brief.status not in CANCELLABLE:
        raise InvalidTransition(
            _("A brief that is “%(status)s” cannot be cancelled.")
            % {"status": brief.get_status_display()}
        )
    now = timezone.now()
    for match in brief.matches.filter(status__in=[Match.Status.PROPOSED, Match.Status.APPROVED]):
        if match.status == Match.Status.APPROVED:
            expert_adjust_counters(expert_id=match.expert_id, pending_invitations=-1)
            quote_void(match=match)
        match.status = Match.Status.WITHDRAWN
        match.decided_at = now
        match.decide(Reason("brief_cancelled"))
        match.save(update_fields=["status", "decided_at", *Match.DECISION_FIELDS])
    brief_transition(brief=brief, to=S.CANCELLED, actor=actor, reason=reason)
    return brief


def brief_check_owner(*, brief: Brief, user) -> None:
    if brief.startup.owner_id != user.pk:
        raise NotAllowed(_("Only the startup that posted this brief can do this."))


# --- matches: the PM's decisions -------------------------------------------------------------


def _check_pm(brief: Brief, actor) -> None:
    if not (actor.is_superuser or (brief.pm_id is not None and brief.pm_id == actor.pk)):
        raise NotAllowed(_("Only the project manager of this brief can decide on its matches."))


def _locked_match(match_id: int, *, lock_expert: bool = False) -> tuple[Brief, Match]:
    """Lock the match's brief first (the one lock order), then read the match fresh; with
    `lock_expert`, its expert's row is locked by the same read (after the brief)."""
    brief_id = Match.objects.filter(pk=match_id).values_list("brief_id", flat=True).first()
    if brief_id is None:
        raise Match.DoesNotExist
    brief = brief_lock(brief_id=brief_id)
    matches = Match.objects.select_related("expert")
    if lock_expert:
        matches = matches.select_for_update(of=("expert",))
    return brief, matches.get(pk=match_id)


@transaction.atomic
def match_approve(
    *, match_id: int, actor, note: str = "", scope_days=None, fixed_price=None
) -> Match:
    """Approve one proposal with its quote: withdraw the others, invite the expert.

    The expert's row is locked after the brief (the one lock order) and its tag read from the
    lock: a tag claim (`expert_claim_tag`) takes the same row lock, so either it commits first
    and this sees the new tag, or it waits and then sees the open invitation and refuses.
    """
    from experts.services import expert_adjust_counters

    brief, match = _locked_match(match_id, lock_expert=True)
    _check_pm(brief, actor)
    if match.status != Match.Status.PROPOSED:
        raise InvalidTransition(
            _("This match is “%(status)s”; only a proposed match can be approved.")
            % {"status": match.get_status_display()}
        )
    if brief.status not in (S.AWAITING_APPROVAL, S.NEEDS_ATTENTION):
        raise InvalidTransition(
            _("The brief is “%(status)s”; it is not waiting for an approval.")
            % {"status": brief.get_status_display()}
        )
    expert = match.expert
    refusal = candidate_refusal(brief=brief, expert=expert, approving=True)
    if refusal is not None:  # things changed since the proposal was ranked
        instead = _("Reject the proposal instead.")
        raise InvalidTransition(f"{refusal} {instead}")
    now = timezone.now()
    match.status = Match.Status.APPROVED
    match.pm_note = (note or "").strip()[:1000]
    match.decided_at = now
    match.invited_at = now
    match.expires_at = now + settings.KAIGAN_INVITATION_WINDOW
    try:
        with transaction.atomic():
            match.save(
                update_fields=["status", "pm_note", "decided_at", "invited_at", "expires_at"]
            )
    except IntegrityError:
        raise Conflict(_("Another match of this brief was approved at the same time.")) from None
    quote_offer(
        brief=brief, match=match, actor=actor, scope_days=scope_days, fixed_price=fixed_price
    )
    brief.matches.filter(status=Match.Status.PROPOSED).exclude(pk=match.pk).update(
        status=Match.Status.WITHDRAWN,
        decided_at=now,
        **dict(zip(Match.DECISION_FIELDS, stored(Reason("another_approved")), strict=True)),
    )
    expert_adjust_counters(expert_id=expert.pk, pending_invitations=1)
    brief_transition(brief=brief, to=S.AWAITING_EXPERT, actor=actor, reason=match.pm_note)
    notify(
        recipients=[expert.user],
        kind="invitation_received",
        params={"brief": brief.title},
        url=reverse("experts:dashboard"),
    )
    return match


@transaction.atomic
def match_reject(*, match_id: int, actor, reason: str = "") -> Match:
    """Reject a proposal; when none is left, the brief needs attention."""
    brief, match = _locked_match(match_id)
    _check_pm(brief, actor)
    if match.status != Match.Status.PROPOSED:
        raise InvalidTransition(
            _("This match is “%(status)s”; only a proposed match can be rejected.")
            % {"status": match.get_status_display()}
        )
    match.status = Match.Status.REJECTED
    match.decided_at = timezone.now()
    match.decision_reason = (reason or "").strip()[:500]
    match.save(update_fields=["status", "decided_at", "decision_reason"])
    if (
        brief.status == S.AWAITING_APPROVAL
        and not brief.matches.filter(status=Match.Status.PROPOSED).exists()
    ):
        brief_transition(
            brief=brief,
            to=S.NEEDS_ATTENTION,
            actor=actor,
            reason=Reason("proposals_rejected"),
        )
    return match


@transaction.atomic
def brief_rerun_matching(*, brief_id: int, actor) -> list[Match]:
    """A PM asks for a new round for a brief that needs attention (new experts only)."""
    from marketplace.matching import propose_round

    brief = brief_lock(brief_id=brief_id)
    _check_pm(brief, actor)
    if brief.status != S.NEEDS_ATTENTION:
        raise InvalidTransition(_("Matching is re-run only for a brief that needs attention."))
    return propose_round(brief=brief, actor=actor, reason=Reason("rerun_by_pm"))


@transaction.atomic
def brief_add_candidates(*, brief_id: int, actor) -> list[Match]:
    """A PM adds to a brief awaiting approval the experts who now rank among its best
    (`marketplace.matching.top_up_round`): its open proposals stay as they are, nobody kept out
    of its pool comes back. What was added is recorded on the brief's audit history (an event
    that changes no status, which only PMs read)."""
    from marketplace.matching import top_up_round

    brief = brief_lock(brief_id=brief_id)
    _check_pm(brief, actor)
    if brief.status != S.AWAITING_APPROVAL:
        raise InvalidTransition(
            _("Candidates are added only to a brief awaiting approval; this one is “%(status)s”.")
            % {"status": brief.get_status_display()}
        )
    added = [match.pk for match in top_up_round(brief=brief)]
    matches = list(
        Match.objects.filter(pk__in=added).select_related("expert").order_by("round", "rank")
    )
    if matches:
        names = ", ".join(match.expert.display_name for match in matches)
        text, key, params = stored(Reason("candidates_added", n=len(matches), names=names))
        BriefEvent.objects.create(
            brief=brief,
            actor=actor,
            from_status=brief.status,
            to_status=brief.status,
            reason=text,
            reason_key=key,
            reason_params=params,
        )
    return matches


@transaction.atomic
def match_pick(
    *, brief_id: int, expert_id: int, actor, note: str = "", scope_days=None, fixed_price=None
) -> Match:
    """A PM picks an expert by hand for a brief that needs attention, and approves them.

    Whom the ranking may propose, and only them (`candidate_refusal`): a candidate withdrawn
    earlier from this brief is picked on the same row, which returns to `proposed` first.
    """
    from experts.models import Expert
    from marketplace.matching import store_proposals
    from marketplace.matching.scoring import Candidate

    brief = brief_lock(brief_id=brief_id)
    _check_pm(brief, actor)
    if brief.status != S.NEEDS_ATTENTION:
        raise InvalidTransition(
            _("An expert is picked by hand only when the brief needs attention.")
        )
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is None:
        raise ValidationError({"expert": _("Unknown expert.")})
    refusal = candidate_refusal(brief=brief, expert=expert)
    if refusal is not None:
        raise InvalidTransition(refusal, fields={"expert": [refusal]})
    picked = Candidate(
        expert_id=expert.pk,
        display_name=expert.display_name,
        score=0.0,
        breakdown={"picked_by_pm": 1},
    )
    (match,) = store_proposals(brief=brief, candidates=[picked])
    return match_approve(
        match_id=match.pk,
        actor=actor,
        note=note,
        scope_days=scope_days,
        fixed_price=fixed_price,
    )


# --- quotes: open prices -----------------------------------------------------------------------


def fee_rule() -> pricing.FeeRule:
    return pricing.FeeRule(
        percent=Decimal(str(settings.KAIGAN_FEE_PERCENT)),
        floor=settings.KAIGAN_FEE_FLOOR,
        cap=settings.KAIGAN_FEE_CAP,
    )


def _fee_already_paid(brief: Brief, *, match: Match) -> bool:
    """A brief pays the platform fee once: on the first quote an expert agreed to."""
    return (
        Quote.objects.filter(
            brief=brief,
            status__in=[Quote.Status.AGREED, Quote.Status.SUPERSEDED],
            platform_fee__gt=0,
        )
        .exclude(match=match)
        .exists()
    )


def _priced(brief, match, *, scope_days, fixed_price, version, status, user) -> Quote:
    rule = fee_rule()
    try:
        lines = pricing.quote_lines(
            day_rate=match.expert.day_rate,
            scope_days=scope_days,
            fixed_price=fixed_price,
            rule=rule,
            fee_waived=_fee_already_paid(brief, match=match),
        )
        days, price = pricing.check_scope(scope_days, fixed_price)
    except pricing.PricingError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    return Quote(
        brief=brief,
        match=match,
        version=version,
        status=status,
        scope_days=days,
        fixed_price=price,
        day_rate=match.expert.day_rate,
        expert_earnings=lines.expert_earnings,
        platform_fee=lines.platform_fee,
        total=lines.total,
        fee_percent=rule.percent,
        fee_waived=lines.platform_fee == 0 and _fee_already_paid(brief, match=match),
        proposed_by=user,
    )


def suggested_scope(*, brief: Brief, expert) -> Decimal:
    return pricing.suggested_scope_days(
        day_rate=expert.day_rate, budget_max=brief.budget_max, rule=fee_rule()
    )


def quote_default_terms(*, brief: Brief, expert) -> tuple[Decimal | None, int | None]:
    """(scope_days, fixed_price) offered when the PM gives neither: the suggested days at the
    expert's day rate, or, for an expert without one, the lower budget as a fixed price."""
    if expert.day_rate:
        return suggested_scope(brief=brief, expert=expert), None
    return None, brief.budget_min


def quote_offer(*, brief: Brief, match: Match, actor, scope_days=None, fixed_price=None) -> Quote:
    """The PM's scope for an approved match (caller holds the brief lock)."""
    if scope_days is None and fixed_price is None:
        scope_days, fixed_price = quote_default_terms(brief=brief, expert=match.expert)
    quote = _priced(
        brief,
        match,
        scope_days=scope_days,
        fixed_price=fixed_price,
        version=1,
        status=Quote.Status.OFFERED,
        user=actor,
    )
    quote.save()
    return quote


def quote_agree_offer(*, match: Match) -> None:
    """The expert accepted the invitation: the offered quote is agreed (caller holds the lock)."""
    Quote.objects.filter(match=match, status=Quote.Status.OFFERED).update(
        status=Quote.Status.AGREED, agreed_at=timezone.now()
    )


def quote_void(*, match: Match) -> None:
    """The match ended before it was accepted: its offer is void (kept as history)."""
    Quote.objects.filter(match=match, status=Quote.Status.OFFERED).update(status=Quote.Status.VOID)


def _quote_parties(brief: Brief, match: Match) -> set[int]:
    return {brief.startup.owner_id, match.expert.user_id}


def _quote_notify(*, brief: Brief, recipient_id: int, kind: str) -> None:
    """Tell one side of the engagement about a quote change, with a link to where it answers."""
    if recipient_id == brief.startup.owner_id:
        url = brief_url(brief)
    else:
        url = reverse("experts:dashboard")
    notify(recipients=[User(pk=recipient_id)], kind=kind, params={"brief": brief.title}, url=url)


@transaction.atomic
def quote_propose_change(*, brief_id: int, user, scope_days=None, fixed_price=None) -> Quote:
    """A party to the engagement proposes a new scope; the other side must agree."""
    brief = brief_lock(brief_id=brief_id)
    match = brief.matches.select_related("expert").filter(status=Match.Status.ACCEPTED).first()
    if match is None or user.pk not in _quote_parties(brief, match):
        raise NotAllowed(_("Only the startup and the working expert can change this quote."))
    if brief.status not in (S.IN_PROGRESS, S.DELIVERED):
        raise InvalidTransition(_("A quote changes only while the work is under way."))
    statuses = dict(Quote.objects.filter(match=match).values_list("version", "status"))
    if Quote.Status.AGREED not in statuses.values():
        raise InvalidTransition(_("There is no agreed quote to change."))
    if Quote.Status.PROPOSED in statuses.values():
        raise Conflict(_("A change is already waiting for an answer."))
    quote = _priced(
        brief,
        match,
        scope_days=scope_days,
        fixed_price=fixed_price,
        # After the latest version, rejected ones included (a version number is never reused).
        version=max(statuses) + 1,
        status=Quote.Status.PROPOSED,
        user=user,
    )
    quote.save()
    (other,) = _quote_parties(brief, match) - {user.pk}
    _quote_notify(brief=brief, recipient_id=other, kind="quote_change_proposed")
    return quote


@transaction.atomic
def quote_answer_change(*, quote_id: int, user, agree: bool) -> Quote:
    """The other party agrees (the earlier version is superseded) or rejects the change."""
    brief_id = Quote.objects.values_list("brief_id", flat=True).filter(pk=quote_id).first()
    if brief_id is None:
        raise Http404
    brief = brief_lock(brief_id=brief_id)
    quote = Quote.objects.select_related("match__expert").get(pk=quote_id)
    parties = _quote_parties(brief, quote.match)
    if user.pk not in parties:
        raise NotAllowed(_("Only the startup and the working expert can answer this change."))
    if user.pk == quote.proposed_by_id:
        raise NotAllowed(_("The other side must answer a change you proposed."))
    if quote.status != Quote.Status.PROPOSED:
        raise InvalidTransition(_("This change was already answered."))
    if agree:
        Quote.objects.filter(match=quote.match, status=Quote.Status.AGREED).update(
            status=Quote.Status.SUPERSEDED
        )
        quote.status = Quote.Status.AGREED
        quote.agreed_at = timezone.now()
    else:
        quote.status = Quote.Status.REJECTED
    quote.save(update_fields=["status", "agreed_at"])
    _quote_notify(
        brief=brief,
        recipient_id=quote.proposed_by_id,
        kind="quote_change_agreed" if agree else "quote_change_rejected",
    )
    return quote
