"""PostgreSQL search indexes (ID-5): trigram GIN on the normalised name for fragment
search, GIN on custom values. SQLite uses the plain b-tree indexes of 0001."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS identity_name_key_trgm ON identities_identity USING gin (name_key gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS identity_name_key_prefix ON identities_identity (name_key text_pattern_ops, id)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS identity_custom_gin ON identities_identity USING gin (custom jsonb_path_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("identity_name_key_trgm", "identity_name_key_prefix", "identity_custom_gin"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("identities", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
