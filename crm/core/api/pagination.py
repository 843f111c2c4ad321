"""Page-number pagination that never counts the table: it fetches one row more than a
page to know whether a next page exists, so a list of a million rows stays cheap."""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CrmPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _int(self, request: Request, name: str, default: int, maximum: int) -> int:
        try:
            value = int(request.query_params.get(name, default))
        except (TypeError, ValueError):
            raise NotFound(f"Invalid {name}.") from None
        if value < 1 or value > maximum:
            raise NotFound(f"Invalid {name}.")
        return value

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.size = self._int(request, self.page_size_query_param, self.page_size, self.max_page_size)
        self.page = self._int(request, self.page_query_param, 1, 10**6)
        start = (self.page - 1) * self.size
        try:
            rows = list(queryset[start : start + self.size + 1])
        except InvalidPage:  # pragma: no cover
            raise NotFound() from None
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def _link(self, page: int | None) -> str | None:
        if page is None:
            return None
        url = self.request.build_absolute_uri()
        return remove_query_param(url, self.page_query_param) if page == 1 else replace_query_param(url, self.page_query_param, page)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({
            "next": self._link(self.page + 1 if self.has_next else None),
            "previous": self._link(self.page - 1 if self.page > 1 else None),
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 10**6}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]
