"""Logging in and resetting a password, as the pages show them (found by a new-user review)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kaigan-new-2026!"


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def test_the_login_page_offers_the_password_reset_once(client):
    page = client.get(reverse("account_login")).content.decode()
    assert page.count(f'href="{reverse("account_reset_password")}"') == 1


def test_a_password_reset_from_the_request_to_the_new_login(client):
    user = factories.UserFactory(email="known@example.com")

    page = client.get(reverse("account_reset_password")).content.decode()
    assert _title(page) == "重置密码 · 开干"
    assert "联系我们" not in page  # there is no contact page to send anyone to

    response = client.post(reverse("account_reset_password"), {"email": user.email}, follow=True)
    page = response.content.decode()
    assert "<h1>请查收邮件</h1>" in page
    assert f'href="{reverse("account_login")}"' in page

    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.body)[1]
    response = client.get(link, follow=True)
    assert "<h1>设置新密码</h1>" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    page = response.content.decode()
    assert "<h1>密码已修改</h1>" in page
    assert f'href="{reverse("account_login")}"' in page

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)


def test_a_used_or_broken_reset_link_says_so_and_offers_a_new_one(client):
    page = client.get("/accounts/password/reset/key/1-1/", follow=True).content.decode()
    assert "<h1>链接已失效</h1>" in page
    assert f'href="{reverse("account_reset_password")}"' in page
