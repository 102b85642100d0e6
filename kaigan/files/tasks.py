"""Thin Celery interfaces over the files services."""

from celery import shared_task

from kaigan.files import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def file_thumbnail_task(file_id: int) -> bool:
    """A raster image's thumbnail; a redelivered message finds it made and does nothing."""
    return services.file_thumbnail_make(file_id=file_id)
