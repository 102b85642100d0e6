"""The OpenAPI schema is valid and complete, and the docs page needs nothing from another site."""

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
    validate,
)
from openapi_spec_validator import validate as validate_spec

from kaigan.files.validation import TYPES
from tests.conftest import client_for

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
    # Working on Kaigan (issue 20): files.
    ("post", "/api/v1/files/"),
    ("get", "/api/v1/files/{id}/download/"),
    # Money (issue 21).
    ("get", "/api/v1/briefs/{id}/funding/"),
    ("post", "/api/v1/briefs/{id}/funding/"),
    ("get", "/api/v1/briefs/{id}/statement/"),
    ("get", "/api/v1/experts/me/balance/"),
    ("get", "/api/v1/experts/me/payouts/"),
    ("get", "/api/v1/invoices/"),
    ("post", "/api/v1/invoices/"),
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
    validate_spec(schema)  # raises on the first violation of the OpenAPI 3 specification


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


# --- What a generated client relies on (issue 17) ---------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _nullable_refs(node):
    """drf-spectacular writes a nullable object as `{allOf: [ref], nullable: true}`, which
    client generators read as "the object or null"; the validator reads `nullable` only beside
    `type` (OpenAPI 3.0.3). Spelled out here as the generators read it."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") and "allOf" in node and "type" not in node:
        rest = {key: value for key, value in node.items() if key != "nullable"}
        return {"anyOf": [rest, {"enum": [None]}]}
    return node


def conforms(instance, spec: dict, component: str, *, read: bool = True) -> None:
    """Raise unless `instance` is a valid `component` of the schema `spec` (an answer when
    `read`, a request body otherwise)."""
    validator = OAS30ReadValidator if read else OAS30WriteValidator
    schema = {
        "$ref": f"#/components/schemas/{component}",
        "components": _nullable_refs(spec["components"]),
    }
    validate(
        instance, schema, cls=validator, check_schema=False, format_checker=oas30_format_checker
    )


def _texts_outside_examples(node, where=""):
    """Every key and string of the schema but the examples' values (their content is data)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key
            if key not in ("examples", "example"):
                yield from _texts_outside_examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _texts_outside_examples(item, where)
    elif isinstance(node, str):
        yield where, node


def _chinese(spec) -> list[str]:
    # The description names the platform's word for an expert (外脑) on purpose.
    return [
        f"{where}: {text}"
        for where, text in _texts_outside_examples(spec)
        if CJK.search(text) and not where.startswith("/info")
    ]


#: Operations whose view reads another media type by its own `parser_classes` (a file upload):
#: (method, path) → their media types. Every other one reads JSON only.
OWN_MEDIA_TYPES: dict[tuple[str, str], list[str]] = {
    ("post", "/api/v1/files/"): ["multipart/form-data"],
}


def test_request_bodies_are_json_only(schema):
    for method, path, operation in _operations(schema):
        if "requestBody" in operation:
            media = OWN_MEDIA_TYPES.get((method, path), ["application/json"])
            assert list(operation["requestBody"]["content"]) == media, (method, path)
            assert "media types of its request body" in operation["responses"]["415"]["description"]


def test_the_token_scheme_declares_its_prefix(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert {key: scheme[key] for key in ("type", "in", "name")} == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert "`Authorization: Token <key>`" in scheme["description"]
    assert "not `Bearer`" in scheme["description"]
    assert 'prefix="Token"' in scheme["description"]


def test_the_schema_is_in_english_whatever_the_language(client, db, tmp_path, settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    served = client.get(
        "/api/schema/", {"format": "json"}, headers={"accept-language": "zh-hans"}
    ).json()
    asked = client.get("/api/schema/", {"format": "json", "lang": "zh-hans"}).json()
    call_command("spectacular", "--format", "openapi-json", "--file", tmp_path / "s.json")
    written = json.loads((tmp_path / "s.json").read_text())
    for spec in (served, asked, written):
        assert _chinese(spec) == []
        status = spec["components"]["schemas"]["BriefStatusEnum"]["description"]
        assert "* `open` - Open" in status
        # The filters' inline enums are named after their English labels by client generators.
        parameters = spec["paths"]["/api/v1/briefs/"]["get"]["parameters"]
        (state,) = (p for p in parameters if p["name"] == "status")
        assert state["schema"]["items"].get("title", "Status") == "Status"
    # The language of the rest of the site is untouched.
    assert "开干" in client.get("/", headers={"accept-language": "zh-hans"}).content.decode()


def test_an_unknown_language_asked_of_the_schema_is_ignored(client, db):
    response = client.get("/api/schema/", {"format": "json", "lang": "xx-nope"})
    assert response.status_code == 200
    assert _chinese(response.json()) == []


def test_the_rules_only_enforced_are_documented(schema):
    parameters = schema["paths"]["/api/v1/briefs/{id}/matches/"]["get"]["parameters"]
    (round_,) = (p for p in parameters if p["name"] == "round")
    assert round_["schema"]["minimum"] == 1
    brief_in = schema["components"]["schemas"]["BriefInputRequest"]["properties"]
    assert "two years" in brief_in["deadline"]["description"]
    assert "After today" in brief_in["deadline"]["description"]
    assert "budget_min" in brief_in["budget_max"]["description"]
    post = schema["paths"]["/api/v1/briefs/"]["post"]["description"]
    assert "after today" in post
    assert "two years" in post


def test_expert_tag_is_nullable(schema):
    tag = schema["components"]["schemas"]["ExpertOutput"]["properties"]["tag"]
    assert tag["nullable"] is True


def test_the_score_breakdown_has_a_schema(schema):
    components = schema["components"]["schemas"]
    for owner in ("MatchOutput", "Invitation"):
        breakdown = components[owner]["properties"]["breakdown"]
        assert breakdown["allOf"] == [{"$ref": "#/components/schemas/ScoreBreakdown"}]
    parts = components["ScoreBreakdown"]["properties"]
    assert {"rating", "experience", "free_capacity", "activity", "newcomer", "rate_fit"} <= set(
        parts
    )
    assert {"rating_avg", "picked_by_pm"} <= set(parts)
    # What ranking stores, and what picking by hand stores, are both valid breakdowns.
    from marketplace.matching.scoring import BriefTerms, ExpertSignals, score_candidate

    candidate = score_candidate(
        ExpertSignals(1, "x", 1500, 9, 2, 3, 3, 1, None),
        BriefTerms(5000, 10000),
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert set(candidate.breakdown) <= set(parts)
    conforms(candidate.breakdown, schema, "ScoreBreakdown")
    conforms({"picked_by_pm": 1}, schema, "ScoreBreakdown")


def _examples(content: dict) -> list[dict]:
    return [example["value"] for example in content.get("examples", {}).values()]


def _component(media: dict) -> str | None:
    ref = media["schema"].get("$ref") or media["schema"].get("items", {}).get("$ref")
    return ref and ref.rsplit("/", 1)[1]


def test_every_example_is_valid_by_its_own_schema(schema):
    checked = 0
    for _method, _path, operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            for value in _examples(body):
                conforms(value, schema, _component(body), read=False)
                checked += 1
        for response in operation["responses"].values():
            media = response.get("content", {}).get("application/json")
            if not media or not _component(media):
                continue
            for value in _examples(media):
                # An unpaginated list's example is the list itself (of the items' component).
                for item in value if isinstance(value, list) else [value]:
                    conforms(item, schema, _component(media))
                checked += 1
    assert checked >= 50


def test_the_brief_example_of_the_schema_is_accepted(schema, startup):
    example = schema["paths"]["/api/v1/briefs/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]["NewBrief"]["value"]
    response = client_for(startup.owner).post("/api/v1/briefs/", example, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"] == example["deadline"]


def _names(name: str) -> str:
    return name.split(".", 1)[0]  # `ids.1` is the item 1 of `ids`


def test_error_examples_belong_to_their_operation(schema):
    components = schema["components"]["schemas"]
    for method, path, operation in _operations(schema):
        label = f"{method.upper()} {path}"
        fields = {p["name"] for p in operation.get("parameters", [])} | {"non_field_errors"}
        content = operation.get("requestBody", {}).get("content", {})
        body = content.get("application/json") or content.get("multipart/form-data")
        if body:
            fields |= set(components[_component(body)]["properties"])
        for status in ("400", "403", "409", "413"):
            if status not in operation["responses"]:
                continue
            examples = _examples(operation["responses"][status]["content"]["application/json"])
            assert examples, f"{label} {status} has no example of its own"
            for value in examples:
                named = {_names(field) for field in value["errors"]}
                assert named <= fields, f"{label} {status}: {named - fields}"
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["400"]
    (wrong,) = _examples(token["content"]["application/json"])
    assert wrong["errors"] == {"non_field_errors": ["Email or password is not correct."]}
    accept = schema["paths"]["/api/v1/briefs/{id}/accept/"]["post"]["responses"]["409"]
    details = [e["detail"] for e in _examples(accept["content"]["application/json"])]
    assert details == ["Only delivered work can be accepted."]
    cancelled = [
        f"{method} {path}"
        for method, path, operation in _operations(schema)
        for response in operation["responses"].values()
        for value in _examples(response.get("content", {}).get("application/json", {}))
        if "cannot be cancelled" in json.dumps(value, ensure_ascii=False)
    ]
    assert cancelled == ["post /api/v1/briefs/{id}/cancel/"]


def test_the_upload_is_multipart_with_a_binary_file_and_the_download_is_bytes(schema):
    upload = schema["paths"]["/api/v1/files/"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": form["properties"]["file"]["description"],
    }
    assert form["required"] == ["file"]
    assert set(upload["responses"]) == {"201", "400", "401", "413", "415", "429"}
    created = upload["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][created.rsplit("/", 1)[1]]["required"] == [
        "content_type",
        "id",
        "name",
        "size",
    ]
    download = schema["paths"]["/api/v1/files/{id}/download/"]["get"]
    # The bytes, documented with each type a stored file may have.
    assert download["responses"]["200"]["content"] == {
        content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in TYPES
    }
    assert "302" in download["responses"]
    detail = schema["paths"]["/api/v1/briefs/{id}/"]["get"]["responses"]["200"]
    brief = detail["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    files = schema["components"]["schemas"][brief]["properties"]["files"]
    assert files["type"] == "array"
