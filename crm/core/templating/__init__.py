"""Smart parameters: `{{ identity.first_name }}` placeholders filled from a flat dictionary
of whitelisted values. There is no attribute access, no filters, no tags: a placeholder that
names anything outside the dictionary renders as nothing, so a template can never reach
internals or raise (ARCHITECTURE: smart parameters)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")


def placeholders_in(text: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def render_text(text: str, values: Mapping[str, Any], *, escape_html: bool = False) -> str:
    """Fill placeholders; HTML-escape values for HTML bodies, leave them plain for SMS."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            return ""
        out = str(value)
        return html.escape(out) if escape_html else out

    return PLACEHOLDER.sub(fill, text or "")
