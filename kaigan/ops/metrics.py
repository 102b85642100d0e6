"""`/metrics`: Prometheus' text format, for the scraper only.

What it exposes:
- `RequestMetricsMiddleware`: requests by view, method and status, latency histograms by
  view, and each request's database queries (count, time, errors). (django-prometheus, the
  usual library, declares Django < 6.1 in its latest release, 2.5.0; these few
  prometheus_client metrics are what we used of it.)
- `ProductCollector`, read from the database and Redis at each scrape (a handful of indexed
  aggregate queries): briefs by status, the age of the oldest brief awaiting approval, re-match
  jobs by status, the re-match promise (open promises, the oldest, how many are past it, and
  over the last 30 days the time from the start of a re-match to the PM's approval of a new
  candidate against the promise), invitations expiring within a day, the Celery queue's depth,
  and task outcomes counted by the workers (`kaigan.ops.tasks`).

Access: with `METRICS_TOKEN` set, only a request carrying `Authorization: Bearer <token>`;
without it, only clients in `METRICS_ALLOWED_NETWORKS` (default: this host). Anyone else gets
a 403 that says nothing else.

Several gunicorn workers: with `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py sets it up),
each scrape adds up every worker's counters (prometheus_client's multiprocess mode).
"""

import ipaddress
import os
import secrets
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Count, Min, OuterRef, Subquery
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from kaigan.ops.tasks import outcome_counts
from marketplace.models import Brief, BriefEvent, Match
from marketplace.selectors import with_rematch_promise
from projects.models import RematchJob

PROMISE_WINDOW = timedelta(days=30)

REQUESTS = Counter(
    "kaigan_http_requests",
    "HTTP requests by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "kaigan_http_request_duration_seconds",
    "Time to answer a request, by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
QUERIES = Counter("kaigan_db_queries", "Database queries, by the view that sent them.", ["view"])
QUERY_ERRORS = Counter("kaigan_db_query_errors", "Database queries that failed, by view.", ["view"])
QUERY_TIME = Histogram(
    "kaigan_db_query_duration_seconds",
    "Time of one database query.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0),
)


class RequestMetricsMiddleware:
    """Counts and times every request and the database queries it sends. The view label is
    the URL pattern's name (a bounded set), never the path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = [0, 0]  # sent, failed

        def count(execute, sql, params, many, context):
            queries[0] += 1
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            except Exception:
                queries[1] += 1
                raise
            finally:
                QUERY_TIME.observe(time.perf_counter() - start)

        start = time.perf_counter()
        with connections["default"].execute_wrapper(count):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "<unresolved>"
        LATENCY.labels(view).observe(time.perf_counter() - start)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        if queries[0]:
            QUERIES.labels(view).inc(queries[0])
        if queries[1]:
            QUERY_ERRORS.labels(view).inc(queries[1])
        return response


def _gauge(name, documentation, labels=(), samples=()):
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in samples:
        family.add_metric(list(label_values), value)
    return family


class ProductCollector:
    """Kaigan's own figures, read when Prometheus scrapes."""

    def collect(self):
        now = timezone.now()
        yield from self._briefs(now)
        yield from self._rematch(now)
        yield self._invitations(now)
        yield from self._celery()

    def _briefs(self, now):
        counts = dict(
            Brief.objects.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        yield _gauge(
            "kaigan_briefs",
            "Briefs by status.",
            ["status"],
            [((status,), counts.get(status, 0)) for status in Brief.Status.values],
        )
        oldest = Brief.objects.filter(status=Brief.Status.AWAITING_APPROVAL).aggregate(
            t=Min("status_changed_at")
        )["t"]
        yield _gauge(
            "kaigan_oldest_awaiting_approval_seconds",
            "Age of the oldest brief awaiting a PM's approval (0 when none waits).",
            samples=[((), (now - oldest).total_seconds() if oldest else 0.0)],
        )

    def _rematch(self, now):
        jobs = dict(
            RematchJob.objects.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        yield _gauge(
            "kaigan_rematch_jobs",
            "Re-match jobs by status.",
            ["status"],
            [((status,), jobs.get(status, 0)) for status in RematchJob.Status.values],
        )
        promise = settings.KAIGAN_REMATCH_PROMISE.total_seconds()
        yield _gauge(
            "kaigan_rematch_promise_seconds",
            "The promised time from a re-match's start to a new PM-approved candidate.",
            samples=[((), promise)],
        )
        started = list(
            with_rematch_promise(Brief.objects.order_by())
            .filter(promise_open=True)
            .values_list("rematch_started_at", flat=True)
        )
        ages = [(now - t).total_seconds() for t in started]
        yield _gauge(
            "kaigan_rematch_open",
            "Briefs whose re-match promise is open (no new candidate approved yet).",
            samples=[((), len(ages))],
        )
        yield _gauge(
            "kaigan_rematch_open_oldest_seconds",
            "Age of the oldest open re-match promise (0 when none is open).",
            samples=[((), max(ages, default=0.0))],
        )
        yield _gauge(
            "kaigan_rematch_open_past_promise",
            "Open re-match promises already past the promised time.",
            samples=[((), sum(age > promise for age in ages))],
        )
        # Kept promises: each re-match start (a brief entering `rematching`) in the window, and
        # the first approval of a new candidate after it.
        approved = BriefEvent.objects.filter(
            brief=OuterRef("brief"),
            to_status=Brief.Status.AWAITING_EXPERT,
            created_at__gte=OuterRef("created_at"),
        ).order_by("created_at")
        pairs = (
            BriefEvent.objects.filter(
                to_status=Brief.Status.REMATCHING, created_at__gte=now - PROMISE_WINDOW
            )
            .annotate(approved_at=Subquery(approved.values("created_at")[:1]))
            .filter(approved_at__isnull=False)
            .values_list("created_at", "approved_at")
        )
        durations = sorted((approved_at - start).total_seconds() for start, approved_at in pairs)
        quantiles = (
            {
                "0.5": statistics.median(durations),
                "0.95": durations[int(0.95 * (len(durations) - 1))],
            }
            if durations
            else {"0.5": 0.0, "0.95": 0.0}
        )
        yield _gauge(
            "kaigan_rematch_to_approval_seconds",
            "Over the last 30 days: time from a re-match's start to the PM's approval of a new "
            "candidate (quantiles).",
            ["quantile"],
            [((q,), value) for q, value in quantiles.items()],
        )
        yield _gauge(
            "kaigan_rematch_kept_promise_ratio",
            "Over the last 30 days: share of re-matches with a new candidate approved in time "
            "(1 when there were none).",
            samples=[
                ((), sum(d <= promise for d in durations) / len(durations) if durations else 1.0)
            ],
        )

    def _invitations(self, now):
        expiring = Match.objects.filter(
            status=Match.Status.APPROVED,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=1),
        ).count()
        return _gauge(
            "kaigan_invitations_expiring_24h",
            "Open invitations that expire within 24 hours without an answer.",
            samples=[((), expiring)],
        )

    def _celery(self):
        outcomes = CounterMetricFamily(
            "kaigan_celery_tasks", "Celery task outcomes, by task.", labels=["task", "outcome"]
        )
        for (task, outcome), n in sorted(outcome_counts().items()):
            outcomes.add_metric([task, outcome], n)
        yield outcomes
        depth = queue_depth()
        if depth is not None:
            yield _gauge(
                "kaigan_celery_queue_length",
                "Messages waiting in the Celery queue.",
                ["queue"],
                [((settings.CELERY_TASK_DEFAULT_QUEUE,), depth)],
            )


def queue_depth() -> int | None:
    """Messages waiting in the default queue (kombu's Redis list and its priority lists), or
    None without a Redis broker or when it does not answer."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    import redis

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
    )
    try:
        # kombu's priority steps 0, 3, 6, 9: the plain key, then `<queue>\x06\x16<n>`.
        keys = [queue] + [f"{queue}\x06\x16{n}" for n in (3, 6, 9)]
        return sum(client.llen(key) for key in keys)
    except redis.RedisError:
        return None
    finally:
        client.close()


def _allowed(request) -> bool:
    token = settings.KAIGAN_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return secrets.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.KAIGAN_METRICS_NETWORKS)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(DEFAULT_REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(ProductCollector())
    return registry


@require_GET
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
