"""factory_boy factories for every model. Tags come from the data migration."""

from datetime import timedelta

import factory
from django.utils import timezone

from experts.models import Expert, Tag, TagChange
from kaigan.accounts.models import User
from kaigan.notifications.models import Notification
from marketplace.models import Brief, BriefEvent, Campaign, Match, Startup
from projects.models import Feedback, Project, ProjectManager, RematchJob

PASSWORD = "correct-horse-battery-9"


def tag(slug: str = "copywriting") -> Tag:
    return Tag.objects.get(slug=slug)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name", locale="zh_CN")
    role = User.Role.STARTUP
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class StartupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Startup

    owner = factory.SubFactory(UserFactory, role=User.Role.STARTUP)
    company_name = factory.Sequence(lambda n: f"创业公司{n}")
    industry = "消费"
    city = "北京"


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    user = factory.SubFactory(UserFactory, role=User.Role.EXPERT)
    display_name = factory.Sequence(lambda n: f"专家{n}")
    city = "上海"
    day_rate = 1500
    capacity = 3
    tag = factory.LazyFunction(lambda: tag("copywriting"))
    tag_claimed_at = factory.LazyFunction(timezone.now)
    last_active_at = factory.LazyFunction(timezone.now)


class TagChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TagChange

    expert = factory.SubFactory(ExpertFactory)
    to_tag = factory.LazyFunction(lambda: tag("naming"))


class PMUserFactory(UserFactory):
    role = User.Role.PM
    is_staff = True


class ProjectManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectManager

    user = factory.SubFactory(PMUserFactory)
    capacity = 20


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    startup = factory.SubFactory(StartupFactory)
    name = factory.Sequence(lambda n: f"活动{n}")


class BriefFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brief

    startup = factory.SubFactory(StartupFactory)
    title = factory.Sequence(lambda n: f"需求{n}")
    description = "为新品发布写一篇新闻稿。"
    tag = factory.LazyFunction(lambda: tag("copywriting"))
    budget_min = 5000
    budget_max = 10000
    deadline = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


class BriefEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BriefEvent

    brief = factory.SubFactory(BriefFactory)
    to_status = Brief.Status.OPEN


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    brief = factory.SubFactory(BriefFactory)
    expert = factory.SubFactory(ExpertFactory)
    rank = 1
    score = 0.5
    breakdown = factory.LazyFunction(dict)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    match = factory.SubFactory(MatchFactory, status=Match.Status.ACCEPTED)
    brief = factory.SelfAttribute("match.brief")
    expert = factory.SelfAttribute("match.expert")


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    brief = factory.SubFactory(BriefFactory)
    kind = Feedback.Kind.RATING
    rating = 5
    author = factory.SelfAttribute("brief.startup.owner")


class RematchJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RematchJob

    brief = factory.SubFactory(BriefFactory)
    cause = RematchJob.Cause.DISSATISFACTION


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "brief_assigned"
    params = factory.LazyFunction(lambda: {"brief": "需求"})


def api_token(user, name: str = ""):
    """A new API token of `user` (an ApiToken whose `key` is set, as it was issued)."""
    from kaigan.accounts.tokens import api_token_issue

    token, key = api_token_issue(user=user, name=name)
    token.key = key
    return token


def api_token_restore(token) -> None:
    """Put back a token that a request under test revoked (same key, same owner)."""
    from kaigan.accounts.models import ApiToken
    from kaigan.accounts.tokens import api_token_hash

    ApiToken.objects.get_or_create(
        key_hash=api_token_hash(token.key),
        defaults={"user": token.user, "prefix": token.prefix, "expires_at": token.expires_at},
    )
