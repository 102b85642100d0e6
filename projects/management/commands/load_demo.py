"""Demo data for `make run`: logins for each role, experts on every tag, a few briefs.

Idempotent: it finds what it made before by fixed emails and titles and makes no duplicates.
"""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from experts import services as expert_services
from experts.models import Expert, Tag
from kaigan.accounts.models import User
from kaigan.accounts.services import user_profile_create
from marketplace import services as marketplace_services
from marketplace.models import Brief
from projects.services import brief_submit, pm_create, pm_group_ensure

DEMO_PASSWORD = "kaigan-demo-2026"  # noqa: S105  (demo data for local development only)
LOGINS = [
    ("admin@example.com", "superuser"),
    ("pm@example.com", "project manager"),
    ("startup@example.com", "startup"),
    ("expert@example.com", "expert"),
]
EXPERTS_PER_TAG = 3


class Command(BaseCommand):
    help = "Load demo users, experts and briefs (safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            self._load()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Logins (password for all):"))
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        for email, role in LOGINS:
            self.stdout.write(f"  {email:<24} {role}")

    def _user(self, email, role, **extra):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, role=role, **extra)
            user_profile_create(user=user)
        return user

    def _load(self):
        fake = Faker("zh_CN")
        Faker.seed(2026)
        rng = random.Random(2026)
        pm_group_ensure()
        if not User.objects.filter(email="admin@example.com").exists():
            User.objects.create_superuser(
                email="admin@example.com", password=DEMO_PASSWORD, name="管理员"
            )
        if not User.objects.filter(email="pm@example.com").exists():
            pm_create(email="pm@example.com", password=DEMO_PASSWORD, name="王经理")

        startup_user = self._user("startup@example.com", User.Role.STARTUP, name="李创")
        marketplace_services.startup_update(
            startup_id=startup_user.startup.pk,
            data={
                "company_name": "接我科技",
                "stage": "pre_a",
                "industry": "出行",
                "city": "北京",
                "description": "为上班族提供定制通勤班车。",
            },
        )
        expert_user = self._user("expert@example.com", User.Role.EXPERT, name="陈文")
        expert = expert_user.expert
        if expert.tag_id is None:
            expert_services.expert_update(
                expert_id=expert.pk,
                data={
                    "display_name": "陈文",
                    "headline": "十年科技品牌文案",
                    "city": "北京",
                    "day_rate": 2500,
                    "bio": "为二十多家创业公司写过发布会与融资新闻稿。",
                },
            )
            expert_services.expert_claim_tag(
                expert_id=expert.pk, tag_slug="copywriting", actor=expert_user
            )

        for tag in Tag.objects.filter(is_active=True):
            for n in range(EXPERTS_PER_TAG):
                email = f"expert-{tag.slug}-{n}@example.com"
                if User.objects.filter(email=email).exists():
                    continue
                name = fake.name()
                user = self._user(email, User.Role.EXPERT, name=name)
                expert_services.expert_update(
                    expert_id=user.expert.pk,
                    data={
                        "display_name": name,
                        "headline": f"{tag.name} · {fake.company_prefix()}",
                        "city": fake.city_name(),
                        "day_rate": rng.choice([800, 1200, 1500, 2000, 3000, 5000]),
                        "capacity": rng.choice([2, 3, 3, 4]),
                    },
                )
                expert_services.expert_claim_tag(
                    expert_id=user.expert.pk, tag_slug=tag.slug, actor=user
                )
                ratings = rng.randint(0, 12)
                Expert.objects.filter(pk=user.expert.pk).update(
                    rating_count=ratings,
                    rating_sum=sum(rng.choice([3, 4, 4, 5, 5]) for _ in range(ratings)),
                    completed_count=ratings,
                )
                expert_services.expert_refresh_rank_base(expert_id=user.expert.pk)

        startup = startup_user.startup
        demo_briefs = [
            ("新版班车 App 上线新闻稿", "pr-media", 8000, 15000, "发布会"),
            ("发布会主视觉与海报文案", "copywriting", 5000, 10000, "发布会"),
            ("小红书种草计划", "xiaohongshu-ops", 10000, 30000, ""),
        ]
        for title, tag_slug, low, high, campaign in demo_briefs:
            if Brief.objects.filter(startup=startup, title=title).exists():
                continue
            brief_submit(
                startup=startup,
                actor=startup_user,
                title=title,
                description=f"{title}:面向一线城市白领,突出准点与舒适。请在截止日前交付初稿。",
                tag=tag_slug,
                budget_min=low,
                budget_max=high,
                deadline=timezone.localdate() + timedelta(days=30),
                campaign=campaign,
            )
