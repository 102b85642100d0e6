"""Development (`make run`): SQLite and eager Celery unless DATABASE_URL or REDIS_URL is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Only for local development; production has no default (see production.py).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# Money in development: the development payment provider (no real money), a demo bank account
# and a development-only key for bank details at rest (production requires its own).
KAIGAN_PAYMENT_METHODS = ["bank_transfer", "dev"]
KAIGAN_BANK_ACCOUNT_NAME = env.str("KAIGAN_BANK_ACCOUNT_NAME", default="开干科技（演示）有限公司")
KAIGAN_BANK_NAME = env.str("KAIGAN_BANK_NAME", default="演示银行 上海分行")
KAIGAN_BANK_ACCOUNT_NUMBER = env.str("KAIGAN_BANK_ACCOUNT_NUMBER", default="6225 0000 0000 0000")
KAIGAN_FIELD_ENCRYPTION_KEY = env.str(
    "KAIGAN_FIELD_ENCRYPTION_KEY",
    default="ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=",  # noqa: S105  (development only)
)
