"""Issue 10 (posting): each PM's open-brief counter, the PM pick that reads it, and the cost of
one post.

The counter (`ProjectManager.open_briefs`) is kept by triggers on marketplace_brief; these tests
walk a brief through every status and every way its PM changes, and compare the counters with
the real counts after each step.
"""

import importlib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experts.services import expert_refresh_rank_base
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Match
from projects import services
from projects.models import ProjectManager, RematchJob
from tests import factories
from tests.conftest import client_for

S = Brief.Status
M = Match.Status


def _payload(**overrides):
    data = {
        "title": "融资新闻稿",
        "description": "Pre-A 轮融资新闻稿,面向科技媒体。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 9000,
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
    }
    data.update(overrides)
    return data


def _fields(**overrides):
    """What a service takes: the deadline as a date."""
    data = _payload(**overrides)
    data["deadline"] = timezone.localdate() + timedelta(days=20)
    return data


def _real_counts() -> dict[int, int]:
    return {
        pm.user_id: Brief.objects.filter(pm_id=pm.user_id, status__in=Brief.OPEN_STATUSES).count()
        for pm in ProjectManager.objects.all()
    }


def _counters() -> dict[int, int]:
    return dict(ProjectManager.objects.values_list("user_id", "open_briefs"))


def _assert_counters_true():
    assert _counters() == _real_counts()


def _experts(n):
    experts = [factories.ExpertFactory() for _ in range(n)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    return experts


def _admin_reassign(superuser, brief, pm_user, *, expect=302):
    """Post the brief's admin change form as a superuser, with another PM; the response."""
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    url = reverse("admin:marketplace_brief_change", args=[brief.pk])
    page = client.get(url)
    data = {"pm": pm_user.pk}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
        for form in inline.formset.forms:
            data[form.add_prefix("id")] = form.instance.pk
            data[form.add_prefix(inline.formset.fk.name)] = brief.pk
    response = client.post(url, data)
    assert response.status_code == expect, response.context and response.context["errors"]
    return response


def test_the_migration_counts_the_same_statuses_as_the_model():
    migration = importlib.import_module("projects.migrations.0002_projectmanager_open_briefs")
    assert tuple(migration.OPEN_STATUSES) == tuple(Brief.OPEN_STATUSES)


# --- the counter through a whole lifecycle ----------------------------------------------------


@pytest.mark.django_db
def test_counter_equals_the_real_count_through_every_status_and_pm_change(
    settings, superuser, django_capture_on_commit_callbacks
):
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    pm_a = factories.ProjectManagerFactory(capacity=10).user
    pm_b = factories.ProjectManagerFactory(capacity=10).user
    _experts(8)
    startup = factories.StartupFactory()
    owner = client_for(startup.owner)

    # Post: the two PMs take turns (fewest open briefs, then the lower id).
    ids = []
    for n in range(5):
        response = owner.post("/api/v1/briefs/", _payload(title=f"需求{n}"), format="json")
        assert response.status_code == 201
        ids.append(response.json()["id"])
        _assert_counters_true()
    assert [Brief.objects.get(pk=i).pm_id for i in ids] == [pm_a.pk, pm_b.pk] * 2 + [pm_a.pk]
    assert _counters() == {pm_a.pk: 3, pm_b.pk: 2}
    done, cancelled, unhappy, rejected, spare = (Brief.objects.get(pk=i) for i in ids)

    # Ranking, approval, acceptance, delivery, completion: open until completed.
    for brief in (done, cancelled, unhappy, rejected):
        propose_matches(brief)
    _assert_counters_true()
    match = done.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm_a)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    services.work_deliver(brief_id=done.pk, user=match.expert.user)
    _assert_counters_true()
    assert _counters()[pm_a.pk] == 3
    services.work_accept(brief_id=done.pk, user=startup.owner, rating=5)
    _assert_counters_true()
    assert _counters()[pm_a.pk] == 2

    # Cancelled by the startup.
    assert owner.post(f"/api/v1/briefs/{cancelled.pk}/cancel/").status_code == 200
    _assert_counters_true()
    assert _counters()[pm_b.pk] == 1

    # Not satisfied: re-matching, then new proposals or nobody left (needs attention).
    match = unhappy.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm_a)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.dissatisfaction_submit(brief_id=unhappy.pk, user=startup.owner, reason="quality")
    unhappy.refresh_from_db()
    assert unhappy.status in (S.AWAITING_APPROVAL, S.NEEDS_ATTENTION)
    assert RematchJob.objects.filter(brief=unhappy).exists()
    _assert_counters_true()

    # The PM rejects every proposal: needs attention, still the PM's.
    for match in rejected.matches.filter(status=M.PROPOSED):
        marketplace_services.match_reject(match_id=match.pk, actor=pm_b, reason="不合适")
    rejected.refresh_from_db()
    assert rejected.status == S.NEEDS_ATTENTION
    _assert_counters_true()

    # A superuser reassigns a brief in the admin (the form saves every column).
    _admin_reassign(superuser, rejected, pm_a)
    assert Brief.objects.get(pk=rejected.pk).pm_id == pm_a.pk
    _assert_counters_true()
    # ... and through the service, and back to nobody, and to a PM again.
    marketplace_services.brief_reassign_pm(brief_id=spare.pk, pm_user=pm_b, actor=superuser)
    _assert_counters_true()
    Brief.objects.filter(pk=spare.pk).update(pm=None)
    _assert_counters_true()
    Brief.objects.filter(pk=spare.pk).update(pm=pm_a)
    _assert_counters_true()

    # A bulk update that bypasses every service still moves the counters.
    Brief.objects.filter(pk__in=[spare.pk, rejected.pk]).update(status=S.CANCELLED)
    _assert_counters_true()
    # Nothing drifted: the recount finds nothing to fix.
    assert services.pm_recount() == {}


@pytest.mark.django_db
def test_a_new_pm_profile_starts_from_the_open_briefs_its_user_already_has(superuser):
    user = factories.PMUserFactory(email="later-pm@example.com")
    factories.BriefFactory(pm=user)
    factories.BriefFactory(pm=user, status=S.COMPLETED)
    services.pm_create(email=user.email, password="pw-123456789")  # noqa: S106
    assert ProjectManager.objects.get(user=user).open_briefs == 1
    _assert_counters_true()


@pytest.mark.django_db
def test_a_pm_profile_added_in_the_admin_counts_the_briefs_its_user_already_has(superuser):
    from django.test import Client
    from django.urls import reverse

    user = factories.UserFactory(email="admin-added-pm@example.com", is_staff=True)
    factories.BriefFactory(pm=user)
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:projects_projectmanager_add")

    page = client.get(url)
    assert page.status_code == 200
    # No counter on the add form: it is taken from the user's briefs when the profile is saved.
    assert "open_briefs" not in page.context["adminform"].form.fields
    assert "field-open_briefs" not in page.content.decode()

    response = client.post(url, {"user": user.pk, "capacity": 5, "is_active": "on"})
    assert response.status_code == 302
    assert ProjectManager.objects.get(user=user).open_briefs == 1
    change = client.get(reverse("admin:projects_projectmanager_change", args=[user.pm_profile.pk]))
    assert "field-open_briefs" in change.content.decode()


@pytest.mark.django_db
def test_recount_reports_and_fixes_a_drifted_counter(pm):
    factories.BriefFactory(pm=pm)
    factories.BriefFactory(pm=pm, status=S.IN_PROGRESS)
    ProjectManager.objects.filter(user=pm).update(open_briefs=7)
    assert services.pm_recount(fix=False) == {pm.pk: (7, 2)}
    assert ProjectManager.objects.get(user=pm).open_briefs == 7
    assert services.pm_recount() == {pm.pk: (7, 2)}
    assert ProjectManager.objects.get(user=pm).open_briefs == 2
    assert services.pm_recount() == {}


@pytest.mark.django_db
def test_pm_recount_command_and_task(pm, capsys):
    from django.core.management import CommandError, call_command

    from projects.tasks import pm_recount_task

    factories.BriefFactory(pm=pm)
    ProjectManager.objects.filter(user=pm).update(open_briefs=0)
    with pytest.raises(CommandError):
        call_command("pm_recount", "--check")
    call_command("pm_recount")
    assert f"PM user {pm.pk}: counter 0, open briefs 1" in capsys.readouterr().out
    assert pm_recount_task.delay().get() == {}
    ProjectManager.objects.filter(user=pm).update(open_briefs=3)
    assert pm_recount_task.delay().get() == {str(pm.pk): [3, 1]}
    _assert_counters_true()


# --- the pick ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_posts_follow_the_rule_fewest_open_then_knows_the_tag_then_lowest_id():
    startup = factories.StartupFactory()
    a = factories.ProjectManagerFactory(capacity=3)
    b = factories.ProjectManagerFactory(capacity=3)
    c = factories.ProjectManagerFactory(capacity=3)
    c.tags.add(factories.tag("copywriting"))
    factories.ProjectManagerFactory(is_active=False)  # never picked
    factories.BriefFactory(pm=a.user)
    factories.BriefFactory(pm=a.user)
    factories.BriefFactory(pm=b.user)
    factories.BriefFactory(pm=c.user)
    picked = [
        services.brief_submit(startup=startup, actor=startup.owner, **_fields()).pm_id
        for _ in range(6)
    ]
    # b and c tie at 1: c knows the tag; then b (1 < 2); then a, b, c tie at 2: c; then a, b
    # (tie at 2, no tag: lower id); then nobody is free below capacity 3.
    assert picked == [c.user_id, b.user_id, c.user_id, a.user_id, b.user_id, None]
    _assert_counters_true()


def _post_at_once(startups) -> list[Exception]:
    """Each startup posts a brief from its own thread, all released together; the errors."""
    barrier = threading.Barrier(len(startups))
    errors = []

    def post(startup):
        try:
            barrier.wait()
            services.brief_submit(startup=startup, actor=startup.owner, **_fields())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(s,)) for s in startups]
    # No task runs: eager Celery in several threads at once would leave its process-wide
    # "join will block" flag set (each eager call saves and restores it) for later tests.
    with mock.patch("celery.app.task.Task.delay"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_never_exceed_a_pms_capacity_and_spread_over_the_pms(settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    pms = [factories.ProjectManagerFactory(capacity=3) for _ in range(3)]
    factories.BriefFactory(pm=pms[0].user)  # one open brief already: 8 free places in all
    startups = [factories.StartupFactory() for _ in range(12)]
    assert _post_at_once(startups) == []
    assert Brief.objects.count() == 13
    per_pm = _real_counts()
    # Every place was taken and none more: each PM is exactly at capacity, the rest unassigned.
    assert per_pm == {pm.user_id: 3 for pm in pms}
    assert Brief.objects.filter(pm__isnull=True).count() == 13 - 9
    _assert_counters_true()


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_below_capacity_each_go_to_a_different_pm(settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    pms = [factories.ProjectManagerFactory(capacity=5) for _ in range(4)]
    startups = [factories.StartupFactory() for _ in range(4)]
    assert _post_at_once(startups) == []
    # All four tie at 0: four posts at once take one PM each, as four posts in a row would.
    assert _real_counts() == {pm.user_id: 1 for pm in pms}
    _assert_counters_true()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("wait", "held_for", "outcome"), [(3.0, 0.3, "picked"), (0.2, 1.0, "busy")]
)
def test_a_post_waits_briefly_for_a_pm_another_transaction_holds(
    monkeypatch, wait, held_for, outcome
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    from django.db import transaction

    from kaigan.errors import Conflict

    monkeypatch.setattr(services, "PM_PICK_WAIT_SECONDS", wait)
    only = factories.ProjectManagerFactory(capacity=5)
    startup = factories.StartupFactory()
    locked = threading.Event()

    def hold():
        try:
            with transaction.atomic():
                ProjectManager.objects.select_for_update().get(pk=only.pk)
                locked.set()
                threading.Event().wait(held_for)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(5)
    try:
        with mock.patch("celery.app.task.Task.delay"):
            if outcome == "picked":
                brief = services.brief_submit(startup=startup, actor=startup.owner, **_fields())
                assert brief.pm_id == only.user_id
            else:
                with pytest.raises(Conflict):
                    services.brief_submit(startup=startup, actor=startup.owner, **_fields())
                assert Brief.objects.count() == 0
    finally:
        holder.join()
    _assert_counters_true()


# --- the cost and the answer of one post ------------------------------------------------------


def _platform(open_briefs: int):
    """Ten PMs and `open_briefs` open briefs spread over them."""
    pms = [factories.ProjectManagerFactory(capacity=200).user for _ in range(10)]
    for n in range(open_briefs):
        factories.BriefFactory(pm=pms[n % 10], status=S.IN_PROGRESS)


@pytest.mark.django_db
@pytest.mark.parametrize("open_briefs", [0, 40])
def test_a_post_makes_few_queries_however_many_briefs_are_open(
    open_briefs, django_assert_max_num_queries
):
    _platform(open_briefs)
    startup = factories.StartupFactory()
    client = client_for(startup.owner)
    client.post("/api/v1/briefs/", _payload(campaign="春季"), format="json")  # the campaign exists
    # Startup; savepoint; tag; campaign; PM pick; brief; event; notification; release;
    # the freshness check of the answer. It was 23 (every PM locked, all open briefs counted,
    # constraint checks in savepoints, the brief read back with two prefetches).
    with django_assert_max_num_queries(10):
        response = client.post("/api/v1/briefs/", _payload(campaign="春季"), format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_post_in_the_browser_makes_few_queries(client, django_assert_max_num_queries):
    _platform(20)
    startup = factories.StartupFactory()
    client.force_login(startup.owner)
    form = {**_payload(), "campaign": ""}
    # Session; user; startup; tag (the form's choice); savepoint; PM pick; brief; event;
    # notification; release. The flash message and the redirect need nothing more.
    with django_assert_max_num_queries(10):
        response = client.post(reverse("marketplace:brief_create"), form)
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("company_name", ["水杯科技", ""])
def test_the_answer_to_a_post_is_the_brief_as_read_back(pm, company_name):
    startup = factories.StartupFactory(company_name=company_name)
    client = client_for(startup.owner)
    response = client.post("/api/v1/briefs/", _payload(campaign="春季"), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == client.get(f"/api/v1/briefs/{body['id']}/").json()
    assert body["startup"] == (company_name or startup.owner.email)
    assert (body["status"], body["pm"]["id"], body["current_expert"], body["quote"]) == (
        S.OPEN,
        pm.pk,
        None,
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_a_brief_changed_before_the_answer_is_read_back(pm):
    _experts(2)
    startup = factories.StartupFactory()
    client = client_for(startup.owner)
    # A real commit, and Celery is eager here: the ranking runs at the commit, inside the
    # request, before the view answers.
    response = client.post("/api/v1/briefs/", _payload(), format="json")
    body = response.json()
    assert body["status"] == S.AWAITING_APPROVAL
    assert body == client.get(f"/api/v1/briefs/{body['id']}/").json()


# --- constraint violations stay field errors ----------------------------------------------------


@pytest.mark.django_db
def test_a_budget_constraint_the_checks_missed_is_a_400_naming_the_field(pm):
    startup = factories.StartupFactory()
    client = client_for(startup.owner)
    with mock.patch("marketplace.services._brief_check"):
        response = client.post(
            "/api/v1/briefs/", _payload(budget_min=9000, budget_max=8000), format="json"
        )
    assert response.status_code == 400
    assert "budget_max" in response.json()["errors"]
    assert Brief.objects.count() == 0
    _assert_counters_true()


@pytest.mark.django_db
def test_a_budget_constraint_the_checks_missed_is_a_validation_error_of_the_service(pm):
    """The browser form shows a service's ValidationError on its fields (add_service_errors)."""
    startup = factories.StartupFactory()
    with (
        mock.patch("marketplace.services._brief_check"),
        pytest.raises(ValidationError) as caught,
    ):
        services.brief_submit(
            startup=startup, actor=startup.owner, **_fields(budget_min=9000, budget_max=8000)
        )
    assert "budget_max" in caught.value.message_dict
    assert Brief.objects.count() == 0
    _assert_counters_true()


@pytest.mark.django_db
def test_an_edit_the_checks_missed_is_a_field_error_too(pm):
    brief = factories.BriefFactory(pm=pm)
    with (
        mock.patch("marketplace.services._brief_check"),
        pytest.raises(ValidationError) as caught,
    ):
        marketplace_services.brief_update(
            brief_id=brief.pk, actor=brief.startup.owner, data={"budget_min": 20000}
        )
    assert "budget_max" in caught.value.message_dict
    brief.refresh_from_db()
    assert brief.budget_min == 5000


@pytest.mark.django_db(transaction=True)
def test_a_pm_whose_counter_rose_after_the_pick_began_is_not_taken():
    """The pick orders PMs in its snapshot; a post that commits before the pick locks a row
    has raised that row's counter. PostgreSQL re-checks conditions, not the order, on the row
    it locks: without the snapshot check the pick took that PM (now at 1) over one at 0.

    The pick's statement is slowed (pg_sleep in its WHERE) so that the other post commits
    after the statement's snapshot and before its lock, every time."""
    import time

    from django.db import transaction

    first, second = (factories.ProjectManagerFactory(capacity=5) for _ in range(2))
    startup = factories.StartupFactory()
    stored = threading.Event()

    def other_post():
        try:
            with transaction.atomic():
                factories.BriefFactory(startup=startup, pm=first.user)  # trigger: first at 1
                stored.set()
                time.sleep(0.3)
        finally:
            connection.close()

    def slowed(execute, sql, params, many, context):
        if "FOR NO KEY UPDATE" in sql:  # the main WHERE follows the join's closing bracket
            sql = sql.replace(") WHERE (", ") WHERE pg_sleep(0.4) IS NOT NULL AND (", 1)
            assert "pg_sleep" in sql
        return execute(sql, params, many, context)

    thread = threading.Thread(target=other_post)
    thread.start()
    stored.wait(5)
    with connection.execute_wrapper(slowed), transaction.atomic():
        picked = services.pm_pick(brief=Brief(tag=factories.tag()))
    thread.join()

    assert ProjectManager.objects.get(pk=first.pk).open_briefs == 1
    assert picked == second.user
