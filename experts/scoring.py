"""The part of the matching score that does not depend on the brief.

It is stored on the expert (`Expert.rank_base`) and indexed with the tag, so the ranking reads
the best candidates of a tag in order instead of scoring every expert at query time. The part
that depends on the brief (day-rate fit) lives in `marketplace.matching`. Pure functions: no ORM.

The weights add up to 1 with `marketplace.matching.W_RATE_FIT`, so a score stays in [0, 1].
"""

import math
from dataclasses import dataclass
from datetime import datetime

# Quality speaks loudest: what startups said about the work.
W_RATING = 0.35
# Finished engagements show reliability, with diminishing returns so veterans do not lock
# everyone else out.
W_EXPERIENCE = 0.20
# Someone with room takes the work sooner and gives it more attention.
W_FREE_CAPACITY = 0.15
# Recently active experts answer invitations; dormant profiles fade.
W_ACTIVITY = 0.10
# New experts need a first chance; bounded so it lifts a newcomer above an equal veteran but
# never above a clearly better one.
W_NEWCOMER = 0.05

# Bayesian average: every expert starts with PRIOR_COUNT imaginary ratings of PRIOR_MEAN, so one
# lucky 5-star review does not outrank twenty 4.8s.
PRIOR_MEAN = 3.8
PRIOR_COUNT = 5
# Experience reaches 63% at this many completed engagements, 95% at three times as many.
EXPERIENCE_SCALE = 5.0
# Activity halves roughly every three weeks of silence.
ACTIVITY_DECAY_DAYS = 30.0
# An expert with fewer completed engagements than this counts as new.
NEWCOMER_UNTIL = 3


@dataclass(frozen=True)
class BaseSignals:
    rating: float
    experience: float
    free_capacity: float
    activity: float
    newcomer: float

    def weighted(self) -> dict[str, float]:
        return {
            "rating": W_RATING * self.rating,
            "experience": W_EXPERIENCE * self.experience,
            "free_capacity": W_FREE_CAPACITY * self.free_capacity,
            "activity": W_ACTIVITY * self.activity,
            "newcomer": W_NEWCOMER * self.newcomer,
        }


def bayesian_rating(rating_sum: int, rating_count: int) -> float:
    """The rating average pulled towards the prior; 1..5."""
    return (PRIOR_MEAN * PRIOR_COUNT + rating_sum) / (PRIOR_COUNT + rating_count)


def base_signals(
    *,
    rating_sum: int,
    rating_count: int,
    completed_count: int,
    capacity: int,
    active_load: int,
    last_active_at: datetime | None,
    now: datetime,
) -> BaseSignals:
    rating = (bayesian_rating(rating_sum, rating_count) - 1.0) / 4.0
    experience = 1.0 - math.exp(-completed_count / EXPERIENCE_SCALE)
    free = max(capacity - active_load, 0) / capacity if capacity > 0 else 0.0
    if last_active_at is None:
        activity = 0.0
    else:
        days = max((now - last_active_at).total_seconds() / 86400.0, 0.0)
        activity = math.exp(-days / ACTIVITY_DECAY_DAYS)
    newcomer = max(NEWCOMER_UNTIL - completed_count, 0) / NEWCOMER_UNTIL
    return BaseSignals(
        rating=_unit(rating),
        experience=_unit(experience),
        free_capacity=_unit(free),
        activity=_unit(activity),
        newcomer=_unit(newcomer),
    )


def base_score(**kwargs) -> float:
    return _unit(sum(base_signals(**kwargs).weighted().values()))


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
