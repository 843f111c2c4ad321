"""Files in, rows out: CSV (UTF-8 with or without BOM, UTF-16, or Windows-1256 as old
Persian Excel saves it), XLSX (read-only streaming), vCard. Each row becomes a
`SourceRow`: raw values per identity field, with the file column they came from."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from crm.identities import vcard
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.imports.fields import CUSTOM_PREFIX, FIELD_KEYS, PHONE_FIELDS, type_columns

EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".vcf": "vcard", ".vcard": "vcard"}
ADDRESS_FIELDS = ("address", "city", "province", "postal_code")
_MULTI_SPLIT = re.compile(r"\s*(?::::|;|\n|،)\s*")
_MULTI_SPLIT_COMMA = re.compile(r"\s*(?::::|;|\n|،|,)\s*")
_SEPARATORS, _SEPARATORS_COMMA = frozenset(":;\n،"), frozenset(":;\n،,")

_PERSIAN_YEH = str.maketrans({"ي": "ی", "ى": "ی"})

csv.field_size_limit(1024 * 1024)


@dataclass
class SourceRow:
    """One record of the file, before any validation. Values keep the column they came from."""

    row: int  # as the person sees it: CSV/XLSX header = 1, vCard = card number
    values: dict[str, tuple[Any, str]] = field(default_factory=dict)
    phones: list[tuple[str, Any, str]] = field(default_factory=list)  # (kind, raw, column)
    emails: list[tuple[str, str]] = field(default_factory=list)
    websites: list[tuple[str, str]] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[tuple[dict[str, str], str]] = field(default_factory=list)
    custom: dict[str, tuple[Any, str]] = field(default_factory=dict)


def detect_format(filename: str) -> str | None:
    return EXTENSIONS.get(Path(filename or "").suffix.lower())


def decode_text(data: bytes) -> str:
    """UTF-16 with BOM, else UTF-8 (BOM or not), else Windows-1256 (Persian Excel of old)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1256 has no Persian yeh: Persian text saved in it uses the Arabic one.
        return data.decode("cp1256", errors="replace").translate(_PERSIAN_YEH)


def check_content(fmt: str, data: bytes) -> None:
    """Refuse files whose content is not what their name says."""
    ok = True
    if fmt == "xlsx":
        ok = data.startswith(b"PK\x03\x04") and zipfile.is_zipfile(io.BytesIO(data))
    elif fmt == "vcard":
        ok = "BEGIN:VCARD" in decode_text(data[:65536]).upper()
    elif fmt == "csv":
        head = data[:65536]
        ok = bool(head.strip()) and (b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff")))
    if not ok:
        raise IdentityError(IdentityErrorCode.IMPORT_BAD_FILE, format=fmt)


# --- tables (CSV, XLSX) --------------------------------------------------------------


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:16384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _csv_records(data: bytes) -> Iterator[list[str]]:
    text = decode_text(data)
    yield from csv.reader(io.StringIO(text, newline=""), _dialect(text))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return str(value)


def _xlsx_records(data: bytes) -> Iterator[list[Any]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store no or wrong dimensions: read what is there
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def table_records(fmt: str, data: bytes) -> Iterator[list[Any]]:
    records = _xlsx_records(data) if fmt == "xlsx" else _csv_records(data)
    for record in records:
        end = len(record)
        while end and record[end - 1] in ("", None):
            end -= 1
        yield record[:end]


def table_head(fmt: str, data: bytes, rows: int = 5) -> tuple[list[str], list[list[Any]]]:
    """Headers and the first data rows, for the mapping page."""
    records = table_records(fmt, data)
    headers = [str(h).strip() for h in next(records, [])]
    preview = []
    for record in records:
        if any(str(c).strip() for c in record):
            preview.append(record)
        if len(preview) >= rows:
            break
    return headers, preview


def count_rows(fmt: str, data: bytes) -> int:
    if fmt == "vcard":
        return vcard.count_cards(decode_text(data))
    records = table_records(fmt, data)
    next(records, None)
    return sum(1 for record in records if any(str(c).strip() for c in record))


def _split(value: Any, *, commas: bool = False) -> list[str]:
    text = str(value).strip()
    if not text:
        return []
    if not (_SEPARATORS_COMMA if commas else _SEPARATORS).intersection(text):
        return [text]  # the usual case: one value, no regex needed
    return [p for p in (_MULTI_SPLIT_COMMA if commas else _MULTI_SPLIT).split(text) if p]


def _place(row: SourceRow, target: str, value: Any, column: str, kind: str = "") -> None:
    if isinstance(value, str):
        value = value.strip()
    if value in ("", None):
        return
    if target in PHONE_FIELDS:
        row.phones += [(kind or PHONE_FIELDS[target], part, column) for part in _split(value, commas=True)]
    elif target == "email":
        row.emails += [(part, column) for part in _split(value, commas=True)]
    elif target == "website":
        row.websites += [(part, column) for part in _split(value)]
    elif target == "category":
        row.categories += [(part, column) for part in _split(value, commas=True)]
    elif target.startswith(CUSTOM_PREFIX):
        row.custom.setdefault(target[len(CUSTOM_PREFIX) :], (value, column))
    elif target in FIELD_KEYS:
        row.values.setdefault(target, (value, column))  # several columns: the first non-empty wins


def table_rows(fmt: str, data: bytes, mapping: dict[str, str]) -> Iterator[SourceRow]:
    """Rows of a CSV/XLSX file through the column mapping {column index: field}."""
    records = table_records(fmt, data)
    headers = [str(h).strip() for h in next(records, [])]
    targets = [(int(i), f) for i, f in mapping.items() if f and str(i).isdigit()]
    kind_columns = type_columns(headers)
    for number, record in enumerate(records, start=2):
        if not any(str(c).strip() for c in record):
            continue
        row = SourceRow(row=number)
        for index, target in targets:
            if index >= len(record):
                continue
            column = headers[index] if index < len(headers) else f"#{index + 1}"
            kind = ""
            if target == "phone" and index in kind_columns and kind_columns[index] < len(record):
                kind = vcard.phone_kind([str(record[kind_columns[index]])])
            _place(row, target, record[index], column, kind)
        parts = {name: row.values.pop(name) for name in ADDRESS_FIELDS if name in row.values}
        if parts:
            address = {name: str(value) for name, (value, _col) in parts.items()}
            address["line"] = address.pop("address", "")
            row.addresses.append((address, next(iter(parts.values()))[1]))
        yield row


# --- vCard ---------------------------------------------------------------------------


def _card_date(text: str) -> dt.date | str:
    """vCard birthdays are Gregorian (a year below 1700 must not be read as Jalali)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def card_row(card: vcard.Card) -> SourceRow:
    row = SourceRow(row=card.number)
    pairs = (
        ("kind", card.kind, "KIND"),
        ("first_name", card.first_name, "N"),
        ("last_name", card.last_name, "N"),
        ("full_name", card.full_name, "FN"),
        ("title", card.title, "N"),
        ("organisation_name", card.organisation_name, "ORG"),
        ("birth_date", _card_date(card.birthday), "BDAY"),
        ("notes", card.notes, "NOTE"),
    )
    for name, value, column in pairs:
        if value:
            row.values[name] = (value, column)
    row.phones = [(kind, number, "TEL") for kind, number in card.phones]
    row.emails = [(address, "EMAIL") for address in card.emails]
    row.websites = [(url, "URL") for url in card.websites]
    row.categories = [(name, "CATEGORIES") for name in card.categories]
    row.addresses = [(address, "ADR") for address in card.addresses if any(address.values())]
    return row


def source_rows(fmt: str, data: bytes, mapping: dict[str, str]) -> Iterator[SourceRow]:
    if fmt == "vcard":
        return (card_row(card) for card in vcard.read_cards(decode_text(data)))
    return table_rows(fmt, data, mapping)


def vcard_preview(data: bytes, rows: int = 5) -> list[vcard.Card]:
    cards = []
    for card in vcard.read_cards(decode_text(data)):
        cards.append(card)
        if len(cards) >= rows:
            break
    return cards
