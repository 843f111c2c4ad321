"""The module navigation: contexts register entries in AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    section: str = "main"  # "main" modules, "admin" settings
    permission: str | None = None
    order: int = 100


_items: dict[str, NavItem] = {}


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


def nav_for(user: Any, section: str) -> list[dict[str, Any]]:
    entries = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.key)):
        if item.section != section:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append({"key": item.key, "label": item.label, "url": url, "icon": item.icon})
    return entries


@dataclass(frozen=True)
class QuickCreate:
    """An item anyone may start from anywhere (AC-10): the quick-create menu (widget and
    keyboard shortcut) links to `url_name`, adding `?identity=<id>` on a profile so the
    form opens prefilled."""

    key: str
    label: str | Promise
    url_name: str
    icon: str
    permission: str | None = None
    order: int = 100


_quick: dict[str, QuickCreate] = {}


def register_quick_create(entry: QuickCreate) -> None:
    _quick[entry.key] = entry


def quick_create_for(user: Any) -> list[dict[str, Any]]:
    entries = []
    for entry in sorted(_quick.values(), key=lambda e: (e.order, e.key)):
        if entry.permission and not user.has_perm(entry.permission):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"key": entry.key, "label": entry.label, "url": url, "icon": entry.icon})
    return entries
