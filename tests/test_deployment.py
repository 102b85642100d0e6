"""Issue 17, point 10: the deployment traps (mail, the health check behind the SSL redirect, a
forwarded scheme nobody vouches for, cached signed-in pages) and the cache's own Redis database.

Production settings are imported in a subprocess with the environment a deployment gives."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "kaigan.settings.production",
    "SECRET_KEY": "x" * 30 + "a-production-secret-from-env-0123456789",
    "ALLOWED_HOSTS": "kaigan.example.com,testserver",
    "KAIGAN_FIELD_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1rZXktZm9yLXRoZS10ZXN0cy0zMiE=",
    "KAIGAN_BANK_ACCOUNT_NAME": "开干科技有限公司",
    "KAIGAN_BANK_NAME": "招商银行上海分行",
    "KAIGAN_BANK_ACCOUNT_NUMBER": "1219 0000 0000 0000",
}
# What a deployment's environment may set, cleared so that only each test's values count.
_DEPLOYMENT_VARS = {
    "SECRET_KEY",
    "KAIGAN_FIELD_ENCRYPTION_KEY",
    "KAIGAN_PAYMENT_METHODS",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "TRUSTED_PROXY_COUNT",
    "SECURE_SSL_REDIRECT",
    "REDIS_URL",
    "REDIS_CACHE_URL",
}


def _production(code_or_args, **env_extra):
    """Run `manage.py <args>` or a Python snippet under the production settings."""
    env = {k: v for k, v in os.environ.items() if k not in _DEPLOYMENT_VARS}
    env.update(PRODUCTION)
    env["DATABASE_URL"] = "sqlite:///:memory:"
    env.update({k: v for k, v in env_extra.items() if v is not None})
    for name, value in env_extra.items():
        if value is None:
            env.pop(name, None)
    if isinstance(code_or_args, str):
        args = [sys.executable, "-c", "import django; django.setup()\n" + code_or_args]
    else:
        args = [sys.executable, "manage.py", *code_or_args]
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


# --- mail: no silent localhost:25 ----------------------------------------------------------------


def test_production_refuses_to_start_without_a_mail_server():
    result = _production(["check"])
    assert result.returncode != 0
    assert "EMAIL_HOST" in result.stderr
    # SMTP named explicitly still needs its server.
    result = _production(["check"], EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    assert result.returncode != 0
    assert "EMAIL_HOST" in result.stderr


@pytest.mark.parametrize(
    ("env", "backend", "host"),
    [
        ({"EMAIL_HOST": "smtp.example.com"}, "smtp.EmailBackend", "smtp.example.com"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "console.EmailBackend",
            None,
        ),
    ],
)
def test_production_sends_mail_where_the_environment_says(env, backend, host):
    printed = _production(
        "from django.conf import settings; import json\n"
        "print(json.dumps(settings.MAILERS['default']))",
        **env,
    )
    assert printed.returncode == 0, printed.stderr
    mailer = json.loads(printed.stdout)
    assert mailer["BACKEND"].endswith(backend)
    assert mailer["OPTIONS"].get("host") == host


def test_production_settings_with_a_mail_server_pass_check_deploy():
    result = _production(
        ["check", "--deploy", "--fail-level", "WARNING"], EMAIL_HOST="smtp.example.com"
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the health check, the forwarded scheme -----------------------------------------------------

_PROBE = """
import json
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import Client, RequestFactory

passed = SecurityMiddleware(lambda request: HttpResponse("ok"))
factory = RequestFactory()
forwarded = {"X-Forwarded-Proto": "https"}
answers = {
    "healthz": Client().get("/healthz/").status_code,
    "page": passed(factory.get("/briefs/")).status_code,
    "page forwarded https": passed(factory.get("/briefs/", headers=forwarded)).status_code,
    "is_secure forwarded": factory.get("/briefs/", headers=forwarded).is_secure(),
}
print(json.dumps(answers))
"""


@pytest.mark.parametrize(
    ("proxies", "forwarded_status", "forwarded_secure"),
    [(None, 301, False), ("0", 301, False), ("1", 200, True)],
)
def test_plain_http_health_check_passes_and_the_forwarded_scheme_needs_a_trusted_proxy(
    proxies, forwarded_status, forwarded_secure
):
    printed = _production(_PROBE, EMAIL_HOST="smtp.example.com", TRUSTED_PROXY_COUNT=proxies)
    assert printed.returncode == 0, printed.stderr
    answers = json.loads(printed.stdout)
    assert answers == {
        "healthz": 200,  # the container's health check speaks plain HTTP
        "page": 301,  # everything else goes to https
        "page forwarded https": forwarded_status,
        "is_secure forwarded": forwarded_secure,
    }


# --- account mail with the mail server down -----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


@pytest.fixture
def mail_server_down(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


@pytest.mark.django_db
def test_signup_and_password_reset_with_the_mail_server_down_are_no_500(
    client, mail_server_down, caplog
):
    from kaigan.accounts.models import User

    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
            "role": "expert",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="new@example.com").count() == 1

    factories.UserFactory(email="known@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # Tasks run eagerly here (no worker): each mail was tried once and logged, not raised.
    failures = [r for r in caplog.records if "could not be sent" in r.getMessage()]
    assert [r.args[0] for r in failures] == [["new@example.com"], ["known@example.com"]]
    assert mail.outbox == []


@pytest.mark.skipif(not REDIS_URL, reason="needs a real broker")
@pytest.mark.django_db
def test_account_mail_waits_in_the_queue_for_a_worker_and_then_arrives(
    client, mail_server_down, celery_queue, settings
):
    """With a broker, the page answers at once and the mail waits in the queue (the mail server
    is not even tried in the request); a worker later sends it, link and all."""
    import base64

    import redis

    from kaigan.accounts.tasks import account_mail_send_task

    broker = redis.Redis.from_url(REDIS_URL)
    broker.delete(celery_queue)
    factories.UserFactory(email="known@example.com")
    started = time.monotonic()
    response = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    assert response.status_code == 302
    assert time.monotonic() - started < 1.5  # the mail server's timeout is 2 s: not waited on

    queued = [json.loads(raw) for raw in broker.lrange(celery_queue, 0, -1)]
    broker.delete(celery_queue)
    assert [q["headers"]["task"] for q in queued] == [
        "kaigan.accounts.tasks.account_mail_send_task"
    ]
    (args, _kwargs, _embed) = json.loads(base64.b64decode(queued[0]["body"]))
    [message] = args
    assert message["to"] == ["known@example.com"]
    assert re.search(r"/accounts/password/reset/key/\S+", message["body"])

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    account_mail_send_task.run(message)  # what the worker does once the mail server answers
    [sent] = mail.outbox
    assert (sent.to, sent.body) == (["known@example.com"], message["body"])


# --- no cached signed-in answers ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_answer_to_a_signed_in_person_says_no_store(client, expert):
    anonymous = client.get(reverse("home"))
    assert "no-store" not in anonymous.get("Cache-Control", "")
    assert "no-store" not in client.get("/api/v1/tags/").get("Cache-Control", "")

    client.force_login(expert.user)
    for url in (reverse("experts:dashboard"), "/api/v1/experts/me/", "/api/v1/tags/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store, private", url

    token = factories.api_token(factories.StartupFactory().owner)
    response = client.__class__().get(
        "/api/v1/briefs/", headers={"Authorization": f"Token {token.key}"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


# --- the cache and the broker on separate Redis databases ----------------------------------------


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (it is flushed), on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _closed_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_clearing_the_cache_leaves_the_queued_tasks(own_redis):
    import redis

    from kaigan.cache import RedisCache
    from kaigan.celery import app
    from kaigan.settings.base import redis_cache_url

    def queue_one_and_clear(cache_location: str) -> int:
        with app.connection_for_write(own_redis) as connection:
            app.send_task(
                "projects.tasks.rematch_run_task", args=[1], queue="q", connection=connection
            )
        cache = RedisCache(cache_location, {"KEY_PREFIX": "kaigan"})
        cache.set("throttle", 1)
        cache.clear()
        assert cache.get("throttle") is None
        cache.close()
        return redis.Redis.from_url(own_redis).llen("q")

    # The settings' cache database: the queued message survives the clear.
    assert redis_cache_url(own_redis) != own_redis
    assert queue_one_and_clear(redis_cache_url(own_redis)) == 1
    # As it was (the cache on REDIS_URL itself): the clear wiped the queue.
    assert queue_one_and_clear(own_redis) == 0


@pytest.mark.parametrize(
    ("redis_url", "cache_url"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://:secret@redis:6379/15", "redis://:secret@redis:6379/14"),
        ("redis://redis:6379", "redis://redis:6379/1"),
    ],
)
def test_the_cache_gets_the_database_next_to_the_brokers(redis_url, cache_url):
    printed = _production(
        "from django.conf import settings\n"
        "print(settings.CELERY_BROKER_URL, settings.CACHES['default']['LOCATION'])",
        EMAIL_HOST="smtp.example.com",
        REDIS_URL=redis_url,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split() == [redis_url, cache_url]


def test_production_refuses_a_cache_on_the_brokers_database():
    result = _production(
        ["check"],
        EMAIL_HOST="smtp.example.com",
        REDIS_URL="redis://redis:6379/0",
        REDIS_CACHE_URL="redis://redis:6379/0",
    )
    assert result.returncode != 0
    assert "REDIS_CACHE_URL" in result.stderr


def test_compose_runs_redis_with_persistence_and_without_eviction():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert flags == {
        "--appendonly": "yes",
        "--appendfsync": "everysec",
        "--maxmemory-policy": "noeviction",
    }
    assert compose["services"]["redis"]["volumes"] == ["redisdata:/data"]
    assert "REDIS_CACHE_URL" not in compose["x-app"]["environment"]  # the default: /1 next to /0


# --- money: no development provider, no default key --------------------------------------------


def test_production_refuses_the_development_payment_provider():
    result = _production(
        ["check"], EMAIL_HOST="smtp.example.com", KAIGAN_PAYMENT_METHODS="bank_transfer,dev"
    )
    assert result.returncode != 0
    assert "development payment provider" in result.stderr


def test_production_needs_its_own_key_for_bank_details():
    result = _production(["check"], EMAIL_HOST="smtp.example.com", KAIGAN_FIELD_ENCRYPTION_KEY=None)
    assert result.returncode != 0
    assert "KAIGAN_FIELD_ENCRYPTION_KEY" in result.stderr


def test_production_offers_bank_transfer_only():
    printed = _production(
        "from django.conf import settings; print(settings.KAIGAN_PAYMENT_METHODS)",
        EMAIL_HOST="smtp.example.com",
    )
    assert printed.stdout.strip() == "['bank_transfer']", printed.stderr
