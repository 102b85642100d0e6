"""Issue 20, the files foundation (kaigan/files): upload, validation by content, access-checked
serving with safe headers, attachments to a brief, hiding, thumbnails, the admin.

Every file is stored in a folder of the test's own (`file_storage`), so what a refused upload
left behind can be counted.
"""

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from kaigan.files import services
from kaigan.files.models import FileAttachment, FileEvent, StoredFile
from kaigan.files.validation import display_name
from marketplace.models import Brief, Match
from tests import factories
from tests.conftest import client_for
from tests.files_helpers import (
    EXE,
    HTML,
    PDF,
    SVG_CLEAN,
    SVG_SCRIPT,
    TEXT,
    docx,
    invite,
    jpeg,
    png,
    stored_file,
    uploaded,
    zipped,
)
from tests.test_api_matrix import _pm_user

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def file_storage(settings, tmp_path):
    """The files of this test in a folder of its own; messages in English (one test below reads
    them in Chinese)."""
    settings.LANGUAGE_CODE = "en"
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "kaigan_files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(root),
                "file_permissions_mode": 0o640,
                "directory_permissions_mode": 0o750,
            },
        },
    }
    return root


def stored_paths(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, name, data, content_type="application/octet-stream", **extra):
    return client.post(
        "/api/v1/files/",
        {"file": uploaded(name, data, content_type), **extra},
        format="multipart",
    )


# --- upload -----------------------------------------------------------------------------------


def test_an_upload_is_stored_under_a_key_of_the_servers_making(startup, file_storage):
    client = client_for(startup.owner)
    data = png()

    response = upload(client, "品牌 标志.png", data, "image/png")

    assert response.status_code == 201, response.json()
    stored = StoredFile.objects.get()
    assert response.json() == {
        "id": stored.pk,
        "name": "品牌 标志.png",
        "size": len(data),
        "content_type": "image/png",
    }
    assert stored.uploaded_by == startup.owner
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.width, stored.height) == (40, 30)
    [path] = stored_paths(file_storage)
    assert path == file_storage / stored.key
    assert path.read_bytes() == data
    # The key holds nothing of the name, no extension, and the file is not executable.
    assert "品牌" not in stored.key
    assert "." not in stored.key
    assert stat.S_IMODE(path.stat().st_mode) & 0o111 == 0


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("photo.png", HTML, 400, "HTML and other web pages are not accepted."),
        ("logo.svg", SVG_SCRIPT, 400, "SVG images with scripts"),
        ("setup.png", EXE, 400, "Programs are not accepted."),
        ("run.txt", b"#!/bin/sh\nrm -rf ~\n", 400, "Scripts are not accepted."),
        ("notes.js", b"fetch('/api/v1/briefs/')\n", 400, "Scripts are not accepted."),
        ("broken.png", png()[:60], 400, "The image is damaged or not an image."),
        ("empty.pdf", b"", 400, "The submitted file is empty."),
        ("tools.zip", zipped({"readme.txt": b"x", "bin/tool.exe": EXE}), 400, "programs"),
        (
            "macro.docx",
            zipped(
                {
                    "[Content_Types].xml": b"x",
                    "word/document.xml": b"x",
                    "word/vbaProject.bin": b"x",
                }
            ),
            400,
            "macros",
        ),
        ("data.bin", bytes(range(256)) * 4, 400, "This type of file is not accepted."),
    ],
    ids=[
        "html-as-png",
        "svg-script",
        "exe",
        "shebang",
        "js",
        "damaged",
        "empty",
        "zip-exe",
        "macro",
        "binary",
    ],
)
def test_a_refused_upload_is_a_4xx_and_stores_nothing(
    startup, file_storage, name, data, status, message
):
    client = client_for(startup.owner)

    response = upload(client, name, data, "image/png")

    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["errors"]["file"][0]
    assert StoredFile.objects.count() == 0
    assert stored_paths(file_storage) == []


def test_a_file_over_the_limit_is_a_413_and_nothing_is_kept(startup, settings, file_storage):
    settings.KAIGAN_FILE_MAX_BYTES = 2000
    client = client_for(startup.owner)

    response = upload(client, "big.txt", b"a" * 2001)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["errors"] == {"file": ["A file may be at most 2.0\xa0KB."]}
    assert StoredFile.objects.count() == 0
    assert stored_paths(file_storage) == []
    # At the limit it passes.
    assert upload(client, "fits.txt", b"a" * 2000).status_code == 201


def test_a_body_larger_than_any_allowed_upload_is_not_read(startup, settings):
    settings.KAIGAN_FILE_MAX_BYTES = 1000
    settings.KAIGAN_FILE_MAX_PER_REQUEST = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(startup.owner)

    response = upload(client, "big.txt", b"a" * 5000)

    assert response.status_code == 413
    assert StoredFile.objects.count() == 0


def test_the_quota_counts_every_byte_an_account_stored(startup, settings, file_storage):
    settings.KAIGAN_FILE_QUOTA_BYTES = 3000
    client = client_for(startup.owner)
    first = upload(client, "a.txt", b"a" * 2000)
    services.file_hide(file_id=first.json()["id"], actor=startup.owner)  # hidden still counts

    response = upload(client, "b.txt", b"b" * 1500)

    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"
    assert StoredFile.objects.count() == 1
    assert len(stored_paths(file_storage)) == 1
    # Another account has its own quota.
    assert (
        upload(client_for(factories.StartupFactory().owner), "c.txt", b"c" * 1500).status_code
        == 201
    )


def _upload_rate(settings, monkeypatch, rate: str) -> None:
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], file_upload=rate)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_many_uploads_at_once_are_throttled(startup, settings, monkeypatch, file_storage):
    _upload_rate(settings, monkeypatch, "20/min")
    client = client_for(startup.owner)

    statuses = [upload(client, f"note-{i}.txt", TEXT).status_code for i in range(30)]

    assert statuses == [201] * 20 + [429] * 10
    assert StoredFile.objects.count() == 20
    assert len(stored_paths(file_storage)) == 20


def test_one_file_per_request(startup, file_storage):
    client = client_for(startup.owner)

    response = client.post(
        "/api/v1/files/",
        {"file": [uploaded("a.txt", TEXT), uploaded("b.txt", TEXT)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["Send one file per request, in the part “file”."]}
    assert StoredFile.objects.count() == 0


def test_the_upload_takes_multipart_only(startup):
    response = client_for(startup.owner).post("/api/v1/files/", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert StoredFile.objects.count() == 0


def test_anonymous_uploads_are_refused(api_client, file_storage):
    assert upload(api_client, "a.txt", TEXT).status_code == 401
    assert stored_paths(file_storage) == []


@pytest.mark.parametrize(
    ("raw", "content_type", "shown"),
    [
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("..\\..\\windows\\win.ini", "text/plain", "win.ini.txt"),
        ("invoice\u202egpj.exe", "application/pdf", "invoicegpj.exe.pdf"),
        ("..", "application/pdf", "file.pdf"),
        ("CON.pdf", "application/pdf", "_CON.pdf"),
        ('a<b>:"c"|?*.pdf', "application/pdf", "a_b___c____.pdf"),
        ("  报告\t终稿 .PDF", "application/pdf", "报告 终稿.PDF"),
        ("x" * 300 + ".png", "image/png", "x" * 116 + ".png"),
        ("notes.md", "text/markdown", "notes.md"),
    ],
)
def test_display_names_are_cleaned_and_agree_with_the_content(raw, content_type, shown):
    assert display_name(raw, content_type) == shown


def test_a_path_in_the_name_is_kept_for_display_only(startup, file_storage):
    response = upload(client_for(startup.owner), "../../etc/passwd", TEXT)

    assert response.status_code == 201
    stored = StoredFile.objects.get()
    assert stored.name == "passwd.txt"
    assert stored.content_type == "text/plain"
    assert "passwd" not in stored.key
    assert ".." not in stored.key
    assert [p.relative_to(file_storage).as_posix() for p in stored_paths(file_storage)] == [
        stored.key
    ]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", jpeg(), "image/jpeg"),
        ("brief.pdf", PDF, "application/pdf"),
        ("logo.ai", PDF, "application/pdf"),
        (
            "plan.docx",
            docx(),
            DOCX,
        ),
        (
            "assets.zip",
            zipped({"site/index.html": b"<p>x</p>", "logo.png": png()}),
            "application/zip",
        ),
        ("notes.md", TEXT, "text/markdown"),
        ("gbk.txt", "中文说明".encode("gb18030"), "text/plain"),
        ("font.woff2", b"wOF2\x00\x01\x00\x00" + b"\x00" * 64, "font/woff2"),
        ("logo.svg", SVG_CLEAN, "image/svg+xml"),
        ("actually-a-png.pdf", png(), "image/png"),
    ],
    ids=[
        "jpeg",
        "pdf",
        "ai",
        "docx",
        "zip",
        "markdown",
        "gb18030",
        "woff2",
        "svg",
        "png-named-pdf",
    ],
)
def test_accepted_types_are_read_from_the_content(startup, name, data, content_type):
    response = upload(client_for(startup.owner), name, data, "application/x-anything")
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == content_type


# --- serving ------------------------------------------------------------------------------------


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_download_is_an_attachment_with_safe_headers(startup):
    stored = stored_file(startup.owner, name="品牌手册.pdf")
    client = client_for(startup.owner)

    response = client.get(f"/api/v1/files/{stored.pk}/download/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert _bytes(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('品牌手册.pdf')}"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}


@pytest.mark.parametrize(
    ("name", "data", "inline"),
    [("p.png", png(), True), ("p.pdf", PDF, False), ("logo.svg", SVG_CLEAN, False)],
)
def test_only_raster_images_are_ever_shown_inline(startup, client, name, data, inline):
    stored = stored_file(startup.owner, name=name, data=data)
    client.force_login(startup.owner)

    for url in (
        f"/api/v1/files/{stored.pk}/download/?inline=1",
        reverse("files:download", args=[stored.pk]) + "?inline=1",
    ):
        response = client.get(url)
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert disposition.startswith("inline;" if inline else "attachment;"), url
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Without asking, everything is an attachment.
    assert client.get(reverse("files:download", args=[stored.pk]))[
        "Content-Disposition"
    ].startswith("attachment;")


def test_a_thumbnail_is_made_after_commit_once_and_served_inline(
    startup, django_capture_on_commit_callbacks, file_storage
):
    client = client_for(startup.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, "photo.png", png(1200, 600), "image/png")
    assert len(callbacks) == 1
    stored = StoredFile.objects.get(pk=response.json()["id"])

    assert stored.thumbnail_key == stored.key + "-thumb"
    with Image.open(file_storage / stored.thumbnail_key) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (320, 160))
    assert services.file_thumbnail_make(file_id=stored.pk) is False  # made once
    assert len(stored_paths(file_storage)) == 2

    browser = client_for(None)
    browser.force_login(startup.owner)
    served = browser.get(reverse("files:thumbnail", args=[stored.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert served["Content-Disposition"] == 'inline; filename="photo.webp"'
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_no_thumbnail_for_other_types_and_none_before_the_worker(startup, file_storage):
    pdf = stored_file(startup.owner)
    image = stored_file(startup.owner, name="p.png", data=png())  # the task not run yet
    client = client_for(None)
    client.force_login(startup.owner)

    assert services.file_thumbnail_make(file_id=pdf.pk) is False
    for stored in (pdf, image):
        assert client.get(reverse("files:thumbnail", args=[stored.pk])).status_code == 404


def test_an_image_over_the_pixel_limit_is_refused(startup, settings):
    settings.KAIGAN_FILE_MAX_PIXELS = 1000
    response = upload(client_for(startup.owner), "huge.png", png(100, 100), "image/png")
    assert response.status_code == 413
    assert StoredFile.objects.count() == 0


# --- who may read what ------------------------------------------------------------------------

ROLES = (
    "anon",
    "owner",
    "st2",
    "pm",
    "pm2",
    "invited",
    "uninvited",
    "replaced",
    "foreign",
    "super",
)


@dataclass
class FileWorld:
    users: dict
    brief: Brief
    files: dict


def file_world() -> FileWorld:
    """A startup's brief with a reference image (thumbnailed), its PM, the expert invited to it,
    one who was replaced on it, one never invited; another startup's brief, with its own file,
    its PM and the expert working on it; an upload attached to nothing; a hidden file."""
    pm, pm2 = _pm_user(), _pm_user()
    startup, other = factories.StartupFactory(), factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.AWAITING_EXPERT)
    other_brief = factories.BriefFactory(startup=other, pm=pm2, status=Brief.Status.IN_PROGRESS)
    invited, replaced, foreign = (factories.ExpertFactory() for _ in range(3))
    uninvited = factories.ExpertFactory(tag=factories.tag("naming"))
    factories.MatchFactory(brief=brief, expert=replaced, status=Match.Status.REPLACED)
    invite(brief, invited)
    invite(other_brief, foreign, status=Match.Status.ACCEPTED)
    owner = startup.owner
    files = {
        "brief": stored_file(owner, name="参考图.png", data=png()),
        "loose": stored_file(owner, name="草稿.pdf"),
        "hidden": stored_file(owner, name="旧版.pdf"),
        "other": stored_file(other.owner, name="他们的.pdf"),
    }
    services.file_thumbnail_make(file_id=files["brief"].pk)
    services.files_attach(
        user=owner, target=brief, file_ids=[files["brief"].pk, files["hidden"].pk]
    )
    services.files_attach(user=other.owner, target=other_brief, file_ids=[files["other"].pk])
    services.file_hide(file_id=files["hidden"].pk, actor=owner)
    users = {
        "anon": None,
        "owner": owner,
        "st2": other.owner,
        "pm": pm,
        "pm2": pm2,
        "invited": invited.user,
        "uninvited": uninvited.user,
        "replaced": replaced.user,
        "foreign": foreign.user,
        "super": factories.UserFactory(role="admin", is_staff=True, is_superuser=True),
    }
    return FileWorld(users=users, brief=brief, files={k: f.pk for k, f in files.items()})


#: Who reads each file (the rest get 404; anonymous 401 from the API, the login page otherwise).
READERS = {
    "brief": {"owner", "pm", "invited", "super"},
    "loose": {"owner", "super"},
    "hidden": set(),
    "other": {"st2", "pm2", "foreign", "super"},
}
ROUTES = {
    "api": lambda pk: f"/api/v1/files/{pk}/download/",
    "page": lambda pk: reverse("files:download", args=[pk]),
    "thumbnail": lambda pk: reverse("files:thumbnail", args=[pk]),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_file_route_answers_each_role_by_what_the_file_is_attached_to(route):
    world = file_world()
    before = (list(StoredFile.objects.values()), list(FileEvent.objects.values()))
    wrong = []
    for role in ROLES:
        client = APIClient()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        for kind, pk in world.files.items():
            response = client.get(ROUTES[route](pk))
            if role == "anon":
                expected = 401 if route == "api" else 302
            elif role in READERS[kind]:
                # Only the image has a thumbnail.
                expected = 404 if route == "thumbnail" and kind != "brief" else 200
            else:
                expected = 404
            if response.status_code != expected:
                wrong.append((role, kind, response.status_code, expected))
            if expected == 302:
                assert response["Location"].startswith(reverse("account_login"))
    assert wrong == []
    assert (list(StoredFile.objects.values()), list(FileEvent.objects.values())) == before


def test_walking_ids_tells_nothing_about_files_one_may_not_read():
    """Each role walks every id around the world's files: what it may not read answers exactly
    as an id that does not exist."""
    world = file_world()
    ids = sorted(world.files.values())
    walked = range(ids[0] - 2, ids[-1] + 3)
    for role in ROLES[1:]:
        client = client_for(world.users[role])
        nothing = client.get("/api/v1/files/999999999/download/")
        assert nothing.status_code == 404
        readable = set()
        for pk in walked:
            response = client.get(f"/api/v1/files/{pk}/download/")
            if response.status_code == 200:
                readable.add(pk)
            else:
                assert (response.status_code, response.json()) == (404, nothing.json())
        assert readable == {world.files[k] for k, who in READERS.items() if role in who}, role


def test_an_invited_expert_loses_the_files_when_the_invitation_ends(expert, startup):
    brief = factories.BriefFactory(startup=startup)
    stored = stored_file(startup.owner)
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    match = invite(brief, expert)
    client = client_for(expert.user)
    url = f"/api/v1/files/{stored.pk}/download/"
    assert client.get(url).status_code == 200

    for ended in (Match.Status.DECLINED, Match.Status.EXPIRED, Match.Status.REPLACED):
        Match.objects.filter(pk=match.pk).update(status=ended)
        assert client.get(url).status_code == 404, ended


# --- a brief's reference files ------------------------------------------------------------------


def _brief_payload(**extra):
    return {
        "title": "发布会文案",
        "description": "为发布会写主视觉文案。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 10000,
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **extra,
    }


def test_a_startup_attaches_its_uploads_to_a_new_brief(startup, pm):
    client = client_for(startup.owner)
    first = upload(client, "品牌手册.pdf", PDF).json()
    second = upload(client, "logo.png", png(), "image/png").json()

    response = client.post("/api/v1/briefs/", _brief_payload(files=[second["id"], first["id"]]))

    assert response.status_code == 201, response.json()
    files = response.json()["files"]
    assert files == [
        {**second, "download_url": f"/api/v1/files/{second['id']}/download/"},
        {**first, "download_url": f"/api/v1/files/{first['id']}/download/"},
    ]
    brief_id = response.json()["id"]
    assert client.get(f"/api/v1/briefs/{brief_id}/").json()["files"] == files
    assert "files" not in client.get("/api/v1/briefs/").json()["results"][0]
    assert list(FileEvent.objects.filter(target_id=brief_id).values_list("action", flat=True)) == [
        "attached",
        "attached",
    ]


def test_a_brief_takes_only_the_startups_own_uploads(startup, other_startup, pm):
    mine = stored_file(startup.owner)
    theirs = stored_file(other_startup.owner)
    client = client_for(startup.owner)

    response = client.post("/api/v1/briefs/", _brief_payload(files=[mine.pk, theirs.pk]))

    assert response.status_code == 400
    assert response.json()["errors"] == {"files": [f"File {theirs.pk} is not one of your uploads."]}
    assert Brief.objects.count() == 0
    assert FileAttachment.objects.count() == 0


def test_editing_a_briefs_files_attaches_and_removes_with_a_record(startup, pm):
    client = client_for(startup.owner)
    kept, dropped, added = (stored_file(startup.owner, name=f"{n}.pdf") for n in "abc")
    brief_id = client.post("/api/v1/briefs/", _brief_payload(files=[kept.pk, dropped.pk])).json()[
        "id"
    ]

    response = client.patch(
        f"/api/v1/briefs/{brief_id}/", {"files": [kept.pk, added.pk], "version": 1}
    )

    assert response.status_code == 200, response.json()
    assert [f["id"] for f in response.json()["files"]] == [kept.pk, added.pk]
    assert response.json()["version"] == 2
    removed = FileAttachment.objects.get(file=dropped)
    assert removed.removed_at is not None
    assert removed.removed_by == startup.owner
    assert (
        FileEvent.objects.filter(file=dropped, action="removed", actor=startup.owner).count() == 1
    )
    # Removed from the brief, not deleted: its uploader still has it.
    assert client.get(f"/api/v1/files/{dropped.pk}/download/").status_code == 200
    assert StoredFile.objects.count() == 3


def test_too_many_files_on_one_brief_are_refused(startup, pm, settings):
    settings.KAIGAN_FILE_MAX_PER_OBJECT = 2
    ids = [stored_file(startup.owner, name=f"{n}.pdf").pk for n in range(3)]
    response = client_for(startup.owner).post("/api/v1/briefs/", _brief_payload(files=ids))
    assert response.status_code == 400
    assert response.json()["errors"] == {"files": ["At most 2 files can be attached here."]}
    assert Brief.objects.count() == 0


def test_a_hidden_file_leaves_every_list_and_download(startup, pm, expert):
    client = client_for(startup.owner)
    stored = stored_file(startup.owner)
    brief_id = client.post("/api/v1/briefs/", _brief_payload(files=[stored.pk])).json()["id"]

    services.file_hide(file_id=stored.pk, actor=startup.owner)

    assert client.get(f"/api/v1/briefs/{brief_id}/").json()["files"] == []
    assert client.get(f"/api/v1/files/{stored.pk}/download/").status_code == 404
    event = FileEvent.objects.get(file=stored, action="hidden")
    assert event.actor == startup.owner
    assert StoredFile.objects.get(pk=stored.pk).hidden_by == startup.owner


def test_someone_else_cannot_hide_a_file(startup, other_startup, expert):
    stored = stored_file(startup.owner)
    for user in (other_startup.owner, expert.user):
        with pytest.raises(Exception, match="You may not hide this file."):
            services.file_hide(file_id=stored.pk, actor=user, reason="x")
    assert StoredFile.objects.get(pk=stored.pk).hidden_at is None
    assert FileEvent.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete guard is PostgreSQL's")
def test_the_database_refuses_to_delete_files_and_their_records(startup):
    stored = stored_file(startup.owner)
    brief = factories.BriefFactory(startup=startup)
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    for model in (FileEvent, FileAttachment, StoredFile):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.all().delete()
    assert StoredFile.objects.count() == 1


# --- the browser ------------------------------------------------------------------------------


def _form(**extra):
    return _brief_payload(**extra)


def test_the_brief_form_attaches_several_files_and_the_page_lists_them(client, startup, pm):
    client.force_login(startup.owner)

    response = client.post(
        reverse("marketplace:brief_create"),
        _form(files=[uploaded("参考.pdf", PDF), uploaded("mood.png", png())]),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    brief = Brief.objects.get()
    names = [f.name for f in StoredFile.objects.order_by("pk")]
    assert names == ["参考.pdf", "mood.png"]
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    for stored in StoredFile.objects.all():
        assert f'href="{reverse("files:download", args=[stored.pk])}"' in page
        assert stored.name in page


def test_the_brief_form_refuses_a_disguised_file_and_stores_nothing(
    client, startup, pm, file_storage
):
    client.force_login(startup.owner)

    response = client.post(
        reverse("marketplace:brief_create"),
        _form(files=[uploaded("fine.pdf", PDF), uploaded("photo.png", HTML)]),
    )

    assert response.status_code == 400
    assert "photo.png: HTML and other web pages are not accepted." in response.content.decode()
    assert Brief.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert stored_paths(file_storage) == []


def test_the_brief_form_refuses_too_many_files_at_once(client, startup, pm, settings):
    settings.KAIGAN_FILE_MAX_PER_REQUEST = 3
    client.force_login(startup.owner)

    response = client.post(
        reverse("marketplace:brief_create"),
        _form(files=[uploaded(f"{n}.txt", TEXT) for n in range(5)]),
    )

    assert response.status_code == 400
    assert "Send at most 3 files at a time." in response.content.decode()
    assert Brief.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_editing_in_the_browser_removes_a_file_and_adds_another(client, startup, pm):
    client.force_login(startup.owner)
    old = stored_file(startup.owner, name="旧.pdf")
    kept = stored_file(startup.owner, name="留.pdf")
    brief = factories.BriefFactory(startup=startup, pm=pm)
    services.files_attach(user=startup.owner, target=brief, file_ids=[old.pk, kept.pk])
    from marketplace.forms import BriefForm

    form = {k: v for k, v in BriefForm.initial_for(brief).items() if v is not None}
    response = client.post(
        reverse("marketplace:brief_edit", args=[brief.pk]),
        {**form, "remove_files": [old.pk], "files": [uploaded("新.pdf", PDF)]},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    from kaigan.files.selectors import files_of

    assert [f.name for f in files_of(brief)] == ["留.pdf", "新.pdf"]
    assert FileEvent.objects.filter(file=old, action="removed").count() == 1


def test_the_invited_expert_sees_the_files_on_the_workbench(client, startup, expert):
    brief = factories.BriefFactory(startup=startup, status=Brief.Status.AWAITING_EXPERT)
    stored = stored_file(startup.owner, name="参考资料.pdf")
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    invite(brief, expert)
    client.force_login(expert.user)

    page = client.get(reverse("experts:dashboard")).content.decode()

    assert "参考资料.pdf" in page
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 200


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_shows_a_pm_the_files_of_their_briefs_only(client, pm):
    startup = factories.StartupFactory()
    mine = factories.BriefFactory(startup=startup, pm=pm)
    others = factories.BriefFactory(startup=startup, pm=_pm_user())
    on_mine, on_others = stored_file(startup.owner, "mine.pdf"), stored_file(startup.owner, "o.pdf")
    services.files_attach(user=startup.owner, target=mine, file_ids=[on_mine.pk])
    services.files_attach(user=startup.owner, target=others, file_ids=[on_others.pk])
    client.force_login(pm)

    listed = client.get(reverse("admin:files_storedfile_changelist"))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [on_mine]
    assert (
        client.get(reverse("admin:files_storedfile_change", args=[on_mine.pk])).status_code == 200
    )
    assert (
        client.get(reverse("admin:files_storedfile_change", args=[on_others.pk])).status_code == 302
    )
    assert (
        client.get(reverse("admin:files_storedfile_delete", args=[on_mine.pk])).status_code == 403
    )


def test_a_pm_hides_a_file_with_a_reason_in_the_admin(client, pm):
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup, pm=pm)
    stored = stored_file(startup.owner)
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    client.force_login(pm)
    url = reverse("admin:files_storedfile_changelist")
    action = {"action": "hide_selected", "_selected_action": [stored.pk]}

    asked = client.post(url, action)
    assert asked.status_code == 200
    assert "reason" in asked.content.decode()
    assert StoredFile.objects.get().hidden_at is None

    done = client.post(url, {**action, "apply": "1", "reason": "含有客户隐私"})

    assert done.status_code == 302
    stored.refresh_from_db()
    assert stored.hidden_by == pm
    event = FileEvent.objects.get(action="hidden")
    assert (event.actor, event.reason) == (pm, "含有客户隐私")
    assert client_for(startup.owner).get(f"/api/v1/files/{stored.pk}/download/").status_code == 404


def test_uploads_of_the_test_run_stay_out_of_the_project():
    location = django_settings.STORAGES["kaigan_files"]["OPTIONS"]["location"]
    assert not str(location).startswith(str(django_settings.BASE_DIR))
    assert os.path.isabs(location)


def test_a_refusal_speaks_the_persons_language(startup, settings, file_storage):
    settings.LANGUAGE_CODE = "zh-hans"

    response = upload(client_for(startup.owner), "photo.png", HTML, "image/png")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["不接受 HTML 等网页文件。"]}
    assert stored_paths(file_storage) == []


def test_the_invitations_api_lists_the_files_while_the_invitation_lasts(startup, expert):
    brief = factories.BriefFactory(startup=startup, status=Brief.Status.AWAITING_EXPERT)
    stored = stored_file(startup.owner, name="参考资料.pdf")
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    match = invite(brief, expert)
    client = client_for(expert.user)
    listed = {
        "id": stored.pk,
        "name": "参考资料.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "download_url": f"/api/v1/files/{stored.pk}/download/",
    }

    assert client.get("/api/v1/invitations/").json()["results"][0]["files"] == [listed]
    Match.objects.filter(pk=match.pk).update(status=Match.Status.DECLINED)
    assert client.get("/api/v1/invitations/").json()["results"][0]["files"] == []


def test_the_pm_finds_the_reference_files_on_the_briefs_admin_page(client, pm):
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup, pm=pm)
    stored = stored_file(startup.owner, name="品牌手册.pdf")
    services.files_attach(user=startup.owner, target=brief, file_ids=[stored.pk])
    client.force_login(pm)

    page = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk]))

    assert page.status_code == 200
    link = f'<a href="{reverse("files:download", args=[stored.pk])}">品牌手册.pdf</a>'
    assert link in page.content.decode()
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 200
