"""Production: every secret from the environment, no insecure default; `check --deploy` clean."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    REDIS_CACHE_URL,
    REDIS_URL,
    env,
    files_storage_from_env,
    logging_config,
    mailers_from_env,
)

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
# Rotation (docs/OPERATIONS.md): the previous keys still verify what they signed, for a while.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Links in e-mails: SITE_URL, or https on the first allowed host.
KAIGAN_SITE_URL = env.str(
    "SITE_URL", default=f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if ALLOWED_HOSTS else ""
).rstrip("/")
DATABASES = {**DATABASES}  # noqa: F405

ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Mail goes where the environment says: SMTP at EMAIL_HOST, or another EMAIL_BACKEND named
# explicitly. No guess of a mail server on localhost:25 (there is none in the containers).
if "EMAIL_BACKEND" not in env and "EMAIL_HOST" not in env:
    raise ImproperlyConfigured(
        "Set EMAIL_HOST (the SMTP server, with EMAIL_PORT, EMAIL_HOST_USER, "
        "EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) or name an EMAIL_BACKEND explicitly."
    )
MAILERS = mailers_from_env("django.core.mail.backends.smtp.EmailBackend", require_host=True)

if REDIS_URL and REDIS_CACHE_URL.rstrip("/") == REDIS_URL.rstrip("/"):
    raise ImproperlyConfigured(
        "REDIS_CACHE_URL names the broker's database: clearing the cache would wipe the queues."
    )

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The container's health check speaks plain HTTP to the web process: it is not redirected.
# Probes and the scraper speak plain HTTP inside the network: liveness, readiness, metrics.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$", r"^metrics$"]
# X-Forwarded-Proto says "https" only when a proxy we trust set it: behind one (the count of
# trusted proxies in front of the web process, shared with the client address), the proxy must
# overwrite the header; with none, any client could send it and pass for a secure request.
if TRUSTED_PROXY_COUNT > 0:  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # S3-compatible object storage with FILES_S3_BUCKET, else KAIGAN_FILES_ROOT (docs/FILES.md).
    "kaigan_files": files_storage_from_env(),
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Money: bank details are encrypted with a key from the environment (no default); the
# platform's bank account is shown to paying startups; the development provider never exists.
KAIGAN_FIELD_ENCRYPTION_KEY = env.str("KAIGAN_FIELD_ENCRYPTION_KEY")
KAIGAN_BANK_ACCOUNT_NAME = env.str("KAIGAN_BANK_ACCOUNT_NAME")
KAIGAN_BANK_NAME = env.str("KAIGAN_BANK_NAME")
KAIGAN_BANK_ACCOUNT_NUMBER = env.str("KAIGAN_BANK_ACCOUNT_NUMBER")
KAIGAN_PAYMENT_METHODS = env.list("KAIGAN_PAYMENT_METHODS", default=["bank_transfer"])
if "dev" in KAIGAN_PAYMENT_METHODS:
    raise ImproperlyConfigured("The development payment provider is never enabled in production.")

# The load benchmark's reference views never exist in production.
KAIGAN_BENCH_VIEWS = False

# One JSON object per log line, for the log collector (kaigan/ops/logs.py).
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", default="INFO"), fmt=env.str("LOG_FORMAT", default="json")
)
