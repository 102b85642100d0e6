"""Thin Celery interfaces over the projects services; each is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from projects import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=5,
)
def rematch_run_task(self, job_id: int) -> str:
    outcome = services.rematch_run(job_id=job_id)
    if outcome == "not_claimed":
        # Another worker holds a live lease, or a killed worker left one behind: look again
        # once it has run out (the sweeper would also find it).
        lease = services.rematch_lease_left(job_id=job_id)
        if lease is not None:
            raise self.retry(countdown=min(lease + 1, settings.KAIGAN_REMATCH_LEASE_SECONDS + 1))
    return outcome


# The periodic tasks keep their summaries (the result backend, an hour): what each run did.
@shared_task(ignore_result=False)
def rematch_sweep_task() -> dict:
    return services.rematch_sweep()


@shared_task(ignore_result=False)
def invitations_expire_task() -> int:
    return services.invitations_expire()


@shared_task(ignore_result=False)
def pm_recount_task() -> dict:
    """Nightly: fix PM open-brief counters that drifted from their briefs (should be none)."""
    drift = services.pm_recount()
    if drift:
        logger.warning("PM open-brief counters drifted and were fixed: %s", drift)
    return {str(user_id): list(counts) for user_id, counts in drift.items()}
