"""schemathesis over the live OpenAPI schema, through the WSGI app, signed in as each role.

For each role (anonymous, a startup, an expert, a PM, a superuser) every operation of
/api/schema/ gets generated requests: schema-valid data (also aimed at the ids of real
objects of a small world), schema-invalid data, and the schema's own examples. Every answer
must be below 500, with a status code the schema documents for the operation, its content type
and a body that validates against the documented schema. Bounded: MAX_EXAMPLES per operation,
mode and role keeps the whole file to about a minute and a half on two cores.

The schemathesis pytest integration (`schemathesis.pytest.from_fixture`) does not run under
pytest 9 (it sets `Function._nodeid`), so each operation's Hypothesis test is built here from
its public `as_strategy()`; one failing operation does not hide the others.

Then the bodies of an outside attack (issue 17), sent to every operation of the schema as each
role: nested 10,000 levels deep, `null`, scalars, a list, a NUL in each field of the
operation's own example, a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`, and a NUL in each query
parameter. Every one is a 4xx in the error shape; about 15 s for the five roles.
"""

import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from experts.services import expert_refresh_rank_base
from kaigan.files.services import file_upload, files_attach
from marketplace.matching import propose_matches
from marketplace.models import Match, Quote
from marketplace.services import match_approve, quote_propose_change
from projects.services import invitation_accept, work_deliver
from tests import factories

#: Generated requests per operation, generation mode and role; KAIGAN_FUZZ_EXAMPLES=200 with
#: KAIGAN_FUZZ_RANDOM=1 explores further (new random data each run) for a longer local session.
MAX_EXAMPLES = int(os.environ.get("KAIGAN_FUZZ_EXAMPLES", "6"))


def _documented_types(operation: dict, status: int) -> set[str]:
    """The media types an operation documents for an answer (a download: a file's types)."""
    return set(operation.get("responses", {}).get(str(status), {}).get("content", {}))


def answers_json(ctx, response, case):
    """Every answer but a 204 and a file's bytes (an answer documented with other types) is
    JSON: no HTML error page from Django behind the API's back."""
    content_type = (response.headers.get("content-type") or [""])[0]
    documented = _documented_types(case.operation.definition.raw, response.status_code)
    if documented and "application/json" not in documented:
        return  # content_type_conformance checks the type
    if response.status_code != 204 and not content_type.startswith("application/json"):
        raise AssertionError(f"{response.status_code} answered with {content_type!r}, not JSON")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    answers_json,
]
ROLES = ["anonymous", "startup", "expert", "pm", "superuser"]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("KAIGAN_FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    """The project's WSGI app under the test settings, inside the test's transaction.

    Like Django's test client, keep the request signals from closing the test's connection.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class World:
    users: dict
    brief_ids: list[int]
    match_ids: list[int]
    quote_ids: list[int]
    file_ids: list[int]
    #: For each kind of id, the object the roles act on (the work under way, the invitation to
    #: it, the proposed quote change): a bad body sent there meets the input check itself.
    acting_ids: dict[str, int]


def _world(pm_user, superuser) -> World:
    """Briefs of one startup in several states, so that generated requests meet real objects."""
    experts = [factories.ExpertFactory() for _ in range(3)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    startup = factories.StartupFactory()
    briefs = [factories.BriefFactory(startup=startup, pm=pm_user) for _ in range(4)]
    open_brief, proposed, invited, working = briefs
    for brief in (proposed, invited, working):
        propose_matches(brief)
    # experts[0] works on one brief and is invited to another; experts[2] has delivered.
    engagement = working.matches.get(expert=experts[0])
    match_approve(match_id=engagement.pk, actor=pm_user)
    invitation_accept(match_id=engagement.pk, user=experts[0].user)
    invitation = invited.matches.get(expert=experts[0])
    match_approve(match_id=invitation.pk, actor=pm_user)
    quote_propose_change(brief_id=working.pk, user=experts[0].user, fixed_price=6000)
    delivered = factories.BriefFactory(startup=startup, pm=pm_user)
    propose_matches(delivered)
    done = delivered.matches.get(expert=experts[2])
    match_approve(match_id=done.pk, actor=pm_user)
    invitation_accept(match_id=done.pk, user=experts[2].user)
    work_deliver(brief_id=delivered.pk, user=experts[2].user)
    factories.NotificationFactory(recipient=startup.owner)
    # A reference file on the brief under way: its startup, PM and expert download it.
    reference = file_upload(
        user=startup.owner, uploaded=SimpleUploadedFile("参考.txt", "品牌调性：简洁。".encode())
    )
    files_attach(user=startup.owner, target=working, file_ids=[reference.pk])
    return World(
        users={
            "anonymous": None,
            "startup": startup.owner,
            "expert": experts[0].user,
            "pm": pm_user,
            "superuser": superuser,
        },
        brief_ids=[b.pk for b in [*briefs, delivered]],
        match_ids=list(
            Match.objects.filter(brief__in=[proposed, invited])
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        quote_ids=list(Quote.objects.order_by("pk").values_list("pk", flat=True)),
        file_ids=[reference.pk],
        acting_ids={
            "files": reference.pk,
            "briefs": working.pk,
            "matches": invitation.pk,
            "invitations": invitation.pk,
            "quotes": Quote.objects.get(brief=working, status=Quote.Status.PROPOSED).pk,
        },
    )


def _known_ids(world: World, path: str) -> list[int]:
    if path.startswith("/api/v1/briefs/{id}"):
        return world.brief_ids
    if re.match(r"^/api/v1/(matches|invitations)/\{id\}", path):
        return world.match_ids
    if path.startswith("/api/v1/quotes/{id}"):
        return world.quote_ids
    if path.startswith("/api/v1/files/{id}"):
        return world.file_ids
    return []


def _negatable(parameter) -> bool:
    """Security schemes show up as string headers and cookies: nothing invalid to send there."""
    return "x-original-security-type" not in parameter.definition


def _run(strategy, headers, token, statuses: Counter):
    """One Hypothesis test of one operation; the token is put back if a request revoked it."""

    @HYPOTHESIS
    @given(case=strategy)
    def check(case):
        if token is not None:
            factories.api_token_restore(token)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[f"{response.status_code // 100}xx"] += 1

    check()


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_within_its_schema_for_every_role(role, db, pm, superuser, wsgi_app, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")  # 4xx are expected here
    world = _world(pm, superuser)
    user = world.users[role]
    token = factories.api_token(user) if user is not None else None
    headers = {"Authorization": f"Token {token.key}"} if token else {}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)

    failures, operations, statuses = [], 0, Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategies = [
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            *schema.get_strategies_from_examples(operation),
        ]
        if operation.body or any(_negatable(p) for p in operation.iter_parameters()):
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        known = _known_ids(world, operation.path)
        if known:
            strategies.append(
                st.sampled_from(known).flatmap(
                    lambda pk, op=operation: op.as_strategy(path_parameters={"id": pk})
                )
            )
        for strategy in strategies:
            try:
                _run(strategy, headers, token, statuses)
            except Exception as exc:  # collect every failing operation, not only the first
                failures.append(f"{operation.label} as {role}:\n{exc}")
                break
    print(f"fuzz as {role}: {operations} operations, {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    assert operations >= 22  # the contract (ARCHITECTURE.md), notifications and token revocation
    assert "5xx" not in statuses
    # Signed in, a good share of the generated requests must get through to the services.
    assert statuses["2xx"] > (0 if role == "anonymous" else 20)


# --- bad bodies: every operation, every role, a 4xx in the error shape ------------------------

ERROR_KEYS = {"detail", "code", "errors"}
NUL_TEXT = "a\x00b"


def _bad_bodies() -> dict[str, str]:
    """The bodies an attacker sent (issue 17), each as raw JSON text."""
    return {
        "nested lists": "[" * 10_000 + "]" * 10_000,
        "nested objects": '{"a": ' * 10_000 + "1" + "}" * 10_000,
        "null": "null",
        "1": "1",
        "true": "true",
        "a string": '"text"',
        "a list": '[{"title": "x"}]',
        "over the upload limit": json.dumps(
            {"title": "x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        ),
    }


def _nul_bodies(operation: dict) -> dict[str, str]:
    """The operation's own example with a NUL in one field, for each field it takes."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return {}
    examples = [e["value"] for e in content.get("examples", {}).values()]
    example = examples[0] if examples and isinstance(examples[0], dict) else {}
    properties = _resolve(content["schema"]).get("properties", {})
    return {
        f"a NUL in {name}": json.dumps({**example, name: NUL_TEXT})
        for name, field in properties.items()
        if not field.get("readOnly")
    }


_SCHEMA: dict = {}


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_a_bad_body_with_a_4xx_in_the_error_shape(
    role, db, pm, superuser, caplog
):
    """Each operation of the schema, as each role, with each bad body; an id in the path is the
    object the signed-in roles act on. An operation that takes a body must refuse every one of
    them (4xx); one that takes none may ignore it, but never answers 5xx or anything but JSON.
    A NUL in any query parameter is a 400, whoever asks."""
    caplog.set_level(logging.ERROR, logger="django.request")
    world = _world(pm, superuser)
    user = world.users[role]
    client = APIClient(raise_request_exception=False)  # a 500 is a finding among the others
    if user is not None:
        token = factories.api_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    _SCHEMA.update(client.get("/api/schema/?format=json").json())
    fixed = _bad_bodies()

    failures, statuses, sent = [], Counter(), 0
    for path, operations in _SCHEMA["paths"].items():
        kind = path.split("/")[3]
        url = path.replace("{id}", str(world.acting_ids.get(kind, 1)))
        for method, operation in operations.items():
            takes_body = "requestBody" in operation
            for name, body in {**fixed, **_nul_bodies(operation)}.items():
                if user is not None:
                    factories.api_token_restore(token)
                response = client.generic(method, url, body, content_type="application/json")
                sent += 1
                status = response.status_code
                statuses[f"{status}"] += 1
                problem = None
                if status >= 500 or (takes_body and not 400 <= status < 500):
                    problem = f"answered {status}"
                elif status != 204 and response["Content-Type"] != "application/json":
                    if response["Content-Type"] not in _documented_types(operation, status):
                        problem = f"answered {response['Content-Type']}"
                elif status >= 400 and set(response.json()) != ERROR_KEYS:
                    problem = f"answered {response.json()}"
                if problem:
                    failures.append(f"{method.upper()} {path} with {name}: {problem}")
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                response = getattr(client, method)(f"{url}?{parameter['name']}=a%00b")
                sent += 1
                statuses[f"{response.status_code}"] += 1
                if response.status_code != 400 or set(response.json()) != ERROR_KEYS:
                    failures.append(
                        f"{method.upper()} {path} with a NUL in ?{parameter['name']}: "
                        f"answered {response.status_code}"
                    )
    print(f"bad bodies as {role}: {sent} requests, {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures)
    assert sent > 200
    if role != "anonymous":
        # The bodies reach the input checks, not only the doors in front of them.
        assert statuses["400"] > 30
