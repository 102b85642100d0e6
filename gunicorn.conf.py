"""gunicorn's settings for Kaigan (gunicorn reads ./gunicorn.conf.py when it starts).

Workers: gunicorn's own starting point, (2 x cores) + 1 sync workers, unless WEB_CONCURRENCY
says otherwise. A request spends part of its time waiting for PostgreSQL and Redis, and a
worker that waits leaves the core to another: on 2 cores, 5 workers served the brief list
18% and the PM's matches 12% more requests per second than 3 (bench/LOAD.md). Sync workers
answer one request per connection, so the kernel spreads connections over them (with
gthread and keep-alive one worker took every connection of a few long-lived clients).
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
