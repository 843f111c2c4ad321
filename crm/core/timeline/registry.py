"""Item types that appear in identity histories register here (in AppConfig.ready())."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class ItemType:
    key: str  # "activities.call"
    label: str | Promise
    icon: str
    url: Callable[[str], str | None]  # item id -> detail URL
    # which of these item ids may the user see? (the item's own access rules)
    visible_ids: Callable[[Any, Iterable[str]], set[str]]
    # item id -> a short title, for panels that point at an item (comments, follow-ups…)
    titles: Callable[[Iterable[str]], dict[str, str]] | None = None
    # identity profiles and other non-history items register too, so follow-ups, comments
    # and attachments can hang on them; they are left out of the CRM history filters
    in_history: bool = True


_types: dict[str, ItemType] = {}


def register_item_type(item_type: ItemType) -> ItemType:
    _types[item_type.key] = item_type
    return item_type


def item_type_get(key: str) -> ItemType | None:
    return _types.get(key)


def item_types(*, history_only: bool = False) -> list[ItemType]:
    types = (t for t in _types.values() if t.in_history or not history_only)
    return sorted(types, key=lambda t: str(t.label))


MAX_ROW_ID = 2**63 - 1


def row_ids(values: Iterable[str | int]) -> list[int]:
    """Database ids among item ids: ASCII digits within the 64-bit range (a Persian-digit
    "۵" is not the id 5, and a huge number names nothing rather than overflowing)."""
    out = []
    for value in values:
        text = str(value)
        if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ROW_ID:
            out.append(int(text))
    return out


def item_visible(user: Any, key: str, item_id: str | int) -> bool:
    """May this user see the item? Asked of the item type's own rules for everyone,
    superusers included, so an item that does not exist is invisible. Unknown types are
    invisible to everyone."""
    item_type = _types.get(key)
    if item_type is None or len(str(item_id)) > 64:
        return False
    return str(item_id) in item_type.visible_ids(user, [str(item_id)])


def item_title(key: str, item_id: str | int) -> str:
    item_type = _types.get(key)
    if item_type is None or item_type.titles is None:
        return f"#{item_id}"
    return item_type.titles([str(item_id)]).get(str(item_id), f"#{item_id}")


def item_url(key: str, item_id: str | int) -> str | None:
    item_type = _types.get(key)
    return item_type.url(str(item_id)) if item_type else None
