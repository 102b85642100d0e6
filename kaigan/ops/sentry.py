"""Error reports to Sentry when `SENTRY_DSN` is set; nothing is sent otherwise.

Reports carry no personal data: `send_default_pii` is off (no user email, no IP, no cookies)
and `before_send` / `before_breadcrumb` run every event through `kaigan.ops.scrub`, the same
scrubbing as the logs (request bodies, headers, query strings, messages and local variables).
"""

from kaigan.ops.scrub import scrub


def before_send(event: dict, hint: dict | None = None) -> dict:
    return scrub(event)


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return scrub(crumb)


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float, **extra) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=True,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **extra,
    )
