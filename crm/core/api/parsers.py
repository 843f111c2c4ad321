"""JSON in, with one extra rule at the edge: text must be valid Unicode.

`json.loads` accepts lone UTF-16 surrogates ("\\ud800"), which no database stores and no
UTF-8 response can echo back. Free-form parts of a body (custom field values and keys)
would carry them deep into services, so the parser refuses them up front with a 400.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class JSONParser(DrfJSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            bad_text = _has_surrogate(data)
        except RecursionError:  # [[[[… thousands deep: json.loads and the walk give up
            raise ParseError("JSON parse error - nested too deeply.") from None
        if bad_text:
            raise ParseError("JSON parse error - text contains unpaired surrogate characters.")
        return data
