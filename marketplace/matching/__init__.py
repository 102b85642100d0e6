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


def store_proposals(
    *, brief: Brief, candidates: list[Candidate], first_rank: int = 1
) -> list[Match]:
    """Store ranked candidates as proposals of the brief's current round, ranked from
    `first_rank` on. The caller holds the brief lock.

    A candidate withdrawn from this brief earlier (another was approved) has a row already:
    one `Match` per (brief, expert), so that row returns to `proposed` with its new round, rank
    and score, and what ended it is cleared. Every other candidate gets a new row.
    """
    from marketplace.matching.selectors import BACK_IN_POOL

    ranked = {c.expert_id: (rank, c) for rank, c in enumerate(candidates, start=first_rank)}
    returning = list(
        Match.objects.filter(brief=brief, expert_id__in=ranked, status__in=BACK_IN_POOL)
    )
    for match in returning:
        rank, candidate = ranked.pop(match.expert_id)
        match.status = Match.Status.PROPOSED
        match.round, match.rank = brief.match_round, rank
        match.score, match.breakdown = candidate.score, candidate.breakdown
        match.decided_at = None
        match.decide("")
    if returning:
        Match.objects.bulk_update(
            returning,
            ["status", "round", "rank", "score", "breakdown", "decided_at", *Match.DECISION_FIELDS],
        )
    created = Match.objects.bulk_create(
        [
            Match(
                brief=brief,
                expert_id=expert_id,
                round=brief.match_round,
                rank=rank,
                score=candidate.score,
                breakdown=candidate.breakdown,
            )
            for expert_id, (rank, candidate) in ranked.items()
        ]
    )
    return sorted([*returning, *created], key=lambda match: match.rank)


def propose_round(*, brief: Brief, actor=None, reason: str | Reason = "") -> list[Match]:
    """Store the next round for a locked brief and move it on. The caller holds the lock."""
    from marketplace.services import brief_transition

    candidates = rank_experts(brief, limit=settings.KAIGAN_MATCH_ROUND_SIZE)
    brief.match_round += 1
    brief.save(update_fields=["match_round", "updated_at"])
    matches = store_proposals(brief=brief, candidates=candidates)
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


def top_up_round(*, brief: Brief) -> list[Match]:
    """Add to a brief awaiting approval the experts who now rank among its round's best.

    Experts who joined, claimed the tag, or became free after the round was ranked are not in
    it. The open proposals and the experts not yet proposed are ranked together by score (an
    open proposal keeps its place on a tie); those of the round's best
    (`KAIGAN_MATCH_ROUND_SIZE`) who are not proposed yet are added after the open ones, which
    stay as they are. Nobody the hard filters keep out is added. The caller holds the lock.
    """
    size = settings.KAIGAN_MATCH_ROUND_SIZE
    open_scores = list(
        brief.matches.filter(status=Match.Status.PROPOSED).values_list("score", flat=True)
    )
    candidates = rank_experts(brief, limit=size)
    best = sorted(
        [(-score, 0, None) for score in open_scores]
        + [(-c.score, 1, position) for position, c in enumerate(candidates)],
        key=lambda item: item[:2],
    )[:size]
    newer = [candidates[position] for _score, fresh, position in best if fresh]
    if not newer:
        return []
    last = brief.matches.filter(round=brief.match_round).order_by("-rank").first()
    return store_proposals(brief=brief, candidates=newer, first_rank=(last.rank if last else 0) + 1)


@transaction.atomic
def propose_matches(brief: Brief | int, *, actor=None) -> list[Match]:
    """One round of proposals for a brief waiting for them; a repeated call adds nothing."""
    from marketplace.services import brief_lock

    brief_id = brief if isinstance(brief, int) else brief.pk
    locked = brief_lock(brief_id=brief_id)
    if locked.status != Brief.Status.OPEN:
        return []
    return propose_round(brief=locked, actor=actor)
