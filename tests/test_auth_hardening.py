"""Signing in, as an attacker would try it: forwarded addresses, guessing, unverified accounts,
tokens that outlive a password, and signup timing."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from kaigan.accounts.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is hashed (checked or set)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.test_auth_hardening.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.fixture
def login_limits(settings):
    """allauth's limits as production has them (the test settings turn them off)."""
    from django.core.cache import cache

    cache.clear()
    settings.ACCOUNT_RATE_LIMITS = {
        "login": "1000/m/ip",
        "login_failed": "100/m/ip,5/5m/key",
        "login_failed_site": "1000/m/key",
    }
    yield settings.ACCOUNT_RATE_LIMITS
    cache.clear()


def _token(client, email, password, **extra):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json", **extra)


# --- 1. forwarded addresses -----------------------------------------------------------------------


def test_a_changing_forwarded_for_header_does_not_make_one_client_many(rates, api_client):
    rates(token="3/min", anon="3/min")
    user = factories.UserFactory()
    answers = [
        _token(api_client, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    assert answers == [400, 400, 400, 429, 429]
    tags = [
        api_client.get("/api/v1/tags/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    assert tags == [200, 200, 200, 429, 429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client(rates, api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    rates(token="3/min")
    user = factories.UserFactory()
    # The client writes anything to the left; the proxy appends the address it saw.
    seen = [
        _token(
            api_client, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.7"
        ).status_code
        for n in range(4)
    ]
    assert seen == [400, 400, 400, 429]
    other = _token(api_client, user.email, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 400  # another client, its own budget


# --- 1. an account locked after failed logins, on every path --------------------------------------


def test_failed_logins_on_any_path_lock_the_account_without_hashing(
    login_limits, hashing, api_client
):
    user = factories.UserFactory(email="founder@example.com")
    browser = Client()
    for _ in range(3):
        assert _token(api_client, user.email, "wrong-1").status_code == 400
    for _ in range(2):
        page = browser.post("/accounts/login/", {"login": user.email, "password": "wrong-2"})
        assert page.status_code == 200  # the form again
    hashed = hashing.calls

    locked = _token(api_client, user.email, factories.PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked"
    page = browser.post("/accounts/login/", {"login": user.email, "password": factories.PASSWORD})
    assert page.status_code == 200
    assert "_auth_user_id" not in browser.session
    admin = Client().post("/admin/login/", {"login": user.email, "password": factories.PASSWORD})
    assert "_auth_user_id" not in admin.wsgi_request.session
    assert hashing.calls == hashed  # the locked attempts hashed nothing
    assert not ApiToken.objects.filter(user=user).exists()


def test_the_lock_answers_the_same_for_an_email_nobody_has(login_limits, api_client):
    answers = {}
    factories.UserFactory(email="known@example.com")
    for email in ("known@example.com", "nobody@example.com"):
        for _ in range(5):
            assert _token(api_client, email, "wrong").status_code == 400
        answers[email] = _token(api_client, email, "wrong").json()
    assert answers["known@example.com"] == answers["nobody@example.com"]
    assert answers["nobody@example.com"]["code"] == "locked"


def test_failed_logins_across_the_site_are_bounded_before_hashing(
    login_limits, hashing, api_client
):
    login_limits["login_failed_site"] = "3/m/key"
    users = [factories.UserFactory() for _ in range(5)]
    answers = [_token(api_client, u.email, "wrong").status_code for u in users[:3]]
    hashed = hashing.calls
    answers += [_token(api_client, u.email, "wrong").status_code for u in users[3:]]
    assert answers == [400, 400, 400, 429, 429]
    assert hashing.calls == hashed


def test_a_wrong_password_is_hashed_once(hashing, api_client):
    user = factories.UserFactory()
    hashing.calls = 0
    assert _token(api_client, user.email, "wrong").status_code == 400
    assert hashing.calls == 1  # one backend checks it (two did: each hashed it)


# --- 2. mandatory email verification --------------------------------------------------------------


def test_an_unverified_account_gets_no_token_where_verification_is_mandatory(settings, api_client):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user = factories.StartupFactory().owner
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    wrong = _token(api_client, user.email, "wrong")
    assert wrong.status_code == 400  # a wrong password learns nothing about verification
    refused = _token(api_client, user.email, factories.PASSWORD)
    assert refused.status_code == 403
    assert "Verify your email" in refused.json()["detail"] or "验证" in refused.json()["detail"]
    assert not ApiToken.objects.filter(user=user).exists()

    EmailAddress.objects.filter(user=user).update(verified=True)
    assert _token(api_client, user.email, factories.PASSWORD).status_code == 200

    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    other = factories.StartupFactory().owner
    assert _token(api_client, other.email, factories.PASSWORD).status_code == 200


# --- 3. tokens: lifetime, list, revoke, and a new password ends them ------------------------------


def _signed_in(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_tokens_are_listed_and_revoked_one_by_one(api_client):
    user = factories.StartupFactory().owner
    laptop = _token(api_client, user.email, factories.PASSWORD, **{}).json()["token"]
    phone_answer = api_client.post(
        TOKEN_URL,
        {"email": user.email, "password": factories.PASSWORD, "name": "phone"},
        format="json",
    )
    phone = phone_answer.json()["token"]
    listed = _signed_in(laptop).get("/api/v1/auth/tokens/").json()
    assert [(t["name"], t["current"], t["prefix"]) for t in listed] == [
        ("phone", False, phone[:8]),
        ("", True, laptop[:8]),
    ]
    assert all("key" not in t and "key_hash" not in t for t in listed)

    stranger = factories.api_token(factories.StartupFactory().owner)
    assert _signed_in(laptop).delete(f"/api/v1/auth/tokens/{stranger.pk}/").status_code == 404
    assert _signed_in(stranger.key).get("/api/v1/briefs/").status_code == 200

    assert _signed_in(laptop).delete(f"/api/v1/auth/tokens/{listed[0]['id']}/").status_code == 204
    assert _signed_in(phone).get("/api/v1/briefs/").status_code == 401
    assert _signed_in(laptop).delete(TOKEN_URL).status_code == 204  # signs out this one
    assert _signed_in(laptop).get("/api/v1/briefs/").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()


def test_an_expired_token_is_refused(api_client):
    user = factories.StartupFactory().owner
    token = factories.api_token(user)
    assert _signed_in(token.key).get("/api/v1/briefs/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = _signed_in(token.key).get("/api/v1/briefs/")
    assert answer.status_code == 401
    assert answer.json()["code"] == "authentication_failed"


def test_an_issued_token_lasts_the_configured_lifetime(api_client, settings):
    settings.KAIGAN_API_TOKEN_LIFETIME = timedelta(days=7)
    user = factories.StartupFactory().owner
    before = timezone.now()
    _token(api_client, user.email, factories.PASSWORD)
    token = ApiToken.objects.get(user=user)
    assert before + timedelta(days=7) <= token.expires_at <= timezone.now() + timedelta(days=7)


def test_a_person_holds_at_most_the_configured_number_of_tokens(api_client, settings):
    settings.KAIGAN_API_TOKENS_PER_USER = 3
    user = factories.StartupFactory().owner
    keys = [_token(api_client, user.email, factories.PASSWORD).json()["token"] for _ in range(4)]
    assert ApiToken.objects.filter(user=user).count() == 3
    assert _signed_in(keys[0]).get("/api/v1/briefs/").status_code == 401  # the oldest went
    assert _signed_in(keys[3]).get("/api/v1/briefs/").status_code == 200


def test_a_password_change_revokes_every_token():
    user = factories.StartupFactory().owner
    keys = [factories.api_token(user).key for _ in range(2)]
    browser = Client()
    browser.force_login(user)
    changed = browser.post(
        "/accounts/password/change/",
        {
            "oldpassword": factories.PASSWORD,
            "password1": "a-new-long-passphrase-2027",
            "password2": "a-new-long-passphrase-2027",
        },
    )
    assert changed.status_code == 302
    for key in keys:
        assert _signed_in(key).get("/api/v1/briefs/").status_code == 401


def test_a_password_reset_revokes_every_token():
    user = factories.StartupFactory().owner
    key = factories.api_token(user).key
    browser = Client()
    browser.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body)[0]
    form = browser.get(link, follow=True)
    assert form.status_code == 200
    done = browser.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "a-new-long-passphrase-2027", "password2": "a-new-long-passphrase-2027"},
    )
    assert done.status_code == 302
    assert _signed_in(key).get("/api/v1/briefs/").status_code == 401


def test_a_password_set_by_an_administrator_revokes_every_token():
    user = factories.StartupFactory().owner
    key = factories.api_token(user).key
    user.set_password("set-by-the-admin-2027")
    user.save()
    assert _signed_in(key).get("/api/v1/briefs/").status_code == 401


def test_other_saves_of_the_account_keep_its_tokens():
    user = factories.StartupFactory().owner
    key = factories.api_token(user).key
    user.name = "王小明"
    user.save()
    Client().post("/accounts/login/", {"login": user.email, "password": factories.PASSWORD})
    assert _signed_in(key).get("/api/v1/briefs/").status_code == 200


# --- 7. signup timing -----------------------------------------------------------------------------


def _signup(email):
    return Client().post(
        "/accounts/signup/",
        {
            "email": email,
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
            "role": "startup",
        },
    )


def test_a_signup_with_a_taken_email_hashes_the_password_as_a_new_one_does(hashing, settings):
    # Production's setting: the page then never says that the email is taken (with optional
    # verification it says so, and there is nothing left to hide).
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    factories.UserFactory(email="taken@example.com")
    hashing.calls = 0
    assert _signup("new@example.com").status_code == 302
    new_account = hashing.calls
    hashing.calls = 0
    assert _signup("taken@example.com").status_code == 302
    assert hashing.calls == new_account == 1
