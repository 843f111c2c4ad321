"""Who `@token` names in a comment (AC-8): a username, or a department's code (everyone
holding a post in it today)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from crm.core.i18n.search import normalize_search
from crm.core.items.registry import register_mention_source
from crm.org.models import Department, User
from crm.org.selectors import users_in_departments


def resolve(tokens: Iterable[str]) -> dict[str, list[Any]]:
    tokens = [t for t in tokens if t]
    found: dict[str, list[Any]] = {}
    if not tokens:
        return found
    lowered = {t.lower(): t for t in tokens}
    for user in User.objects.filter(is_active=True).filter(
        Q(*[Q(username__iexact=t) for t in tokens], _connector=Q.OR)
    ):
        found.setdefault(lowered.get(user.username.lower(), user.username), []).append(user)
    for department in (
        Department.objects.filter(active=True)
        .exclude(code="")
        .filter(Q(*[Q(code__iexact=t) for t in tokens], _connector=Q.OR))
    ):
        token = lowered.get(department.code.lower(), department.code)
        found.setdefault(token, []).extend(users_in_departments({department.pk}))
    return found


def suggest(prefix: str, limit: int) -> list[tuple[str, str, str]]:
    """Users and departments for the mention picker: (token, label, kind)."""
    term = normalize_search(prefix or "")
    users = User.objects.filter(is_active=True)
    departments = Department.objects.filter(active=True).exclude(code="")
    if term:
        users = users.filter(
            Q(username__istartswith=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
        departments = departments.filter(Q(code__istartswith=term) | Q(name__icontains=term))
    out = [(u.username, u.get_full_name() or u.username, "user") for u in users.order_by("username")[:limit]]
    out += [(d.code, d.name, "department") for d in departments.order_by("name")[:limit]]
    return out[:limit]


register_mention_source(resolve, suggest)
