"""Error answers in the browser are pages of the site, in the visitor's language."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from tests import factories

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "页面不存在"), ("en", "Page not found")]
)
def test_an_unknown_address_is_a_404_page_in_the_visitors_language(
    client, settings, language, heading
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = _page(response)
    assert f"<h1>{heading}</h1>" in page
    assert 'class="site-header"' in page  # the site's layout, with its way back
    assert f'href="{reverse("home")}"' in page


def test_another_roles_page_is_a_403_page_that_says_why(client):
    client.force_login(factories.ExpertFactory().user)
    response = client.get(reverse("marketplace:brief_list"))
    assert response.status_code == 403
    page = _page(response)
    assert "<h1>无权访问</h1>" in page
    assert "创业公司、专家和项目经理各有自己的页面" in page


def test_a_visit_to_a_form_only_address_is_a_405_page_and_keeps_allow(client, startup):
    brief = factories.BriefFactory(startup=startup)
    client.force_login(startup.owner)
    response = client.get(reverse("marketplace:brief_cancel", args=[brief.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "<h1>请使用页面上的按钮</h1>" in _page(response)


def test_the_apis_405_stays_json(client, startup):
    from tests.conftest import client_for

    response = client_for(startup.owner).delete(reverse("api-briefs"))
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


def test_a_form_sent_without_its_csrf_token_gets_a_page_that_says_what_to_do(startup):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(startup.owner)
    response = browser.post(reverse("marketplace:brief_create"), {"title": "x"})
    assert response.status_code == 403
    assert "重新加载页面" in _page(response)


def test_the_500_page_stands_alone_and_speaks_chinese():
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = server_error(request)
    assert response.status_code == 500
    page = _page(response)
    assert "服务器出了问题" in page
    assert "已保存的内容不会丢失" in page
