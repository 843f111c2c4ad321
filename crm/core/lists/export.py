"""Excel/CSV export of any list (PL-8), with spreadsheet-formula neutralisation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


Column = tuple[str, Callable[[Any], Any]]  # (header, getter)


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, dt.date, bool)):
        return value
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(*, rows: Iterable[Any], columns: Sequence[Column], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterable[str]:
        yield "\ufeff"  # so Excel opens UTF-8 (Persian) correctly
        yield writer.writerow([neutralise(str(h)) for h, _ in columns])
        for row in rows:
            yield writer.writerow([_cell(get(row)) for _, get in columns])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def export_xlsx(*, rows: Iterable[Any], columns: Sequence[Column], filename: str, rtl: bool = False) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.sheet_view.rightToLeft = rtl
    sheet.append([neutralise(str(h)) for h, _ in columns])
    for row in rows:
        sheet.append([_cell(get(row)) for _, get in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_response(*, fmt: str, rows: Iterable[Any], columns: Sequence[Column], filename: str, rtl: bool = False):
    if fmt == "xlsx":
        return export_xlsx(rows=rows, columns=columns, filename=filename, rtl=rtl)
    return export_csv(rows=rows, columns=columns, filename=filename)
