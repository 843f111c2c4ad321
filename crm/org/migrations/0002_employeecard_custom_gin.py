"""PostgreSQL: a GIN index over the custom field values, used by containment filters.

SQLite has no JSONB/GIN; there custom-field filters use json_extract expressions.
"""

from django.db import migrations

INDEX = "org_employeecard_custom_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "org_employeecard" USING gin ("custom" jsonb_path_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
