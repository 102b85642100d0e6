"""Production: every secret from the environment, no insecure default; `check --deploy` clean."""

from .base import *  # noqa: F403
from .base import env, mailers_from_env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Links in e-mails: SITE_URL, or https on the first allowed host.
KAIGAN_SITE_URL = env.str(
    "SITE_URL", default=f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if ALLOWED_HOSTS else ""
).rstrip("/")
DATABASES = {**DATABASES}  # noqa: F405

ACCOUNT_EMAIL_VERIFICATION = "mandatory"
MAILERS = mailers_from_env("django.core.mail.backends.smtp.EmailBackend")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
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
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The load benchmark's reference views never exist in production.
KAIGAN_BENCH_VIEWS = False
