"""Export one brief's full history as JSON: the brief, every status change (the services'
audit and the database trigger's log), matches, quotes, engagements, feedback and re-match
jobs. For a PM answering a startup's question, or for an audit."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from marketplace.models import Brief, BriefEvent, BriefStatusLog, Match, Quote
from projects.models import Feedback, Project, RematchJob


def _rows(queryset, *extra):
    rows = []
    for obj in queryset:
        row = model_to_dict(obj)
        row["id"] = obj.pk
        for name in extra:
            row[name] = getattr(obj, name)
        rows.append(row)
    return rows


def brief_history(brief: Brief) -> dict:
    return {
        "brief": {
            **model_to_dict(brief),
            "id": brief.pk,
            "created_at": brief.created_at,
            "status_changed_at": brief.status_changed_at,
            "startup": str(brief.startup),
            "tag": brief.tag.slug,
        },
        "events": _rows(BriefEvent.objects.filter(brief=brief).order_by("id"), "created_at"),
        "status_log": _rows(BriefStatusLog.objects.filter(brief=brief).order_by("id")),
        "matches": _rows(Match.objects.filter(brief=brief).order_by("id"), "created_at"),
        "quotes": _rows(Quote.objects.filter(brief=brief).order_by("id"), "created_at"),
        "projects": _rows(Project.objects.filter(brief=brief).order_by("id"), "started_at"),
        "feedback": _rows(Feedback.objects.filter(brief=brief).order_by("id"), "created_at"),
        "rematch_jobs": _rows(RematchJob.objects.filter(brief=brief).order_by("id"), "created_at"),
    }


class Command(BaseCommand):
    help = "Export a brief's full history as JSON (to stdout, or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("brief_id", type=int)
        parser.add_argument("--output", help="write to this file instead of stdout")

    def handle(self, *args, brief_id, output, **options):
        brief = Brief.objects.select_related("startup", "tag").filter(pk=brief_id).first()
        if brief is None:
            raise CommandError(f"No brief with id {brief_id}.")
        text = json.dumps(brief_history(brief), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
        else:
            self.stdout.write(text)
