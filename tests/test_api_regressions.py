"""What the schemathesis run (tests/test_api_fuzz.py) found, pinned down one case at a time."""

import json

import pytest

from tests import factories
from tests.conftest import client_for

ERROR_KEYS = {"detail", "code", "errors"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/briefs/I%0A%C2%BA/dissatisfaction/",  # a newline in the id
        "/api/v1/briefs/1%0A/",
        "/api/v1/briefs/99999999999999999999999/",  # more than a bigint holds
        "/api/v1/matches/0/approve/",
        "/api/v1/briefs/-1/",
        "/api/v1/no-such-thing/",
    ],
)
def test_a_path_the_api_does_not_have_is_a_json_404(path):
    response = client_for(factories.UserFactory()).post(path)
    _error(response, 404, "not_found")


@pytest.mark.django_db
def test_delivering_a_brief_that_does_not_exist_is_a_404(expert):
    response = client_for(expert.user).post("/api/v1/briefs/999999/deliver/")
    _error(response, 404, "not_found")


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_a_415_in_the_error_shape():
    # The API reads JSON bodies only: a form is refused before it is parsed.
    user = factories.UserFactory()
    factories.NotificationFactory(recipient=user)
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = client_for(user).generic(
        "POST",
        "/api/v1/notifications/read/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    _error(response, 415, "unsupported_media_type")
    assert user.notifications.filter(read_at__isnull=True).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("media", ["multipart", "form"])
def test_a_form_body_is_refused_rather_than_read_by_other_rules(startup, media):
    # As a form, an empty title was no value: 200 and nothing changed; as JSON it is a 400.
    brief = factories.BriefFactory(startup=startup, title="新品发布")
    client = client_for(startup.owner)
    url = f"/api/v1/briefs/{brief.pk}/"
    if media == "multipart":
        response = client.patch(url, {"title": ""}, format="multipart")
    else:
        response = client.generic(
            "PATCH", url, "title=", content_type="application/x-www-form-urlencoded"
        )
    body = _error(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in body["detail"] or "urlencoded" in body["detail"]
    as_json = client.patch(url, {"title": ""}, format="json")
    assert list(_error(as_json, 400, "invalid")["errors"]) == ["title"]
    brief.refresh_from_db()
    assert (brief.title, brief.version) == ("新品发布", 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/notifications/", "/api/v1/briefs/", "/api/v1/invitations/"]
)
def test_a_utc_offset_postgresql_cannot_hold_still_filters(url, expert, startup):
    user = expert.user if "invitations" in url else startup.owner
    # Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59: compared in UTC.
    key = "invited_before" if "invitations" in url else "created_before"
    response = client_for(user).get(url, {key: "2030-01-24T07:55:44+20:46"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_date_out_of_range_in_utc_is_a_400(startup):
    response = client_for(startup.owner).get(
        "/api/v1/briefs/", {"created_after": "9999-12-31T23:00:00-05:00"}
    )
    body = _error(response, 400, "invalid")
    assert list(body["errors"]) == ["created_after"]


@pytest.mark.django_db
def test_an_invalid_item_of_a_list_is_named_by_its_index():
    response = client_for(factories.UserFactory()).post(
        "/api/v1/notifications/read/", {"ids": [3, "x"]}, format="json"
    )
    body = _error(response, 400, "invalid")
    assert list(body["errors"]) == ["ids.1"]


@pytest.mark.django_db
def test_a_revoked_token_does_not_stop_signing_in_again(api_client):
    user = factories.UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    credentials = {"email": user.email, "password": factories.PASSWORD}
    response = api_client.post("/api/v1/auth/token/", credentials, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    # Elsewhere a token that is not valid is refused, even where no sign-in is needed.
    _error(api_client.get("/api/v1/tags/"), 401, "authentication_failed")


@pytest.mark.django_db
def test_options_on_the_brief_list_describes_what_a_post_takes(startup):
    response = client_for(startup.owner).options("/api/v1/briefs/")
    assert response.status_code == 200
    post = response.json()["actions"]["POST"]
    for name in ("title", "description", "tag", "budget_min", "budget_max", "deadline"):
        assert post[name]["read_only"] is False, name
    assert post["title"]["required"] is True
    # Output-only fields of a brief are not offered as input.
    assert "status" not in post
    assert "pm" not in post


@pytest.mark.django_db
def test_an_empty_status_filter_means_no_filter(startup):
    from marketplace.models import Brief

    factories.BriefFactory(startup=startup, status=Brief.Status.OPEN)
    factories.BriefFactory(startup=startup, status=Brief.Status.CANCELLED)
    client = client_for(startup.owner)

    assert client.get("/api/v1/briefs/?status=").json()["count"] == 2
    only_open = client.get("/api/v1/briefs/?status=&status=open").json()
    assert [b["status"] for b in only_open["results"]] == ["open"]
    bad = client.get("/api/v1/briefs/?status=nope")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


# --- issue 17: bad bodies and NUL characters are a 400 in the error shape, never a 500 -------

NESTED = "[" * 10_000 + "]" * 10_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("anonymous", "POST", "/api/v1/auth/token/"),
        ("startup", "POST", "/api/v1/briefs/"),
        ("startup", "PATCH", "/api/v1/briefs/{brief}/"),
        ("expert", "PATCH", "/api/v1/experts/me/"),
        ("expert", "PUT", "/api/v1/experts/me/tag/"),
        ("startup", "POST", "/api/v1/notifications/read/"),
    ],
)
@pytest.mark.parametrize(
    "body",
    [NESTED, '{"a": ' * 10_000 + "1" + "}" * 10_000, "null", "1", "true", '"text"', "[]"],
    ids=["nested-lists", "nested-objects", "null", "1", "true", "string", "list"],
)
def test_a_body_too_deep_or_not_an_object_is_a_400(role, method, path, body, startup, expert):
    from marketplace.models import Brief

    brief = factories.BriefFactory(startup=startup, title="原标题")
    user = {"anonymous": None, "startup": startup.owner, "expert": expert.user}[role]
    response = client_for(user).generic(
        method, path.format(brief=brief.pk), body, content_type="application/json"
    )
    _error(response, 400, "parse_error")
    assert Brief.objects.count() == 1
    brief.refresh_from_db()
    assert brief.title == "原标题"


def test_the_depth_counts_arrays_and_objects_but_not_brackets_in_strings():
    from kaigan.api.parsers import MAX_DEPTH, json_depth_exceeds

    assert not json_depth_exceeds("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert json_depth_exceeds("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert json_depth_exceeds('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))
    # Wide is fine, and brackets (or escaped quotes) inside strings are text.
    assert not json_depth_exceeds("[" + ",".join(["[[]]"] * 5000) + "]")
    assert not json_depth_exceeds(json.dumps({"title": '[[{{"\\' * 1000, "tags": [["a"]]}))


@pytest.mark.django_db
def test_a_body_at_the_depth_limit_is_read_and_answered_field_by_field(startup):
    from kaigan.api.parsers import MAX_DEPTH

    title = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # the object itself is one level
    response = client_for(startup.owner).generic(
        "POST", "/api/v1/briefs/", f'{{"title": {title}}}', content_type="application/json"
    )
    body = _error(response, 400, "invalid")
    assert body["errors"]["title"] == ["不是有效的字符串。"]


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_a_400(startup, settings):
    from marketplace.models import Brief

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "长" * 2000, "description": "x"})
    response = client_for(startup.owner).generic(
        "POST", "/api/v1/briefs/", body, content_type="application/json"
    )
    _error(response, 400, "parse_error")
    assert Brief.objects.count() == 0


@pytest.mark.django_db
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(startup):
    factories.BriefFactory(startup=startup)
    response = client_for(startup.owner).get("/api/v1/briefs/?status=%00")
    body = _error(response, 400, "invalid")
    assert body["errors"] == {"status": ["此处不能包含 NUL 字符。"]}


@pytest.mark.django_db
def test_a_nul_in_the_token_header_is_a_400(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789\x00abcdef")
    _error(api_client.get("/api/v1/briefs/"), 400, "parse_error")


@pytest.mark.django_db
def test_a_nul_in_the_session_cookie_is_a_400(api_client, settings):
    # Sent as plain ASCII, `sessionid="abcdefgh\000ijk"`: the octal escape is read as NUL.
    api_client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijk"
    assert '"abcdefgh\\000ijk"' in api_client.cookies.output()
    _error(api_client.get("/api/v1/briefs/"), 400, "parse_error")
