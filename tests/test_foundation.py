"""The ground every feature stands on: accounts, roles, the PM command, Celery, settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from experts.models import Expert
from kaigan.accounts.models import User
from kaigan.notifications.models import Notification
from kaigan.notifications.services import notify
from marketplace.models import Startup
from projects.services import PM_GROUP
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-enough-pass-42"


def _signup(client, email, role):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "role": role},
    )


@pytest.mark.django_db
def test_signup_as_startup_creates_a_startup_profile(client):
    response = _signup(client, "founder@example.com", "startup")

    assert response.status_code == 302
    user = User.objects.get(email="founder@example.com")
    assert user.role == User.Role.STARTUP
    assert Startup.objects.filter(owner=user).count() == 1
    assert not Expert.objects.filter(user=user).exists()
    # Optional verification in development: the new user goes on at once, to their briefs.
    assert response["Location"] == reverse("marketplace:brief_list")


@pytest.mark.django_db
def test_signup_as_expert_creates_an_expert_profile(client):
    response = _signup(client, "designer@example.com", "expert")

    assert response.status_code == 302
    user = User.objects.get(email="designer@example.com")
    assert user.role == User.Role.EXPERT
    expert = Expert.objects.get(user=user)
    assert expert.display_name == "designer"
    assert expert.tag is None
    assert not Startup.objects.filter(owner=user).exists()
    assert response["Location"] == reverse("experts:dashboard")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["pm", "admin", "", "boss"])
def test_signup_cannot_choose_a_staff_role(client, role):
    response = _signup(client, "sneaky@example.com", role)

    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(email="sneaky@example.com").exists()


@pytest.mark.django_db
def test_signup_with_mismatched_passwords_keeps_the_form(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD + "x",
            "role": "expert",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="x@example.com"' in response.content.decode()
    assert not User.objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
def test_createpm_makes_a_staff_user_who_can_log_in_to_the_admin(client):
    call_command("createpm", email="PM@Example.com", password=PASSWORD)

    user = User.objects.get(email="pm@example.com")
    assert user.is_staff
    assert not user.is_superuser
    assert user.role == User.Role.PM
    assert user.pm_profile.is_active
    assert list(user.groups.values_list("name", flat=True)) == [PM_GROUP]
    # The admin login goes through allauth.
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302
    assert login["Location"].startswith(reverse("account_login"))
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": "pm@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 200
    assert "Briefs" in admin_page.content.decode() or "需求" in admin_page.content.decode()


@pytest.mark.django_db
def test_createpm_rejects_a_bad_email():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("createpm", email="not-an-email", password=PASSWORD)
    assert not User.objects.filter(role=User.Role.PM).exists()


@pytest.mark.django_db
def test_a_non_staff_user_is_refused_by_the_admin(client):
    user = factories.UserFactory(role="startup")
    client.force_login(user)
    assert client.get("/admin/").status_code in (302, 403)


def test_notification_email_sent_by_a_celery_task(transactional_db, mailoutbox, request):
    """Eagerly without Redis; with REDIS_URL, through a real worker process."""
    recipient = factories.UserFactory(email="someone@example.com")
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("worker_factory")()
    [note] = notify(recipients=[recipient], kind="brief_assigned", params={"brief": "新品发布"})
    note_id = note.pk
    # notify() schedules the mail after commit; outside a transaction that is now.
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        note = Notification.objects.get(pk=note_id)
        if note.emailed_at:
            break
        time.sleep(0.1)
    assert note.emailed_at is not None
    if not os.environ.get("REDIS_URL"):
        assert [m.to for m in mailoutbox] == [["someone@example.com"]]


def test_docker_compose_names_the_real_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "kaigan.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "kaigan", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "kaigan", "beat"]
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name]
    assert (ROOT / "Dockerfile").exists()


def _manage(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "kaigan.settings.production",
            "SECRET_KEY": "x" * 30 + "a-production-secret-from-env-0123456789",
            "ALLOWED_HOSTS": "kaigan.example.com",
            "EMAIL_HOST": "smtp.example.com",
            "KAIGAN_FIELD_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1rZXktZm9yLXRoZS10ZXN0cy0zMiE=",
            "KAIGAN_BANK_ACCOUNT_NAME": "开干科技有限公司",
            "KAIGAN_BANK_NAME": "招商银行上海分行",
            "KAIGAN_BANK_ACCOUNT_NUMBER": "1219 0000 0000 0000",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage(
        "check",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "kaigan.settings.production",
            "ALLOWED_HOSTS": "kaigan.example.com",
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"), [({}, len(os.sched_getaffinity(0)) + 1), ({"WEB_CONCURRENCY": "2"}, 2)]
)
def test_gunicorn_runs_a_worker_per_core_plus_one_unless_told(env, expected):
    """Dockerfile and docker-compose.yml start gunicorn without --workers: gunicorn.conf.py
    decides (bench/LOAD.md)."""
    environ = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"} | env
    printed = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "--print-config", "kaigan.wsgi"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    workers = re.search(r"^workers\s*=\s*(\d+)$", printed, re.MULTILINE)
    assert int(workers.group(1)) == expected
    assert "--workers" not in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "200000 100000\n"}, 2),  # cgroup v2, docker run --cpus 2
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs: two workers' worth
        ({"cpu.max": "max 100000\n"}, None),  # no quota: the affinity decides
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_gunicorn_counts_the_cpus_a_container_may_use(tmp_path, files, expected):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = len(os.sched_getaffinity(0))
    assert conf.usable_cpus(tmp_path) == (affinity if expected is None else min(expected, affinity))
