"""Sending a task's message after commit, without letting a sick broker stall every request.

The database is the truth and Redis only the doorbell (docs/RELIABILITY.md): every message sent
through here has a sweeper that sends it again from the database if it is lost (re-match jobs,
first rankings of open briefs, notification mail). So when a publish fails (the broker is down,
or frozen: each attempt waits out the socket timeout over the bounded retries of
CELERY_TASK_PUBLISH_RETRY_POLICY), the process stops trying for KAIGAN_BROKER_BACKOFF_SECONDS:
later publishes in that window are skipped at once and logged, instead of each waiting out the
same timeouts in the same request. The first one after the window tries again.
"""

import logging
import time

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)

_down_until = 0.0


def publish(task, *args) -> bool:
    """Send `task` with `args`; False when the broker is known down or failed now."""
    global _down_until
    if time.monotonic() < _down_until:
        logger.warning(
            "broker down: %s%r not sent now; its sweeper sends it later", task.name, args
        )
        return False
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        if task.app.conf.task_always_eager:
            raise  # a task's own error, run in this process: not the broker's
        _down_until = time.monotonic() + settings.KAIGAN_BROKER_BACKOFF_SECONDS
        logger.warning(
            "broker unreachable: %s%r not sent; its sweeper sends it later",
            task.name,
            args,
            exc_info=True,
        )
        return False
    return True


def publish_on_commit(task, *args) -> None:
    """`publish` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: publish(task, *args), robust=True)
