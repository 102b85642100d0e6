"""The full matching score: the stored brief-independent part plus the brief's day-rate fit.

Pure functions over plain dataclasses: no ORM, tested without a database.
"""

from dataclasses import dataclass
from datetime import datetime

from experts import scoring as base

# Whether the startup can afford the expert for a typical engagement. Weighted below quality
# and experience: budget is negotiable, a bad fit of skills is not.
W_RATE_FIT = 0.15
# Days of work a typical brief buys; a budget that covers them at the expert's rate fits fully.
TYPICAL_DAYS = 5.0
# An expert who has not set a day rate is neither favoured nor excluded.
UNKNOWN_RATE_FIT = 0.5

assert (  # noqa: S101  (a module invariant, checked at import)
    abs(
        base.W_RATING
        + base.W_EXPERIENCE
        + base.W_FREE_CAPACITY
        + base.W_ACTIVITY
        + base.W_NEWCOMER
        + W_RATE_FIT
        - 1.0
    )
    < 1e-9
)


@dataclass(frozen=True)
class ExpertSignals:
    expert_id: int
    display_name: str
    day_rate: int | None
    rating_sum: int
    rating_count: int
    completed_count: int
    capacity: int
    active_load: int
    last_active_at: datetime | None


@dataclass(frozen=True)
class BriefTerms:
    budget_min: int
    budget_max: int


@dataclass(frozen=True)
class Candidate:
    expert_id: int
    display_name: str
    score: float
    breakdown: dict


def rate_fit(day_rate: int | None, budget_max: int) -> float:
    if not day_rate:
        return UNKNOWN_RATE_FIT
    return min(max(budget_max / (day_rate * TYPICAL_DAYS), 0.0), 1.0)


def score_candidate(expert: ExpertSignals, brief: BriefTerms, *, now: datetime) -> Candidate:
    signals = base.base_signals(
        rating_sum=expert.rating_sum,
        rating_count=expert.rating_count,
        completed_count=expert.completed_count,
        capacity=expert.capacity,
        active_load=expert.active_load,
        last_active_at=expert.last_active_at,
        now=now,
    )
    parts = signals.weighted()
    parts["rate_fit"] = W_RATE_FIT * rate_fit(expert.day_rate, brief.budget_max)
    score = round(min(max(sum(parts.values()), 0.0), 1.0), 6)
    breakdown = {name: round(value, 4) for name, value in parts.items()}
    breakdown["rating_avg"] = round(base.bayesian_rating(expert.rating_sum, expert.rating_count), 2)
    return Candidate(
        expert_id=expert.expert_id,
        display_name=expert.display_name,
        score=score,
        breakdown=breakdown,
    )


def rank(
    experts: list[ExpertSignals], brief: BriefTerms, *, limit: int, now: datetime
) -> list[Candidate]:
    """Best first; equal scores break by the lower expert id, so a ranking is reproducible."""
    scored = [score_candidate(expert, brief, now=now) for expert in experts]
    scored.sort(key=lambda c: (-c.score, c.expert_id))
    return scored[:limit]
