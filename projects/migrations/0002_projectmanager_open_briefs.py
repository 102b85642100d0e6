"""A per-PM counter of open briefs, kept by the database.

`ProjectManager.open_briefs` counts the PM's briefs whose status is in `Brief.OPEN_STATUSES`.
Triggers on marketplace_brief keep it in the same transaction as every insert of a brief and
every change of its status or PM, whichever path makes it (services, the admin form, a bulk
update, raw SQL, COPY), on PostgreSQL and on SQLite. Posting a brief then picks a PM from the
counters instead of counting the open briefs of the whole platform under a lock on every PM.

The counter is never taken below zero by a trigger (a status change must not fail on a drifted
counter); `manage.py pm_recount` reports and fixes any drift.

The triggers are created before the backfill: creating them locks marketplace_brief against
writes until this migration commits, so no change can slip between the count and the triggers.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

#: Brief.OPEN_STATUSES when this migration was written (tests check they still agree).
OPEN_STATUSES = (
    "open",
    "awaiting_approval",
    "awaiting_expert",
    "in_progress",
    "delivered",
    "rematching",
    "needs_attention",
)
_OPEN_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUSES)

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION kaigan_pm_open_briefs() RETURNS trigger AS $$
DECLARE
    was_open boolean := false;
    now_open boolean := false;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        was_open := OLD.pm_id IS NOT NULL AND OLD.status IN ({_OPEN_SQL});
    END IF;
    now_open := NEW.pm_id IS NOT NULL AND NEW.status IN ({_OPEN_SQL});
    IF was_open AND now_open AND OLD.pm_id = NEW.pm_id THEN
        RETURN NULL;
    END IF;
    -- When the brief moves from one PM to another, the two PM rows are updated in user id
    -- order, so that two reassignments in opposite directions cannot deadlock.
    IF was_open AND now_open AND NEW.pm_id < OLD.pm_id THEN
        UPDATE projects_projectmanager SET open_briefs = open_briefs + 1
        WHERE user_id = NEW.pm_id;
        now_open := false;
    END IF;
    IF was_open THEN
        UPDATE projects_projectmanager SET open_briefs = GREATEST(open_briefs - 1, 0)
        WHERE user_id = OLD.pm_id;
    END IF;
    IF now_open THEN
        UPDATE projects_projectmanager SET open_briefs = open_briefs + 1
        WHERE user_id = NEW.pm_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER kaigan_pm_open_briefs_insert
AFTER INSERT ON marketplace_brief
FOR EACH ROW WHEN (NEW.pm_id IS NOT NULL)
EXECUTE FUNCTION kaigan_pm_open_briefs();

CREATE TRIGGER kaigan_pm_open_briefs_update
AFTER UPDATE OF status, pm_id ON marketplace_brief
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.pm_id IS DISTINCT FROM NEW.pm_id)
EXECUTE FUNCTION kaigan_pm_open_briefs();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS kaigan_pm_open_briefs_insert ON marketplace_brief;
DROP TRIGGER IF EXISTS kaigan_pm_open_briefs_update ON marketplace_brief;
DROP FUNCTION IF EXISTS kaigan_pm_open_briefs();
"""

# SQLite (the embedded default setup): one statement per trigger, no locking to care about.
SQLITE_FORWARD = [
    f"""
CREATE TRIGGER kaigan_pm_open_briefs_insert
AFTER INSERT ON marketplace_brief
FOR EACH ROW WHEN NEW.pm_id IS NOT NULL AND NEW.status IN ({_OPEN_SQL})
BEGIN
    UPDATE projects_projectmanager SET open_briefs = open_briefs + 1
    WHERE user_id = NEW.pm_id;
END;
""",
    f"""
CREATE TRIGGER kaigan_pm_open_briefs_update
AFTER UPDATE OF status, pm_id ON marketplace_brief
FOR EACH ROW WHEN OLD.status IS NOT NEW.status OR OLD.pm_id IS NOT NEW.pm_id
BEGIN
    UPDATE projects_projectmanager SET open_briefs = MAX(open_briefs - 1, 0)
    WHERE OLD.pm_id IS NOT NULL AND OLD.status IN ({_OPEN_SQL}) AND user_id = OLD.pm_id;
    UPDATE projects_projectmanager SET open_briefs = open_briefs + 1
    WHERE NEW.pm_id IS NOT NULL AND NEW.status IN ({_OPEN_SQL}) AND user_id = NEW.pm_id;
END;
""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS kaigan_pm_open_briefs_insert;",
    "DROP TRIGGER IF EXISTS kaigan_pm_open_briefs_update;",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql, params=None)


def backfill(apps, schema_editor):
    """Every PM's counter from the real count of their open briefs."""
    ProjectManager = apps.get_model("projects", "ProjectManager")
    Brief = apps.get_model("marketplace", "Brief")
    open_count = (
        Brief.objects.filter(pm_id=OuterRef("user_id"), status__in=OPEN_STATUSES)
        .order_by()
        .values("pm_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ProjectManager.objects.update(open_briefs=Coalesce(Subquery(open_count), Value(0)))


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0002_load_tags"),
        ("marketplace", "0004_audit_triggers"),
        ("projects", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="projectmanager",
            name="open_briefs",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Briefs this PM follows that are not completed or cancelled.",
                verbose_name="open briefs",
            ),
        ),
        migrations.AddConstraint(
            model_name="projectmanager",
            constraint=models.CheckConstraint(
                condition=Q(open_briefs__gte=0), name="pm_open_briefs_not_negative"
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
