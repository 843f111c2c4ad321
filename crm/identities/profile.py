"""What other contexts add to an identity's profile, without identities importing them:
facts in the header (balance), action buttons (send SMS, new quote) and whole tabs
(messages, documents, statement). Contexts above identities register in their
AppConfig.ready(); the profile view asks this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class ProfileFact:
    key: str
    label: str | Promise
    # (user, identity) -> short HTML-safe text, or None to leave the fact out for this user
    value: Callable[[Any, Any], str | None]
    order: int = 100


@dataclass(frozen=True)
class ProfileAction:
    key: str
    label: str | Promise
    icon: str
    url: Callable[[Any], str]  # identity -> URL
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class ProfileTab:
    key: str
    label: str | Promise
    # (request, identity) -> rendered HTML of the tab body; it applies its own access rules
    render: Callable[[HttpRequest, Any], str]
    permission: str | None = None
    order: int = 100


_facts: dict[str, ProfileFact] = {}
_actions: dict[str, ProfileAction] = {}
_tabs: dict[str, ProfileTab] = {}


def register_profile_fact(fact: ProfileFact) -> ProfileFact:
    _facts[fact.key] = fact
    return fact


def register_profile_action(action: ProfileAction) -> ProfileAction:
    _actions[action.key] = action
    return action


def register_profile_tab(tab: ProfileTab) -> ProfileTab:
    _tabs[tab.key] = tab
    return tab


def _allowed(user: Any, permission: str | None) -> bool:
    return permission is None or user.has_perm(permission)


def profile_facts(user: Any, identity: Any) -> list[tuple[str, str | Promise, str]]:
    out = []
    for fact in sorted(_facts.values(), key=lambda f: f.order):
        value = fact.value(user, identity)
        if value is not None:
            out.append((fact.key, fact.label, value))
    return out


def profile_actions(user: Any, identity: Any) -> list[tuple[str, str | Promise, str, str]]:
    return [
        (a.key, a.label, a.icon, a.url(identity))
        for a in sorted(_actions.values(), key=lambda a: a.order)
        if _allowed(user, a.permission)
    ]


def profile_tabs(user: Any) -> list[ProfileTab]:
    return [t for t in sorted(_tabs.values(), key=lambda t: t.order) if _allowed(user, t.permission)]
