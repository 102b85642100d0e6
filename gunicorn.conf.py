"""gunicorn's settings for Kaigan (gunicorn reads ./gunicorn.conf.py when it starts).

Workers: one sync worker per CPU this process may use, plus one, unless WEB_CONCURRENCY says
otherwise. On the 2-core bench machine 3 workers served the brief list, the brief page and the
PM's matches more requests per second than 5 (gunicorn's usual (2 x cores) + 1), with a lower
p99 (the page: 85-92 ms against 107-126 ms; bench/LOAD.md). Sync workers answer one request
per connection, so the kernel spreads connections over them (with gthread and keep-alive one
worker took every connection of a few long-lived clients).

The CPUs are counted as a container sees them: its CPU affinity and its cgroup quota
(`docker run --cpus 2` on a 64-core host is 2, where os.cpu_count() says 64; each worker holds
a database connection).
"""

import math
import os
from pathlib import Path

MAX_WORKERS = 17


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    cpus = len(os.sched_getaffinity(0))
    quotas = [
        (cgroup / "cpu.max", None),  # cgroup v2: "<quota> <period>" or "max <period>"
        (cgroup / "cpu" / "cpu.cfs_quota_us", cgroup / "cpu" / "cpu.cfs_period_us"),  # v1
    ]
    for quota_file, period_file in quotas:
        try:
            if period_file is None:
                quota, period = quota_file.read_text().split()
            else:
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
        except (OSError, ValueError):
            continue
        if quota not in ("max", "-1"):
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
        break
    return cpus


workers = int(os.environ.get("WEB_CONCURRENCY", min(usable_cpus() + 1, MAX_WORKERS)))


# Metrics of every worker at /metrics (kaigan/ops/metrics.py): with PROMETHEUS_MULTIPROC_DIR
# set, prometheus_client keeps each worker's counters in files there; the folder starts empty
# and a dead worker's live gauges are dropped.
_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _MULTIPROC_DIR:
        folder = Path(_MULTIPROC_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
