"""The worker's heartbeat (readiness looks for it) and the count of task outcomes (metrics).

Outcomes are counted where the task ran, in the worker, into one Redis hash in the cache's
database (`task:outcome` -> count), so every worker process on every host adds to the same
counters and `/metrics` on any web process reads them. Without Redis (eager tasks in
development) they are counted in the cache of the process that ran them.
"""

import logging

from celery import shared_task
from celery.signals import task_failure, task_retry, task_success, worker_ready
from django.core.cache import DEFAULT_CACHE_ALIAS, caches

from kaigan.cache import RedisCache
from kaigan.ops import health

logger = logging.getLogger(__name__)

OUTCOMES_KEY = "ops:task-outcomes"


@shared_task(ignore_result=True)
def worker_heartbeat_task() -> None:
    health.heartbeat_record()


def _redis(write: bool = False):
    """The cache's Redis client and the hash's key, or (None, None) for another cache."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None, None
    key = backend.make_and_validate_key(OUTCOMES_KEY)
    return backend._cache.get_client(key, write=write), key


def outcome_count(task_name: str, outcome: str) -> None:
    field = f"{task_name}:{outcome}"
    try:
        client, key = _redis(write=True)
        if client is not None:
            client.hincrby(key, field, 1)
        else:
            cache = caches[DEFAULT_CACHE_ALIAS]
            counts = cache.get(OUTCOMES_KEY) or {}
            counts[field] = counts.get(field, 0) + 1
            cache.set(OUTCOMES_KEY, counts, timeout=None)
    except Exception:  # noqa: BLE001  (a metric must never fail the task it counts)
        logger.warning("task outcome not counted", exc_info=True)


def outcome_counts() -> dict[tuple[str, str], int]:
    client, key = _redis()
    if client is not None:
        counts = {k.decode(): int(v) for k, v in client.hgetall(key).items()}
    else:
        counts = caches[DEFAULT_CACHE_ALIAS].get(OUTCOMES_KEY) or {}
    return {tuple(field.rsplit(":", 1)): n for field, n in counts.items()}


@task_success.connect
def _on_success(sender=None, **kwargs):
    outcome_count(sender.name, "success")


@task_failure.connect
def _on_failure(sender=None, **kwargs):
    outcome_count(sender.name, "failure")


@task_retry.connect
def _on_retry(sender=None, **kwargs):
    outcome_count(sender.name, "retry")


@worker_ready.connect
def _on_worker_ready(**kwargs):
    # Ready as soon as it starts, not only at beat's next heartbeat.
    health.heartbeat_record()
