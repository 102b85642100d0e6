"""Thin Celery interfaces over the experts services."""

from celery import shared_task

from experts import services


@shared_task(ignore_result=False)  # periodic: its summary is kept
def rank_bases_refresh_task() -> int:
    """Nightly: let activity and the newcomer bonus fade in the stored base scores."""
    return services.expert_refresh_rank_bases()
