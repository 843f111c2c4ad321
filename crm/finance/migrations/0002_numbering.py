"""Receipts and payments are numbered from the start (PL-4): two sequences and their
document types, editable later in Settings → Numbering."""

from django.db import migrations

SEQUENCES = [
    ("finance_receipt", "finance.receipt", "Receipts", "Receipt", "R"),
    ("finance_payment", "finance.payment", "Payments", "Payment", "P"),
]


def create(apps, schema_editor):
    sequence_model = apps.get_model("core", "NumberSequence")
    numbering_model = apps.get_model("core", "DocumentNumbering")
    for key, doc_type, name, label, prefix in SEQUENCES:
        sequence, _ = sequence_model.objects.get_or_create(
            key=key, defaults={"name": name, "prefix": prefix, "pattern": "{prefix}{number}", "start": 1001}
        )
        numbering_model.objects.get_or_create(
            doc_type=doc_type, defaults={"label": label, "sequence": sequence, "assign_on": "create"}
        )


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial"), ("core", "0002_timeline")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
