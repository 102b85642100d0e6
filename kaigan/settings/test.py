"""Tests: whatever DATABASE_URL / REDIS_URL say (CI: PostgreSQL and Redis); tasks run eagerly
unless a test starts a real worker and turns eager mode off."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Eager in the test process; a worker started by a test sets CELERY_EAGER=0 (its retries and
# follow-up tasks then go through Redis like in production).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_EAGER", default=True)
# A queue of its own per test run, so runs sharing one Redis never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default=f"kaigan-test-{os.getpid()}")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
_rates = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(_rates, "100000/min")
ACCOUNT_RATE_LIMITS = False
# Uploaded files of this test run in a folder of its own (tests/conftest.py removes it), never in
# the project's media folder; a test that looks at the files gives itself a fresh one.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "kaigan_files": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            # A worker started by a test is told the same folder (tests/conftest.py).
            "location": env.str(
                "KAIGAN_TEST_FILES_ROOT",
                default=os.path.join(tempfile.gettempdir(), f"kaigan-test-files-{os.getpid()}"),
            ),
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    },
}
LANGUAGE_CODE = "zh-hans"

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
