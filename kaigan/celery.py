"""The Celery app: `celery -A kaigan worker` and `celery -A kaigan beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaigan.settings.local")

app = Celery("kaigan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
