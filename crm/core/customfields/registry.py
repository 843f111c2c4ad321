"""Which models take custom fields, and how link-type fields find their targets."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.apps import apps
from django.db import models

from crm.core.customfields.models import HasCustomFields

# kind ("identity", "document") -> function(ids) -> the subset that exists
LinkResolver = Callable[[Iterable[int]], set[int]]
_link_resolvers: dict[str, LinkResolver] = {}
_link_labelers: dict[str, Callable[[int], str]] = {}


def register_link_target(kind: str, *, resolver: LinkResolver, labeler: Callable[[int], str]) -> None:
    _link_resolvers[kind] = resolver
    _link_labelers[kind] = labeler


def link_resolver(kind: str) -> LinkResolver | None:
    return _link_resolvers.get(kind)


def link_label(kind: str, pk: int) -> str:
    labeler = _link_labelers.get(kind)
    return labeler(pk) if labeler else f"#{pk}"


def custom_field_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, HasCustomFields)]
