"""The part of the matching score that does not depend on the brief.

It is stored on the expert (`Expert.rank_base`) and indexed with the tag, so the ranking reads
the best candidates of a tag in order instead of scoring every expert at query time. The part
that depends on the brief (day-rate fit) lives in `marketplace.matching`. Pure functions: no ORM.

The weights add up to 1 with `marketplace.matching.W_RATE_FIT`, so a score stays in [0, 1].
"""

import math
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
# New experts need a first chance to be seen; bounded so it lifts a newcomer above an otherwise
# equal expert who joined long ago, but never above a clearly better one.
W_NEWCOMER = 0.05

# Bayesian average: every expert starts with PRIOR_COUNT imaginary ratings of PRIOR_MEAN, so one
# lucky 5-star review does not outrank twenty 4.8s.
PRIOR_MEAN = 3.8
PRIOR_COUNT = 5
# Experience reaches 63% at this many completed engagements, 95% at three times as many.
EXPERIENCE_SCALE = 5.0
# Activity halves roughly every three weeks of silence.
ACTIVITY_DECAY_DAYS = 30.0
# The newcomer bonus is for experts with fewer completed engagements than this (it shrinks with
# each one) who joined less than NEWCOMER_DAYS ago (it fades linearly to nothing by then): after
# that an expert competes on the record alone, having had the chance to build one.
NEWCOMER_UNTIL = 3
NEWCOMER_DAYS = 90.0


def bayesian_rating(rating_sum: int, rating_count: int) -> float:
    """The rating average pulled towards the prior; 1..5."""
    return (PRIOR_MEAN * PRIOR_COUNT + rating_sum) / (PRIOR_COUNT + rating_count)


def base_parts(
    rating_sum: int,
    rating_count: int,
    completed_count: int,
    capacity: int,
    active_load: int,
    last_active_at: datetime | None,
    now: datetime,
    joined_at: datetime | None = None,
) -> tuple[float, float, float, float, float]:
    """The five signals in [0, 1]: rating, experience, free capacity, activity, newcomer.

    Plain floats in a tuple, positional arguments: the ranking calls this for every row of its
    window and the bench loader for every expert, so it allocates no more than it must.
    Activity and the newcomer bonus only fade as `now` moves on, so a stored score computed
    earlier is never below the score at `now` (the ranking's window relies on it). An unknown
    `joined_at` keeps the whole bonus, which keeps that bound.
    """
    rating = (bayesian_rating(rating_sum, rating_count) - 1.0) / 4.0
    experience = 1.0 - math.exp(-completed_count / EXPERIENCE_SCALE)
    free = (capacity - active_load) / capacity if capacity > 0 else 0.0
    if last_active_at is None:
        activity = 0.0
    else:
        days = (now - last_active_at).total_seconds() / 86400.0
        activity = math.exp(-days / ACTIVITY_DECAY_DAYS) if days > 0.0 else 1.0
    if completed_count >= NEWCOMER_UNTIL:
        newcomer = 0.0
    else:
        newcomer = (NEWCOMER_UNTIL - completed_count) / NEWCOMER_UNTIL
        if joined_at is not None:
            age_days = (now - joined_at).total_seconds() / 86400.0
            if age_days > 0.0:
                newcomer *= 1.0 - age_days / NEWCOMER_DAYS
    # Clamped inline (not through _unit): this runs for every row of every ranking.
    return (
        rating if 0.0 <= rating <= 1.0 else _unit(rating),
        experience if 0.0 <= experience <= 1.0 else _unit(experience),
        free if 0.0 <= free <= 1.0 else _unit(free),
        activity if activity <= 1.0 else 1.0,
        newcomer if newcomer >= 0.0 else 0.0,
    )


def weighted_sum(parts: tuple[float, float, float, float, float]) -> float:
    """The weighted base score of `base_parts`; at most the sum of the base weights."""
    rating, experience, free, activity, newcomer = parts
    return (
        W_RATING * rating
        + W_EXPERIENCE * experience
        + W_FREE_CAPACITY * free
        + W_ACTIVITY * activity
        + W_NEWCOMER * newcomer
    )


def base_score(
    *,
    rating_sum: int,
    rating_count: int,
    completed_count: int,
    capacity: int,
    active_load: int,
    last_active_at: datetime | None,
    now: datetime,
    joined_at: datetime | None = None,
) -> float:
    """What `Expert.rank_base` stores: the brief-independent part of the score, in [0, 1]."""
    return _unit(
        weighted_sum(
            base_parts(
                rating_sum,
                rating_count,
                completed_count,
                capacity,
                active_load,
                last_active_at,
                now,
                joined_at,
            )
        )
    )


def base_score_of(expert, now: datetime) -> float:
    """`base_score` of anything carrying an expert's fields: a model instance, a named row."""
    return base_score(
        rating_sum=expert.rating_sum,
        rating_count=expert.rating_count,
        completed_count=expert.completed_count,
        capacity=expert.capacity,
        active_load=expert.active_load,
        last_active_at=expert.last_active_at,
        joined_at=expert.created_at,
        now=now,
    )


def _unit(value: float) -> float:
    if value < 0.0:
        return 0.0
    if value > 1.0:
        return 1.0
    return value
