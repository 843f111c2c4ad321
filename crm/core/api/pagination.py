"""Page-number pagination that never counts the table: it fetches one row more than a
page to know whether a next page exists, so a list of a million rows stays cheap."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CrmPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"
    max_page = 10**6

    @staticmethod
    def _int(request: Request, name: str, default: int, maximum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip()) if raw.strip().isascii() else None
        except ValueError:
            value = None
        return value if value is not None and 1 <= value <= maximum else None

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self._int(request, self.page_size_query_param, self.page_size, self.max_page_size)
        if size is None:
            message = _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        page = self._int(request, self.page_query_param, 1, self.max_page)
        if page is None:
            raise NotFound(_("Invalid page."))
        self.size, self.page = size, page
        start = (page - 1) * size
        rows = list(queryset[start : start + size + 1])
        if not rows and page > 1:  # past the end: like DRF's page-number pagination, a 404
            raise NotFound(_("Invalid page."))
        self.has_next = len(rows) > size
        return rows[:size]

    def _link(self, page: int | None) -> str | None:
        if page is None:
            return None
        url = self.request.build_absolute_uri()
        return (
            remove_query_param(url, self.page_query_param)
            if page == 1
            else replace_query_param(url, self.page_query_param, page)
        )

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self._link(self.page + 1 if self.has_next else None),
                "previous": self._link(self.page - 1 if self.page > 1 else None),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "1-based page number; a page past the end is a 404",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
