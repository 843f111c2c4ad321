"""Stock movements are numbered from the start: one sequence per movement kind, editable
later in Settings → Numbering."""

from django.db import migrations

KINDS = [
    ("receipt", "Goods receipts", "GR-"),
    ("issue", "Goods issues", "GI-"),
    ("transfer", "Stock transfers", "TR-"),
    ("adjustment", "Stock adjustments", "ADJ-"),
]


def create(apps, schema_editor):
    sequence_model = apps.get_model("core", "NumberSequence")
    numbering_model = apps.get_model("core", "DocumentNumbering")
    for kind, name, prefix in KINDS:
        sequence, _ = sequence_model.objects.get_or_create(
            key=f"inventory-{kind}",
            defaults={"name": name, "prefix": prefix, "pattern": "{prefix}{number}", "start": 1, "padding": 5},
        )
        numbering_model.objects.get_or_create(
            doc_type=f"inventory.{kind}", defaults={"label": name, "sequence": sequence, "assign_on": "create"}
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("core", "0002_timeline")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
