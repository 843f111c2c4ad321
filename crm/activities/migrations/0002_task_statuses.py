from django.db import migrations

STATUSES = [
    ("open", {"en": "Open", "fa": "باز", "uk": "Відкрите"}),
    ("in_progress", {"en": "In progress", "fa": "در حال انجام", "uk": "У роботі"}),
    ("done", {"en": "Done", "fa": "انجام‌شده", "uk": "Виконано"}),
    ("cancelled", {"en": "Cancelled", "fa": "لغوشده", "uk": "Скасовано"}),
]


def add_statuses(apps, schema_editor):
    """The task statuses code relies on: system entries, protected (PL-11)."""
    DictionaryEntry = apps.get_model("core", "DictionaryEntry")
    for position, (code, labels) in enumerate(STATUSES):
        DictionaryEntry.objects.update_or_create(
            dictionary="task_status",
            code=code,
            defaults={"is_system": True, "position": position, "active": True, "labels": labels},
        )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(add_statuses, migrations.RunPython.noop)]
