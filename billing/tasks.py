from celery import shared_task

from billing import services


@shared_task(acks_late=True)
def escrow_sweep_task() -> list[int]:
    """Settle briefs whose escrow has something to move (each movement once: safe to repeat)."""
    return services.escrow_sweep()
