"""Liveness and readiness, for load balancers, orchestrators and operators.

- `/healthz/` (`liveness`): the process answers. It reads nothing else, so a database or
  Redis outage does not get healthy web processes killed, and it is never redirected to HTTPS
  (a plain-HTTP probe from the load balancer must get its 200).
- `/readyz/` (`ReadinessView`, django-health-check): the process can serve: the database
  answers, every migration is applied, the cache works, and with Redis configured the broker
  answers and a worker has been seen within `KAIGAN_WORKER_HEARTBEAT_MAX_AGE` seconds. 200
  with each check's state, or 503 naming what failed (JSON unless the client asks for another
  format django-health-check offers).

A worker reports itself (`tasks.worker_heartbeat_task`, run by beat every
`KAIGAN_WORKER_HEARTBEAT_SECONDS`, and once when a worker starts): the time in the cache. The
heartbeat goes through beat, the broker and a worker, so a stale one means any of the three is
down.
"""

import dataclasses
import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

HEARTBEAT_KEY = "ops:worker-heartbeat"


def liveness(request):
    return JsonResponse({"status": "ok"})


class InRequestThread:
    """A check that uses the database runs in the request's own thread (Django's way for a
    synchronous step of an async view), on the request's connection, and first drops that
    connection if an earlier error broke it (as Django does when a request starts): the next
    probe after an outage connects again, and readiness recovers. (In the async view's thread
    pool a broken connection would stay broken in its thread.)"""

    async def run(self):
        await sync_to_async(self._run_fresh, thread_sensitive=True)()

    def _run_fresh(self):
        connection = connections[self.alias]
        if not connection.in_atomic_block:  # (a test's transaction is left alone)
            connection.close_if_unusable_or_obsolete()
        self.run_sync()


@dataclasses.dataclass
class Database(InRequestThread, checks.Database):
    def run_sync(self):
        checks.Database.run(self)


@dataclasses.dataclass
class Migrations(InRequestThread, HealthCheck):
    """Every migration on disk is applied: a web process of a new release waits for `migrate`."""

    alias: str = DEFAULT_DB_ALIAS

    def run_sync(self):
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable("The database does not answer") from exc
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """A Celery worker ran the heartbeat task recently (beat → broker → worker all work)."""

    max_age: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(seconds=settings.KAIGAN_WORKER_HEARTBEAT_MAX_AGE)
    )

    def run(self):
        seen = heartbeat_seen()
        if seen is None:
            raise ServiceUnavailable("No worker heartbeat seen")
        age = timezone.now() - seen
        if age > self.max_age:
            raise ServiceUnavailable(f"Last worker heartbeat {age.total_seconds():.0f} s ago")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker (Redis) answers a PING within its socket timeout."""

    timeout = datetime.timedelta(seconds=3)

    def run(self):
        import redis

        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ServiceUnavailable("The broker does not answer") from exc
        finally:
            client.close()


def heartbeat_record() -> None:
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


def heartbeat_seen() -> datetime.datetime | None:
    value = cache.get(HEARTBEAT_KEY)
    return datetime.datetime.fromisoformat(value) if value else None


def readiness_checks() -> list:
    ready = [Database, Migrations, checks.Cache]
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # a broker and workers are part of the system
        ready += [Broker, WorkerHeartbeat]
    return ready


class ReadinessView(HealthCheckView):
    def get_checks(self):
        self.checks = readiness_checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        # JSON for probes (which send no Accept, or */*); another format when asked for.
        if "format" not in request.GET and request.headers.get("accept", "*/*") == "*/*":
            request.GET = request.GET.copy()
            request.GET["format"] = "json"
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:  # what failed is a dependency, not this process
            response.status_code = 503
        return response
