"""Issue 20: uploaded files in S3-compatible object storage, against a real S3 protocol server.

moto's server (`moto[server]`) runs on 127.0.0.1 on a free port for this module; the storage is
configured the way production is, by `files_storage_from_env()` from FILES_S3_* variables. Files
go through the API into a private bucket; a download is the access check, then a redirect to a
short-lived signed URL whose answer (from the S3 server) carries the disposition and type.
"""

import socket
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from kaigan.files import services
from kaigan.files.models import StoredFile
from kaigan.settings.base import files_storage_from_env
from tests import factories
from tests.conftest import client_for
from tests.files_helpers import PDF, png, uploaded

pytestmark = pytest.mark.django_db

ACCESS_KEY, SECRET_KEY = "kaigan-test", "kaigan-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(
        ip_address="127.0.0.1", port=_free_port(), verbose=False
    )
    server.start()
    host, port = server._server.server_address[:2]
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch, tmp_path):
    """A fresh private bucket, and the files storage pointed at it from the environment."""
    import boto3

    bucket = f"kaigan-files-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    for name, value in {
        "FILES_S3_BUCKET": bucket,
        "FILES_S3_ENDPOINT_URL": s3_endpoint,
        "FILES_S3_REGION": "us-east-1",
        "FILES_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "FILES_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "FILES_S3_ADDRESSING_STYLE": "path",
        "FILES_S3_URL_EXPIRE_SECONDS": "45",
    }.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "kaigan_files": files_storage_from_env()}
    settings.LANGUAGE_CODE = "en"
    client.bucket = bucket
    client.local_root = tmp_path  # nothing may land on the local disk
    return client


def _objects(s3) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


def _fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the test's own server
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return answer.status, headers, answer.read()


def test_the_settings_choose_object_storage_from_the_environment(s3):
    options = files_storage_from_env()["OPTIONS"]
    assert files_storage_from_env()["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 45
    assert options["object_parameters"] == {"ContentDisposition": "attachment"}


def test_an_upload_goes_to_a_private_object_under_the_servers_key(s3, startup):
    response = client_for(startup.owner).post(
        "/api/v1/files/", {"file": uploaded("品牌手册.pdf", PDF)}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    stored = StoredFile.objects.get()
    assert _objects(s3) == {stored.key: PDF}
    head = s3.head_object(Bucket=s3.bucket, Key=stored.key)
    assert head["ContentType"] == "application/pdf"  # the detected type, not the browser's
    assert head["ContentDisposition"] == "attachment"
    grants = s3.get_object_acl(Bucket=s3.bucket, Key=stored.key)["Grants"]
    assert [g["Grantee"].get("URI") for g in grants] == [None]  # the owner only, nobody public
    assert list(s3.local_root.rglob("*")) == []


def test_a_download_redirects_the_reader_to_a_short_lived_signed_url(s3, startup):
    owner = client_for(startup.owner)
    file_id = owner.post(
        "/api/v1/files/", {"file": uploaded("品牌手册.pdf", PDF)}, format="multipart"
    ).json()["id"]

    response = owner.get(f"/api/v1/files/{file_id}/download/")

    assert response.status_code == 302
    assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["45"]
    assert "X-Amz-Signature" in query
    status, headers, body = _fetch(location)
    assert (status, body) == (200, PDF)
    assert headers["content-disposition"] == (
        "attachment; filename*=utf-8''%E5%93%81%E7%89%8C%E6%89%8B%E5%86%8C.pdf"
    )
    assert headers["content-type"] == "application/pdf"


def test_inline_images_and_thumbnails_through_object_storage(s3, startup, client):
    stored = services.file_upload(user=startup.owner, uploaded=uploaded("p.png", png(800, 400)))
    assert services.file_thumbnail_make(file_id=stored.pk) is True
    stored.refresh_from_db()
    assert set(_objects(s3)) == {stored.key, stored.thumbnail_key}
    client.force_login(startup.owner)

    inline = client.get(f"/files/{stored.pk}/download/?inline=1")
    thumbnail = client.get(f"/files/{stored.pk}/thumbnail/")

    _, headers, _ = _fetch(inline["Location"])
    assert headers["content-disposition"] == 'inline; filename="p.png"'
    assert headers["content-type"] == "image/png"
    _, headers, body = _fetch(thumbnail["Location"])
    assert headers["content-type"] == "image/webp"
    assert body[:4] == b"RIFF"


def test_object_storage_serves_nobody_the_access_check_refuses(s3, startup, other_startup, expert):
    stored = services.file_upload(user=startup.owner, uploaded=uploaded("a.pdf", PDF))
    hidden = services.file_upload(user=startup.owner, uploaded=uploaded("b.pdf", PDF))
    services.file_hide(file_id=hidden.pk, actor=startup.owner)

    for user in (other_startup.owner, expert.user, factories.ExpertFactory().user):
        response = client_for(user).get(f"/api/v1/files/{stored.pk}/download/")
        assert response.status_code == 404
        assert "Location" not in response
    answer = client_for(startup.owner).get(f"/api/v1/files/{hidden.pk}/download/")
    assert answer.status_code == 404
    assert "Location" not in answer
