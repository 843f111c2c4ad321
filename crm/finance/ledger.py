"""Posting to the ledger and keeping the balance row in step, in the caller's transaction.

Entries are never edited: `ledger_reverse` writes the opposite entry (dated the day of the
reversal, so a statement tells what happened when) and marks the original reversed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.finance.models import ZERO, Balance, LedgerEntry

DOCUMENT = "sales.document"
RECEIPT = "finance.receipt"
CHEQUE = "finance.cheque"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def balance_add(*, identity_id: int, debit: Decimal, credit: Decimal) -> None:
    """Add to an identity's running totals (row-locked by the UPDATE itself)."""
    values = {
        "debit": F("debit") + debit,
        "credit": F("credit") + credit,
        "balance": F("balance") + debit - credit,
        "updated_at": timezone.now(),
    }
    if Balance.objects.filter(identity_id=identity_id).update(**values):
        return
    try:
        with transaction.atomic():
            Balance.objects.create(identity_id=identity_id, debit=debit, credit=credit, balance=debit - credit)
    except IntegrityError:  # another transaction created it first
        Balance.objects.filter(identity_id=identity_id).update(**values)


@transaction.atomic
def ledger_post(
    *,
    identity_id: int,
    date: dt.date,
    kind: str,
    source_type: str,
    source_id: int,
    debit: Decimal = ZERO,
    credit: Decimal = ZERO,
    description: str = "",
    actor: Any = None,
) -> LedgerEntry:
    entry = LedgerEntry.objects.create(
        identity_id=identity_id,
        date=date,
        kind=kind,
        source_type=source_type,
        source_id=source_id,
        debit=debit,
        credit=credit,
        description=description[:300],
        created_by=_user(actor),
    )
    balance_add(identity_id=identity_id, debit=debit, credit=credit)
    return entry


def live_entries(*, source_type: str, source_id: int) -> Any:
    """The entries of a source that stand (neither reversed nor reversals)."""
    return LedgerEntry.objects.filter(
        source_type=source_type, source_id=source_id, reversed=False, reversal_of__isnull=True
    )


@transaction.atomic
def ledger_reverse(
    *, source_type: str, source_id: int, actor: Any = None, on: dt.date | None = None, description: str = ""
) -> list[LedgerEntry]:
    made = []
    for entry in live_entries(source_type=source_type, source_id=source_id).select_for_update().order_by("id"):
        made.append(
            ledger_post(
                identity_id=entry.identity_id,
                date=on or timezone.localdate(),
                kind=LedgerEntry.Kind.REVERSAL,
                source_type=source_type,
                source_id=source_id,
                debit=entry.credit,
                credit=entry.debit,
                description=description or entry.description,
                actor=actor,
            )
        )
        LedgerEntry.objects.filter(pk=made[-1].pk).update(reversal_of=entry)
        entry.reversed = True
        entry.save(update_fields=["reversed"])
    return made
