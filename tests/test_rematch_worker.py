"""Issue 7 against a real Redis and real `celery -A kaigan worker` processes.

Each test starts its own worker on this run's private queue and stops it. They skip only when
REDIS_URL is unset (or the database is not PostgreSQL, which a worker process cannot share
with the test in SQLite's in-memory mode); CI sets both.
"""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from experts.services import expert_refresh_rank_base
from kaigan.celery import app as celery_app
from kaigan.notifications.models import Notification
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match
from projects import services
from projects.models import RematchJob
from projects.tasks import rematch_run_task, rematch_sweep_task
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.worker

S = Brief.Status
M = Match.Status
J = RematchJob.Status
LEASE = 3  # seconds: a killed worker's job is taken again this soon


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def small_rounds(settings):
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    settings.KAIGAN_REMATCH_LEASE_SECONDS = LEASE
    return {"KAIGAN_MATCH_ROUND_SIZE": 2, "KAIGAN_REMATCH_LEASE_SECONDS": LEASE}


def _experts(n):
    experts = [factories.ExpertFactory(day_rate=1000 + i) for i in range(n)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    return experts


def _brief_in_progress(pm, experts=6):
    """Posted, ranked, approved and accepted, all through services (no worker needed)."""
    from marketplace.matching import propose_matches

    _experts(experts)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    brief.refresh_from_db()
    return brief, match


def _job_status(job_id):
    return RematchJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def _hold_brief_lock(brief_id):
    """Open a second connection that holds the brief's row lock until released."""
    import psycopg2

    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    cursor = conn.cursor()
    cursor.execute("SELECT id FROM marketplace_brief WHERE id = %s FOR UPDATE", [brief_id])
    return conn


def _someone_waits_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query ILIKE '%%marketplace_brief%%'"
        )
        return cursor.fetchone()[0] > 0


def _kill_children(worker):
    pids = worker.child_pids()
    assert pids, "the worker has no pool child to kill"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def test_the_whole_loop_with_a_real_worker(worker_factory, pm, small_rounds):
    """post → approve → accept → not satisfied → new proposals → … → accept and rate."""
    worker_factory(**small_rounds)
    first_pool = _experts(5)
    startup = factories.StartupFactory()
    owner = client_for(startup.owner)
    response = owner.post(
        "/api/v1/briefs/",
        {
            "title": "融资新闻稿",
            "description": "Pre-A 轮融资新闻稿。",
            "tag": "copywriting",
            "budget_min": 5000,
            "budget_max": 9000,
            "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 201
    brief_id = response.json()["id"]
    assert response.json()["pm"]["id"] == pm.pk

    wait_for(
        lambda: Brief.objects.get(pk=brief_id).status == S.AWAITING_APPROVAL,
        what="first round from the worker",
    )
    pm_client = client_for(pm)
    proposals = pm_client.get(f"/api/v1/briefs/{brief_id}/matches/").json()["results"]
    assert len(proposals) == 2
    first = proposals[0]
    assert pm_client.post(f"/api/v1/matches/{first['id']}/approve/").status_code == 200
    first_expert = next(e for e in first_pool if e.pk == first["expert"]["id"])
    expert_client = client_for(first_expert.user)
    assert expert_client.post(f"/api/v1/invitations/{first['id']}/accept/").status_code == 200

    started = time.monotonic()
    complaint = owner.post(
        f"/api/v1/briefs/{brief_id}/dissatisfaction/", {"reason": "quality", "comment": "不行"}
    )
    assert complaint.status_code == 202
    wait_for(
        lambda: Brief.objects.get(pk=brief_id).status == S.AWAITING_APPROVAL,
        what="re-match round from the worker",
    )
    print(f"re-match round stored {time.monotonic() - started:.3f}s after the complaint")
    second_round = Match.objects.filter(brief_id=brief_id, round=2)
    assert second_round.count() == 2
    assert first_expert.pk not in set(second_round.values_list("expert_id", flat=True))
    assert _job_status(complaint.json()["id"]) == J.DONE

    second = second_round.order_by("rank").first()
    assert pm_client.post(f"/api/v1/matches/{second.pk}/approve/").status_code == 200
    second_client = client_for(second.expert.user)
    assert second_client.post(f"/api/v1/invitations/{second.pk}/accept/").status_code == 200
    funded = owner.post(f"/api/v1/briefs/{brief_id}/funding/", {"method": "dev"})
    assert funded.status_code == 201  # the work starts once the brief is funded (issue 21)
    assert second_client.post(f"/api/v1/briefs/{brief_id}/deliver/").status_code == 200
    done = owner.post(f"/api/v1/briefs/{brief_id}/accept/", {"rating": 5, "review": "满意"})
    assert done.status_code == 200
    assert done.json()["status"] == S.COMPLETED
    assert done.json()["rematch_count"] == 1


def test_thirty_concurrent_complaints_make_one_job_and_one_round(worker_factory, pm, small_rounds):
    worker_factory(**small_rounds)
    brief, _ = _brief_in_progress(pm)
    owner = brief.startup.owner
    barrier = threading.Barrier(30)
    statuses = []

    def complain():
        try:
            client = client_for(owner)
            barrier.wait()
            statuses.append(
                client.post(
                    f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "deadline"}
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complain) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    print(f"statuses: {sorted(statuses)}")
    assert all(code < 500 for code in statuses)
    assert statuses.count(202) == 1
    assert statuses.count(409) == 29
    jobs = RematchJob.objects.filter(brief=brief)
    assert jobs.count() == 1
    wait_for(lambda: _job_status(jobs.get().pk) == J.DONE, what="the job to finish")
    assert Match.objects.filter(brief=brief, round=2).count() == 2
    assert not Match.objects.filter(brief=brief, round=3).exists()


def _complaint_queued(pm):
    """A brief re-matching with its message waiting in Redis (no worker consumes it yet)."""
    brief, match = _brief_in_progress(pm)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    return brief, match, job


def _blocked_on_the_brief(job_id, attempts):
    return wait_for(
        lambda: (
            _someone_waits_on_a_lock()
            and RematchJob.objects.filter(pk=job_id, status=J.RUNNING, attempts=attempts).exists()
        ),
        what=f"attempt {attempts} to wait on the brief lock",
    )


def test_a_worker_killed_mid_job_is_redelivered_and_makes_one_round(
    worker_factory, pm, small_rounds
):
    brief, _, job = _complaint_queued(pm)
    holder = _hold_brief_lock(brief.pk)
    try:
        worker = worker_factory(**small_rounds)
        _blocked_on_the_brief(job.pk, attempts=1)
        killed = _kill_children(worker)
        print(f"killed pool children {killed} while job {job.pk} ran")
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: _job_status(job.pk) == J.DONE, timeout=40, what="the redelivered job")
    job.refresh_from_db()
    assert job.attempts == 2
    assert Match.objects.filter(brief=brief, round=2).count() == 2
    assert not Match.objects.filter(brief=brief, round=3).exists()
    assert Brief.objects.get(pk=brief.pk).status == S.AWAITING_APPROVAL


def test_a_job_that_kills_its_worker_every_time_ends_dead_and_the_pm_is_told(
    worker_factory, pm, small_rounds
):
    brief, _, job = _complaint_queued(pm)
    holder = _hold_brief_lock(brief.pk)
    try:
        worker = worker_factory(**small_rounds)
        for attempt in range(1, RematchJob.MAX_ATTEMPTS + 1):
            _blocked_on_the_brief(job.pk, attempts=attempt)
            _kill_children(worker)
    finally:
        holder.rollback()
        holder.close()
    time.sleep(LEASE + 0.5)  # the last lease runs out; no attempt is left to take it
    assert _job_status(job.pk) == J.RUNNING
    outcome = services.rematch_sweep()
    assert outcome["dead"] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (J.DEAD, RematchJob.MAX_ATTEMPTS)
    assert Brief.objects.get(pk=brief.pk).status == S.NEEDS_ATTENTION
    assert Notification.objects.filter(recipient=pm, kind="rematch_dead").count() == 1
    assert not Match.objects.filter(brief=brief, round=2).exists()


def test_the_same_job_handed_to_two_workers_at_once_makes_one_round(
    worker_factory, pm, small_rounds
):
    brief, _, job = _complaint_queued(pm)
    rematch_run_task.delay(job.pk)  # a doubled message
    holder = _hold_brief_lock(brief.pk)
    try:
        worker_factory(concurrency=2, **small_rounds)
        _blocked_on_the_brief(job.pk, attempts=1)
        time.sleep(0.5)  # the second child has taken the doubled message by now
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: _job_status(job.pk) == J.DONE, what="the job to finish")
    time.sleep(LEASE + 2)  # the loser's retry comes back after the lease, and finds it done
    job.refresh_from_db()
    assert job.attempts == 1
    assert Match.objects.filter(brief=brief, round=2).count() == 2
    assert not Match.objects.filter(brief=brief, round=3).exists()


def _point_broker(url):
    """Point this process's Celery producers at another broker URL (kombu keeps one pool per
    URL, so the real broker's pool is found again when pointed back)."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.control.mailbox.__dict__.pop("producer_pool", None)


def test_redis_down_at_submit_still_answers_202_and_the_sweeper_finishes_later(
    worker_factory, pm, small_rounds
):
    brief, _ = _brief_in_progress(pm)
    real_broker = celery_app.conf.broker_url
    _point_broker("redis://127.0.0.1:1/0")  # nothing listens: Redis is "down"
    try:
        started = time.monotonic()
        response = client_for(brief.startup.owner).post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "quality"}
        )
        elapsed = time.monotonic() - started
    finally:
        _point_broker(real_broker)
    print(f"202 with the broker down after {elapsed:.3f}s")
    assert response.status_code == 202
    assert elapsed < 2.0
    job_id = response.json()["id"]
    assert _job_status(job_id) == J.PENDING
    # Redis is back: a worker with beat runs the sweeper, which republishes the job.
    worker_factory(
        extra_args=["-B", "-s", f"/tmp/kaigan-beat-{os.getpid()}"],  # noqa: S108
        KAIGAN_BEAT_INTERVAL_SECONDS=1,
        KAIGAN_REMATCH_PENDING_GRACE_SECONDS=1,
        **small_rounds,
    )
    wait_for(lambda: _job_status(job_id) == J.DONE, timeout=40, what="the sweeper")
    assert Match.objects.filter(brief=brief, round=2).count() == 2


def test_beat_expires_an_unanswered_invitation_for_real(worker_factory, pm, small_rounds):
    from marketplace.matching import propose_matches

    _experts(4)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    Match.objects.filter(pk=match.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    worker_factory(
        extra_args=["-B", "-s", f"/tmp/kaigan-beat-exp-{os.getpid()}"],  # noqa: S108
        KAIGAN_BEAT_INTERVAL_SECONDS=1,
        **small_rounds,
    )
    wait_for(
        lambda: Match.objects.get(pk=match.pk).status == M.EXPIRED,
        timeout=40,
        what="beat to expire the invitation",
    )
    wait_for(
        lambda: Brief.objects.get(pk=brief.pk).status == S.AWAITING_APPROVAL,
        what="the re-match after expiry",
    )
    job = RematchJob.objects.get(brief=brief)
    assert (job.cause, job.status) == (RematchJob.Cause.EXPIRY, J.DONE)
    assert match.expert_id not in set(
        Match.objects.filter(brief=brief, round=2).values_list("expert_id", flat=True)
    )


def test_sweep_task_runs_in_the_worker(worker_factory, pm, small_rounds):
    worker_factory(**small_rounds)
    assert rematch_sweep_task.delay().get(timeout=20) == {
        "republished": [],
        "dead": [],
        "briefs": [],
    }


def test_only_periodic_tasks_keep_their_result_in_redis(worker_factory, pm, small_rounds):
    """A posted brief's ranking leaves no result behind (nobody reads it); the sweep's summary
    stays readable."""
    from marketplace.tasks import propose_matches_task

    _experts(3)
    brief = factories.BriefFactory(pm=pm)
    worker = worker_factory(**small_rounds)
    ranked = propose_matches_task.delay(brief.pk)
    swept = rematch_sweep_task.delay()
    assert swept.get(timeout=20) == {"republished": [], "dead": [], "briefs": []}
    wait_for(lambda: Match.objects.filter(brief=brief).count() == 2, what="the ranking")
    worker.stop()  # every task it took has finished and stored what it stores
    backend = celery_app.backend
    assert backend.client.exists(backend.get_key_for_task(swept.id)) == 1
    assert backend.client.exists(backend.get_key_for_task(ranked.id)) == 0


# --- broker and worker faults (issue 17), figures in docs/RELIABILITY.md ------------------------


def _done_once(brief) -> bool:
    """The complaint's round was proposed exactly once."""
    return (
        Match.objects.filter(brief=brief, round=2).count() == 2
        and not Match.objects.filter(brief=brief, round=3).exists()
    )


def _beat(**extra):
    """A worker's arguments and settings to run beat in it, with a quick sweeper."""
    return {
        "extra_args": ["-B", "-s", f"/tmp/kaigan-beat-{os.getpid()}-{time.monotonic_ns()}"],  # noqa: S108
        "KAIGAN_BEAT_INTERVAL_SECONDS": 1,
        "KAIGAN_REMATCH_PENDING_GRACE_SECONDS": 1,
        **extra,
    }


def test_the_whole_worker_group_killed_mid_job_then_a_new_worker_ends_it_once(
    worker_factory, pm, small_rounds
):
    """SIGKILL to the worker's whole process group (main process and pool child): its message
    is neither acknowledged nor requeued by it. The sweeper of a new worker republishes the job
    once its lease ran out; the job ends once."""
    brief, _, job = _complaint_queued(pm)
    holder = _hold_brief_lock(brief.pk)
    try:
        worker = worker_factory(**small_rounds)
        _blocked_on_the_brief(job.pk, attempts=1)
        os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(timeout=10)
    finally:
        holder.rollback()
        holder.close()
    started = time.monotonic()
    args = _beat(**small_rounds)
    worker_factory(extra_args=args.pop("extra_args"), **args)
    wait_for(lambda: _job_status(job.pk) == J.DONE, timeout=60, what="the job, by a new worker")
    print(f"group killed: the new worker ended the job {time.monotonic() - started:.1f}s later")
    job.refresh_from_db()
    assert job.attempts == 2
    assert _done_once(brief)


def test_sigterm_with_a_backlog_ten_times_over_ends_every_job_once(
    worker_factory, pm, small_rounds
):
    """20 jobs queued; a worker is started, stopped with SIGTERM while it works, and started
    again, ten times (warm shutdown: the running task finishes; with late acks and a prefetch of
    one nothing else was taken). Every job ends, each once."""
    briefs, jobs = [], []
    for _ in range(20):
        brief, _, job = _complaint_queued(pm)
        briefs.append(brief)
        jobs.append(job)
    ids = [job.pk for job in jobs]

    def done():
        return RematchJob.objects.filter(pk__in=ids, status=J.DONE).count()

    running_at_term = 0
    for cycle in range(10):
        before = done()
        worker = worker_factory(**small_rounds)
        if before < len(ids):
            wait_for(lambda b=before: done() > b, timeout=30, what=f"progress in cycle {cycle}")
        running_at_term += RematchJob.objects.filter(pk__in=ids, status=J.RUNNING).count()
        worker.proc.send_signal(signal.SIGTERM)
        worker.proc.wait(timeout=30)
    if done() < len(ids):
        worker_factory(**small_rounds)
        wait_for(lambda: done() == len(ids), timeout=60, what="every job")
    print(f"SIGTERM x10: {done()}/{len(ids)} done, {running_at_term} running at a SIGTERM")
    assert done() == len(ids)
    assert all(_done_once(brief) for brief in briefs)
    assert max(RematchJob.objects.filter(pk__in=ids).values_list("attempts", flat=True)) <= 2


@pytest.fixture
def own_redis(tmp_path, celery_queue):
    """A redis-server of the test's own, this process's broker meanwhile."""
    from tests.servers import RedisServer

    server = RedisServer(tmp_path).start()
    real_broker = celery_app.conf.broker_url
    _point_broker(f"{server.url}/0")
    yield server
    _point_broker(real_broker)
    server.stop()


def test_redis_restarted_and_flushed_with_fifty_jobs_queued_every_job_ends(
    worker_factory, pm, small_rounds, own_redis
):
    import redis

    briefs, ids = [], []
    for _ in range(50):
        brief, _, job = _complaint_queued(pm)  # its message goes to the private Redis
        briefs.append(brief)
        ids.append(job.pk)
    queue = celery_app.conf.task_default_queue
    queued = redis.Redis.from_url(f"{own_redis.url}/0").llen(queue)
    assert queued >= 50  # the 50 jobs' messages, and the mail of the notifications
    redis.Redis.from_url(f"{own_redis.url}/0").flushall()  # the keys flushed …
    own_redis.stop()  # … and Redis restarted (no persistence: empty)
    own_redis.start()
    assert redis.Redis.from_url(f"{own_redis.url}/0").llen(queue) == 0
    started = time.monotonic()
    args = _beat(REDIS_URL=f"{own_redis.url}/0", **small_rounds)
    worker_factory(extra_args=args.pop("extra_args"), **args)
    wait_for(
        lambda: RematchJob.objects.filter(pk__in=ids, status=J.DONE).count() == 50,
        timeout=120,
        what="all 50 jobs, by the sweeper",
    )
    print(f"50 messages lost: all 50 jobs ended {time.monotonic() - started:.1f}s after a worker")
    assert all(_done_once(brief) for brief in briefs)
    assert set(RematchJob.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def test_a_frozen_redis_during_a_complaint_answers_in_bounded_time_and_loses_nothing(
    worker_factory, pm, small_rounds, own_redis
):
    brief, _ = _brief_in_progress(pm)
    threads_before = threading.active_count()
    own_redis.freeze()
    try:
        started = time.monotonic()
        response = client_for(brief.startup.owner).post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "quality"}
        )
        elapsed = time.monotonic() - started
    finally:
        own_redis.thaw()
    print(f"frozen Redis: 202 after {elapsed:.2f}s")
    assert response.status_code == 202
    # Bound: one publish waits out its socket timeout (2 s) on each attempt (the first, its one
    # retry, and kombu's reconnection: about 6 s; settings.base, CELERY_TASK_PUBLISH_RETRY_POLICY);
    # the request's other publishes are skipped at once (kaigan.publish).
    assert elapsed < 8.0
    job_id = response.json()["id"]
    assert _job_status(job_id) == J.PENDING
    assert threading.active_count() <= threads_before  # no thread left hanging on Redis
    args = _beat(REDIS_URL=f"{own_redis.url}/0", **small_rounds)
    worker_factory(extra_args=args.pop("extra_args"), **args)
    wait_for(lambda: _job_status(job_id) == J.DONE, timeout=60, what="the job, after Redis")
    assert _done_once(brief)


def test_a_transient_failure_twice_then_success(worker_factory, pm, small_rounds):
    """The real transient failure: the brief's row is locked by another transaction, and the
    worker's lock_timeout (1.5 s here) fires. Two attempts fail so; the lock is released while
    the third waits, and it succeeds."""
    brief, _, job = _complaint_queued(pm)
    holder = _hold_brief_lock(brief.pk)
    try:
        # With beat, as in production: the sweeper sends the job again whenever the task's own
        # retries (which also wait out a live lease) are spent.
        args = _beat(DB_LOCK_TIMEOUT_MS=1500, **small_rounds)
        worker_factory(extra_args=args.pop("extra_args"), **args)
        _blocked_on_the_brief(job.pk, attempts=3)  # two failed; the third waits
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: _job_status(job.pk) == J.DONE, timeout=60, what="the third attempt")
    job.refresh_from_db()
    assert job.attempts == 3
    assert _done_once(brief)


def test_a_failure_every_time_ends_the_job_dead_and_tells_the_pm(worker_factory, pm, small_rounds):
    """The brief stays locked: every attempt's lock_timeout fires. After the last attempt the
    worker's own sweeper (beat) buries the job: dead, the brief needs attention, the PM told."""
    brief, _, job = _complaint_queued(pm)
    holder = _hold_brief_lock(brief.pk)
    try:
        args = _beat(DB_LOCK_TIMEOUT_MS=500, **small_rounds)
        worker_factory(extra_args=args.pop("extra_args"), **args)
        wait_for(
            lambda: (
                RematchJob.objects.filter(pk=job.pk, attempts=RematchJob.MAX_ATTEMPTS).exists()
                and not _someone_waits_on_a_lock()
            ),
            timeout=60,
            what="every attempt to fail",
        )
    finally:
        holder.rollback()  # burying the job takes the brief's lock too
        holder.close()
    wait_for(lambda: _job_status(job.pk) == J.DEAD, timeout=30, what="the sweeper to bury it")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (J.DEAD, RematchJob.MAX_ATTEMPTS)
    assert Brief.objects.get(pk=brief.pk).status == S.NEEDS_ATTENTION
    assert Notification.objects.filter(recipient=pm, kind="rematch_dead").count() == 1
    assert not Match.objects.filter(brief=brief, round=2).exists()
