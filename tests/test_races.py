"""Issue 17: races on the real PostgreSQL, each trial run by threads released behind a barrier.

Every test prints its figures (run with `-s` to read them); docs/RELIABILITY.md keeps them.
"""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F

from experts.services import expert_claim_tag, expert_refresh_rank_base
from kaigan.errors import ApplicationError
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match
from tests import factories

S = Brief.Status
M = Match.Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")


def together(*calls) -> list:
    """Run each call in its own thread, all released at once; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001  (returned to the test, which asserts on it)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _pm():
    from projects.services import pm_group_ensure

    profile = factories.ProjectManagerFactory()
    profile.user.groups.add(pm_group_ensure())
    return profile.user


# --- approve vs the expert's tag change (issue 17, point 5) -----------------------------------


def test_approving_and_changing_the_experts_tag_at_once_never_approves_another_tag():
    """Either the approval wins (the tag change is refused while the invitation is open) or the
    tag change wins (the approval is refused): never an approved expert of another tag."""
    pm = _pm()
    trials = 40
    outcomes = Counter()
    for _ in range(trials):
        expert = factories.ExpertFactory()
        expert_refresh_rank_base(expert_id=expert.pk)
        brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
        match = factories.MatchFactory(brief=brief, expert=expert)
        approved, claimed = together(
            lambda m=match: marketplace_services.match_approve(match_id=m.pk, actor=pm),
            lambda e=expert: expert_claim_tag(expert_id=e.pk, tag_slug="naming", actor=e.user),
        )
        match.refresh_from_db()
        expert.refresh_from_db()
        approve_ok = not isinstance(approved, BaseException)
        claim_ok = not isinstance(claimed, BaseException)
        for result in (approved, claimed):
            if isinstance(result, BaseException) and not isinstance(result, ApplicationError):
                raise result
        if approve_ok and not claim_ok and match.status == M.APPROVED:
            consistent = expert.tag.slug == "copywriting" and expert.pending_invitations == 1
            outcomes["approve first" if consistent else "inconsistent"] += 1
        elif claim_ok and not approve_ok and match.status == M.PROPOSED:
            consistent = expert.tag.slug == "naming" and expert.pending_invitations == 0
            outcomes["tag change first" if consistent else "inconsistent"] += 1
        else:
            outcomes["inconsistent"] += 1
    print(f"approve vs tag change: {trials} trials, {dict(sorted(outcomes.items()))}")
    assert outcomes["inconsistent"] == 0
    assert sum(outcomes.values()) == trials
    # No expert carries a live match of a brief whose tag is not theirs.
    assert not Match.objects.filter(status__in=Match.LIVE_STATUSES).exclude(
        expert__tag=F("brief__tag")
    )
