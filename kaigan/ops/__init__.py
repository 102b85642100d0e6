"""Running Kaigan in production: health, metrics, structured logs and error reports.

An interface layer, like `kaigan.api`: it reads every app (through their models and
selectors) and no app imports it. docs/OPERATIONS.md is the operator's guide.

- `health`: `/healthz/` (liveness: the process answers, no dependency, never redirected to
  HTTPS) and `/readyz/` (readiness: the database, Redis, migrations applied, a worker seen
  recently), built on django-health-check.
- `metrics`: `/metrics` in Prometheus' format (django-prometheus for requests, latency and
  database queries; `ProductCollector` for briefs, re-match jobs, the promise, invitations and
  the Celery queue), refused without the token or outside the allowed networks.
- `logs`: structlog configuration (JSON in production), one request id carried from a web
  request into the Celery tasks it causes (django-structlog), and `scrub`, which keeps emails,
  tokens, keys and message bodies out of every log line and error report.
- `sentry`: error reports to Sentry when `SENTRY_DSN` is set, through the same scrubbing.
- `tasks`: the worker heartbeat that readiness looks for, and the task-outcome counters.
"""
