"""Database-level guards that no app path can bypass.

- Every change of a brief's status is logged by a trigger into `marketplace_briefstatuslog`,
  bulk updates and raw SQL included (PostgreSQL and SQLite).
- On PostgreSQL, business rows cannot be deleted: a BEFORE DELETE trigger refuses it
  (briefs are cancelled, matches end in a status). TRUNCATE, used only by test tooling to
  reset a database, does not fire it.
"""

from django.db import migrations

PROTECTED_TABLES = [
    "marketplace_startup",
    "marketplace_campaign",
    "marketplace_brief",
    "marketplace_briefevent",
    "marketplace_briefstatuslog",
    "marketplace_match",
    "marketplace_quote",
    "experts_expert",
    "experts_tagchange",
    "projects_project",
    "projects_feedback",
    "projects_rematchjob",
]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION kaigan_log_brief_status() RETURNS trigger AS $$
BEGIN
    INSERT INTO marketplace_briefstatuslog (brief_id, old_status, new_status, changed_at)
    VALUES (NEW.id, OLD.status, NEW.status, now());
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER kaigan_brief_status_audit
AFTER UPDATE OF status ON marketplace_brief
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION kaigan_log_brief_status();

CREATE OR REPLACE FUNCTION kaigan_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'business rows are never deleted (%%): cancel or end them instead',
        TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS kaigan_brief_status_audit ON marketplace_brief;
DROP FUNCTION IF EXISTS kaigan_log_brief_status();
"""

SQLITE_FORWARD = """
CREATE TRIGGER kaigan_brief_status_audit
AFTER UPDATE OF status ON marketplace_brief
FOR EACH ROW WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO marketplace_briefstatuslog (brief_id, old_status, new_status, changed_at)
    VALUES (NEW.id, OLD.status, NEW.status, strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
        for table in PROTECTED_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER kaigan_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kaigan_refuse_delete();"
            )
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in PROTECTED_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS kaigan_no_delete ON {table};")
        schema_editor.execute(PG_BACKWARD)
        schema_editor.execute("DROP FUNCTION IF EXISTS kaigan_refuse_delete();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS kaigan_brief_status_audit;")


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_brief_status_log"),
        ("experts", "0002_load_tags"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
