"""Logging: every line through structlog's formatter, JSON in production, scrubbed.

The settings call `logging_config()` for `LOGGING` and `configure_structlog()` once. Lines
from the standard library's loggers (Django's, Celery's, ours) and from structlog's loggers
(django-structlog's request and task events) go through the same processors: the request id
and user id bound by django-structlog's middleware (and carried into the Celery tasks the
request causes), a timestamp, the level, then `scrub_processor`. No setting turns the
scrubbing off.
"""

import structlog

from kaigan.ops.scrub import scrub

# structlog's own keys, which need no scrubbing (the event's text does).
_PASS = frozenset({"timestamp", "level", "logger", "request_id", "correlation_id", "user_id"})


def scrub_processor(logger, method_name, event_dict):
    return {key: (value if key in _PASS else scrub(value)) for key, value in event_dict.items()}


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ExtraAdder(),
    ]


def logging_config(*, level: str = "INFO", fmt: str = "console") -> dict:
    """`LOGGING` for Django: one handler on the root logger, `fmt` "json" or "console"."""
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scrub_processor,
            renderer,
        ],
        "foreign_pre_chain": _shared_processors(),
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"kaigan": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kaigan"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog's request lines carry the same as Django's own request log.
            "django.server": {"level": "WARNING"},
            # Celery's own line for each task repeats its arguments (a mail's text, a message);
            # django-structlog's task lines say what ran, with the request id, without them.
            "celery.app.trace": {"level": "WARNING"},
        },
    }


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
