"""The load benchmark (bench/load.sh): production settings, served over plain HTTP on loopback.

Only what plain HTTP on 127.0.0.1 needs is relaxed (no redirect to HTTPS, cookies without the
Secure flag, so a client can log in over http), and the two bench-only reference views are
served under /bench/. Everything else, secrets and hosts included, is production's.
"""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False

KAIGAN_BENCH_VIEWS = True

# The scale-out run funds briefs with the development provider (no real money moves): bench
# settings are never a deployment's, and production's own refusal stays in production.py.
KAIGAN_PAYMENT_METHODS = ["bank_transfer", "dev"]
