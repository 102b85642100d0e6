"""Scale-out proof (bench/README.md, "Scale-out"): two gunicorn instances and two Celery
workers (plus beat) on this machine against one PostgreSQL database and one Redis, under a
mixed load of the product's real flows, then the concurrency invariants checked in the database.

    .venv/bin/python bench/scaleout.py                    # 60 s of load
    DURATION=30 STARTUPS=8 .venv/bin/python bench/scaleout.py

The load (threads, each request to one of the two instances in turn): startups post briefs,
list and read them; the PMs approve a proposal by sending the same approval to BOTH instances
at once; experts accept their invitations and deliver; startups complain about work in
progress, also to both instances at once, or accept delivered work. Afterwards, once every
re-match job is finished: at most one holding match and one open re-match job per brief,
no expert twice on a brief, no racing pair answered twice (one 2xx and a 409, or two 409s
when the state had moved on), every complaint with its re-match job ended, the PMs'
open-brief counters equal to a recount, every ledger transaction balanced, no escrow, payable
or refund below zero, no brief charged the fee twice, and no 5xx anywhere. Prints a table
and one JSON line; raw figures go to bench/results/.
"""

import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DURATION = float(os.environ.get("DURATION", 60))
STARTUPS = int(os.environ.get("STARTUPS", 8))
EXPERTS_PER_TAG = int(os.environ.get("EXPERTS_PER_TAG", 40))
DB = os.environ.get("SCALEOUT_DB", "kaigan_scaleout")
REDIS_DB = os.environ.get("REDIS_DB", "10")
PORTS = [int(p) for p in os.environ.get("PORTS", "8131 8132").split()]
PASSWORD = "scaleout-pass-2026"  # noqa: S105  (bench users in a bench database)

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "kaigan.settings.bench",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_URL": f"postgres://kaigan:kaigan@127.0.0.1:5432/{DB}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_QUEUE": "kaigan-scaleout",
    "CACHE_KEY_PREFIX": "kaigan-scaleout",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "THROTTLE_USER": "1000000/s",
    "THROTTLE_BRIEF_POST": "1000000/s",
    "THROTTLE_DISSATISFACTION": "1000000/s",
    "LOG_LEVEL": "WARNING",
    "KAIGAN_BEAT_INTERVAL_SECONDS": "5",
    "KAIGAN_REMATCH_PENDING_GRACE_SECONDS": "5",
    "WEB_CONCURRENCY": "2",
    # Production's money settings (a throwaway key; the bench's briefs are funded by the
    # development provider, which kaigan.settings.bench enables).
    "KAIGAN_FIELD_ENCRYPTION_KEY": "bT1tZ0Z1bmRzQmVuY2hLZXlPbmx5MDEyMzQ1Njc4OTA=",
    "KAIGAN_BANK_ACCOUNT_NAME": "Kaigan bench",
    "KAIGAN_BANK_NAME": "Bench bank",
    "KAIGAN_BANK_ACCOUNT_NUMBER": "6222000000000000",
}


def log(message: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(*args: str) -> str:
    return subprocess.run(
        args, cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    ).stdout


def psql_admin(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt", "-c", sql],  # noqa: S607
        check=True,
        capture_output=True,
    )


SEED = """
import json
from django.db import transaction
from kaigan.accounts.tokens import api_token_issue
from experts.models import Expert, Tag
from experts.services import expert_claim_tag, expert_update
from kaigan.accounts.models import User
from kaigan.accounts.services import user_profile_create
from projects.services import pm_create

out = {"startups": [], "experts": {}, "pms": []}
tags = list(Tag.objects.filter(is_active=True).order_by("id")[:2])
with transaction.atomic():
    for n in range(2):
        pm = pm_create(email=f"pm{n}@scaleout.example.com", password="%(pw)s", capacity=200)
        out["pms"].append(api_token_issue(user=pm)[1])
    for n in range(%(startups)d):
        user = User.objects.create_user(
            email=f"s{n}@scaleout.example.com", password="%(pw)s", role="startup"
        )
        user_profile_create(user=user)
        out["startups"].append(api_token_issue(user=user)[1])
    for tag in tags:
        for n in range(%(experts)d):
            user = User.objects.create_user(
                email=f"e-{tag.slug}-{n}@scaleout.example.com", password="%(pw)s", role="expert"
            )
            user_profile_create(user=user)
            expert_update(
                expert_id=user.expert.pk, data={"day_rate": 800 + 10 * n, "capacity": 3}
            )
            expert_claim_tag(expert_id=user.expert.pk, tag_slug=tag.slug)
            out["experts"][api_token_issue(user=user)[1]] = tag.slug
out["tags"] = [t.slug for t in tags]
print(json.dumps(out))
"""

INVARIANTS = """
import json
from django.db.models import Count
from marketplace.models import Brief, Match
from projects.models import Feedback, ProjectManager, RematchJob

def more_than_one(queryset, *fields):
    return queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()


def by_status(queryset):
    return dict(queryset.order_by().values_list("status").annotate(n=Count("id")))


holding = more_than_one(Match.objects.filter(status__in=["approved", "accepted"]), "brief")
open_jobs = more_than_one(RematchJob.objects.filter(status__in=["pending", "running"]), "brief")
twice = more_than_one(Match.objects.all(), "brief", "expert")
unfinished = RematchJob.objects.filter(status__in=["pending", "running"]).count()
complaints = Feedback.objects.filter(kind="dissatisfaction").count()
jobs = RematchJob.objects.filter(cause="dissatisfaction").count()
from django.db.models import Sum
from billing.models import Account, LedgerEntry, LedgerTransaction

unbalanced = (
    LedgerEntry.objects.values("transaction").annotate(total=Sum("amount")).exclude(total=0).count()
)
negative = sum(
    1
    for balance in LedgerEntry.objects.filter(account__kind__in=Account.NEVER_NEGATIVE)
    .values("account")
    .annotate(total=Sum("amount"))
    .values_list("total", flat=True)
    if balance > 0  # credit accounts: debits positive, so a balance below zero reads > 0
)
fee_twice = more_than_one(
    LedgerTransaction.objects.filter(kind="fee", reverses__isnull=True), "brief"
)
drift = sum(
    pm.open_briefs != Brief.objects.filter(pm=pm.user, status__in=Brief.OPEN_STATUSES).count()
    for pm in ProjectManager.objects.all()
)
print(json.dumps({
    "briefs": Brief.objects.count(),
    "briefs_by_status": by_status(Brief.objects),
    "matches": Match.objects.count(),
    "briefs_with_two_holding_matches": holding,
    "briefs_with_two_open_rematch_jobs": open_jobs,
    "expert_twice_on_a_brief": twice,
    "rematch_jobs_unfinished": unfinished,
    "complaints": complaints,
    "rematch_jobs_for_complaints": jobs,
    "rematch_jobs_by_status": by_status(RematchJob.objects),
    "pm_counter_drift": drift,
    "ledger_transactions": LedgerTransaction.objects.count(),
    "ledger_transactions_unbalanced": unbalanced,
    "accounts_below_zero": negative,
    "briefs_charged_the_fee_twice": fee_twice,
}))
"""


class Load:
    def __init__(self, seed: dict):
        self.seed = seed
        self.stats: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.races: Counter = Counter()
        self.lock = threading.Lock()
        self.stop_at = time.monotonic() + DURATION
        self.turn = 0

    def base(self) -> str:
        with self.lock:
            self.turn += 1
            return f"http://127.0.0.1:{PORTS[self.turn % len(PORTS)]}"

    def call(self, client, name, method, path, token, body=None, base=None):
        started = time.perf_counter()
        response = client.request(
            method,
            f"{base or self.base()}{path}",
            json=body,
            headers={"Authorization": f"Token {token}"},
        )
        with self.lock:
            self.stats[name].append(time.perf_counter() - started)
            self.statuses[name][response.status_code] += 1
        return response

    def race(self, name, path, token, body):
        """The same write sent to both instances at once: one must win, the other be refused."""
        barrier = threading.Barrier(len(PORTS))
        answers = []

        def one(port):
            with httpx.Client(timeout=30) as client:
                barrier.wait()
                answers.append(
                    self.call(client, name, "POST", path, token, body, f"http://127.0.0.1:{port}")
                )

        threads = [threading.Thread(target=one, args=(port,)) for port in PORTS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(a.status_code for a in answers)
        won = sum(200 <= c < 300 for c in codes)
        # One winner; or none when the state had already moved on (another approval, a brief
        # that changed meanwhile): refused twice, nothing done. Two would be a double effect.
        with self.lock:
            self.races[f"{name}: {won} won {codes}"] += 1

    def startup(self, token):
        rng = random.Random(token)
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < self.stop_at:
                deadline = (
                    datetime.now(UTC).date() + timedelta(days=rng.randint(10, 60))
                ).isoformat()
                self.call(
                    client,
                    "post brief",
                    "POST",
                    "/api/v1/briefs/",
                    token,
                    {
                        "title": f"Brief {rng.randint(1, 10**6)}",
                        "description": "A launch article and its visuals.",
                        "tag": rng.choice(self.seed["tags"]),
                        "budget_min": 1000,
                        "budget_max": rng.choice([3000, 8000, 20000]),
                        "deadline": deadline,
                    },
                )
                briefs = self.call(client, "list briefs", "GET", "/api/v1/briefs/", token)
                for brief in briefs.json().get("results", [])[:10]:
                    if time.monotonic() > self.stop_at:
                        return
                    if brief["status"] == "in_progress" and not self.funded(client, brief, token):
                        self.call(
                            client,
                            "fund",
                            "POST",
                            f"/api/v1/briefs/{brief['id']}/funding/",
                            token,
                            {"method": "dev"},
                        )
                    elif brief["status"] == "in_progress" and rng.random() < 0.3:
                        self.race(
                            "complain",
                            f"/api/v1/briefs/{brief['id']}/dissatisfaction/",
                            token,
                            {"reason": "quality", "comment": "Not what we asked."},
                        )
                    elif brief["status"] == "delivered":
                        self.call(
                            client,
                            "accept",
                            "POST",
                            f"/api/v1/briefs/{brief['id']}/accept/",
                            token,
                            {"rating": rng.randint(3, 5), "review": "Good."},
                        )
                    else:
                        self.call(
                            client, "read brief", "GET", f"/api/v1/briefs/{brief['id']}/", token
                        )

    def funded(self, client, brief, token) -> bool:
        funding = self.call(
            client, "funding", "GET", f"/api/v1/briefs/{brief['id']}/funding/", token
        )
        return funding.status_code != 200 or funding.json().get("status") == "funded"

    def pm(self, token):
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < self.stop_at:
                briefs = self.call(
                    client, "pm list", "GET", "/api/v1/briefs/?status=awaiting_approval", token
                )
                rows = briefs.json().get("results", [])
                for brief in rows[:5]:
                    matches = self.call(
                        client, "pm matches", "GET", f"/api/v1/briefs/{brief['id']}/matches/", token
                    ).json()
                    proposed = [
                        m for m in matches.get("results", matches) if m["status"] == "proposed"
                    ]
                    if proposed:
                        self.race(
                            "approve",
                            f"/api/v1/matches/{proposed[0]['id']}/approve/",
                            token,
                            {"note": "Fits the budget."},
                        )
                if not rows:
                    time.sleep(0.2)

    def experts(self, tokens):
        """One thread for a group of experts: accept invitations, deliver work in progress."""
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < self.stop_at:
                for token in tokens:
                    rows = self.call(client, "invitations", "GET", "/api/v1/invitations/", token)
                    for row in rows.json().get("results", []):
                        brief = row["brief"]
                        if row["status"] == "approved":
                            self.call(
                                client,
                                "accept invitation",
                                "POST",
                                f"/api/v1/invitations/{row['id']}/accept/",
                                token,
                                {},
                            )
                        elif row["status"] == "accepted" and brief["status"] == "in_progress":
                            self.call(
                                client,
                                "deliver",
                                "POST",
                                f"/api/v1/briefs/{brief['id']}/deliver/",
                                token,
                                {"note": "Version 1: the article and two visuals."},
                            )
                time.sleep(0.2)


def main() -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"scaleout-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    log(f"fresh database {DB}, Redis db {REDIS_DB}")
    psql_admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql_admin(f"CREATE DATABASE {DB} OWNER kaigan")
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)  # noqa: S607
    run(PY, "manage.py", "collectstatic", "--noinput", "-v0")
    run(PY, "manage.py", "migrate", "--noinput", "-v0")
    seed = json.loads(
        run(
            PY,
            "manage.py",
            "shell",
            "-c",
            SEED % {"pw": PASSWORD, "startups": STARTUPS, "experts": EXPERTS_PER_TAG},
        )
        .strip()
        .splitlines()[-1]
    )
    processes = []

    def start(name, *args):
        logfile = open(out / f"{name}.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                args,
                cwd=ROOT,
                env=ENV,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        for port in PORTS:
            start(
                f"web-{port}",
                PY,
                "-m",
                "gunicorn",
                "kaigan.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--config",
                "gunicorn.conf.py",
            )
        for n in range(2):
            start(
                f"worker-{n}",
                PY,
                "-m",
                "celery",
                "-A",
                "kaigan",
                "worker",
                "-Q",
                ENV["CELERY_QUEUE"],
                "-n",
                f"scaleout{n}@127.0.0.1",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            )
        start(
            "beat",
            PY,
            "-m",
            "celery",
            "-A",
            "kaigan",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(out / "beat-schedule"),
        )
        for port in PORTS:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
        time.sleep(3)  # the workers
        log(f"load: {DURATION:.0f} s, {STARTUPS} startups, 2 PMs, {len(seed['experts'])} experts")
        load = Load(seed)
        with ThreadPoolExecutor(STARTUPS + 2 + 6) as pool:
            jobs = [pool.submit(load.startup, t) for t in seed["startups"]]
            jobs += [pool.submit(load.pm, t) for t in seed["pms"]]
            experts = list(seed["experts"])
            jobs += [pool.submit(load.experts, experts[n::6]) for n in range(6)]
            for job in jobs:
                job.result()
        log("load done; waiting for the re-match jobs and queues to drain")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = json.loads(
                run(PY, "manage.py", "shell", "-c", INVARIANTS).strip().splitlines()[-1]
            )
            if state["rematch_jobs_unfinished"] == 0:
                break
            time.sleep(2)
    finally:
        for proc in processes:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    total = sum(len(v) for v in load.stats.values())
    server_errors = sum(n for c in load.statuses.values() for code, n in c.items() if code >= 500)
    rows = []
    for name, times in sorted(load.stats.items()):
        times.sort()
        rows.append(
            {
                "endpoint": name,
                "requests": len(times),
                "per_s": round(len(times) / DURATION, 1),
                "p50_ms": round(statistics.median(times) * 1000, 1),
                "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 1),
                "statuses": dict(load.statuses[name]),
            }
        )
    print(f"{'endpoint':<20} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}  statuses")
    for row in rows:
        print(
            f"{row['endpoint']:<20} {row['requests']:>8} {row['per_s']:>7} {row['p50_ms']:>7} "
            f"{row['p99_ms']:>7}  {row['statuses']}"
        )
    print(f"all: {total} requests, {total / DURATION:.1f} req/s, 5xx: {server_errors}")
    for race, n in sorted(load.races.items()):
        print(f"race {race}: {n}")
    for key, value in state.items():
        print(f"{key}: {value}")
    bad_races = sum(
        n
        for race, n in load.races.items()
        if not race.split(": ")[1].startswith(("0 won", "1 won"))
    )
    ok = (
        server_errors == 0
        and bad_races == 0
        and state["briefs_with_two_holding_matches"] == 0
        and state["briefs_with_two_open_rematch_jobs"] == 0
        and state["expert_twice_on_a_brief"] == 0
        and state["rematch_jobs_unfinished"] == 0
        and state["complaints"] == state["rematch_jobs_for_complaints"]
        and state["pm_counter_drift"] == 0
        and state["ledger_transactions_unbalanced"] == 0
        and state["accounts_below_zero"] == 0
        and state["briefs_charged_the_fee_twice"] == 0
    )
    result = {
        "ok": ok,
        "duration_s": DURATION,
        "requests": total,
        "server_errors": server_errors,
        "races": dict(load.races),
        "endpoints": rows,
        "invariants": state,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
