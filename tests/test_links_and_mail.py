"""Where the platform's links lead, and how its mails read (found by a new-user review)."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from experts.services import expert_refresh_rank_base
from kaigan.notifications.models import Notification
from kaigan.notifications.services import notification_email_send, notify
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from projects import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_notification_a_pm_gets_about_a_brief_opens_it_in_the_admin(client, pm, startup):
    for _ in range(3):
        expert_refresh_rank_base(expert_id=factories.ExpertFactory().pk)
    brief = factories.BriefFactory(startup=startup, pm=pm)
    propose_matches(brief)  # proposals ready: the PM is told
    marketplace_services.brief_cancel(brief_id=brief.pk, actor=startup.owner)  # and told again

    notes = list(Notification.objects.filter(recipient=pm).order_by("pk"))
    assert {n.kind for n in notes} == {"brief_proposals_ready", "brief_cancelled"}
    client.force_login(pm)
    admin_page = reverse("admin:marketplace_brief_change", args=[brief.pk])
    for note in notes:
        assert note.url == admin_page
        assert client.get(note.url).status_code == 200


def test_a_pm_following_a_startups_brief_link_lands_on_the_admin_page(client, pm):
    brief = factories.BriefFactory(pm=pm)
    client.force_login(pm)
    response = client.get(reverse("marketplace:brief_detail", args=[brief.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:marketplace_brief_change", args=[brief.pk])


def test_an_expert_still_cannot_open_a_startups_brief_page(client):
    brief = factories.BriefFactory()
    client.force_login(factories.ExpertFactory().user)
    assert client.get(reverse("marketplace:brief_detail", args=[brief.pk])).status_code == 403


def test_a_notification_mail_links_to_the_page_by_its_full_address(settings, startup):
    settings.KAIGAN_SITE_URL = "https://kaigan.example.cn"
    [note] = notify(
        recipients=[startup.owner], kind="work_delivered", params={"brief": "新品发布"}, url="/b/1/"
    )
    mail.outbox.clear()
    assert notification_email_send(notification_id=note.pk)
    [message] = mail.outbox
    assert "https://kaigan.example.cn/b/1/" in message.body.splitlines()


@pytest.mark.parametrize(
    ("language", "subject_start", "greeting"),
    [("zh-hans", "[开干] ", "开干"), ("en", "[Kaigan] ", "Kaigan")],
)
def test_account_mails_speak_as_kaigan_not_as_the_host(
    client, settings, language, subject_start, greeting
):
    settings.KAIGAN_SITE_URL = "https://kaigan.example.cn"
    factories.UserFactory(email="known@example.com")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(language):
        client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    [message] = mail.outbox
    assert message.subject.startswith(subject_start)
    assert "testserver" not in message.subject
    first_line = message.body.splitlines()[0]
    assert greeting in first_line
    assert "testserver" not in first_line
    assert message.body.rstrip().endswith("https://kaigan.example.cn")
    # The reset link itself still points where the request came from.
    assert re.search(r"http://testserver/accounts/password/reset/key/\S+", message.body)


def test_mails_are_written_in_the_language_the_person_chose(client, settings, startup):
    owner = startup.owner
    client.force_login(owner)
    assert owner.language == ""
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "en"

    [note] = notify(recipients=[owner], kind="work_delivered", params={"brief": "Launch"})
    mail.outbox.clear()
    notification_email_send(notification_id=note.pk)
    assert (
        mail.outbox[0].subject == "[Kaigan] The work for “Launch” was delivered. Please review it."
    )

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    [note] = notify(recipients=[owner], kind="work_delivered", params={"brief": "发布会"})
    mail.outbox.clear()
    notification_email_send(notification_id=note.pk)
    assert mail.outbox[0].subject.startswith("[开干] “发布会”的成果已交付")


def test_logging_in_remembers_the_language_of_the_login_page(client, settings):
    from tests.factories import PASSWORD

    user = factories.UserFactory(email="en@example.com")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("account_login"), {"login": "en@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"


def test_a_pm_sees_people_as_text_not_links_to_the_user_admin(client, pm):
    """The user admin is the superusers': links to it answered a PM with 403."""
    for _ in range(3):
        expert_refresh_rank_base(expert_id=factories.ExpertFactory().pk)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    expert = brief.matches.first().expert
    pages = [
        reverse("admin:marketplace_brief_change", args=[brief.pk]),
        reverse("admin:marketplace_startup_change", args=[brief.startup.pk]),
        reverse("admin:experts_expert_change", args=[expert.pk]),
    ]
    client.force_login(pm)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "/admin/accounts/user/" not in html, page
    brief_page = client.get(pages[0]).content.decode()
    assert pm.email in brief_page  # the PM field, as text
    assert brief.startup.owner.email in client.get(pages[1]).content.decode()

    # Every admin page a PM may open, list and first row, answers without a user link.
    from django.contrib import admin

    approved = _approved(brief, pm)
    services.invitation_accept(match_id=approved.pk, user=approved.expert.user)
    request = RequestFactory().get("/")
    request.user = pm
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue
        opts = model._meta
        listing = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(listing).status_code == 200, listing
        first = model_admin.get_queryset(request).first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            response = client.get(change)
            assert response.status_code == 200, change
            assert "/admin/accounts/user/" not in response.content.decode(), change

    superuser = factories.UserFactory(is_staff=True, is_superuser=True, role="admin")
    client.force_login(superuser)
    assert "/admin/accounts/user/" in client.get(pages[1]).content.decode()  # links stay


def _approved(brief, pm):
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    return match


def test_a_login_from_a_browser_that_never_chose_keeps_the_saved_language(client):
    from tests.factories import PASSWORD

    user = factories.UserFactory(email="saved-en@example.com")
    user.language = "en"
    user.save(update_fields=["language"])
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    user.refresh_from_db()
    assert user.language == "en"
