"""Query parameters are input too: parse them with a serializer, so a bad value is a 400
in the one error shape instead of a surprise in the selector (or a 500 in the database)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def query_params(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class SearchQuery(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="words to look for (Persian and Arabic letters are matched alike)",
    )
