"""Load the demo data of every context, once. `--force` loads again (idempotent loaders)."""

from __future__ import annotations

import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from crm.core.demo.registry import demo_loaders
from crm.core.dictionaries.models import DictionaryEntry

MARKER = ("system", "demo-loaded")


class Command(BaseCommand):
    help = "Load demo data (once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--seed", type=int, default=1405)

    def handle(self, *args: Any, **options: Any) -> None:
        if DictionaryEntry.objects.filter(dictionary=MARKER[0], code=MARKER[1]).exists() and not options["force"]:
            self.stdout.write("Demo data already loaded.")
            return
        rng = random.Random(options["seed"])  # noqa: S311 - demo data, not security
        with transaction.atomic():
            for loader in demo_loaders():
                self.stdout.write(f"  loading {loader.key}…")
                loader.load(rng)
            DictionaryEntry.objects.get_or_create(
                dictionary=MARKER[0], code=MARKER[1], defaults={"labels": {"en": "Demo data loaded"}, "is_system": True}
            )
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
