"""Issue 17, point 9: the admin neither rewrites audited fields nor shows a PM other PMs' rows."""

from unittest import mock

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from experts.admin import ExpertAdmin
from experts.models import Expert, TagChange
from experts.services import expert_claim_tag
from marketplace.models import Brief, Campaign, Match, Startup
from projects.models import ProjectManager
from tests import factories

pytestmark = pytest.mark.django_db
S = Brief.Status
M = Match.Status


def _other_pm():
    from projects.services import pm_group_ensure

    user = factories.ProjectManagerFactory().user
    user.groups.add(pm_group_ensure())
    return user


def _decided_match(pm) -> Match:
    """A match the PM rejected, with the reason the service recorded."""
    from marketplace.services import match_reject

    brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
    match = factories.MatchFactory(brief=brief)
    factories.MatchFactory(brief=brief, rank=2)  # the brief keeps a proposal
    match_reject(match_id=match.pk, actor=pm, reason="作品集与需求不符")
    match.refresh_from_db()
    return match


# --- the recorded decision cannot be rewritten -----------------------------------------------


@pytest.mark.parametrize("who", ["pm", "superuser"])
def test_nobody_can_post_a_change_to_a_matchs_recorded_decision(who, pm, superuser):
    match = _decided_match(pm)
    before = Match.objects.filter(pk=match.pk).values().get()
    client = Client()
    client.force_login(pm if who == "pm" else superuser)
    url = reverse("admin:marketplace_match_change", args=[match.pk])

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "作品集与需求不符" in html  # shown, read-only
    for name in ("decision_reason", "decision_key", "decision_params", "status"):
        assert f'name="{name}"' not in html
    assert 'name="_save"' not in html

    response = client.post(
        url,
        {
            "decision_reason": "专家自己放弃",
            "decision_key": "declined",
            "decision_params": "{}",
            "status": M.WITHDRAWN,
            "_save": "Save",
        },
    )
    assert response.status_code == 403
    assert Match.objects.filter(pk=match.pk).values().get() == before


@pytest.mark.parametrize(
    ("model_name", "make"),
    [
        ("projects_project", lambda pm: factories.ProjectFactory(match__brief__pm=pm)),
        ("projects_feedback", lambda pm: factories.FeedbackFactory(brief__pm=pm)),
        ("projects_rematchjob", lambda pm: factories.RematchJobFactory(brief__pm=pm)),
    ],
)
def test_service_records_answer_403_to_a_posted_change_form(model_name, make, pm, superuser):
    record = make(pm)
    before = type(record).objects.filter(pk=record.pk).values().get()
    for user in (pm, superuser):
        client = Client()
        client.force_login(user)
        url = reverse(f"admin:{model_name}_change", args=[record.pk])
        assert client.get(url).status_code == 200
        assert client.post(url, {"status": "done", "comment": "改了"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).values().get() == before


def test_the_pm_still_approves_and_requeues_from_the_lists(pm):
    """The actions call services and name their own permissions, not "change"."""
    brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
    match = factories.MatchFactory(brief=brief)
    client = Client()
    client.force_login(pm)
    response = client.post(
        reverse("admin:marketplace_match_changelist"),
        {"action": "approve_selected", "_selected_action": [match.pk]},
    )
    assert response.status_code == 302
    assert Match.objects.get(pk=match.pk).status == M.APPROVED

    stuck = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    job = factories.RematchJobFactory(brief=stuck, status="dead")
    response = client.post(
        reverse("admin:projects_rematchjob_changelist"),
        {"action": "requeue", "_selected_action": [job.pk]},
    )
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == S.REMATCHING


#: What each business admin may offer to edit in a form, for whom (any other field a form
#: offered could rewrite a status, a counter, a recorded decision or an audit row).
EDITABLE = {
    (Brief, "superuser"): {"pm"},  # through `brief_reassign_pm`
    (Startup, "superuser"): {
        "company_name",
        "stage",
        "industry",
        "city",
        "website",
        "description",
    },
    (Campaign, "superuser"): {"name"},
    (Expert, "superuser"): {
        "display_name",
        "headline",
        "bio",
        "city",
        "day_rate",
        "capacity",
        "availability",
        "portfolio_links",
    },
    (ProjectManager, "superuser"): {"capacity", "is_active", "tags"},
}


def _business_admins():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in {"experts", "marketplace", "projects", "notifications"}
            and model._meta.model_name != "tag"  # the taxonomy itself, a superuser's to edit
        ),
        key=lambda pair: pair[0]._meta.label,
    )


@pytest.mark.parametrize("who", ["pm", "superuser"])
def test_every_business_admin_offers_only_its_listed_fields_to_edit(who, pm, superuser):
    user = pm if who == "pm" else superuser
    brief = factories.BriefFactory(pm=pm, campaign=factories.CampaignFactory())
    match = factories.MatchFactory(brief=brief, status=M.ACCEPTED)
    objects = {
        "brief": brief,
        "startup": brief.startup,
        "campaign": brief.campaign,
        "match": match,
        "expert": match.expert,
        "tagchange": factories.TagChangeFactory(expert=match.expert),
        "project": factories.ProjectFactory(match=match),
        "feedback": factories.FeedbackFactory(brief=brief),
        "rematchjob": factories.RematchJobFactory(brief=brief),
        "projectmanager": ProjectManager.objects.get(user=pm),
        "notification": factories.NotificationFactory(recipient=brief.startup.owner),
    }
    request = RequestFactory().get("/admin/")
    request.user = user
    checked = []
    for model, model_admin in _business_admins():
        obj = objects.get(model._meta.model_name)
        if obj is None:  # the quote and the trigger's status log: never changeable at all
            assert not model_admin.has_change_permission(request, None), model
            continue
        if model_admin.has_change_permission(request, obj):
            form = model_admin.get_form(request, obj)
            editable = set(form.base_fields)
        else:
            editable = set()
        assert editable <= EDITABLE.get((model, who), set()), model
        checked.append(model._meta.model_name)
    assert len(checked) == len(objects)


def test_a_superusers_edit_writes_back_only_the_fields_it_changed(superuser):
    """Django's admin saves the whole row it read: a counter a service moved meanwhile would be
    written back (the one-tag rule reads them). Only the edited columns are written."""
    expert = factories.ExpertFactory(headline="旧的")
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:experts_expert_change", args=[expert.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["headline"] = "新的"
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
    original = ExpertAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        obj = original(self, request, object_id, from_field)
        if request.method == "POST":  # an invitation is accepted after the form was read
            Expert.objects.filter(pk=expert.pk).update(active_load=1, pending_invitations=2)
        return obj

    with mock.patch.object(ExpertAdmin, "get_object", get_object):
        response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    expert.refresh_from_db()
    assert (expert.headline, expert.active_load, expert.pending_invitations) == ("新的", 1, 2)


# --- a PM sees the startups, experts and campaigns of their own briefs only --------------------


def _mine_and_theirs(pm):
    """The same kind of rows for the PM's brief and for another PM's."""
    rows = {}
    for who, owner in (("mine", pm), ("theirs", _other_pm())):
        campaign = factories.CampaignFactory()
        brief = factories.BriefFactory(pm=owner, startup=campaign.startup, campaign=campaign)
        expert = factories.ExpertFactory(tag=None)
        expert_claim_tag(expert_id=expert.pk, tag_slug="copywriting", actor=expert.user)
        factories.MatchFactory(brief=brief, expert=expert)
        rows[who] = {
            "marketplace_startup": brief.startup,
            "marketplace_campaign": brief.campaign,
            "experts_expert": expert,
            "experts_tagchange": TagChange.objects.get(expert=expert),
        }
    # A second brief of the same startup, expert and campaign with the PM: still listed once.
    again = factories.BriefFactory(
        pm=pm,
        startup=rows["mine"]["marketplace_startup"],
        campaign=rows["mine"]["marketplace_campaign"],
    )
    factories.MatchFactory(brief=again, expert=rows["mine"]["experts_expert"])
    return rows


@pytest.mark.parametrize(
    "name", ["marketplace_startup", "marketplace_campaign", "experts_expert", "experts_tagchange"]
)
def test_a_pm_sees_only_the_rows_of_their_own_briefs(name, pm, superuser):
    rows = _mine_and_theirs(pm)
    mine, theirs = rows["mine"][name], rows["theirs"][name]
    client = Client()
    client.force_login(pm)

    listed = client.get(reverse(f"admin:{name}_changelist"))
    assert listed.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [mine.pk]
    assert client.get(reverse(f"admin:{name}_change", args=[mine.pk])).status_code == 200
    for view in ("change", "history"):
        other = client.get(reverse(f"admin:{name}_{view}", args=[theirs.pk]))
        # The admin's "not found": back to the index, with nothing of the row shown.
        assert (other.status_code, other["Location"]) == (302, reverse("admin:index"))

    client.force_login(superuser)
    listed = client.get(reverse(f"admin:{name}_changelist"))
    assert {row.pk for row in listed.context["cl"].result_list} == {mine.pk, theirs.pk}


def test_a_superuser_still_edits_a_person_and_only_what_changed(superuser):
    from kaigan.accounts.admin import UserAdmin
    from kaigan.accounts.models import User

    person = factories.UserFactory(name="旧名", language="zh-hans")
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("password", None)
    data["groups"] = []
    data["user_permissions"] = []
    data["name"] = "新名"
    original = UserAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        obj = original(self, request, object_id, from_field)
        if request.method == "POST":  # the person switches language while the form is saved
            User.objects.filter(pk=person.pk).update(language="en")
        return obj

    with mock.patch.object(UserAdmin, "get_object", get_object):
        response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    person.refresh_from_db()
    assert (person.name, person.language) == ("新名", "en")
