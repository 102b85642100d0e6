"""On PostgreSQL the files' rows cannot be deleted: nothing a person does removes a file, an
attachment or their audit record (kaigan.files.services hides and removes by marking). The same
guard as the business tables' (marketplace 0004): TRUNCATE, used only by test tooling, passes."""

from django.db import migrations

TABLES = ["files_storedfile", "files_fileattachment", "files_fileevent"]

REFUSE_DELETE = """
CREATE OR REPLACE FUNCTION kaigan_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'business rows are never deleted (%%): cancel or end them instead',
        TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REFUSE_DELETE)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER kaigan_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kaigan_refuse_delete();"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS kaigan_no_delete ON {table};")


class Migration(migrations.Migration):
    dependencies = [("files", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
