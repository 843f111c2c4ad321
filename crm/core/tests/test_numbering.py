"""Document numbering (PL-4): patterns, years, restarts, shared sequences, no gaps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.core.audit.models import AuditEntry
from crm.core.errors import CoreError, CoreErrorCode, PermissionDeniedError
from crm.core.numbering.models import DocumentNumbering, NumberSequence, validate_pattern
from crm.core.numbering.services import (
    document_number_next,
    sequence_next,
    sequence_preview,
    sequence_save,
)

NOWRUZ_1405 = dt.date(2026, 3, 21)  # Jalali 1405/01/01
LAST_DAY_1404 = dt.date(2026, 3, 20)  # Jalali 1404/12/29

pytestmark = pytest.mark.django_db


def make_sequence(key: str = "invoice", **values: object) -> NumberSequence:
    return NumberSequence.objects.create(key=key, name=key.title(), **values)


# --- patterns and padding ------------------------------------------------------------


def test_prefix_year_and_padded_number_fill_the_pattern():
    # given a sequence INV-<Jalali year>/<5-digit number>
    make_sequence(prefix="INV", pattern="{prefix}-{year}/{number}", padding=5, year_mode="jalali")

    # when the first two numbers are drawn on Nowruz 1405
    first = sequence_next(key="invoice", on=NOWRUZ_1405)
    second = sequence_next(key="invoice", on=NOWRUZ_1405)

    # then they carry the Jalali year and are zero-padded
    assert (first, second) == ("INV-1405/00001", "INV-1405/00002")


def test_gregorian_year_and_two_digit_year_tokens():
    # given a Gregorian sequence using {yy} and a start number
    make_sequence(pattern="Q{yy}-{number}", year_mode="gregorian", start=70)

    # when a number is drawn on 2026-03-21
    number = sequence_next(key="invoice", on=NOWRUZ_1405)

    # then the Gregorian short year is used, not the Jalali one
    assert number == "Q26-70"


def test_jalali_and_gregorian_years_differ_on_the_same_day():
    # given two sequences that differ only in the calendar of the year
    make_sequence("jal", pattern="{year}-{number}", year_mode="jalali")
    make_sequence("greg", pattern="{year}-{number}", year_mode="gregorian")

    # when both draw on the last day of Jalali 1404
    # then one says 1404 and the other 2026
    assert sequence_next(key="jal", on=LAST_DAY_1404) == "1404-1"
    assert sequence_next(key="greg", on=LAST_DAY_1404) == "2026-1"


def test_padding_never_cuts_a_longer_number():
    make_sequence(padding=2, start=12345)
    assert sequence_next(key="invoice") == "12345"


@pytest.mark.parametrize("pattern", ["{prefix}{serial}", "INV-{number", "{prefix}-{year}", "{number}}"])
def test_invalid_patterns_are_refused(pattern):
    # when a pattern has an unknown token, a stray brace or no {number}
    # then validation refuses it
    with pytest.raises(ValidationError):
        validate_pattern(pattern)


def test_valid_pattern_passes():
    validate_pattern("{prefix}/{yy}/{year}/{number}")


# --- periods ---------------------------------------------------------------------------


def test_yearly_restart_starts_again_in_a_new_jalali_year():
    # given a Jalali sequence that restarts every year
    make_sequence(pattern="{year}-{number}", year_mode="jalali", reset_yearly=True, start=1)

    # when numbers are drawn at the end of 1404, then in 1405, then late for 1404 again
    end_of_year = [sequence_next(key="invoice", on=LAST_DAY_1404) for _ in range(2)]
    new_year = sequence_next(key="invoice", on=NOWRUZ_1405)
    late_old_year = sequence_next(key="invoice", on=LAST_DAY_1404)

    # then each year has its own counter
    assert end_of_year == ["1404-1", "1404-2"]
    assert new_year == "1405-1"
    assert late_old_year == "1404-3"


def test_without_restart_the_counter_runs_across_years():
    make_sequence(pattern="{year}-{number}", year_mode="jalali", reset_yearly=False)

    assert sequence_next(key="invoice", on=LAST_DAY_1404) == "1404-1"
    assert sequence_next(key="invoice", on=NOWRUZ_1405) == "1405-2"


def test_preview_shows_the_next_number_without_drawing_it():
    sequence = make_sequence(prefix="P", padding=3)
    assert sequence_preview(sequence=sequence) == "P001"
    assert sequence_preview(sequence=sequence) == "P001"
    assert sequence_next(key="invoice") == "P001"
    assert sequence_preview(sequence=sequence) == "P002"


# --- document types --------------------------------------------------------------------


def test_two_document_types_share_one_sequence():
    # given invoices and credit notes numbered from the same sequence
    shared = make_sequence("sales-docs", prefix="S-")
    DocumentNumbering.objects.create(doc_type="invoice", label="Invoice", sequence=shared)
    DocumentNumbering.objects.create(doc_type="credit_note", label="Credit note", sequence=shared)

    # when they are created alternately
    numbers = [
        document_number_next(doc_type="invoice", event="create"),
        document_number_next(doc_type="credit_note", event="create"),
        document_number_next(doc_type="invoice", event="create"),
    ]

    # then they draw from one counter, without duplicates
    assert numbers == ["S-1", "S-2", "S-3"]


def test_type_numbered_on_approval_gets_no_number_on_creation():
    # given contracts that get their number when approved
    sequence = make_sequence("contracts", prefix="C-")
    DocumentNumbering.objects.create(
        doc_type="contract", label="Contract", sequence=sequence, assign_on=DocumentNumbering.AssignOn.APPROVE
    )

    # when a contract is created, then approved
    on_create = document_number_next(doc_type="contract", event="create")
    on_approve = document_number_next(doc_type="contract", event="approve")

    # then only approval draws a number, and creation used none up
    assert on_create is None
    assert on_approve == "C-1"


def test_unknown_sequence_key_is_an_error():
    with pytest.raises(CoreError) as error:
        sequence_next(key="no-such-sequence")
    assert error.value.code == CoreErrorCode.SEQUENCE_NOT_FOUND


def test_unknown_document_type_is_an_error():
    with pytest.raises(CoreError) as error:
        document_number_next(doc_type="no-such-type", event="create")
    assert error.value.code == CoreErrorCode.SEQUENCE_NOT_FOUND


# --- rollback --------------------------------------------------------------------------


def test_a_rolled_back_draw_leaves_no_gap():
    # given a sequence that has handed out 1
    make_sequence()
    assert sequence_next(key="invoice") == "1"

    # when a document is numbered inside a transaction that then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(key="invoice") == "2"
        raise RuntimeError("saving the document failed")

    # then the next document gets that same number again
    assert sequence_next(key="invoice") == "2"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_outer_transaction_leaves_no_gap():
    # given committed rows (no test-wide transaction around them)
    make_sequence()

    # when the first draw of a new counter is rolled back with its whole transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(key="invoice") == "1"
        raise RuntimeError("boom")

    # then the number is drawn again by the next, committed transaction
    assert sequence_next(key="invoice") == "1"
    assert sequence_next(key="invoice") == "2"


# --- who may change sequences -----------------------------------------------------------


def test_charlie_may_not_change_a_sequence(charlie):
    with pytest.raises(PermissionDeniedError):
        sequence_save(actor=charlie, sequence=NumberSequence(key="x", name="X"), values={"prefix": "X"})
    assert not NumberSequence.objects.filter(key="x").exists()


def test_admin_changes_a_sequence_and_it_is_audited(alice):
    sequence = sequence_save(actor=alice, sequence=NumberSequence(), values={"key": "po", "name": "PO", "prefix": "A"})
    sequence_save(actor=alice, sequence=sequence, values={"prefix": "B"})

    entry = AuditEntry.objects.filter(action="numbersequence.updated", target_id=str(sequence.pk)).get()
    assert entry.changes == {"prefix": ["A", "B"]}
    assert sequence_next(key="po") == "B1"
