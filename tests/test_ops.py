"""Operations: liveness, readiness through outages, metrics and who may read them, logs that
carry the request id into tasks and never an email or a token, Sentry's scrubbing."""

import contextlib
import io
import json
import logging
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from kaigan.ops import health, scrub, sentry
from kaigan.ops.tasks import OUTCOMES_KEY, outcome_count
from marketplace.models import Brief
from projects.models import RematchJob
from tests import factories
from tests.servers import Proxy, RedisServer
from tests.servers import free_port as _free_port


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz/")
    return response.status_code, json.loads(response.content)


def _failing(checks: dict) -> list[str]:
    return sorted(name.split("(")[0] for name, state in checks.items() if state != "OK")


# --- liveness and readiness ---------------------------------------------------------------------


@pytest.mark.django_db
def test_liveness_reads_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_with_eager_tasks_checks_the_database_migrations_and_cache(client):
    status, checks = _ready(client)
    assert status == 200
    assert _failing(checks) == []
    assert sorted(name.split("(")[0] for name in checks) == ["Cache", "Database", "Migrations"]


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_while_a_migration_is_not_applied_and_recovers():
    client = Client()
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="notifications").order_by("-id").first()
    last.delete()
    try:
        status, checks = _ready(client)
        assert status == 503
        assert _failing(checks) == ["Migrations"]
    finally:
        recorder.record_applied(last.app, last.name)
    assert _ready(client)[0] == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readiness_fails_while_the_database_or_redis_is_down_and_recovers(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    redis_server = RedisServer(tmp_path).start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"{redis_server.url}/0"
    settings.CACHES = {
        "default": {"BACKEND": "kaigan.cache.RedisCache", "LOCATION": f"{redis_server.url}/1"}
    }
    # The test's connection and Django's settings (each thread's connection is made from them).
    dicts = [connection.settings_dict, django_settings.DATABASES["default"]]
    real_port = int(dicts[0]["PORT"] or 5432)
    proxy = Proxy(real_port).start()
    for db in dicts:
        db["PORT"] = str(proxy.port)
    connections.close_all()
    client = Client()
    figures = {}
    try:
        health.heartbeat_record()  # as a worker does when it starts
        status, checks = _ready(client)
        assert (status, _failing(checks)) == (200, [])
        assert sorted(name.split("(")[0] for name in checks) == [
            "Broker",
            "Cache",
            "Database",
            "Migrations",
            "WorkerHeartbeat",
        ]

        proxy.stop()  # the database goes away
        started = time.monotonic()
        status, checks = _ready(client)
        figures["database down: answered in s"] = round(time.monotonic() - started, 2)
        assert status == 503
        assert _failing(checks) == ["Database", "Migrations"]
        proxy.start()
        assert _ready(client)[0] == 200

        redis_server.stop()  # Redis goes away (the broker and the cache with it)
        started = time.monotonic()
        status, checks = _ready(client)
        figures["redis down: answered in s"] = round(time.monotonic() - started, 2)
        assert status == 503
        assert _failing(checks) == ["Broker", "Cache", "WorkerHeartbeat"]
        redis_server.start()  # empty: the heartbeat was lost with the data
        assert _failing(_ready(client)[1]) == ["WorkerHeartbeat"]
        health.heartbeat_record()  # the worker's next beat
        assert _ready(client)[0] == 200
    finally:
        proxy.stop()
        redis_server.stop()
        for db in dicts:
            db["PORT"] = str(real_port)
        connections.close_all()
    print(figures)
    assert all(seconds < 10 for seconds in figures.values())


@pytest.mark.django_db
def test_readiness_wants_a_recent_worker_heartbeat(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"
    checks = [health.Database, health.Migrations, health.WorkerHeartbeat]
    settings.KAIGAN_WORKER_HEARTBEAT_MAX_AGE = 60
    health.cache.set(health.HEARTBEAT_KEY, (timezone.now() - timedelta(seconds=61)).isoformat())
    check = health.WorkerHeartbeat()
    with pytest.raises(health.ServiceUnavailable, match="61 s ago"):
        check.run()
    health.heartbeat_record()
    check.run()
    health.cache.delete(health.HEARTBEAT_KEY)
    with pytest.raises(health.ServiceUnavailable, match="No worker heartbeat"):
        check.run()
    assert checks  # the readiness view runs these with the broker's (tested above)


# --- metrics ------------------------------------------------------------------------------------


def _metric(text: str, name: str) -> dict[str, float]:
    """`name{labels} value` lines of the exposition -> {labels: value}."""
    values = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{[^}}]*\}})? (\S+)", line)
        if match:
            values[match.group(1) or ""] = float(match.group(2))
    return values


@pytest.mark.django_db
def test_metrics_refuse_anyone_without_the_token_or_outside_the_allowed_networks(settings):
    outsider = Client(REMOTE_ADDR="203.0.113.7")
    assert outsider.get("/metrics").status_code == 403
    local = Client()
    assert local.get("/metrics").status_code == 200  # this host, no token configured

    settings.KAIGAN_METRICS_TOKEN = "s3cret-scrape-token"
    for who, headers in [
        (local, {}),
        (local, {"Authorization": "Bearer wrong"}),
        (outsider, {"Authorization": "Token s3cret-scrape-token"}),
    ]:
        response = who.get("/metrics", headers=headers)
        assert response.status_code == 403
        assert b"kaigan_" not in response.content
    response = outsider.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_metrics_expose_the_products_figures(client, settings):
    now = timezone.now()
    factories.BriefFactory.create_batch(2)
    waiting = factories.BriefFactory.create_batch(3, status=Brief.Status.AWAITING_APPROVAL)
    Brief.objects.filter(pk=waiting[0].pk).update(status_changed_at=now - timedelta(hours=5))
    rematching = factories.BriefFactory(status=Brief.Status.REMATCHING)
    Brief.objects.filter(pk=rematching.pk).update(rematch_started_at=now - timedelta(hours=50))
    RematchJob.objects.create(brief=rematching, cause=RematchJob.Cause.DISSATISFACTION)
    health.cache.delete(OUTCOMES_KEY)  # earlier tests' eager tasks counted there too
    outcome_count("projects.tasks.rematch_run_task", "success")
    outcome_count("projects.tasks.rematch_run_task", "success")
    outcome_count("projects.tasks.rematch_run_task", "retry")
    client.get("/healthz/")

    text = client.get("/metrics").content.decode()

    briefs = _metric(text, "kaigan_briefs")
    assert briefs['{status="open"}'] == 2
    assert briefs['{status="awaiting_approval"}'] == 3
    assert briefs['{status="rematching"}'] == 1
    assert briefs['{status="completed"}'] == 0
    oldest = _metric(text, "kaigan_oldest_awaiting_approval_seconds")[""]
    assert 5 * 3600 <= oldest < 5 * 3600 + 60
    assert _metric(text, "kaigan_rematch_jobs")['{status="pending"}'] == 1
    assert _metric(text, "kaigan_rematch_open")[""] == 1
    assert _metric(text, "kaigan_rematch_open_past_promise")[""] == 1  # 50 h > 48 h
    assert _metric(text, "kaigan_rematch_promise_seconds")[""] == 48 * 3600
    tasks = _metric(text, "kaigan_celery_tasks_total")
    assert tasks['{outcome="success",task="projects.tasks.rematch_run_task"}'] == 2
    assert tasks['{outcome="retry",task="projects.tasks.rematch_run_task"}'] == 1
    requests = _metric(text, "kaigan_http_requests_total")
    assert requests['{method="GET",status="200",view="healthz"}'] >= 1
    assert "kaigan_http_request_duration_seconds_bucket" in text
    assert "kaigan_db_queries_total" in text


# --- logs ---------------------------------------------------------------------------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


@pytest.fixture
def json_log_lines():
    """Every log line of the test as the production formatter writes it (JSON, scrubbed)."""
    import io

    from kaigan.ops.logs import logging_config

    options = dict(logging_config(fmt="json")["formatters"]["kaigan"])
    formatter = options.pop("()")(**options)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.django_db
def test_no_log_line_of_a_whole_journey_holds_an_email_or_a_token(json_log_lines, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    browser = Client()
    response = browser.post(
        "/accounts/signup/",
        {
            "email": "founder@example.com",
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
            "role": "startup",
        },
    )
    assert response.status_code == 302
    browser.post("/accounts/logout/")
    browser.post("/accounts/login/", {"login": "founder@example.com", "password": "wrong-pass"})
    browser.post("/accounts/password/reset/", {"email": "founder@example.com"})
    api = Client()
    answer = api.post(
        "/api/v1/auth/token/",
        {"email": "founder@example.com", "password": factories.PASSWORD},
        content_type="application/json",
    )
    token = answer.json()["token"]
    tag = factories.tag()
    posted = api.post(
        "/api/v1/briefs/",
        {
            "title": "A name for our tea brand",
            "description": "Write to me at founder@example.com or call 13800138000.",
            "tag": tag.slug,
            "budget_min": 1000,
            "budget_max": 3000,
            "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
        },
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert posted.status_code == 201
    api.get("/api/v1/briefs/-1/", headers={"Authorization": f"Token {token}"})
    api.get(
        "/api/v1/briefs/",
        headers={"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"},
    )
    logging.getLogger("kaigan.test").warning("mail to %s with key %s", "a@b.example.com", token)
    keys = [token]  # the only key issued (only hashes are stored)

    lines = json_log_lines()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert len(lines) > 10
    assert EMAIL.findall(text) == []
    for key in [*keys, "0123456789abcdef0123456789abcdef01234567"]:
        assert key not in text
    assert "13800138000" not in text or "founder" not in text
    assert any(line.get("event") == "request_finished" for line in lines)
    assert all("request_id" in line for line in lines if line.get("event") == "request_started")


def test_scrub_keeps_what_an_operator_needs_and_removes_the_rest():
    event = {
        "request_id": "0f6e4c1a-3a9b-4c55-9d53-2f0b1a7c9e11",
        "event": "login failed for ops@example.com with Token "
        "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        "path": "/accounts/password/reset/key/2h-cbb7a7-0a1b2c3d4e5f/",
        "headers": {"Authorization": "Token abc", "Accept": "application/json"},
        "data": {"password": "hunter2hunter2", "title": "Logo"},
        "status": 400,
    }
    assert scrub.scrub(event) == {
        "request_id": "0f6e4c1a-3a9b-4c55-9d53-2f0b1a7c9e11",
        "event": "login failed for [email] with Token [redacted]",
        "path": "/accounts/password/reset/key/[redacted]/",
        "headers": {"Authorization": "[redacted]", "Accept": "application/json"},
        "data": {"password": "[redacted]", "title": "Logo"},
        "status": 400,
    }


def test_sentry_reports_go_through_the_same_scrubbing():
    import sentry_sdk

    sent = []

    class Transport(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope):
            sent.extend(item.payload.json for item in envelope.items if item.payload.json)

    sentry.init(
        dsn="https://public@sentry.example.com/1",
        environment="test",
        release="",
        traces_sample_rate=0.0,
        transport=Transport,
    )
    try:
        try:
            raise ValueError("could not mail boss@example.com")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: reporting off again
    text = json.dumps(sent)
    assert "could not mail [email]" in text
    assert "boss@example.com" not in text


# --- the request id, from the web request into the task it caused -------------------------------


@pytest.mark.worker
def test_a_requests_id_is_in_the_log_lines_of_the_task_it_caused(worker_factory, json_log_lines):
    worker = worker_factory(LOG_FORMAT="json")
    startup = factories.StartupFactory()
    tag = factories.tag()
    factories.ExpertFactory.create_batch(2, tag=tag)
    factories.ProjectManagerFactory()
    client = Client()
    client.force_login(startup.owner)
    response = client.post(
        "/api/v1/briefs/",
        {
            "title": "Launch article",
            "description": "One article for the launch.",
            "tag": tag.slug,
            "budget_min": 1000,
            "budget_max": 3000,
            "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    brief_id = response.json()["id"]
    request_ids = {
        line["request_id"]
        for line in json_log_lines()
        if line.get("event") == "request_finished" and "request_id" in line
    }
    assert len(request_ids) == 1
    (request_id,) = request_ids
    deadline = time.monotonic() + 30
    while not Brief.objects.filter(pk=brief_id, status=Brief.Status.AWAITING_APPROVAL).exists():
        assert time.monotonic() < deadline, "the worker did not rank the brief"
        time.sleep(0.2)
    time.sleep(0.5)  # the task's last lines
    task_lines = []
    for raw in worker.log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            line = json.loads(raw)
            if line.get("request_id") == request_id:
                task_lines.append(line)
    print(f"{len(task_lines)} worker log lines carry the request id {request_id}")
    assert any(line.get("event") == "task_succeeded" for line in task_lines)
    assert not EMAIL.findall(worker.log.read_text(errors="replace"))


# --- the restore drill --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_restores_a_seeded_database_and_finds_it_equal():
    from django.core.management import call_command

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    briefs = factories.BriefFactory.create_batch(3)
    factories.MatchFactory(brief=briefs[0])
    out = io.StringIO()
    call_command("restore_drill", stdout=out)
    print(out.getvalue())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marketplace_brief")
        assert cursor.fetchone()[0] == 3
    assert "Restore drill passed" in out.getvalue()
    assert ": 0 tables differ" in out.getvalue()
    with connection.cursor() as cursor:  # the scratch copy is gone
        cursor.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s",
            [f"{connection.settings_dict['NAME']}_restore_drill"],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_fails_when_the_copy_differs(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    factories.BriefFactory.create_batch(2)
    db = connection.settings_dict
    dump = tmp_path / "earlier.dump"
    subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
        + ["-U", db["USER"], "-Fc", "--no-owner", "-f", str(dump), db["NAME"]],
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
        check=True,
    )
    factories.BriefFactory()  # written after the backup: the copy lacks it
    err = io.StringIO()
    with pytest.raises(CommandError, match="Restore drill FAILED"):
        call_command("restore_drill", dump=str(dump), stderr=err)
    assert "marketplace_brief: original (3," in err.getvalue()
    assert "copy (2," in err.getvalue()


# --- metrics of several gunicorn workers --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """gunicorn with two workers and PROMETHEUS_MULTIPROC_DIR, as docker-compose runs it: a
    scrape through any worker counts the requests every worker answered."""
    import sys
    import urllib.request

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from tests.conftest import ROOT, _database_url

    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kaigan.settings.test",
        "DATABASE_URL": _database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "WEB_CONCURRENCY": "2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kaigan.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz/", timeout=2)  # noqa: S310
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # 30 in all, six at a time, so that both workers take some.
        with ThreadPoolExecutor(6) as pool:
            list(
                pool.map(
                    lambda _: urllib.request.urlopen(f"{base}/healthz/", timeout=5).read(),  # noqa: S310
                    range(29),
                )
            )  # noqa: S310
        text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()  # noqa: S310
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
    counted = _metric(text, "kaigan_http_requests_total")
    assert counted['{method="GET",status="200",view="healthz"}'] == 30
    pids = {
        path.name.split("_")[-1].split(".")[0]
        for path in (tmp_path / "prometheus").glob("counter_*.db")
    }
    assert len(pids) == 2  # both workers answered some
    assert "kaigan_briefs" in text


@pytest.mark.django_db
def test_the_grafana_dashboard_reads_only_metrics_that_exist(client):
    from tests.conftest import ROOT

    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for expr in exprs
        for name in re.findall(r"kaigan_[a-z0-9_]+", expr)
    }
    client.get("/healthz/")
    exposed = set(re.findall(r"^# TYPE (\S+)", client.get("/metrics").content.decode(), re.M))
    exposed |= {f"{name}_total" for name in exposed}
    # The queue length is exposed only with a Redis broker (it reads the queue's list).
    assert used - exposed == {"kaigan_celery_queue_length"}
    assert len(used) >= 15


@pytest.mark.worker
def test_flower_asks_for_its_login(tmp_path):
    """Flower as docker-compose starts it: every page behind basic auth."""
    import sys
    import urllib.error
    import urllib.request
    from base64 import b64encode

    from tests.conftest import REDIS_URL, ROOT

    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    port = _free_port()
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kaigan", "flower", f"--port={port}"]
        + ["--address=127.0.0.1", "--basic-auth=ops:flower-pass-2026", f"--db={tmp_path}/f"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kaigan.settings.test", "CELERY_EAGER": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status = urllib.request.urlopen(url, timeout=2).status  # noqa: S310
                break
            except urllib.error.HTTPError as refused:
                status = refused.code
                break
            except OSError:
                assert time.monotonic() < deadline, "Flower did not start"
                time.sleep(0.3)
        assert status == 401
        login = b64encode(b"ops:flower-pass-2026").decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {login}"})
        assert urllib.request.urlopen(request, timeout=5).status == 200  # noqa: S310
    finally:
        os.killpg(flower.pid, 15)
        flower.wait(timeout=20)
