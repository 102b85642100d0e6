"""Issue 10: safe against bad actors — headers, rate limits, enumeration, anonymous access,
mass assignment, stored XSS, no deletes, audit of bulk updates, history export, dump/restore."""

import json
import os
import re
import subprocess
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kaigan.accounts.models import User
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, BriefStatusLog, Startup
from projects import services
from tests import factories
from tests.conftest import client_for

PASSWORD = "a-long-enough-pass-42"


# --- headers --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_pages_and_api(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    for url in ("/", "/api/v1/tags/", "/accounts/login/"):
        response = client.get(url, secure=True)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        csp = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert csp["script-src"] == "'self'"  # no inline script, no other origin
        assert "'none'" in csp["frame-ancestors"]
        assert csp["object-src"] == "'none'"


def test_pages_carry_no_inline_script():
    from pathlib import Path

    templates = Path(django_settings.BASE_DIR, "templates").rglob("*.html")
    inline = [
        str(path)
        for path in templates
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", path.read_text())
    ]
    assert inline == []


# --- rate limits (allauth, on a real cache) --------------------------------------------------


@pytest.fixture
def rate_limits(settings):
    if os.environ.get("REDIS_URL"):
        settings.CACHES = {
            "default": {
                "BACKEND": "kaigan.cache.RedisCache",
                "LOCATION": os.environ["REDIS_URL"],
                "KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex[:8]}",
            }
        }
    settings.ACCOUNT_RATE_LIMITS = {
        "login_failed": "3/m/ip,3/5m/key",
        "signup": "2/m/ip",
        "reset_password": "2/m/ip,2/m/key",
    }
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, rate_limits):
    factories.UserFactory(email="victim@example.com")
    for n in range(3):
        response = client.post(
            reverse("account_login"), {"login": "victim@example.com", "password": f"wrong{n}"}
        )
        assert response.status_code == 200
    # Now even the right password is refused for a while, and the form says why.
    response = client.post(
        reverse("account_login"), {"login": "victim@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def _signup_as_stranger(client, url, data):
    client.logout()
    return client.post(url, data)


@pytest.mark.django_db
def test_signups_are_rate_limited(client, rate_limits):
    codes = [
        _signup_as_stranger(
            client,
            reverse("account_signup"),
            {
                "email": f"new{n}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "role": "startup",
            },
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert User.objects.filter(email__startswith="new").count() == 2


@pytest.mark.django_db
def test_password_resets_are_rate_limited(client, rate_limits):
    codes = [
        client.post(reverse("account_reset_password"), {"email": "x@example.com"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


# --- no account enumeration ------------------------------------------------------------------


@pytest.mark.django_db
def test_login_says_the_same_for_a_wrong_password_and_an_unknown_account(client):
    factories.UserFactory(email="known@example.com")

    def errors(email):
        response = client.post(reverse("account_login"), {"login": email, "password": "nope"})
        return response.context["form"].non_field_errors()

    assert errors("known@example.com") == errors("unknown@example.com")


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_known_and_unknown_emails(client):
    factories.UserFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "unknown@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


@pytest.mark.django_db
def test_signup_does_not_tell_who_has_an_account_when_verification_is_mandatory(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    factories.UserFactory(email="taken@example.com")

    def signup(email):
        client.logout()
        return client.post(
            reverse("account_signup"),
            {"email": email, "password1": PASSWORD, "password2": PASSWORD, "role": "expert"},
        )

    taken, fresh = signup("taken@example.com"), signup("fresh@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="taken@example.com").count() == 1


@pytest.mark.django_db
def test_weak_passwords_are_refused(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "w@example.com",
            "password1": "12345678",
            "password2": "12345678",
            "role": "expert",
        },
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="w@example.com").exists()


# --- nothing open to anonymous users outside an allowlist ------------------------------------

ANONYMOUS_ALLOWED = {
    "/",
    "/healthz/",
    "/readyz/",  # probes: which checks pass, nothing else
    "/metrics",  # from this host only (the test client's address) or with the token
    "/favicon.ico",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/password/reset/key/1-1/",  # the link from a reset email ("bad token" here)
    "/accounts/confirm-email/1/",  # the link from a verification email
    "/accounts/inactive/",
    "/accounts/confirm-email/",
    "/accounts/login/code/confirm/",
    "/accounts/reauthenticate/",
    "/api/schema/",
    "/api/docs/",
    "/api/v1/tags/",
    "/api/v1/auth/token/",
    "/i18n/setlang/",
    "/admin/login/",
}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def _concrete(route: str) -> str | None:
    if "^" in route or "(?P" in route:
        route = re.sub(r"\(\?P<[^>]+>[^)]+\)", "1", route)
        route = route.replace("^", "").replace("$", "").replace("\\", "")
    route = re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: "1" if "pk" in m[1] or "id" in m[1] else "x", route
    )
    return "/" + route.lstrip("/")


@pytest.mark.django_db
def test_no_page_or_endpoint_is_open_to_anonymous_users_outside_the_allowlist(client):
    factories.BriefFactory()  # so that id 1 may exist
    open_urls, checked = [], 0
    for route in set(_walk(get_resolver().url_patterns)):
        url = _concrete(route)
        if url is None or url.startswith("/static/") or "(?" in url:
            continue
        checked += 1
        response = client.get(url)
        if response.status_code < 300 and url not in ANONYMOUS_ALLOWED:
            open_urls.append((url, response.status_code))
    print(f"walked {checked} URLs as an anonymous user")
    assert checked > 60
    assert open_urls == []


# --- mass assignment -------------------------------------------------------------------------


@pytest.mark.django_db
def test_mass_assignment_through_patch_changes_nothing_it_should_not(startup, pm):
    brief = factories.BriefFactory(startup=startup, pm=pm)
    other = factories.StartupFactory()
    response = client_for(startup.owner).patch(
        f"/api/v1/briefs/{brief.pk}/",
        {
            "status": "completed",
            "startup": other.pk,
            "pm": None,
            "rematch_count": 7,
            "match_round": 9,
            "title": "只改标题",
        },
        format="json",
    )
    assert response.status_code == 200
    brief.refresh_from_db()
    assert (brief.title, brief.status, brief.startup, brief.pm) == ("只改标题", "open", startup, pm)
    assert (brief.rematch_count, brief.match_round) == (0, 0)


@pytest.mark.django_db
def test_mass_assignment_through_the_profile_form_cannot_take_another_owner(client, startup):
    other = factories.UserFactory(role="startup")
    client.force_login(startup.owner)
    client.post(
        reverse("marketplace:startup_profile"),
        {"company_name": "新名字", "stage": "a", "owner": other.pk, "industry": "", "city": ""},
    )
    startup.refresh_from_db()
    assert (startup.company_name, startup.owner_id) == ("新名字", startup.owner.pk)
    assert not Startup.objects.filter(owner=other).exists()


# --- stored XSS is escaped everywhere --------------------------------------------------------

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.mark.django_db
def test_stored_xss_is_escaped_on_every_page_and_in_the_admin(client, pm, superuser):
    startup = factories.StartupFactory(company_name=XSS)
    experts = [
        factories.ExpertFactory(display_name=XSS[:60], headline=XSS[:120], bio=XSS)
        for _ in range(2)
    ]
    for expert in experts:
        from experts.services import expert_refresh_rank_base

        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(startup=startup, pm=pm, title=XSS[:120], description=XSS)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm, note=XSS)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    services.work_deliver(brief_id=brief.pk, user=match.expert.user)

    pages = [
        (startup.owner, reverse("marketplace:brief_list")),
        (startup.owner, reverse("marketplace:brief_detail", args=[brief.pk])),
        (startup.owner, reverse("notifications:list")),
        (startup.owner, reverse("marketplace:startup_profile")),
        (match.expert.user, reverse("experts:dashboard")),
        (pm, reverse("admin:marketplace_brief_changelist")),
        (pm, reverse("admin:marketplace_brief_change", args=[brief.pk])),
        (pm, reverse("admin:marketplace_match_changelist")),
        (superuser, reverse("admin:experts_expert_change", args=[match.expert_id])),
        (superuser, reverse("admin:marketplace_startup_changelist")),
    ]
    for user, url in pages:
        client.force_login(user)
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x onerror" not in html, url
        assert "&lt;script&gt;alert" in html or "&lt;img src=x" in html, url


# --- nothing is deleted; every status change is logged ---------------------------------------

BUSINESS_APPS = {"marketplace", "experts", "projects", "accounts"}


@pytest.mark.django_db
def test_the_admin_deletes_no_business_record(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    checked = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in BUSINESS_APPS:
            continue
        checked.append(model.__name__)
        assert model_admin.has_delete_permission(request) is False, model
        assert "delete_selected" not in model_admin.get_actions(request), model
    assert {"Brief", "Match", "Quote", "Expert", "Startup", "Feedback", "RematchJob"} <= set(
        checked
    )


@pytest.mark.django_db
def test_the_database_refuses_to_delete_business_rows():
    if connection.vendor != "postgresql":
        pytest.skip("the delete guard is a PostgreSQL trigger")
    brief = factories.BriefFactory()
    with pytest.raises(IntegrityError, match="never deleted"), transaction.atomic():
        Brief.objects.filter(pk=brief.pk).delete()
    assert Brief.objects.filter(pk=brief.pk).exists()


@pytest.mark.django_db
def test_a_bulk_update_of_status_is_still_audited():
    briefs = factories.BriefFactory.create_batch(3)
    Brief.objects.filter(pk__in=[b.pk for b in briefs]).update(status="cancelled")
    log = BriefStatusLog.objects.filter(brief__in=briefs)
    assert sorted(log.values_list("brief_id", "old_status", "new_status")) == sorted(
        (b.pk, "open", "cancelled") for b in briefs
    )
    # A save that leaves the status alone writes nothing.
    Brief.objects.filter(pk=briefs[0].pk).update(title="只改标题")
    assert log.count() == 3


@pytest.mark.django_db
def test_export_brief_history(tmp_path, pm):
    for expert in [factories.ExpertFactory() for _ in range(2)]:
        from experts.services import expert_refresh_rank_base

        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    out = tmp_path / "history.json"
    call_command("export_brief_history", str(brief.pk), output=str(out))
    history = json.loads(out.read_text(encoding="utf-8"))
    assert history["brief"]["id"] == brief.pk
    assert [e["to_status"] for e in history["events"]] == ["awaiting_approval", "awaiting_expert"]
    assert [(r["old_status"], r["new_status"]) for r in history["status_log"]] == [
        ("open", "awaiting_approval"),
        ("awaiting_approval", "awaiting_expert"),
    ]
    assert len(history["matches"]) == 2
    assert history["quotes"][0]["match"] == match.pk


def test_export_of_an_unknown_brief_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No brief"):
        call_command("export_brief_history", "-1")


# --- database timeouts, dump and restore (PostgreSQL) ---------------------------------------


@pytest.mark.django_db
def test_database_sessions_have_lock_and_statement_timeouts():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings")
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


@pytest.mark.django_db(transaction=True)
def test_a_dump_and_restore_round_trip_keeps_every_row():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore round trip")
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    host, port, user = db["HOST"] or "127.0.0.1", str(db["PORT"] or 5432), db["USER"]
    target = f"{db['NAME']}_restore"
    common = ["-h", host, "-p", port, "-U", user]
    dump = subprocess.run(
        ["pg_dump", *common, "-Fc", db["NAME"]], env=env, capture_output=True, check=True
    ).stdout
    subprocess.run(["dropdb", *common, "--if-exists", target], env=env, check=True)
    subprocess.run(["createdb", *common, target], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", *common, "-d", target, "--no-owner"],
            input=dump,
            env=env,
            check=True,
            capture_output=True,
        )
        tables = connection.introspection.table_names()

        def counts(dbname):
            out = subprocess.run(
                ["psql", *common, "-d", dbname, "-tA", "-c",
                 " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)],  # noqa: S608
                env=env, capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            return dict(line.split("|") for line in out.strip().splitlines())

        before, after = counts(db["NAME"]), counts(target)
        assert before == after
        assert int(before["marketplace_brief"]) >= 3
        assert int(before["experts_expert"]) > 50
        print(
            f"round trip kept {sum(int(n) for n in before.values())} rows in {len(tables)} tables"
        )
    finally:
        subprocess.run(["dropdb", *common, "--if-exists", target], env=env, check=True)


# --- NUL characters (PostgreSQL cannot hold them in text) -----------------------------------


@pytest.mark.django_db
def test_a_nul_in_a_pages_query_is_a_400_page(client, startup):
    factories.BriefFactory(startup=startup)
    client.force_login(startup.owner)
    response = client.get("/briefs/?status=%00")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    assert reverse("marketplace:brief_create") in response.content.decode()  # still signed in
    assert response["Content-Security-Policy"]  # the security headers are on it too


@pytest.mark.django_db
def test_a_nul_in_the_session_cookie_is_a_400_page_for_a_visitor(client):
    # Sent as plain ASCII, `sessionid="abcdefgh\000ijk"`: the octal escape is read as NUL.
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijk"
    response = client.get("/briefs/")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_a_nul_in_any_admin_changelist_filter_or_search_is_a_400(client, superuser):
    client.force_login(superuser)
    checked = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        filters = [f for f in model_admin.list_filter if isinstance(f, str)] or ["status"]
        for query in [f"{name}__exact=%00" for name in filters] + ["q=%00", "o=%00"]:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, (url, query)
            checked.append(f"{url}?{query}")
    print(f"{len(checked)} admin lists and filters refused NUL")
    assert "/admin/marketplace/brief/?status__exact=%00" in checked
    assert len(checked) > 30


# --- CSRF on every form of the site ----------------------------------------------------------


@pytest.mark.django_db
def test_every_page_refuses_a_signed_in_write_without_the_csrf_token():
    """Every address outside the API (tests/test_api_matrix.py has the API's writes), each write
    method, signed in with a session: Django's CSRF check refuses it before the view runs."""
    from django.test import Client

    from tests.test_api_matrix import snapshot

    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup)
    expert = factories.ExpertFactory()
    superuser = factories.UserFactory(role="admin", is_staff=True, is_superuser=True)
    browsers = {}
    for name, user in (("startup", startup.owner), ("expert", expert.user), ("admin", superuser)):
        browsers[name] = Client(enforce_csrf_checks=True)
        browsers[name].force_login(user)
    before = snapshot()
    passed, checked = [], 0
    for route in sorted(set(_walk(get_resolver().url_patterns))):
        url = _concrete(route).replace("/1/", f"/{brief.pk}/")
        if url.startswith(("/api/v1/", "/static/")) or "(?" in url:
            continue
        who = "admin" if url.startswith("/admin/") else "expert" if "expert" in url else "startup"
        for method in ("post", "put", "patch", "delete"):
            response = getattr(browsers[who], method)(url, {"title": "x"})
            checked += 1
            # Django's CSRF page; the schema and its docs (DRF views that only read) refuse in
            # DRF's session check, with their 403 page, or before it with a 415 for a form
            # body (the API reads JSON only).
            if url.startswith("/api/"):
                refused = response.status_code in (403, 415)
            else:
                refused = response.status_code == 403 and "403_csrf.html" in [
                    t.name for t in response.templates
                ]
            if not refused:
                passed.append((method, url, response.status_code))
    print(f"{checked} writes to pages without a CSRF token, all refused")
    assert passed == []
    assert checked > 250
    assert snapshot() == before


# --- access before input on the pages ----------------------------------------------------------


def _answer(send, route: str, pk: int, data: dict) -> tuple:
    response = send("/" + route.replace("<int:pk>", str(pk)), data)
    return response.status_code, response.get("Location", "").replace(str(pk), "{id}")


@pytest.mark.django_db
def test_a_page_answers_an_id_one_may_not_see_as_one_that_does_not_exist_whatever_the_form():
    """Every page that takes an id, every site role, a form full of bad values: another
    tenant's object gets exactly the answer of an id no object has (the API's routes:
    tests/test_api_matrix.py)."""
    from django.test import Client

    from tests.test_api_matrix import build_world, snapshot

    mine, theirs = build_world("quote"), build_world("quote")
    ids = {
        "briefs": theirs.brief.pk,
        "invitations": theirs.match.pk,
        "quotes": theirs.quote.pk,
        "files": theirs.file.pk,
    }
    bad_form = dict.fromkeys(
        ["title", "reason", "note", "comment", "review", "scope_days", "fixed_price", "rating"],
        "x" * 6000,
    ) | {"answer": "agree", "budget_min": "-1"}
    browsers = {}
    for role in ("owner", "exp", "pm"):
        browsers[role] = Client()
        browsers[role].force_login(mine.users[role])
    routes = [
        r for r in sorted(set(_walk(get_resolver().url_patterns)))
        if "<int:pk>" in r and not r.startswith(("admin/", "api/"))
    ]  # fmt: skip
    before = snapshot()
    checked = 0
    for route in routes:
        kind = next((k for k in ("invitations", "quotes", "files") if k in route), "briefs")
        for role, browser in browsers.items():
            for method in ("get", "post"):
                seen, unknown = (
                    _answer(getattr(browser, method), route, pk, bad_form)
                    for pk in (ids[kind], 999_999_999)
                )
                assert seen == unknown, (route, role, method)
                assert seen[0] in (302, 403, 404, 405), (route, role, method, seen)
                if role == "owner" and kind == "briefs" and method == "post":
                    assert seen[0] == 404, (route, seen)
                checked += 1
    print(f"{checked} requests with another tenant's id, answered as for no such id")
    assert checked >= 60
    assert snapshot() == before
