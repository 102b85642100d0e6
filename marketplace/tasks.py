from celery import shared_task

from marketplace.matching import propose_matches


@shared_task
def propose_matches_task(brief_id: int) -> int:
    """Rank and store the first round for a newly posted brief (a no-op if already done)."""
    return len(propose_matches(brief_id))
