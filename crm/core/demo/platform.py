"""Platform demo data: numbering sequences, protected list entries, a record rule."""

from __future__ import annotations

from typing import Any

from crm.core.dictionaries.services import dictionary_entry_ensure_system
from crm.core.numbering.models import DocumentNumbering, NumberSequence

TASK_STATUSES = [
    ("open", {"fa": "باز", "en": "Open", "uk": "Відкрито"}),
    ("in_progress", {"fa": "در حال انجام", "en": "In progress", "uk": "У роботі"}),
    ("done", {"fa": "انجام شده", "en": "Done", "uk": "Виконано"}),
    ("cancelled", {"fa": "لغو شده", "en": "Cancelled", "uk": "Скасовано"}),
]
EVENT_TYPES = [
    ("meeting", {"fa": "جلسه", "en": "Meeting", "uk": "Зустріч"}),
    ("call", {"fa": "تماس", "en": "Call", "uk": "Дзвінок"}),
    ("visit", {"fa": "بازدید حضوری", "en": "Visit", "uk": "Візит"}),
]


def load(rng: Any) -> None:
    for position, (code, labels) in enumerate(TASK_STATUSES):
        dictionary_entry_ensure_system(dictionary="task-status", code=code, labels=labels, position=position)
    for position, (code, labels) in enumerate(EVENT_TYPES):
        dictionary_entry_ensure_system(dictionary="event-type", code=code, labels=labels, position=position)
    invoices, _ = NumberSequence.objects.get_or_create(
        key="sales-invoice",
        defaults={
            "name": "Sales invoices",
            "prefix": "INV-",
            "pattern": "{prefix}{year}-{number}",
            "start": 1001,
            "year_mode": NumberSequence.YearMode.JALALI,
            "reset_yearly": True,
        },
    )
    quotes, _ = NumberSequence.objects.get_or_create(
        key="quote",
        defaults={"name": "Quotes", "prefix": "Q-", "pattern": "{prefix}{number}", "start": 1, "padding": 5},
    )
    DocumentNumbering.objects.get_or_create(
        doc_type="sales_invoice",
        defaults={"label": "Sales invoice", "sequence": invoices, "assign_on": DocumentNumbering.AssignOn.APPROVE},
    )
    DocumentNumbering.objects.get_or_create(
        doc_type="sales_return",
        defaults={
            "label": "Sales return (shares the invoice sequence)",
            "sequence": invoices,
            "assign_on": DocumentNumbering.AssignOn.APPROVE,
        },
    )
    DocumentNumbering.objects.get_or_create(
        doc_type="quote",
        defaults={"label": "Quote", "sequence": quotes, "assign_on": DocumentNumbering.AssignOn.CREATE},
    )
