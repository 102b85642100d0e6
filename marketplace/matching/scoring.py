"""The full matching score: the brief-independent part (experts.scoring) plus the day-rate fit.

Pure functions over plain data: no ORM, tested without a database.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from experts import scoring as base

# Whether the startup can afford the expert for a typical engagement. Weighted below quality
# and experience: budget is negotiable, a bad fit of skills is not.
W_RATE_FIT = 0.15
# Days of work a typical brief buys; a budget that covers them at the expert's rate fits fully.
TYPICAL_DAYS = 5.0
# An expert who has not set a day rate is neither favoured nor excluded.
UNKNOWN_RATE_FIT = 0.5
# Scores are compared and stored at this precision, so float noise never decides an order:
# equal scores at this precision fall to the lower expert id.
SCORE_DIGITS = 6

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


class ExpertSignals(NamedTuple):
    """What the ranking reads of one expert: one row of the candidate query, in this order."""

    expert_id: int
    display_name: str
    day_rate: int | None
    rating_sum: int
    rating_count: int
    completed_count: int
    capacity: int
    active_load: int
    last_active_at: datetime | None
    joined_at: datetime | None = None


@dataclass(frozen=True)
class BriefTerms:
    budget_min: int
    budget_max: int


@dataclass(frozen=True, slots=True)
class Candidate:
    expert_id: int
    display_name: str
    score: float
    breakdown: dict


def rate_fit(day_rate: int | None, budget_max: int) -> float:
    """1 when the budget buys TYPICAL_DAYS at the expert's rate, less in proportion otherwise."""
    if not day_rate:
        return UNKNOWN_RATE_FIT
    fit = budget_max / (day_rate * TYPICAL_DAYS)
    return fit if fit < 1.0 else 1.0


def _parts(expert: ExpertSignals, now: datetime) -> tuple[float, float, float, float, float]:
    return base.base_parts(
        expert.rating_sum,
        expert.rating_count,
        expert.completed_count,
        expert.capacity,
        expert.active_load,
        expert.last_active_at,
        now,
        expert.joined_at,
    )


def _score(parts: tuple[float, float, float, float, float], fit: float) -> float:
    # Each part is in [0, 1] and the weights add up to 1, so the sum is too (up to float noise).
    total = base.weighted_sum(parts) + W_RATE_FIT * fit
    return round(total if total < 1.0 else 1.0, SCORE_DIGITS)


def _candidate(expert: ExpertSignals, parts, fit: float, score: float) -> Candidate:
    rating, experience, free, activity, newcomer = parts
    breakdown = {
        "rating": round(base.W_RATING * rating, 4),
        "experience": round(base.W_EXPERIENCE * experience, 4),
        "free_capacity": round(base.W_FREE_CAPACITY * free, 4),
        "activity": round(base.W_ACTIVITY * activity, 4),
        "newcomer": round(base.W_NEWCOMER * newcomer, 4),
        "rate_fit": round(W_RATE_FIT * fit, 4),
        "rating_avg": round(base.bayesian_rating(expert.rating_sum, expert.rating_count), 2),
    }
    return Candidate(
        expert_id=expert.expert_id,
        display_name=expert.display_name,
        score=score,
        breakdown=breakdown,
    )


def score_candidate(expert: ExpertSignals, brief: BriefTerms, *, now: datetime) -> Candidate:
    """One expert's score for the brief, in [0, 1], with the weighted part of each signal."""
    parts = _parts(expert, now)
    fit = rate_fit(expert.day_rate, brief.budget_max)
    return _candidate(expert, parts, fit, _score(parts, fit))


def rank(
    experts: list[ExpertSignals], brief: BriefTerms, *, limit: int, now: datetime
) -> list[Candidate]:
    """The best `limit`, best first; equal scores break by the lower expert id.

    Scores every expert but builds a breakdown only for those returned: this runs on every
    ranking, over a window a few times larger than the result.
    """
    budget_max = brief.budget_max
    scored = []
    for expert in experts:
        parts = _parts(expert, now)
        fit = rate_fit(expert.day_rate, budget_max)
        scored.append((-_score(parts, fit), expert.expert_id, parts, fit, expert))
    # Best score first, then the lower id; ids are unique, so the rest is never compared.
    scored.sort()
    return [
        _candidate(expert, parts, fit, -negative)
        for negative, _id, parts, fit, expert in scored[:limit]
    ]
