"""Time `rank_experts` against the bare SQL of its own query (bench/README.md).

Uses the experts loaded by `bench_load_experts` and a few hundred open briefs of a bench
startup, spread over every tag (made on the first run, kept for the next). The last line of
the output is one JSON object with the figures.
"""

import gc
import json
import math
import random
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from experts.models import Expert, Tag
from kaigan.accounts.models import User
from marketplace import matching
from marketplace.management.commands.bench_load_experts import (
    BENCH_STARTUP_EMAIL,
    UNUSABLE_PASSWORD,
)
from marketplace.matching.scoring import BriefTerms, rank
from marketplace.matching.selectors import candidate_rows, candidate_signals
from marketplace.models import Brief, Match, Startup

# One bench brief in this many starts with a few of its best experts already proposed and
# replaced, so both exclusions of the query have rows to exclude.
WITH_HISTORY_EVERY = 10
HISTORY_MATCHES = 3


class Command(BaseCommand):
    help = "Median and p95 of rank_experts vs its bare SQL over bench briefs (JSON last)."

    def add_arguments(self, parser):
        parser.add_argument("--briefs", type=int, default=300, help="bench briefs to rank")
        parser.add_argument("--repeat", type=int, default=3, help="rounds over all briefs")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument(
            "--recall",
            type=int,
            default=40,
            help="briefs whose ranking is compared with an exhaustive one (0: skip)",
        )
        parser.add_argument("--seed", type=int, default=5)
        parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE")

    def handle(self, *args, briefs: int, repeat: int, limit: int, recall: int, seed: int, **opts):
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: every query is recorded; run with DEBUG=0 to measure.")
        if not Expert.objects.exists():
            raise CommandError("no experts: run bench_load_experts first")
        rng = random.Random(seed)
        bench = bench_briefs(count=briefs, rng=rng, limit=limit)
        window = max(limit * matching.WINDOW_FACTOR, matching.WINDOW_MIN)
        queries = {b.pk: candidate_rows(b, window=window).query.sql_with_params() for b in bench}

        plan = explain(bench[0], queries[bench[0].pk], analyze=opts["explain"])
        if opts["explain"]:
            self.stdout.write(plan)
        for brief in bench:  # warm the caches and the compiled query
            matching.rank_experts(brief, limit=limit)
            raw_fetch(*queries[brief.pk])

        ranked_ms, raw_ms = [], []
        gc.collect()
        for _round in range(repeat):
            order = bench[:]
            rng.shuffle(order)
            for brief in order:
                sql, params = queries[brief.pk]
                began = time.perf_counter_ns()
                raw_fetch(sql, params)
                raw_ms.append((time.perf_counter_ns() - began) / 1e6)
                began = time.perf_counter_ns()
                matching.rank_experts(brief, limit=limit)
                ranked_ms.append((time.perf_counter_ns() - began) / 1e6)

        overlap = measure_recall(bench[:recall], limit=limit)
        result = {
            "vendor": connection.vendor,
            "debug": settings.DEBUG,
            "experts": Expert.objects.count(),
            "briefs": len(bench),
            "tags": len({brief.tag_id for brief in bench}),
            "samples": len(ranked_ms),
            "limit": limit,
            "window": window,
            "index_used": "expert_rank_idx" in plan,
            "rank_experts_ms": summary(ranked_ms),
            "raw_sql_ms": summary(raw_ms),
            "ratio_median": round(statistics.median(ranked_ms) / statistics.median(raw_ms), 2),
            "ratio_p95": round(percentile(ranked_ms, 95) / percentile(raw_ms, 95), 2),
            **overlap,
        }
        self.stdout.write(
            f"rank_experts(limit={limit}) over {len(bench)} briefs x {repeat}:"
            f" median {result['rank_experts_ms']['median']} ms,"
            f" p95 {result['rank_experts_ms']['p95']} ms;"
            f" bare SQL median {result['raw_sql_ms']['median']} ms,"
            f" p95 {result['raw_sql_ms']['p95']} ms"
        )
        self.stdout.write(json.dumps(result, sort_keys=True))


def raw_fetch(sql: str, params) -> list:
    """The query through the driver's own cursor on PostgreSQL: no Django in between.

    (Elsewhere through Django's cursor, which translates the placeholders for the driver.)
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def explain(brief: Brief, query, *, analyze: bool) -> str:
    sql, params = query
    if connection.vendor != "postgresql":
        return ""
    options = "ANALYZE, BUFFERS" if analyze else "COSTS OFF"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(math.ceil(pct / 100 * len(ordered)) - 1, len(ordered) - 1)]


def summary(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 3),
        "p95": round(percentile(values, 95), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def measure_recall(briefs: list[Brief], *, limit: int) -> dict:
    """How often the windowed ranking equals an exhaustive ranking of every candidate."""
    if not briefs:
        return {}
    now = timezone.now()
    exact, shared = 0, []
    for brief in briefs:
        got = [c.expert_id for c in matching.rank_experts(brief, limit=limit, now=now)]
        everyone = candidate_signals(brief, window=10_000_000)
        terms = BriefTerms(budget_min=brief.budget_min, budget_max=brief.budget_max)
        best = [c.expert_id for c in rank(everyone, terms, limit=limit, now=now)]
        exact += got == best
        shared.append(len(set(got) & set(best)) / max(len(best), 1))
    return {
        "recall_briefs": len(briefs),
        "recall_exact_share": round(exact / len(briefs), 3),
        "recall_mean_overlap": round(statistics.fmean(shared), 3),
    }


@transaction.atomic
def bench_briefs(*, count: int, rng: random.Random, limit: int) -> list[Brief]:
    """The bench startup's open briefs, made up to `count`: every tag, budgets of all sizes."""
    owner, _created = User.objects.get_or_create(
        email=BENCH_STARTUP_EMAIL,
        defaults={"password": UNUSABLE_PASSWORD, "role": User.Role.STARTUP, "name": "Bench"},
    )
    startup, _created = Startup.objects.get_or_create(
        owner=owner, defaults={"company_name": "基准测试公司", "industry": "bench"}
    )
    existing = list(Brief.objects.filter(startup=startup).order_by("pk")[:count])
    tags = list(Tag.objects.filter(is_active=True).order_by("position", "pk"))
    deadline = timezone.localdate() + timedelta(days=60)
    new = []
    for i in range(len(existing), count):
        budget_max = min(max(round(math.exp(rng.gauss(9.6, 0.9)), -2), 1_000), 2_000_000)
        new.append(
            Brief(
                startup=startup,
                title=f"基准需求 {i}",
                description="bench",
                tag=tags[i % len(tags)],
                budget_min=max(500, budget_max // 2),
                budget_max=budget_max,
                deadline=deadline,
            )
        )
    created = Brief.objects.bulk_create(new)
    for brief in created[::WITH_HISTORY_EVERY]:
        Match.objects.bulk_create(
            Match(
                brief=brief,
                expert_id=candidate.expert_id,
                status=Match.Status.REPLACED,
                rank=position,
                score=candidate.score,
                breakdown=candidate.breakdown,
            )
            for position, candidate in enumerate(
                matching.rank_experts(brief, limit=HISTORY_MATCHES), start=1
            )
        )
    if created and connection.vendor == "postgresql":
        # As autovacuum would soon: the planner should know this startup has many briefs.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_brief")
            cursor.execute("ANALYZE marketplace_match")
    return existing + created
