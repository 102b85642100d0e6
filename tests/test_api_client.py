"""Issue 17: a Python client generated from the published schema (openapi-python-client) imports,
and drives the whole journey against a live server, every answer valid by the schema."""

import importlib
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from projects import services
from tests import factories
from tests.test_api_schema import conforms

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "kaigan_client"


def _generator() -> str:
    beside = Path(sys.executable).parent / "openapi-python-client"
    found = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    assert found, "openapi-python-client is a development requirement (requirements.txt)"
    return found


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    """The schema as a client downloads it, and the client generated from it, imported."""
    spec = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}).json()
    (tmp_path / "schema.json").write_text(json.dumps(spec))
    # No formatting hooks (they would need ruff on the PATH): the code as generated.
    (tmp_path / "config.json").write_text(
        json.dumps({"post_hooks": [], "package_name_override": PACKAGE})
    )
    run = subprocess.run(
        [
            _generator(),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--config",
            str(tmp_path / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        # Every module imports (a request body offered as JSON, form and multipart once made
        # five of them fail with a NameError).
        modules = [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")
        ]
        assert len(modules) > 50
        yield spec, package
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


class Journey:
    """Calls operations of the generated client; each answer has the status expected and its
    body is valid by the schema (as the model the client parsed it into)."""

    def __init__(self, spec, package, base_url):
        self.spec = spec
        self.package = package
        self.base_url = base_url
        self.calls = 0

    def op(self, name: str):
        tag = name.split("_", 1)[0]
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str):
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def anonymous(self):
        return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)

    def signed_in(self, token: str, **prefix):
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, raise_on_unexpected_status=True, **prefix
        )

    def __call__(self, name: str, status: int, **kwargs):
        response = self.op(name).sync_detailed(**kwargs)
        self.calls += 1
        assert response.status_code == status, (name, response.content[:500])
        parsed = response.parsed
        if response.content:
            body = json.loads(response.content)
            items = parsed if isinstance(parsed, list) else [parsed]
            for item, raw in zip(items, body if isinstance(parsed, list) else [body], strict=True):
                conforms(raw, self.spec, type(item).__name__)
        return parsed


def test_a_generated_client_drives_the_whole_journey(generated, live_server, settings):
    spec, package = generated
    settings.KAIGAN_MATCH_ROUND_SIZE = 1
    call = Journey(spec, package, live_server.url)
    m = call.model

    services.pm_create(email="pm-client@example.com", password=factories.PASSWORD, name="王经理")
    factories.StartupFactory(owner__email="founder-client@example.com")
    expert = factories.ExpertFactory(
        tag=None, tag_claimed_at=None, user__email="writer-client@example.com"
    )

    anonymous = call.anonymous()
    tags = call("tags_list", 200, client=anonymous)
    assert "copywriting" in {tag.slug for tag in tags}

    def token(email):
        body = m("TokenInputRequest")(email=email, password=factories.PASSWORD)
        return call("auth_token_create", 200, client=anonymous, body=body).token

    # The prefix the schema declares is the one the API takes; the generator's default
    # (`Bearer`) is refused.
    declared = spec["components"]["securitySchemes"]["tokenAuth"]["description"]
    prefix = re.search(r"`Authorization: (\w+) <key>`", declared).group(1)
    assert prefix == "Token"
    expert_token = token("writer-client@example.com")
    refused = call("experts_me_retrieve", 401, client=call.signed_in(expert_token))
    assert refused.code == "not_authenticated"
    as_expert = call.signed_in(expert_token, prefix=prefix)
    as_startup = call.signed_in(token("founder-client@example.com"), prefix=prefix)
    as_pm = call.signed_in(token("pm-client@example.com"), prefix=prefix)

    # The expert has no tag yet (null), then claims one.
    assert call("experts_me_retrieve", 200, client=as_expert).tag is None
    claimed = call(
        "experts_me_tag_update",
        200,
        client=as_expert,
        body=m("TagClaimInputRequest")(tag="copywriting"),
    )
    assert claimed.tag == "copywriting"

    # The startup posts a brief; ranking proposes the expert.
    posted = call(
        "briefs_create",
        201,
        client=as_startup,
        body=m("BriefInputRequest")(
            title="新品发布新闻稿",
            description="为我们的智能水杯发布写一篇新闻稿。",
            tag="copywriting",
            budget_min=5000,
            budget_max=10000,
            deadline=timezone.localdate() + timedelta(days=20),
        ),
    )
    brief = call("briefs_retrieve", 200, client=as_startup, id=posted.id)
    assert brief.status == m("BriefStatusEnum").AWAITING_APPROVAL

    # The PM reads the ranking and approves the expert.
    matches = call("briefs_matches_list", 200, client=as_pm, id=brief.id)
    (match,) = matches.results
    assert match.expert.id == expert.pk
    assert 0 < match.breakdown.rating_avg <= 5
    approved = call(
        "matches_approve_create",
        200,
        client=as_pm,
        id=match.id,
        body=m("ApproveInputRequest")(note="写过三个硬件品牌的发布稿。"),
    )
    assert approved.status == m("MatchStatusEnum").APPROVED

    # The expert sees the invitation with what they earn, accepts, and delivers.
    (invitation,) = call("invitations_list", 200, client=as_expert).results
    assert invitation.quote.expert_earnings > 0
    call("invitations_accept_create", 200, client=as_expert, id=invitation.id)
    # The startup funds the agreed price (the development provider), then the work starts.
    funding = call("briefs_funding_retrieve", 200, client=as_startup, id=brief.id)
    assert funding.status == m("FundingStatusEnum").AWAITING_FUNDING
    assert funding.currency == "CNY"
    funded = call(
        "briefs_funding_create",
        201,
        client=as_startup,
        id=brief.id,
        body=m("FundInputRequest")(method=m("InstantMethodEnum").DEV),
    )
    assert funded.held == funding.due
    delivered = call(
        "briefs_deliver_create",
        200,
        client=as_expert,
        id=brief.id,
        body=m("DeliverInputRequest")(note="终稿在共享文件夹。"),
    )
    assert delivered.status == m("BriefStatusEnum").DELIVERED

    # The startup accepts and rates: the brief still names its expert and the agreed quote.
    completed = call(
        "briefs_accept_create",
        200,
        client=as_startup,
        id=brief.id,
        body=m("AcceptInputRequest")(rating=5, review="准时交付。"),
    )
    assert completed.status == m("BriefStatusEnum").COMPLETED
    assert completed.current_expert.id == expert.pk
    assert completed.quote.status == m("QuoteStatusEnum").AGREED
    (listed,) = call("briefs_list", 200, client=as_startup).results
    assert listed.to_dict() == completed.to_dict()

    # A refusal comes back as the API's error shape.
    late = call(
        "briefs_cancel_create", 409, client=as_startup, id=brief.id, body=m("CancelInputRequest")()
    )
    assert late.code == "invalid_state"

    notifications = call("notifications_list", 200, client=as_expert)
    assert notifications.count >= 2
    read = call(
        "notifications_read_create",
        200,
        client=as_expert,
        body=m("NotificationReadInputRequest")(),
    )
    assert read.unread == 0

    # Signing out revokes the token.
    call("auth_token_destroy", 204, client=as_expert)
    call("experts_me_retrieve", 401, client=as_expert)
    assert call.calls >= 20
