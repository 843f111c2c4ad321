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


_types: dict[str, ItemType] = {}


def register_item_type(item_type: ItemType) -> ItemType:
    _types[item_type.key] = item_type
    return item_type


def item_type_get(key: str) -> ItemType | None:
    return _types.get(key)


def item_types() -> list[ItemType]:
    return sorted(_types.values(), key=lambda t: str(t.label))
