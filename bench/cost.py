"""Per-request cost of the read endpoints, in process, against the load benchmark's database.

    DATABASE_URL=postgres://kaigan:kaigan@127.0.0.1:5432/kaigan_load \
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/cost.py \
        [--n 200] [--dump DIR] [--only brief_list,...]

Drives Django's test client in the bench settings (production plus plain http). For each
endpoint it prints the queries of one request and the CPU time of the web process per request
(`time.process_time`, the median of 5 batches). CPU time counts neither PostgreSQL nor Redis.
With UNDER_CALLGRIND=1, under `valgrind --tool=callgrind --instr-atstart=no`, it switches
counting on around each endpoint's measured requests only (`callgrind_control -i on/off`) and
dumps the counts once per endpoint (the dump's trigger names the endpoint); run it then with
--n 10 and divide each dump's `totals:` by 10.

`--dump DIR` writes each response body (and a few more variants: filters, other roles, English)
to DIR, with the CSRF token masked, so that the output before and after a change can be diffed.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaigan.settings.bench")
os.environ.setdefault("SECRET_KEY", "bench-cost-not-secret-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("THROTTLE_USER", "1000000/s")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CACHE_KEY_PREFIX", "kaigan-cost")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from kaigan.accounts.models import User  # noqa: E402
from kaigan.accounts.tokens import api_token_issue  # noqa: E402
from marketplace.models import Brief, Match  # noqa: E402

settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+')


def _callgrind(*args: str) -> None:
    if os.environ.get("UNDER_CALLGRIND"):
        subprocess.run(
            ["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--dump")
    parser.add_argument("--only")
    args = parser.parse_args()

    startup_user = User.objects.get(email="load-startup-0@load.example.com")
    pm_user = User.objects.get(email="load-pm-0@load.example.com")
    detail = (
        Brief.objects.filter(startup__owner=startup_user, status=Brief.Status.IN_PROGRESS)
        .filter(rematch_count=1)
        .order_by("id")
        .first()
    )
    pm_brief = (
        Brief.objects.filter(pm=pm_user)
        .annotate(n=django.db.models.Count("matches"))
        .order_by("-n", "id")
        .first()
    )
    expert_match = (
        Match.objects.filter(status__in=[Match.Status.APPROVED, Match.Status.ACCEPTED])
        .order_by("id")
        .first()
    )

    def token_client(user):
        _token, key = api_token_issue(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {key}")

    startup_api = token_client(startup_user)
    pm_api = token_client(pm_user)
    expert_api = token_client(expert_match.expert.user)
    startup_web = Client()
    startup_web.force_login(startup_user)
    startup_web_en = Client()
    startup_web_en.force_login(startup_user)
    startup_web_en.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    from experts.models import Tag

    measured = {
        "bare_drf": (Client(), f"/bench/tag/{Tag.objects.order_by('id').first().pk}/"),
        "signed_in_drf": (
            startup_api,
            f"/bench/signed-in-tag/{Tag.objects.order_by('id').first().pk}/",
        ),
        "brief_list": (startup_api, "/api/v1/briefs/"),
        "brief_list_active": (startup_api, "/api/v1/briefs/?status=in_progress"),
        "brief_detail_page": (startup_web, f"/briefs/{detail.pk}/"),
        "pm_matches": (pm_api, f"/api/v1/briefs/{pm_brief.pk}/matches/"),
        "brief_detail_api": (startup_api, f"/api/v1/briefs/{detail.pk}/"),
        "invitations": (expert_api, "/api/v1/invitations/"),
    }
    extra = {
        "brief_list_p2": (startup_api, "/api/v1/briefs/?page=2&page_size=50"),
        "brief_list_filtered": (startup_api, "/api/v1/briefs/?status=delivered&status=completed"),
        "brief_list_bad": (startup_api, "/api/v1/briefs/?status=nope"),
        "pm_brief_list": (pm_api, "/api/v1/briefs/"),
        "pm_matches_r1": (pm_api, f"/api/v1/briefs/{pm_brief.pk}/matches/?round=1"),
        "owner_matches": (startup_api, f"/api/v1/briefs/{detail.pk}/matches/"),
        "brief_detail_page_en": (startup_web_en, f"/briefs/{detail.pk}/"),
        "other_tenant_404": (startup_api, f"/api/v1/briefs/{pm_brief.pk}/")
        if pm_brief.startup.owner_id != startup_user.pk
        else None,
    }
    # More detail pages: every status the startup has, one brief each.
    for status in Brief.Status.values:
        brief = (
            Brief.objects.filter(startup__owner=startup_user, status=status).order_by("id").first()
        )
        if brief:
            extra[f"page_{status}"] = (startup_web, f"/briefs/{brief.pk}/")
            extra[f"page_{status}_en"] = (startup_web_en, f"/briefs/{brief.pk}/")

    if args.dump:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        for name, spec in {**measured, **extra}.items():
            if spec is None:
                continue
            client, url = spec
            response = client.get(url)
            body = CSRF.sub(rb"\1MASKED", response.content)
            (out / f"{name}.txt").write_bytes(f"{response.status_code} {url}\n".encode() + body)
        print(f"dumped to {out}")

    only = set(args.only.split(",")) if args.only else set(measured)
    results = {}
    for name, (client, url) in measured.items():
        if name not in only:
            continue
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        queries = []

        def count(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            client.get(url)
        batches = []
        per_batch = max(1, args.n // 5)
        _callgrind("-i", "on")
        for _ in range(5):
            start = time.process_time()
            for _ in range(per_batch):
                client.get(url)
            batches.append((time.process_time() - start) / per_batch * 1000)
        _callgrind("-i", "off")
        _callgrind(f"--dump={name}")
        results[name] = {
            "queries": len(queries),
            "cpu_ms": round(statistics.median(batches), 2),
        }
        print(f"{name:20s} {len(queries):2d} queries  {results[name]['cpu_ms']:6.2f} ms CPU")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
