"""Writes on experts: profile, the one-tag claim, reputation and load counters."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from experts import scoring
from experts.models import Expert, Tag, TagChange
from kaigan.errors import InvalidTransition

MAX_PORTFOLIO_LINKS = 5
PROFILE_FIELDS = (
    "display_name",
    "headline",
    "bio",
    "city",
    "day_rate",
    "capacity",
    "availability",
    "portfolio_links",
)


def expert_create(*, user) -> Expert:
    """The profile of a new expert (idempotent): a display name from the email to start with."""
    expert, _created = Expert.objects.get_or_create(
        user=user,
        defaults={
            "display_name": (user.name or user.email.split("@")[0])[:60],
            "last_active_at": timezone.now(),
        },
    )
    if _created:
        expert_refresh_rank_base(expert_id=expert.pk)
    return expert


def expert_lock(*, expert_id: int) -> Expert:
    return Expert.objects.select_for_update().get(pk=expert_id)


def portfolio_links_check(value: str) -> tuple[str, str | None]:
    """The links one per line, cleaned, and what is wrong with them (None when nothing is).

    Input layers call it next to their own field checks, so that one answer names every field;
    `portfolio_links_clean` is the service's own use."""
    lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
    if len(lines) > MAX_PORTFOLIO_LINKS:
        return "", _("At most %(n)d links, one per line.") % {"n": MAX_PORTFOLIO_LINKS}
    validate = URLValidator(schemes=["http", "https"])
    for line in lines:
        try:
            validate(line)
        except ValidationError:
            return "", _("“%(link)s” is not a web link.") % {"link": line[:80]}
    return "\n".join(lines), None


def portfolio_links_clean(value: str) -> str:
    cleaned, problem = portfolio_links_check(value)
    if problem:
        raise ValidationError({"portfolio_links": problem})
    return cleaned


@transaction.atomic
def expert_update(*, expert_id: int, data: dict) -> Expert:
    """Change profile fields; capacity may not drop below the engagements already running."""
    expert = expert_lock(expert_id=expert_id)
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    if "portfolio_links" in data:
        data = {**data, "portfolio_links": portfolio_links_clean(data["portfolio_links"])}
    for name, value in data.items():
        setattr(expert, name, value)
    if expert.capacity is not None and expert.capacity < expert.active_load:
        raise ValidationError(
            {
                "capacity": _("You have %(load)d engagements running; capacity cannot be lower.")
                % {"load": expert.active_load}
            }
        )
    # Field validators give the messages (rate and capacity ranges); the load is checked above
    # and the stored score is computed, so the check constraints would only repeat them with a
    # savepoint and a query each. The database still enforces them.
    expert.full_clean(exclude=["user", "tag"], validate_constraints=False)
    expert.last_active_at = timezone.now()
    expert.save(update_fields=[*data.keys(), "last_active_at", "updated_at"])
    return expert_refresh_rank_base(expert_id=expert.pk)


@transaction.atomic
def expert_claim_tag(*, expert_id: int, tag_slug: str, actor=None) -> Expert:
    """Claim the one tag. Changing it is refused while an invitation or engagement is open.

    The counters are read under the expert's row lock, which `match_approve` also takes before
    it invites: an approval and a tag change of one expert happen one after the other, so an
    expert is never invited (nor works) on a brief of a tag they no longer carry."""
    tag = Tag.objects.filter(slug=tag_slug, is_active=True).first()
    if tag is None:
        raise ValidationError({"tag": _("Unknown tag “%(slug)s”.") % {"slug": str(tag_slug)[:40]}})
    expert = expert_lock(expert_id=expert_id)
    if expert.tag_id == tag.pk:
        return expert
    if expert.tag_id is not None and (expert.active_load or expert.pending_invitations):
        raise InvalidTransition(
            _(
                "You cannot change your tag while an invitation or engagement is open. "
                "Finish or decline it first."
            ),
            fields={"tag": [_("Your tag is locked while an invitation or engagement is open.")]},
        )
    TagChange.objects.create(expert=expert, from_tag_id=expert.tag_id, to_tag=tag, actor=actor)
    expert.tag = tag
    expert.tag_claimed_at = timezone.now()
    expert.last_active_at = expert.tag_claimed_at
    expert.save(update_fields=["tag", "tag_claimed_at", "last_active_at", "updated_at"])
    return expert_refresh_rank_base(expert_id=expert.pk)


def expert_refresh_rank_base(*, expert_id: int, now=None) -> Expert:
    """Recompute the stored brief-independent score after rating, load or activity changed."""
    expert = Expert.objects.get(pk=expert_id)
    expert.rank_base = scoring.base_score_of(expert, now or timezone.now())
    Expert.objects.filter(pk=expert.pk).update(rank_base=expert.rank_base)
    return expert


def expert_adjust_counters(*, expert_id: int, refresh: bool = True, **deltas: int) -> None:
    """Add to load and invitation counters with F() (callers hold the brief lock)."""
    allowed = {"active_load", "pending_invitations", "completed_count"}
    if set(deltas) - allowed:
        raise ValueError(f"unknown counters: {set(deltas) - allowed}")
    Expert.objects.filter(pk=expert_id).update(
        **{name: F(name) + delta for name, delta in deltas.items()},
        last_active_at=timezone.now(),
    )
    if refresh:
        expert_refresh_rank_base(expert_id=expert_id)


def expert_record_rating(*, expert_id: int, rating: int) -> None:
    Expert.objects.filter(pk=expert_id).update(
        rating_count=F("rating_count") + 1, rating_sum=F("rating_sum") + rating
    )
    expert_refresh_rank_base(expert_id=expert_id)


#: Experts read, scored and written per transaction by `expert_refresh_rank_bases`.
REFRESH_BATCH = 5000
_REFRESH_FIELDS = (
    "id",
    "rank_base",
    "rating_sum",
    "rating_count",
    "completed_count",
    "capacity",
    "active_load",
    "last_active_at",
    "created_at",
)


def expert_refresh_rank_bases(*, now=None, batch_size: int = REFRESH_BATCH) -> int:
    """Recompute every stored base score at `now`; returns how many changed.

    Activity and the newcomer bonus fade with time alone, so a stored score drifts above the
    expert's score of today (the ranking's window tolerates an overestimate, but a dormant
    expert should sink). The nightly beat task runs this. Batches of `batch_size` experts in
    id order, each in its own short transaction: rows a service holds locked are skipped (the
    service refreshes them itself when it commits), and only changed scores are written.
    """
    now = now or timezone.now()
    changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Expert.objects.filter(pk__gt=last_id)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list(*_REFRESH_FIELDS, named=True)[:batch_size]
            )
            if not rows:
                return changed
            last_id = rows[-1].id
            updates = []
            for row in rows:
                score = scoring.base_score_of(row, now)
                if abs(score - row.rank_base) > 1e-9:
                    updates.append((row.id, score))
            _write_rank_bases(updates)
            changed += len(updates)


def _write_rank_bases(updates: list[tuple[int, float]]) -> None:
    if not updates:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        # One statement for the batch; bulk_update's CASE grows quadratically with the batch.
        ids, scores = zip(*updates, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Expert._meta.db_table} AS e SET rank_base = v.score"  # noqa: S608
                " FROM unnest(%s::bigint[], %s::double precision[]) AS v(id, score)"
                " WHERE e.id = v.id",
                [list(ids), list(scores)],
            )
    else:
        Expert.objects.bulk_update(
            [Expert(pk=pk, rank_base=score) for pk, score in updates], ["rank_base"], batch_size=500
        )
