"""The OpenAPI schema is valid and complete, and the docs page needs nothing from another site."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate

#: The contract (ARCHITECTURE.md), plus token revocation and one's notifications (issue 8).
CONTRACT = [
    ("post", "/api/v1/auth/token/"),
    ("delete", "/api/v1/auth/token/"),
    ("get", "/api/v1/tags/"),
    ("get", "/api/v1/experts/me/"),
    ("patch", "/api/v1/experts/me/"),
    ("put", "/api/v1/experts/me/tag/"),
    ("get", "/api/v1/briefs/"),
    ("post", "/api/v1/briefs/"),
    ("get", "/api/v1/briefs/{id}/"),
    ("patch", "/api/v1/briefs/{id}/"),
    ("post", "/api/v1/briefs/{id}/cancel/"),
    ("get", "/api/v1/briefs/{id}/matches/"),
    ("post", "/api/v1/matches/{id}/approve/"),
    ("post", "/api/v1/matches/{id}/reject/"),
    ("get", "/api/v1/invitations/"),
    ("post", "/api/v1/invitations/{id}/accept/"),
    ("post", "/api/v1/invitations/{id}/decline/"),
    ("post", "/api/v1/briefs/{id}/deliver/"),
    ("post", "/api/v1/briefs/{id}/accept/"),
    ("post", "/api/v1/briefs/{id}/dissatisfaction/"),
    ("get", "/api/v1/notifications/"),
    ("post", "/api/v1/notifications/read/"),
]
METHODS = {"get", "post", "put", "patch", "delete"}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on the first violation of the OpenAPI 3 specification


def test_schema_generation_has_no_warning(tmp_path):
    # --fail-on-warn: an unresolvable serializer or an unnamed enum collision fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")


def test_every_path_of_the_contract_is_in_the_schema(schema):
    documented = {(method, path) for method, path, _op in _operations(schema)}
    missing = [f"{m.upper()} {p}" for m, p in CONTRACT if (m, p) not in documented]
    assert missing == []


def test_every_operation_is_summarised_and_documents_its_errors(schema):
    for method, path, operation in _operations(schema):
        label = f"{method.upper()} {path}"
        assert operation.get("summary"), label
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), label
        assert "429" in responses, label
        if {"tokenAuth": []} in operation.get("security", []):
            assert "401" in responses, label
        if "{id}" in path:
            assert "404" in responses, label
        if "requestBody" in operation:
            assert {"400", "415"} <= set(responses), label
        for code, response in responses.items():
            if code.startswith("4"):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": ERROR_REF}, f"{label} {code}"


def test_the_error_shape_is_documented(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "errors"}
    assert error["properties"]["errors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_statuses_and_reasons_are_named_enums(schema):
    components = schema["components"]["schemas"]
    assert components["BriefStatusEnum"]["enum"] == [
        "open",
        "awaiting_approval",
        "awaiting_expert",
        "in_progress",
        "delivered",
        "completed",
        "rematching",
        "needs_attention",
        "cancelled",
    ]
    assert "approved" in components["MatchStatusEnum"]["enum"]
    assert components["DissatisfactionReasonEnum"]["enum"] == [
        "quality",
        "communication",
        "deadline",
        "fit",
        "brief_unclear",
    ]
    assert "invitation_received" in components["NotificationKindEnum"]["enum"]
    generic = [name for name in components if re.fullmatch(r"(Status|Reason|Kind)\d*Enum", name)]
    assert generic == []


def test_requests_and_answers_have_examples(schema):
    examples = 0
    for _method, _path, operation in _operations(schema):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            examples += len(content.get("examples", {}))
    assert examples >= 10
    briefs = schema["paths"]["/api/v1/briefs/"]["post"]["responses"]["201"]
    assert briefs["content"]["application/json"]["examples"]


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1


def _same_origin(url: str) -> bool:
    """A relative URL, or an absolute one to this site (the test client's host)."""
    netloc = urlsplit(url).netloc
    return not netloc or netloc == "testserver"


def test_the_docs_page_loads_no_asset_from_another_site(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    assert page.urls, "the page should load Swagger UI"
    assert [url for url in page.urls if not _same_origin(url)] == []
    # The content security policy allows no inline script: everything comes from a file.
    assert page.inline_scripts == 0
    for url in page.urls:
        path = urlsplit(url).path
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), f"{path} is not served here"

    initializer = next(url for url in page.urls if url.startswith("/api/docs/"))
    script = client.get(initializer)
    assert script.status_code == 200
    source = script.content.decode()
    foreign = [
        url
        for url in re.findall(r"""https?://[^\s"'`)]+""", source)
        if urlsplit(url).netloc != "testserver"
    ]
    assert foreign == []
    settings_json = re.search(r"const swaggerSettings = (\{.*?\});", source, re.S).group(1)
    # No online validator badge, which would fetch an image from validator.swagger.io.
    assert json.loads(settings_json)["validatorUrl"] is None
