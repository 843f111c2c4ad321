"""Template helpers of the identities pages: phone numbers for people, colour tags."""

from __future__ import annotations

from typing import Any

from django import template

from crm.core.i18n.formatting import list_separator
from crm.identities.phones import display_phone as _display_phone

register = template.Library()

# The colour tag as an SVG fill (a presentation attribute, so no inline style under the CSP).
COLOURS = {
    "red": "#dc3545",
    "orange": "#fd7e14",
    "yellow": "#ffc107",
    "green": "#198754",
    "blue": "#0d6efd",
    "purple": "#6f42c1",
    "grey": "#6c757d",
}


@register.filter
def display_phone(number: str | None) -> str:
    """'+989121234567' → '0912 123 4567' (national format for Iranian numbers)."""
    return _display_phone(number) if number else ""


@register.filter
def colour_hex(colour: str | None) -> str:
    return COLOURS.get(colour or "", "")


@register.filter
def first_item(items: Any) -> Any:
    """The first of a prefetched relation (primary phone/email come first by ordering)."""
    for item in items.all() if hasattr(items, "all") else items:
        return item
    return None


@register.filter
def address_text(address: Any) -> str:
    """Street, city, province with the language's comma ('، ' in Persian)."""
    return list_separator().join(p for p in (address.line, address.city, address.province) if p)
