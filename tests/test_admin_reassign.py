"""A superuser hands a brief to another PM in the admin: only the PM changes, the PM is told."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from kaigan.notifications.models import Notification
from marketplace.admin import BriefAdmin
from marketplace.models import Brief, BriefEvent
from projects.models import ProjectManager
from tests import factories
from tests.test_pm_counter import _admin_reassign

pytestmark = pytest.mark.django_db
S = Brief.Status


def _other_pm():
    profile = factories.ProjectManagerFactory()
    return profile.user


def test_the_new_pm_is_told_and_the_counters_follow(superuser, pm):
    brief = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    other = _other_pm()
    ProjectManager.objects.filter(user=pm).update(open_briefs=1)

    response = _admin_reassign(superuser, brief, other)

    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.pm == other
    assert list(Notification.objects.filter(recipient=other).values_list("kind", flat=True)) == [
        "brief_assigned"
    ]
    assert ProjectManager.objects.get(user=other).open_briefs == 1
    assert ProjectManager.objects.get(user=pm).open_briefs == 0


def test_a_status_change_committed_while_the_form_was_open_is_kept(superuser, pm):
    brief = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    other = _other_pm()
    original = BriefAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        obj = original(self, request, object_id, from_field)
        if request.method == "POST":
            # Another request cancels the brief after this one has read it.
            Brief.objects.filter(pk=brief.pk).update(status=S.CANCELLED)
        return obj

    with mock.patch.object(BriefAdmin, "get_object", get_object):
        response = _admin_reassign(superuser, brief, other)

    assert response.status_code == 302
    brief.refresh_from_db()
    assert (brief.pm, brief.status) == (other, S.CANCELLED)


def test_only_project_managers_can_be_chosen(superuser, pm):
    brief = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    startup_user = factories.StartupFactory().owner
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:marketplace_brief_change", args=[brief.pk])
    page = client.get(url)
    choices = {str(value) for value, _label in page.context["adminform"].form.fields["pm"].choices}
    assert str(pm.pk) in choices
    assert str(startup_user.pk) not in choices

    response = _admin_reassign(superuser, brief, startup_user, expect=200)

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["pm"]
    assert Brief.objects.get(pk=brief.pk).pm == pm
    assert not BriefEvent.objects.filter(brief=brief).exists()
