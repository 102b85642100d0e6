"""The Celery app: `celery -A kaigan worker` and `celery -A kaigan beat`."""

import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaigan.settings.local")

app = Celery("kaigan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id of the web request that sent a task is bound to the task's log lines
# (django-structlog; kaigan/ops/logs.py).
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _logging_as_django(**kwargs):
    """Workers and beat log as the web processes do (Django's LOGGING: structlog, scrubbed)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
