"""Development (`make run`): SQLite and eager Celery unless DATABASE_URL or REDIS_URL is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Only for local development; production has no default (see production.py).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
