"""Token authentication reads the token, its user and the user's startup in one statement
written once (kaigan.api.authentication): the objects it builds are the ones the ORM builds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from kaigan.accounts.models import ApiToken
from kaigan.accounts.tokens import api_token_hash
from kaigan.api.authentication import TokenAuthentication
from tests import factories

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _orm(key):
    return ApiToken.objects.select_related("user__startup").get(key_hash=api_token_hash(key))


@pytest.mark.parametrize("role", ["startup", "pm", "expert"])
def test_the_user_and_startup_are_the_ones_the_orm_reads(role):
    if role == "startup":
        user = factories.StartupFactory(company_name="水杯科技").owner
    elif role == "pm":
        user = factories.ProjectManagerFactory().user
    else:
        user = factories.ExpertFactory().user
    token = factories.api_token(user)

    with CaptureQueriesContext(connection) as queries:
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)
        startup = getattr(found_user, "startup", None)  # read with the user: no query
        assert found_token.user is found_user
    assert len(queries) == 1

    expected = _orm(token.key)
    assert _fields(found_token) == _fields(expected)
    assert _fields(found_user) == _fields(expected.user)
    assert found_user._state.adding is False
    assert found_user._state.db == "default"
    if role == "startup":
        assert _fields(startup) == _fields(expected.user.startup)
        assert startup.owner is found_user
        assert str(startup) == "水杯科技"
    else:
        assert startup is None


def test_unknown_and_inactive_tokens_are_refused_with_drf_messages():
    user = factories.StartupFactory().owner
    token = factories.api_token(user)
    with pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials("0" * 40)
    assert str(refused.value.detail) == gettext("Invalid token.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials(token.key)
    assert str(refused.value.detail) == gettext("Invalid token.")


def test_a_token_signs_in_over_http_and_a_revoked_one_no_longer_does():
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup)
    other = factories.BriefFactory()
    client = APIClient()
    key = client.post(
        "/api/v1/auth/token/",
        {"email": startup.owner.email, "password": factories.PASSWORD},
        format="json",
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    listed = client.get("/api/v1/briefs/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [brief.pk]
    assert client.get(f"/api/v1/briefs/{other.pk}/").status_code == 404

    assert client.delete("/api/v1/auth/token/").status_code == 204
    refused = client.get("/api/v1/briefs/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"


def test_a_tokens_use_is_noted_at_most_once_an_hour():
    from datetime import timedelta

    from django.utils import timezone

    token = factories.api_token(factories.StartupFactory().owner)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_hours_ago)
    with CaptureQueriesContext(connection) as queries:
        TokenAuthentication().authenticate_credentials(token.key)
    assert len(queries) == 2  # read, and the use noted
    noted = ApiToken.objects.get(pk=token.pk).last_used_at
    assert noted > two_hours_ago
    with CaptureQueriesContext(connection) as queries:
        TokenAuthentication().authenticate_credentials(token.key)
    assert len(queries) == 1  # again within the hour: nothing written
    assert ApiToken.objects.get(pk=token.pk).last_used_at == noted
