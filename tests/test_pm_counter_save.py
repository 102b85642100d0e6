"""Saving a PM profile never writes back an open-brief counter it read earlier.

- A PM profile loaded before a brief changed, then saved whole (the admin change form does
  exactly this: it loads the profile, validates, then `save()`s every column), wrote back the
  counter it had read, undoing what the triggers did in between.

(Deleting a brief needs no trigger: marketplace 0004 refuses any delete of a brief.)
"""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import Brief
from projects.admin import ProjectManagerAdmin
from projects.models import ProjectManager
from tests import factories

pytestmark = pytest.mark.django_db


def _counter(user) -> int:
    return ProjectManager.objects.get(user=user).open_briefs


def _real(user) -> int:
    return Brief.objects.filter(pm=user, status__in=Brief.OPEN_STATUSES).count()


def test_saving_a_profile_read_before_a_post_keeps_the_counter_the_trigger_raised(pm):
    profile = ProjectManager.objects.get(user=pm)
    factories.BriefFactory(pm=pm)  # a post lands meanwhile: the trigger counts it

    profile.capacity = 30
    profile.save()

    assert _counter(pm) == _real(pm) == 1
    assert ProjectManager.objects.get(user=pm).capacity == 30


def test_the_admin_change_form_of_a_pm_does_not_undo_a_concurrent_post(superuser, pm):
    original = ProjectManagerAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        obj = original(self, request, object_id, from_field)
        if request.method == "POST":
            factories.BriefFactory(pm=pm)  # committed by another request after this read
        return obj

    client = Client()
    client.force_login(superuser)
    url = reverse("admin:projects_projectmanager_change", args=[pm.pm_profile.pk])
    with mock.patch.object(ProjectManagerAdmin, "get_object", get_object):
        response = client.post(url, {"capacity": 7, "is_active": "on"})

    assert response.status_code == 302, response.context and response.context["errors"]
    assert ProjectManager.objects.get(user=pm).capacity == 7
    assert _counter(pm) == _real(pm) == 1
