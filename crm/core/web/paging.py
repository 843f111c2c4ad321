"""Count-free paging for HTML lists: one extra row tells whether a next page exists."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, qs: QuerySet, *, per_page: int = 50) -> dict[str, Any]:
    try:
        page = max(1, min(int(request.GET.get("page", 1)), 100000))
    except ValueError:
        page = 1
    start = (page - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return {"rows": rows[:per_page], "page_number": page, "has_next": len(rows) > per_page}
