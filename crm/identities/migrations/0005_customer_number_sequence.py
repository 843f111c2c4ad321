"""Every installation can give customer numbers (ID-3) from the start: a 'customer'
numbering sequence and document type, editable later in Settings → Numbering."""

from django.db import migrations


def create(apps, schema_editor):
    sequence_model = apps.get_model("core", "NumberSequence")
    numbering_model = apps.get_model("core", "DocumentNumbering")
    sequence, _ = sequence_model.objects.get_or_create(
        key="customer",
        defaults={"name": "Customer numbers", "prefix": "C", "pattern": "{prefix}{number}", "start": 10001},
    )
    numbering_model.objects.get_or_create(
        doc_type="customer", defaults={"label": "Customer", "sequence": sequence, "assign_on": "create"}
    )


class Migration(migrations.Migration):
    dependencies = [("identities", "0004_duplicate_dismissals"), ("core", "0002_timeline")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
