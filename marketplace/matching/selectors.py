"""The one query that feeds the ranking."""

from functools import lru_cache
from typing import NamedTuple

from django.db import connections
from django.db.models import F
from django.utils.translation import gettext as _

from experts.models import Expert
from marketplace.matching.scoring import ExpertSignals
from marketplace.models import Brief, Match

#: The columns read for each candidate, in `ExpertSignals` order.
SIGNAL_FIELDS = (
    "id",
    "display_name",
    "day_rate",
    "rating_sum",
    "rating_count",
    "completed_count",
    "capacity",
    "active_load",
    "last_active_at",
    "created_at",
)


#: How a match of an expert on a brief may end and leave the expert in the brief's pool: a
#: candidate withdrawn only because another was approved was never turned down. Every other
#: match keeps its expert out: one still open (proposed, invited, working, done), or one that
#: ended with a "no" (rejected, declined, expired, replaced). ARCHITECTURE.md, "one `Match` per
#: (brief, expert)"; the same row returns to `proposed` (`marketplace.matching.store_proposals`).
BACK_IN_POOL = (Match.Status.WITHDRAWN,)


def candidate_queryset(*, tag_id: int, brief_id: int, startup_id: int):
    """Experts who may be proposed for the brief, best stored base score first.

    Hard filters: the brief's tag, available, below capacity, no match on this brief (or only
    one in `BACK_IN_POOL`), never replaced after this startup's dissatisfaction. Everything
    that decides who may be proposed (the ranking, the PM's pick by hand, an approval) follows
    these filters; `candidate_refusal` says them for one expert. The filter repeats the
    condition of the partial index `expert_rank_idx` (tag, rank_base desc, id) and the order
    follows it, so reading the first N rows costs about N index entries whatever the number of
    experts.

    The two exclusions are `NOT IN` small uncorrelated subqueries (Match.expert_id is never
    NULL, so NOT IN means what NOT EXISTS would): PostgreSQL runs each once into a hash and
    checks every row read against it. Written as NOT EXISTS, the planner joined the startup's
    whole history to every row read (a nested loop over a materialised list), which doubled
    the query's time for a startup with a long history and made it harder to plan.
    """
    already_proposed = (
        Match.objects.filter(brief_id=brief_id).exclude(status__in=BACK_IN_POOL).values("expert_id")
    )
    replaced_for_startup = Match.objects.filter(
        status=Match.Status.REPLACED, brief__startup_id=startup_id
    ).values("expert_id")
    return (
        Expert.objects.filter(
            tag_id=tag_id,
            availability=Expert.Availability.AVAILABLE,
            active_load__lt=F("capacity"),
        )
        .exclude(pk__in=already_proposed)
        .exclude(pk__in=replaced_for_startup)
        .order_by("-rank_base", "id")
    )


def candidate_refusal(*, brief: Brief, expert: Expert, approving: bool = False) -> str | None:
    """Why `expert` may not be proposed for the brief now, in words; None when they may.

    The hard filters of `candidate_queryset` for one expert, for what a PM does by hand (pick
    an expert, approve a proposal): a test holds the two to the same answer for every expert.
    `approving`: the expert's own proposal on the brief is being approved, so their match there
    (there is at most one) does not count against them.
    """
    name = {"expert": expert.display_name}
    if expert.tag_id != brief.tag_id:
        return _("%(expert)s does not carry the brief's tag.") % name
    if expert.availability != Expert.Availability.AVAILABLE:
        return _("%(expert)s is not available for new work.") % name
    if expert.active_load >= expert.capacity:
        return _("%(expert)s has no free capacity right now.") % name
    if not approving:
        ended = (
            Match.objects.filter(brief_id=brief.pk, expert_id=expert.pk)
            .exclude(status__in=BACK_IN_POOL)
            .first()
        )
        if ended is not None:
            return _(
                "%(expert)s was already proposed for this brief (%(status)s): an expert is "
                "proposed for a brief only once."
            ) % {**name, "status": ended.get_status_display()}
    if Match.objects.filter(
        status=Match.Status.REPLACED, brief__startup_id=brief.startup_id, expert_id=expert.pk
    ).exists():
        return _("The startup was not satisfied with %(expert)s on an earlier brief.") % name
    return None


def candidate_rows(brief: Brief, *, window: int):
    """The first `window` candidates of the brief as tuples in `ExpertSignals` order (lazy)."""
    return candidate_queryset(
        tag_id=brief.tag_id, brief_id=brief.pk, startup_id=brief.startup_id
    ).values_list(*SIGNAL_FIELDS)[:window]


# Stand-ins for the brief's values when the query is compiled once: no real row has them.
_TAG, _BRIEF, _STARTUP = -7_100_001, -7_100_002, -7_100_003


class _Compiled(NamedTuple):
    sql: str
    params: tuple
    # For each parameter: 0, 1 or 2 for the brief's tag, id and startup; -1 for a constant.
    slots: tuple[int, ...]
    # The backend's conversions of raw column values (SQLite's datetimes; none on PostgreSQL).
    converters: tuple


@lru_cache(maxsize=16)
def _compiled(alias: str, vendor: str, window: int) -> _Compiled:
    """The SQL of `candidate_rows`, compiled once per database and window.

    Building and compiling this queryset costs several times more than PostgreSQL takes to
    run it, and only three parameters change from one brief to the next.
    """
    queryset = candidate_queryset(tag_id=_TAG, brief_id=_BRIEF, startup_id=_STARTUP)
    compiler = queryset.values_list(*SIGNAL_FIELDS)[:window].query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    known = {_TAG: 0, _BRIEF: 1, _STARTUP: 2}
    slots = tuple(known.get(value, -1) if isinstance(value, int) else -1 for value in params)
    if sorted(slot for slot in slots if slot >= 0) != [0, 1, 2]:
        raise AssertionError(f"unexpected parameters in the candidate query: {params!r}")
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple(compiler.get_converters(fields).items())
    return _Compiled(sql, tuple(params), slots, converters)


def candidate_sql(brief: Brief, *, window: int, using: str = "default") -> tuple[str, list]:
    """The SQL and parameters `candidate_rows` sends for this brief, without the ORM's cost."""
    compiled = _compiled(using, connections[using].vendor, window)
    values = (brief.tag_id, brief.pk, brief.startup_id)
    return compiled.sql, [
        value if slot < 0 else values[slot]
        for value, slot in zip(compiled.params, compiled.slots, strict=True)
    ]


def candidate_signals(brief: Brief, *, window: int, using: str = "default") -> list[ExpertSignals]:
    """The first `window` candidates of the brief: one query, through a plain cursor."""
    connection = connections[using]
    sql, params = candidate_sql(brief, window=window, using=using)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _compiled(using, connection.vendor, window).converters
    if converters:
        rows = [_convert(row, converters, connection) for row in rows]
    return list(map(ExpertSignals._make, rows))


def _convert(row, converters, connection) -> list:
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row
