"""Matching: rank the experts of a brief's tag, and store a round of proposals.

`rank_experts` reads; `propose_matches` writes one round and moves the brief on.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.matching.scoring import BriefTerms, Candidate, rank
from marketplace.matching.selectors import candidate_signals
from marketplace.models import Brief, Match
from marketplace.reasons import Reason

# The index gives candidates in stored base-score order; the brief's rate fit (at most
# W_RATE_FIT) and the fading of activity since the score was stored can reorder them, so the
# ranking scores a window a few times larger than it returns. Rate fit therefore reorders the
# best experts by quality; it cannot lift an expert over a whole window of better ones.
# Measured over 72 bench briefs at a million experts (bench/README.md): a window of 3x finds
# 94% of an exhaustive top 20, 4x 95%, 6x 96.5%; each extra row costs time on every ranking.
WINDOW_FACTOR = 3
WINDOW_MIN = 30


def rank_experts(brief: Brief, limit: int = 20, *, now=None) -> list[Candidate]:
    """Candidates for the brief, best first, with a score in [0, 1] and its breakdown.

    One query whatever the number of experts; equal scores break by the lower expert id.
    """
    window = max(limit * WINDOW_FACTOR, WINDOW_MIN)
    experts = candidate_signals(brief, window=window)
    terms = BriefTerms(budget_min=brief.budget_min, budget_max=brief.budget_max)
    return rank(experts, terms, limit=limit, now=now or timezone.now())


#: Brief statuses from which a new round of proposals may be made.
ROUND_FROM = (Brief.Status.OPEN, Brief.Status.REMATCHING, Brief.Status.NEEDS_ATTENTION)


def propose_round(*, brief: Brief, actor=None, reason: str | Reason = "") -> list[Match]:
    """Store the next round for a locked brief and move it on. The caller holds the lock."""
    from marketplace.services import brief_transition

    candidates = rank_experts(brief, limit=settings.KAIGAN_MATCH_ROUND_SIZE)
    brief.match_round += 1
    brief.save(update_fields=["match_round", "updated_at"])
    matches = Match.objects.bulk_create(
        [
            Match(
                brief=brief,
                expert_id=candidate.expert_id,
                round=brief.match_round,
                rank=position,
                score=candidate.score,
                breakdown=candidate.breakdown,
            )
            for position, candidate in enumerate(candidates, start=1)
        ]
    )
    if matches:
        brief_transition(brief=brief, to=Brief.Status.AWAITING_APPROVAL, actor=actor, reason=reason)
    elif brief.status != Brief.Status.NEEDS_ATTENTION:
        brief_transition(
            brief=brief,
            to=Brief.Status.NEEDS_ATTENTION,
            actor=actor,
            reason=reason or Reason("no_candidate"),
        )
    return matches


@transaction.atomic
def propose_matches(brief: Brief | int, *, actor=None) -> list[Match]:
    """One round of proposals for a brief waiting for them; a repeated call adds nothing."""
    from marketplace.services import brief_lock

    brief_id = brief if isinstance(brief, int) else brief.pk
    locked = brief_lock(brief_id=brief_id)
    if locked.status != Brief.Status.OPEN:
        return []
    return propose_round(brief=locked, actor=actor)
