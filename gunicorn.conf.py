"""gunicorn's settings for Kaigan (gunicorn reads ./gunicorn.conf.py when it starts).

Workers: one sync worker per core plus one, unless WEB_CONCURRENCY says otherwise. On the
2-core bench machine 3 workers served the brief list, the brief page and the PM's matches
more requests per second than 5 (gunicorn's usual (2 x cores) + 1), with a lower p99 (the page:
85-92 ms against 107-126 ms; bench/LOAD.md). Sync workers answer one request per connection,
so the kernel spreads connections over them (with gthread and keep-alive one worker took
every connection of a few long-lived clients).
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
