"""Gap-free, duplicate-free document numbers (PL-4).

The counter row is bumped with one `UPDATE … SET next_value = next_value + 1 RETURNING` in the
caller's transaction. On PostgreSQL that statement holds the row lock until commit, so
concurrent callers queue on it; if the caller rolls back, so does the bump, and no number
is lost. SQLite serialises writers (transactions begin IMMEDIATE), which gives the same.
"""

from __future__ import annotations

import datetime as dt

import jdatetime
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.core.errors import CoreError, CoreErrorCode
from crm.core.numbering.models import PATTERN_TOKEN, DocumentNumbering, NumberCounter, NumberSequence


def _year_of(sequence: NumberSequence, day: dt.date) -> str:
    if sequence.year_mode == NumberSequence.YearMode.JALALI:
        return str(jdatetime.date.fromgregorian(date=day).year)
    if sequence.year_mode == NumberSequence.YearMode.GREGORIAN:
        return str(day.year)
    return ""


def sequence_format(*, sequence: NumberSequence, value: int, day: dt.date) -> str:
    year = _year_of(sequence, day)
    tokens = {
        "prefix": sequence.prefix,
        "year": year,
        "yy": year[-2:],
        "number": str(value).zfill(sequence.padding),
    }
    return PATTERN_TOKEN.sub(lambda m: tokens[m.group(1)], sequence.pattern)


def _counter_for(sequence: NumberSequence, period: str) -> NumberCounter:
    counter = NumberCounter.objects.filter(sequence=sequence, period=period).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            return NumberCounter.objects.create(sequence=sequence, period=period, next_value=sequence.start)
    except IntegrityError:  # another transaction created it first
        return NumberCounter.objects.get(sequence=sequence, period=period)


@transaction.atomic
def sequence_next(*, key: str, on: dt.date | None = None) -> str:
    """Draw the next number of sequence `key`; must run inside the transaction that stores it."""
    sequence = NumberSequence.objects.filter(key=key).first()
    if sequence is None:
        raise CoreError(CoreErrorCode.SEQUENCE_NOT_FOUND, key=key)
    day = on or timezone.localdate()
    period = _year_of(sequence, day) if sequence.reset_yearly else ""
    counter = _counter_for(sequence, period)
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    with connection.cursor() as cursor:  # one round trip: bump and read under the row lock
        cursor.execute(
            f"UPDATE {table} SET next_value = next_value + 1 WHERE id = %s RETURNING next_value",  # noqa: S608
            [counter.pk],
        )
        value = cursor.fetchone()[0] - 1
    return sequence_format(sequence=sequence, value=value, day=day)


def document_numbering_for(*, doc_type: str) -> DocumentNumbering | None:
    return DocumentNumbering.objects.select_related("sequence").filter(doc_type=doc_type).first()


def document_number_next(*, doc_type: str, event: str, on: dt.date | None = None) -> str | None:
    """The number for a document at `event` ('create' or 'approve'), or None if not now."""
    numbering = document_numbering_for(doc_type=doc_type)
    if numbering is None:
        raise CoreError(CoreErrorCode.SEQUENCE_NOT_FOUND, key=doc_type)
    if numbering.assign_on != event:
        return None
    return sequence_next(key=numbering.sequence.key, on=on)


def sequence_previews(*, sequences: list[NumberSequence], on: dt.date | None = None) -> dict[int, str]:
    """`sequence_preview` for a page of sequences, with one query for all their counters."""
    day = on or timezone.localdate()
    periods = {s.pk: (_year_of(s, day) if s.reset_yearly else "") for s in sequences}
    counters = {
        (c.sequence_id, c.period): c.next_value
        for c in NumberCounter.objects.filter(sequence__in=[s.pk for s in sequences], period__in=set(periods.values()))
    }
    return {
        s.pk: sequence_format(sequence=s, value=counters.get((s.pk, periods[s.pk]), s.start), day=day)
        for s in sequences
    }


def sequence_preview(*, sequence: NumberSequence, on: dt.date | None = None) -> str:
    """What the next number will look like, without drawing it."""
    day = on or timezone.localdate()
    period = _year_of(sequence, day) if sequence.reset_yearly else ""
    counter = NumberCounter.objects.filter(sequence=sequence, period=period).first()
    return sequence_format(sequence=sequence, value=counter.next_value if counter else sequence.start, day=day)


@transaction.atomic
def sequence_save(*, actor: object, sequence: NumberSequence, values: dict) -> NumberSequence:
    """Create or change a sequence (audited). A new start applies to periods not begun yet."""
    from crm.core.audit.services import tracked_create, tracked_update
    from crm.core.permissions.access import require_perm

    require_perm(actor, "core.change_numbersequence")
    if sequence.pk is None:
        for name, value in values.items():
            setattr(sequence, name, value)
        sequence.full_clean()
        tracked_create(obj=sequence, actor=actor)
    else:
        tracked_update(obj=sequence, actor=actor, **values)
    return sequence


@transaction.atomic
def document_numbering_save(*, actor: object, numbering: DocumentNumbering, values: dict) -> DocumentNumbering:
    from crm.core.audit.services import tracked_create, tracked_update
    from crm.core.permissions.access import require_perm

    require_perm(actor, "core.change_documentnumbering")
    if numbering.pk is None:
        for name, value in values.items():
            setattr(numbering, name, value)
        numbering.full_clean()
        tracked_create(obj=numbering, actor=actor)
    else:
        tracked_update(obj=numbering, actor=actor, **values)
    return numbering
