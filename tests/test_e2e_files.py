"""Issue 20 in a real browser (Debian's Chromium via Playwright): a startup attaches reference
files to a new brief, the invited expert downloads one from the workbench, and an expert who
was not invited gets nothing. Screenshots go to tests/artifacts/screenshots/files/."""

import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from experts.services import expert_refresh_rank_base
from kaigan.files.models import StoredFile
from marketplace.models import Brief
from marketplace.services import match_approve
from projects import services
from tests import factories
from tests.files_helpers import PDF, png
from tests.test_e2e_journey import SHOTS, Person, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_startup_attaches_files_and_the_invited_expert_downloads_one(
    browser,  # noqa: F811
    live_server,
    settings,
    tmp_path,
):
    settings.KAIGAN_MATCH_ROUND_SIZE = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "kaigan_files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    shots = SHOTS / "files"
    shutil.rmtree(shots, ignore_errors=True)
    pm = services.pm_create(
        email="pm-files@example.com", password=factories.PASSWORD, name="王经理"
    )
    founder = factories.StartupFactory(company_name="波罗蜜").owner
    writer = factories.ExpertFactory(display_name="陈文 Writer")
    expert_refresh_rank_base(expert_id=writer.pk)
    bystander = factories.ExpertFactory(display_name="旁观者", tag=factories.tag("naming"))
    people = []

    def person(name):
        someone = Person(
            browser, live_server.url, locale="zh-CN", width=1280, shots=shots, name=name
        )
        people.append(someone)
        return someone

    try:
        startup = person("startup")
        startup.login(founder.email, factories.PASSWORD, next_path="/briefs/new/")
        startup.page.fill("#id_title", "品牌视觉升级")
        startup.page.fill("#id_description", "参考附件里的品牌手册和情绪板。")
        startup.page.locator("label[for=brief-tag-copywriting]").click()
        startup.page.fill("#id_budget_min", "6000")
        startup.page.fill("#id_budget_max", "12000")
        deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
        startup.page.fill("#id_deadline", deadline)
        startup.page.set_input_files(
            "#id_files",
            [
                {"name": "品牌手册.pdf", "mimeType": "application/pdf", "buffer": PDF},
                {"name": "情绪板.png", "mimeType": "image/png", "buffer": png(640, 480)},
            ],
        )
        startup.shot("01-brief-with-files")
        startup.submit()

        brief = Brief.objects.get(title="品牌视觉升级")
        assert startup.page.url.endswith(f"/briefs/{brief.pk}/")
        manual, mood = StoredFile.objects.order_by("pk")
        assert (manual.name, mood.name) == ("品牌手册.pdf", "情绪板.png")
        mood.refresh_from_db()
        assert mood.thumbnail_key  # made by the task after the commit
        links = startup.page.locator(".file-list a.file-name")
        assert links.all_inner_texts() == ["品牌手册.pdf", "情绪板.png"]
        thumbnail = startup.page.locator(".file-list img")
        assert thumbnail.count() == 1
        assert thumbnail.evaluate("img => img.naturalWidth") > 0  # the thumbnail is shown
        startup.shot("02-brief-page-files")

        match = brief.matches.get(expert=writer)
        match_approve(match_id=match.pk, actor=pm)

        expert = person("expert")
        expert.login(writer.user.email, factories.PASSWORD, next_path="/expert/")
        invitation = expert.page.locator(".invitation")
        assert invitation.locator(".file-list a.file-name").all_inner_texts() == [
            "品牌手册.pdf",
            "情绪板.png",
        ]
        expert.shot("03-invitation-files")
        with expert.page.expect_download() as caught:
            invitation.locator("a.file-name", has_text="品牌手册.pdf").click()
        download = caught.value
        assert download.suggested_filename == "品牌手册.pdf"
        assert open(download.path(), "rb").read() == PDF  # noqa: SIM115, PTH123

        outsider = person("bystander")
        outsider.login(bystander.user.email, factories.PASSWORD, next_path="/expert/")
        for stored in (manual, mood):
            answer = outsider.context.request.get(f"{live_server.url}/files/{stored.pk}/download/")
            assert answer.status == 404
        assert "品牌手册.pdf" not in outsider.page.content()

        for someone in people:
            assert someone.errors == [], someone.errors
    finally:
        for someone in people:
            someone.close()
