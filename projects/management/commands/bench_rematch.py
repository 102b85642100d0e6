"""Latency from a "not satisfied" request to the new proposals being stored.

Runs against a real Redis and a real worker (started here on a private queue, stopped at the
end) and the database DATABASE_URL names. Each run: a fresh brief in progress; POST the
dissatisfaction through the HTTP stack; wait until the re-match job is done; record the time.
Prints one JSON line last: {"runs", "median_ms", "p95_ms", ...}.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from experts.models import Tag
from experts.services import expert_claim_tag, expert_create, expert_update
from kaigan.accounts.models import User
from kaigan.celery import app as celery_app
from marketplace.matching import propose_matches
from marketplace.models import Brief
from marketplace.services import CANCELLABLE, brief_cancel, match_approve, startup_create
from projects.models import RematchJob
from projects.services import brief_submit, invitation_accept, pm_create

TAG = "event-planning"


class Command(BaseCommand):
    help = "Measure re-match latency (complaint → new proposals stored) with a real worker."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=100)
        parser.add_argument("--experts", type=int, default=40)

    def handle(self, *args, runs, experts, **options):
        if not settings.REDIS_URL:
            raise CommandError("set REDIS_URL: this measures a real worker and Redis")
        if connection.vendor != "postgresql":
            raise CommandError("set DATABASE_URL to PostgreSQL: the worker shares the database")
        queue = f"kaigan-bench-{uuid.uuid4().hex[:8]}"
        celery_app.conf.task_default_queue = queue
        celery_app.conf.task_always_eager = False
        pm = self._fixtures(experts)
        self.request_ms: list[float] = []
        worker = self._start_worker(queue)
        try:
            samples = [self._one_run(pm, n) for n in range(runs)]
        finally:
            self._stop_worker(worker)
        samples.sort()
        result = {
            "bench": "rematch",
            "runs": runs,
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[max(int(len(samples) * 0.95) - 1, 0)], 2),
            "min_ms": round(samples[0], 2),
            "max_ms": round(samples[-1], 2),
            "request_median_ms": round(statistics.median(self.request_ms), 2),
            "round_size": settings.KAIGAN_MATCH_ROUND_SIZE,
        }
        self.stdout.write(json.dumps(result))

    def _fixtures(self, experts: int) -> User:
        pm = pm_create(email="bench-pm@bench.example.com", password=uuid.uuid4().hex, capacity=200)
        # Runs cancel their brief when measured; cancel what an interrupted run left open, so
        # the bench PM stays below capacity and keeps being assigned.
        for brief_id in Brief.objects.filter(
            startup__owner__email__startswith="bench-rematch-startup-", status__in=CANCELLABLE
        ).values_list("pk", flat=True):
            self._cancel(brief_id)
        have = User.objects.filter(email__startswith="bench-rematch-expert-").count()
        tag = Tag.objects.get(slug=TAG)
        for n in range(have, experts):
            user = User.objects.create_user(
                email=f"bench-rematch-expert-{n}@bench.example.com", role=User.Role.EXPERT
            )
            expert = expert_create(user=user)
            expert_update(expert_id=expert.pk, data={"day_rate": 1000 + n, "capacity": 10})
            expert_claim_tag(expert_id=expert.pk, tag_slug=tag.slug, actor=user)
        return pm

    def _start_worker(self, queue: str) -> subprocess.Popen:
        env = {**os.environ, "CELERY_QUEUE": queue, "CONN_MAX_AGE": "60"}
        proc = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kaigan",
                "worker",
                "-Q",
                queue,
                "-n",
                f"{queue}@127.0.0.1",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],  # fmt: skip
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if celery_app.control.ping(destination=[f"{queue}@127.0.0.1"], timeout=0.5):
                return proc
        os.killpg(proc.pid, signal.SIGTERM)
        raise CommandError("the worker did not start")

    def _cancel(self, brief_id: int) -> None:
        brief = Brief.objects.select_related("startup__owner").get(pk=brief_id)
        previous_eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            brief_cancel(brief_id=brief_id, actor=brief.startup.owner, reason="bench")
        finally:
            celery_app.conf.task_always_eager = previous_eager

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        # SIGTERM to the main process only: a warm shutdown lets the child finish the task it
        # holds (a notification e-mail, say) instead of dying under it.
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    def _one_run(self, pm: User, n: int) -> float:
        owner = User.objects.create_user(
            email=f"bench-rematch-startup-{uuid.uuid4().hex[:10]}@bench.example.com",
            role=User.Role.STARTUP,
        )
        startup = startup_create(user=owner)
        previous_eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # set-up only; the measured part uses Redis
        try:
            brief = brief_submit(
                startup=startup,
                actor=owner,
                title=f"bench {n}",
                description="bench",
                tag=TAG,
                budget_min=5000,
                budget_max=20000,
                deadline=timezone.localdate() + timedelta(days=30),
            )
            propose_matches(brief)
            match = brief.matches.order_by("rank").first()
            match_approve(match_id=match.pk, actor=brief.pm or pm)
            invitation_accept(match_id=match.pk, user=match.expert.user)
        finally:
            celery_app.conf.task_always_eager = previous_eager
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.force_authenticate(owner)
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "fit"}, format="json"
        )
        if response.status_code != 202:
            raise CommandError(f"unexpected {response.status_code}: {response.content[:200]}")
        self.request_ms.append((time.perf_counter() - started) * 1000)
        job_id = response.json()["id"]
        done = (RematchJob.Status.DONE, RematchJob.Status.NO_CANDIDATES)
        while True:
            status = RematchJob.objects.filter(pk=job_id).values_list("status", flat=True)[0]
            if status in done:
                elapsed = (time.perf_counter() - started) * 1000
                self._cancel(brief.pk)
                return elapsed
            if time.perf_counter() - started > 30:
                raise CommandError(f"job {job_id} did not finish in 30 s")
            time.sleep(0.001)
