"""The one query that feeds the ranking."""

from django.db.models import Exists, F, OuterRef

from experts.models import Expert
from marketplace.matching.scoring import ExpertSignals
from marketplace.models import Brief, Match

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
)


def candidate_queryset(brief: Brief):
    """Experts who may be proposed for the brief, best stored base score first.

    Hard filters: the brief's tag, available, below capacity, never proposed for this brief,
    never replaced after this startup's dissatisfaction. The order follows the partial index
    `expert_rank_idx`, so reading the first N rows costs about N index entries.
    """
    already_proposed = Match.objects.filter(brief_id=brief.pk, expert_id=OuterRef("pk"))
    replaced_for_startup = Match.objects.filter(
        expert_id=OuterRef("pk"),
        status=Match.Status.REPLACED,
        brief__startup_id=brief.startup_id,
    )
    return (
        Expert.objects.filter(
            tag_id=brief.tag_id,
            availability=Expert.Availability.AVAILABLE,
            active_load__lt=F("capacity"),
        )
        .exclude(Exists(already_proposed))
        .exclude(Exists(replaced_for_startup))
        .order_by("-rank_base", "id")
    )


def candidate_signals(brief: Brief, *, window: int) -> list[ExpertSignals]:
    rows = candidate_queryset(brief).values_list(*SIGNAL_FIELDS)[:window]
    return [ExpertSignals(*row) for row in rows]
