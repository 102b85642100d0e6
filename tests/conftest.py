import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from kaigan.celery import app as celery_app
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture(autouse=True, scope="session")
def _uploaded_files_folder():
    """The run's uploaded files (settings.test: a folder of its own) go when the run ends."""
    import shutil

    yield
    shutil.rmtree(settings.STORAGES["kaigan_files"]["OPTIONS"]["location"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _language(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture(autouse=True)
def _taxonomy(request, django_db_blocker):
    """The tags come from a data migration; a transactional test's flush removes them, so put
    them back before any test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if not uses_db:
        return
    with django_db_blocker.unblock():
        load_taxonomy()


def load_taxonomy():
    import importlib

    from django.apps import apps

    from experts.models import Tag

    migration = importlib.import_module("experts.migrations.0002_load_tags")
    if Tag.objects.count() < len(migration.TAGS):
        migration.load_tags(apps, None)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def startup(db):
    return factories.StartupFactory()


@pytest.fixture
def other_startup(db):
    return factories.StartupFactory()


@pytest.fixture
def expert(db):
    return factories.ExpertFactory()


@pytest.fixture
def pm(db):
    from projects.services import pm_group_ensure

    profile = factories.ProjectManagerFactory()
    profile.user.groups.add(pm_group_ensure())
    return profile.user


@pytest.fixture
def finance(db):
    """Finance staff: the Finance group, working in the admin."""
    from billing.services import finance_group_ensure

    user = factories.UserFactory(role="admin", is_staff=True, email="finance@example.com")
    user.groups.add(finance_group_ensure())
    return user


@pytest.fixture
def superuser(db):
    return factories.UserFactory(
        role="admin", is_staff=True, is_superuser=True, email="root@example.com"
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a real worker needs a database it can share (PostgreSQL)")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Worker:
    """A `celery -A kaigan worker` process on a private queue, started and stopped by a test."""

    def __init__(self, queue: str, env: dict, concurrency: int = 1, extra_args=()):
        self.queue = queue
        self.env = env
        self.concurrency = concurrency
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.log = ROOT / "tests" / "artifacts" / f"worker-{queue}.log"

    def start(self, timeout: float = 30.0) -> "Worker":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._logfile = open(self.log, "ab")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kaigan",
                "worker",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@127.0.0.1",
                "--concurrency",
                str(self.concurrency),
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log}")
            replies = celery_app.control.ping(destination=[f"{self.queue}@127.0.0.1"], timeout=0.5)
            if replies:
                return self
        raise RuntimeError(f"worker did not answer within {timeout}s; see {self.log}")

    def child_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if getattr(self, "_logfile", None):
            self._logfile.close()


@pytest.fixture
def celery_queue():
    """This test run's private queue (see settings.test), with eager mode off meanwhile."""
    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    yield queue
    celery_app.conf.task_always_eager = True


@pytest.fixture
def worker_factory(transactional_db, celery_queue):
    """Start real Celery workers (needs REDIS_URL and PostgreSQL); each is stopped afterwards."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set: no real broker for a worker")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kaigan.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": celery_queue,
        "CONN_MAX_AGE": "0",
        "CELERY_EAGER": "0",
        # A test may hold a brief's row lock on purpose while it kills the worker.
        "DB_LOCK_TIMEOUT_MS": "60000",
        # The worker reads and writes the files the test stored (thumbnails).
        "KAIGAN_TEST_FILES_ROOT": settings.STORAGES["kaigan_files"]["OPTIONS"]["location"],
    }
    workers: list[Worker] = []

    def start(concurrency: int = 1, extra_args=(), **extra_env) -> Worker:
        worker = Worker(
            celery_queue,
            {**env, **{k: str(v) for k, v in extra_env.items()}},
            concurrency=concurrency,
            extra_args=extra_args,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
    _purge(celery_queue)


def _purge(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    with contextlib.suppress(redis.RedisError):
        client.delete(queue, f"{queue}\x06\x163", f"{queue}\x06\x166", f"{queue}\x06\x169")


@pytest.fixture
def live_settings():
    return settings


# --- throttle rates for one test (the test settings lift them all) ----------------------------

CACHES = [
    "locmem",
    pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="no Redis")),
]


@pytest.fixture(params=CACHES)
def rates(request, settings, monkeypatch):
    """Set throttle rates for one test, on a fresh cache; returns a setter."""
    if request.param == "redis":
        # A key prefix of its own instead of a clear(): the Redis database is shared (Celery).
        settings.CACHES = {
            "default": {
                "BACKEND": "kaigan.cache.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"kaigan-throttle-test-{uuid.uuid4().hex}",
            }
        }
    else:
        cache.clear()

    def set_rates(**overrides):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        new = {**current, **overrides}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": new}
        # SimpleRateThrottle reads the rates once, when DRF is imported.
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", new)

    yield set_rates
    if request.param == "locmem":
        cache.clear()
