"""Settings shared by every environment; each value that differs comes from the environment.

`local` (the default), `test` and `production` import this module and change what they must.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from kaigan.ops.logs import configure_structlog, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "health_check",
    "django_structlog",
    "kaigan.accounts",
    "kaigan.notifications",
    "kaigan.ops",
    "kaigan.files",
    "experts",
    "marketplace",
    "projects",
    "billing",
]

MIDDLEWARE = [
    # Counts and times every request, and its database queries, around everything else.
    "kaigan.ops.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kaigan.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Inside the security headers' middleware, so its 400 carries them too.
    "kaigan.middleware.RefuseNulCharactersMiddleware",
    # Binds a request id (and the user's id) to every log line of the request and to the
    # Celery tasks it causes (kaigan.ops.logs); after the NUL check, which keeps an unreadable
    # session from being read.
    "django_structlog.middlewares.RequestMiddleware",
    "kaigan.middleware.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "kaigan.urls"
WSGI_APPLICATION = "kaigan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kaigan.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# Database: a SQLite file unless DATABASE_URL names another (PostgreSQL in CI and production).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections with health checks: a new connection per request costs more than the
# request itself.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A lock or a runaway query must not hang a request.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=5000)}"
        f" -c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# allauth's backend alone (it is Django's ModelBackend for permissions, and signs in by
# email): with Django's beside it, each wrong password was hashed twice.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Languages: Chinese first, English too.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"


def files_storage_from_env() -> dict:
    """Where uploaded files go (kaigan/files, docs/FILES.md): S3-compatible object storage when
    FILES_S3_BUCKET is set (private objects, short-lived signed URLs), else a local folder
    outside the static files that no URL serves (every download goes through an access check).
    """
    bucket = env.str("FILES_S3_BUCKET", default="")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": env.path("KAIGAN_FILES_ROOT", default=BASE_DIR / "media"),
                "file_permissions_mode": 0o640,  # nothing stored is executable
                "directory_permissions_mode": 0o750,
            },
        }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("FILES_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("FILES_S3_REGION", default="") or None,
            "access_key": env.str("FILES_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("FILES_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("FILES_S3_PREFIX", default=""),
            "addressing_style": env.str("FILES_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("FILES_S3_URL_EXPIRE_SECONDS", default=60),
            # Keys are random: no existence check (a HEAD request) before each upload.
            "file_overwrite": True,
            "object_parameters": {"ContentDisposition": "attachment"},
        },
    }


# Uploaded files (the 发票 PDFs finance attaches): served only through access-checked views, never
# from MEDIA_URL directly.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "kaigan_files": files_storage_from_env(),
}
# Every upload is counted as it arrives: a file over KAIGAN_FILE_MAX_BYTES stops the upload
# there (kaigan/files/uploads.py), before Django's handlers keep it in memory or on disk.
FILE_UPLOAD_HANDLERS = [
    "kaigan.files.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


def redis_cache_url(redis_url: str) -> str:
    """The cache's own Redis database, next to the broker's: the one after REDIS_URL's (the one
    before, for the last of the 16). Clearing the cache (`cache.clear()` is a FLUSHDB) must never
    wipe the queued tasks, and an evicted cache key must never be a task message."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(redis_url)
    path = parts.path.strip("/")
    db = int(path) if path.isdigit() else int(dict(_query(parts.query)).get("db", 0))
    cache_db = db + 1 if db < 15 else db - 1
    query = "&".join(f"{k}={v}" for k, v in _query(parts.query) if k != "db")
    return urlunsplit((parts.scheme, parts.netloc, f"/{cache_db}", query, parts.fragment))


def _query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


# Redis: the Celery broker (REDIS_URL's database) and the cache (a database of its own,
# REDIS_CACHE_URL) when REDIS_URL is set; otherwise tasks run eagerly in the web process and the
# cache is local memory.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default="") or (
    redis_cache_url(REDIS_URL) if REDIS_URL else ""
)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, with one Redis client per pool instead of one per call.
            "BACKEND": "kaigan.cache.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kaigan"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="kaigan")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
# No task's result is read but the periodic ones' summaries (they say ignore_result=False):
# storing every posted brief's ranking result cost a Redis write each, kept for an hour.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Nothing lost (RELIABILITY.md): acknowledge after the task ran, requeue when the worker dies,
# take one message at a time, bound every wait on the broker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_PUBLISH_RETRY = True
# One retry: a frozen broker costs a request a socket timeout per attempt (about 6 s measured,
# kombu reconnecting included; kaigan/publish.py skips the request's other publishes); the
# sweepers send what was not sent.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# After a failed publish, a process skips publishing for this long (kaigan/publish.py): the
# sweepers send those messages later, and requests do not each wait out the timeouts.
KAIGAN_BROKER_BACKOFF_SECONDS = env.float("KAIGAN_BROKER_BACKOFF_SECONDS", default=15.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longest task (90 s hard limit) plus its largest retry delay, with a wide margin.
    "visibility_timeout": 600,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 2,
}
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The sweeper republishes lost re-match messages; expired invitations go back to matching.
_BEAT_SECONDS = env.float("KAIGAN_BEAT_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "rematch-sweep": {"task": "projects.tasks.rematch_sweep_task", "schedule": _BEAT_SECONDS},
    "invitations-expire": {
        "task": "projects.tasks.invitations_expire_task",
        "schedule": _BEAT_SECONDS,
    },
    # Activity and the newcomer bonus fade with time alone: rescore every expert nightly, in
    # the quiet hours of CELERY_TIMEZONE.
    "rank-bases-refresh": {
        "task": "experts.tasks.rank_bases_refresh_task",
        "schedule": crontab(hour=4, minute=17),
    },
    # The triggers keep each PM's open-brief counter; this only reports and fixes a drift.
    "pm-recount": {
        "task": "projects.tasks.pm_recount_task",
        "schedule": crontab(hour=4, minute=47),
    },
    "escrow-sweep": {"task": "billing.tasks.escrow_sweep_task", "schedule": _BEAT_SECONDS},
    "notification-email-sweep": {
        "task": "kaigan.notifications.tasks.notification_email_sweep_task",
        "schedule": 300.0,
    },
}


def mailers_from_env(default_backend: str, *, require_host: bool = False) -> dict:
    """Django 6.1 mailers: the backend from EMAIL_BACKEND, SMTP options from EMAIL_*.

    `require_host`: SMTP without EMAIL_HOST is an error, not a guess of localhost."""
    backend = env.str("EMAIL_BACKEND", default=default_backend)
    options = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": env.str("EMAIL_HOST")
            if require_host
            else env.str("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env.str("EMAIL_HOST_USER", default=""),
            "password": env.str("EMAIL_HOST_PASSWORD", default=""),
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "timeout": 10,
        }
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


# Email: the console in development (a new user goes on at once); SMTP in production.
MAILERS = mailers_from_env("django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Kaigan 开干 <noreply@kaigan.example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# django-allauth: email + password, a role chosen at signup.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "kaigan.accounts.forms.RoleSignupForm"
ACCOUNT_ADAPTER = "kaigan.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_SESSION_REMEMBER = None
# The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies that each append to
# X-Forwarded-For, the address the outermost trusted one saw. One setting for allauth's limits,
# the API's throttles (kaigan.api.throttling) and X-Forwarded-Proto (production).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Failed logins (browser, admin and API token alike, one counter per email): 10 a minute per
# address, 5 in 5 minutes per account; then the account is locked for the rest of the window
# without its password being checked, so guessing cannot make the server hash without end.
# Across the whole site, at most LOGIN_FAILED_SITE failed logins a minute are hashed.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_site": f"{env.int('LOGIN_FAILED_SITE', default=300)}/m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}

# Django REST framework: deny by default, one error shape, paginated lists.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token`.
        "kaigan.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only, with a bounded depth and an object at the top (kaigan/api/parsers.py):
    # a form or multipart body answers 415 rather than being read with other rules (an empty
    # form value is no value, where JSON's "" is refused), and the schema then offers JSON
    # alone. A view that takes a file upload sets its own `parser_classes`.
    "DEFAULT_PARSER_CLASSES": ["kaigan.api.parsers.JSONParser"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PAGINATION_CLASS": "kaigan.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["kaigan.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kaigan.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "kaigan.api.throttling.AnonRateThrottle",
        "kaigan.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "token": env.str("THROTTLE_TOKEN", default="10/min"),
        "brief_post": env.str("THROTTLE_BRIEF_POST", default="30/hour"),
        "dissatisfaction": env.str("THROTTLE_DISSATISFACTION", default="20/hour"),
        # Uploads, counted per file (the brief form's files too): kaigan/files.
        "file_upload": env.str("THROTTLE_FILE_UPLOAD", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kaigan API",
    "DESCRIPTION": (
        "Brand communication for startups: post briefs, match external experts (外脑) by "
        "their one tag, approve, deliver, and re-match when the startup is not satisfied. "
        "Authenticate with a session (and CSRF) or `Authorization: Token <key>` from "
        "`POST /api/v1/auth/token/` (the prefix is `Token`, not `Bearer`). Request bodies are "
        "JSON (`Content-Type: application/json`); any other body answers 415. Errors are JSON: "
        "`{detail, code, errors}` where `errors` maps each field to its messages. Money is "
        "whole CNY; dates ISO 8601."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # In English whatever the language of the request (kaigan/api/schema.py).
    "DEFAULT_GENERATOR_CLASS": "kaigan.api.schema.SchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: it would load an image from another site (and break the CSP).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "BriefStatusEnum": "marketplace.models.Brief.Status",
        "MatchStatusEnum": "marketplace.models.Match.Status",
        "RematchJobStatusEnum": "projects.models.RematchJob.Status",
        "RematchCauseEnum": "projects.models.RematchJob.Cause",
        "DissatisfactionReasonEnum": "projects.models.Feedback.Reason",
        "ExpertAvailabilityEnum": "experts.models.Expert.Availability",
        "TagStageEnum": "experts.models.Tag.Stage",
        "NotificationKindEnum": "kaigan.notifications.api.NOTIFICATION_KINDS",
        "FundingStatusEnum": "billing.selectors.FUNDING_STATUS_CHOICES",
        "InstantMethodEnum": "billing.api.views.INSTANT_METHODS",
        "InvoiceStatusEnum": "billing.models.InvoiceRequest.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kaigan.api.schema.postprocess_unsupported_media_type",
    ],
    # `<id:pk>` (kaigan/api/converters.py): a positive id that fits a bigint.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
    },
    "TAGS": [
        {"name": "auth", "description": "Obtain and revoke API tokens."},
        {"name": "tags", "description": "The tag taxonomy: one tag per expert."},
        {"name": "experts", "description": "An expert's own profile and tag."},
        {"name": "briefs", "description": "Post and follow briefs; deliver, accept, complain."},
        {"name": "matches", "description": "The PM's decisions on ranked proposals."},
        {"name": "invitations", "description": "An expert's invitations and answers."},
        {"name": "notifications", "description": "One's own notifications."},
        {"name": "files", "description": "Upload files, then attach them by id; download."},
        {"name": "invoices", "description": "A startup's fapiao requests (amounts in fen)."},
    ],
}

# Content security policy (Django's own): no inline script anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions stay in the database (Django's default): a cached session survives a sign-out made
# while the cache is unreachable, and the one query per page it would save is not worth that.

# Kaigan's own business settings.
KAIGAN_MATCH_ROUND_SIZE = env.int("KAIGAN_MATCH_ROUND_SIZE", default=5)
KAIGAN_INVITATION_WINDOW = timedelta(hours=env.int("KAIGAN_INVITATION_WINDOW_HOURS", default=48))
KAIGAN_REMATCH_PROMISE = timedelta(hours=env.int("KAIGAN_REMATCH_PROMISE_HOURS", default=48))
KAIGAN_PM_DEFAULT_CAPACITY = 20
# API tokens (kaigan/accounts/tokens.py): how long one lasts, how many one person may hold.
KAIGAN_API_TOKEN_LIFETIME = timedelta(days=env.int("KAIGAN_API_TOKEN_DAYS", default=30))
KAIGAN_API_TOKENS_PER_USER = env.int("KAIGAN_API_TOKENS_PER_USER", default=10)
# Open prices: the platform's fee on the expert's earnings, with a floor and a cap (whole CNY).
KAIGAN_FEE_PERCENT = env.str("KAIGAN_FEE_PERCENT", default="10")
KAIGAN_FEE_FLOOR = env.int("KAIGAN_FEE_FLOOR", default=200)
KAIGAN_FEE_CAP = env.int("KAIGAN_FEE_CAP", default=20000)
# A running re-match job is someone's for this long; after it, the sweeper or a redelivered
# message may take it again. Longer than the task's hard time limit.
KAIGAN_REMATCH_LEASE_SECONDS = env.int("KAIGAN_REMATCH_LEASE_SECONDS", default=120)
# A pending job older than this whose message may be lost is republished by the sweeper.
KAIGAN_REMATCH_PENDING_GRACE_SECONDS = env.float(
    "KAIGAN_REMATCH_PENDING_GRACE_SECONDS", default=10.0
)
# Uploaded files (kaigan/files, docs/FILES.md): the largest file, the bytes an account may
# store in all (a startup uploads through its one account; hidden files still count: they are
# kept), the most files one request may carry (the brief form), the most files attached to one
# object, and the largest image (pixels) that is accepted and thumbnailed.
KAIGAN_FILE_MAX_BYTES = env.int("KAIGAN_FILE_MAX_BYTES", default=25 * 1024 * 1024)
KAIGAN_FILE_QUOTA_BYTES = env.int("KAIGAN_FILE_QUOTA_BYTES", default=2 * 1024 * 1024 * 1024)
KAIGAN_FILE_MAX_PER_REQUEST = env.int("KAIGAN_FILE_MAX_PER_REQUEST", default=10)
KAIGAN_FILE_MAX_PER_OBJECT = env.int("KAIGAN_FILE_MAX_PER_OBJECT", default=20)
KAIGAN_FILE_MAX_PIXELS = env.int("KAIGAN_FILE_MAX_PIXELS", default=50_000_000)
# Money (billing/, docs/MONEY.md).
# How startups may pay: bank transfer is the real one. "dev" (pays at once, no real money) is
# added by the local and test settings only; production refuses it.
KAIGAN_PAYMENT_METHODS = ["bank_transfer"]
# The platform's account a startup transfers to (对公账户).
KAIGAN_BANK_ACCOUNT_NAME = env.str("KAIGAN_BANK_ACCOUNT_NAME", default="")
KAIGAN_BANK_NAME = env.str("KAIGAN_BANK_NAME", default="")
KAIGAN_BANK_ACCOUNT_NUMBER = env.str("KAIGAN_BANK_ACCOUNT_NUMBER", default="")
# The most a PM may give a replaced expert who had delivered (percent of their earnings).
KAIGAN_REPLACED_SHARE_MAX_PERCENT = env.int("KAIGAN_REPLACED_SHARE_MAX_PERCENT", default=50)
# May a PM let work start before the brief is funded (recorded with a reason)?
KAIGAN_ALLOW_UNFUNDED_START = env.bool("KAIGAN_ALLOW_UNFUNDED_START", default=False)
# Fernet keys for bank details at rest (comma-separated; the first encrypts). No default here:
# local and test settings set a development key, production requires it.
KAIGAN_FIELD_ENCRYPTION_KEY = env.str("KAIGAN_FIELD_ENCRYPTION_KEY", default="")
KAIGAN_SITE_NAME = _("Kaigan")
# Where users reach the site: e-mails link to pages under it (a mail has no request to take the
# host from).
KAIGAN_SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Logs: one line per event through structlog, scrubbed of emails, tokens, keys and bodies
# (kaigan/ops/logs.py); JSON in production (LOG_FORMAT=json), readable lines elsewhere.
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", default="INFO"), fmt=env.str("LOG_FORMAT", default="console")
)
configure_structlog()
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# No client addresses in the logs (personal data); the request id ties a request's lines.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False

# Errors to Sentry when SENTRY_DSN is set, with the logs' scrubbing (kaigan/ops/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from kaigan.ops import sentry

    sentry.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Metrics (/metrics, kaigan/ops/metrics.py): the scraper sends `Authorization: Bearer
# <METRICS_TOKEN>`; without a token, only these networks may read them.
KAIGAN_METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
KAIGAN_METRICS_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# Readiness wants a worker heartbeat younger than this (beat sends one every ..._SECONDS).
KAIGAN_WORKER_HEARTBEAT_SECONDS = env.float("KAIGAN_WORKER_HEARTBEAT_SECONDS", default=30.0)
KAIGAN_WORKER_HEARTBEAT_MAX_AGE = env.float("KAIGAN_WORKER_HEARTBEAT_MAX_AGE", default=120.0)
CELERY_BEAT_SCHEDULE["worker-heartbeat"] = {
    "task": "kaigan.ops.tasks.worker_heartbeat_task",
    "schedule": KAIGAN_WORKER_HEARTBEAT_SECONDS,
}

# Bench-only reference views (kaigan/bench_views.py): on only in kaigan.settings.bench.
KAIGAN_BENCH_VIEWS = env.bool("KAIGAN_BENCH_VIEWS", default=False)
