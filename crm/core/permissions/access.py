"""Record rules every selector and service goes through (PL-5).

A model's policy says which permissions mean "all records" and which mean "only the
ones I created", which field holds the creator, and which scope functions (e.g. the
identity categories a user may read) narrow the rows further. Rights come from the
user's positions through the auth backend, so `user.has_perm` is the single question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.core.errors import CoreError, CoreErrorCode, PermissionDeniedError
from crm.core.permissions.models import FieldAccessRule, RecordRule

Action = Literal["view", "change", "delete"]
Scope = Callable[[Any, models.QuerySet], models.QuerySet]
BYPASS_WINDOW_PERM = "core.bypass_edit_window"


@dataclass
class AccessPolicy:
    owner_field: str | None = "created_by"
    scopes: list[Scope] = field(default_factory=list)
    # What "my own records" means when it is more than the creator (e.g. also the
    # identities assigned to me): a function user -> Q over the model.
    own_q: Callable[[Any], Q] | None = None

    def own_filter(self, user: Any) -> Q | None:
        if self.own_q is not None:
            return self.own_q(user)
        if self.owner_field is None:
            return None
        return Q(**{self.owner_field: user})

    # When the model declares `view_all_<model>` etc. in Meta.permissions, the plain
    # `view_<model>` grants only one's own records; otherwise it grants all of them.


_policies: dict[type[models.Model], AccessPolicy] = {}


def register_policy(model: type[models.Model], policy: AccessPolicy | None = None) -> AccessPolicy:
    _policies[model] = policy or AccessPolicy()
    return _policies[model]


def register_scope(model: type[models.Model], scope: Scope) -> None:
    policy_for(model).scopes.append(scope)


def policy_for(model: type[models.Model]) -> AccessPolicy:
    if model not in _policies:
        _policies[model] = AccessPolicy(owner_field="created_by" if _has_field(model, "created_by") else None)
    return _policies[model]


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def _perm(model: type[models.Model], action: str, *, all_records: bool = False) -> str:
    meta = model._meta
    codename = f"{action}_all_{meta.model_name}" if all_records else f"{action}_{meta.model_name}"
    return f"{meta.app_label}.{codename}"


def _declares_all(model: type[models.Model], action: str) -> bool:
    codename = f"{action}_all_{model._meta.model_name}"
    return any(name == codename for name, _ in model._meta.permissions)


def _reach(user: Any, model: type[models.Model], action: str) -> Literal["all", "own", "none"]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return "none"
    if user.is_superuser:
        return "all"
    if _declares_all(model, action):
        if user.has_perm(_perm(model, action, all_records=True)):
            return "all"
        return "own" if user.has_perm(_perm(model, action)) else "none"
    return "all" if user.has_perm(_perm(model, action)) else "none"


def visible_to(user: Any, qs: models.QuerySet) -> models.QuerySet:
    """The rows of `qs` this user may see. Every list and detail read goes through it."""
    model = qs.model
    policy = policy_for(model)
    reach = _reach(user, model, "view")
    if reach == "none":
        return qs.none()
    if reach == "own":
        own = policy.own_filter(user)
        if own is None:
            return qs.none()
        qs = qs.filter(own)
    if not user.is_superuser:
        for scope in policy.scopes:
            qs = scope(user, qs)
    return qs


def _window_open(obj: models.Model, hours: int | None) -> bool:
    created = getattr(obj, "created_at", None)
    if hours is None or created is None:
        return True
    return timezone.now() <= created + dt.timedelta(hours=hours)


def record_rule_for(model: type[models.Model]) -> RecordRule | None:
    return RecordRule.objects.filter(content_type=ContentType.objects.get_for_model(model)).first()


def check(user: Any, action: Action, obj: models.Model) -> CoreError | None:
    """Why `user` may not do `action` on `obj`, or None when allowed."""
    model = type(obj)
    reach = _reach(user, model, action)
    if reach == "none":
        return PermissionDeniedError()
    policy = policy_for(model)
    if reach == "own":
        own = policy.own_filter(user)
        if own is None:
            return PermissionDeniedError()
        if policy.own_q is None and policy.owner_field:
            if getattr(obj, f"{policy.owner_field}_id", None) != user.pk:
                return PermissionDeniedError()
        elif not model._base_manager.filter(own, pk=obj.pk).exists():
            return PermissionDeniedError()
    if not user.is_superuser:
        for scope in policy.scopes:  # e.g. an identity only in categories the user may not see
            if not scope(user, model._base_manager.filter(pk=obj.pk)).exists():
                return PermissionDeniedError()
    if action != "view" and not user.is_superuser and not user.has_perm(BYPASS_WINDOW_PERM):
        rule = record_rule_for(model)
        hours = None if rule is None else (rule.edit_window_hours if action == "change" else rule.delete_window_hours)
        if not _window_open(obj, hours):
            return CoreError(CoreErrorCode.EDIT_WINDOW_CLOSED)
    return None


def can(user: Any, action: Action, obj: models.Model) -> bool:
    return check(user, action, obj) is None


def require(user: Any, action: Action, obj: models.Model) -> None:
    error = check(user, action, obj)
    if error is not None:
        raise error


def require_perm(user: Any, perm: str) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perm):
        raise PermissionDeniedError()


FieldLevel = Literal["edit", "view", "hidden"]


def field_access(user: Any, model: type[models.Model]) -> dict[str, FieldLevel]:
    """Fields whose access is restricted for this user: name -> 'view' or 'hidden'."""
    if getattr(user, "is_superuser", False):
        return {}
    rules = FieldAccessRule.objects.filter(content_type=ContentType.objects.get_for_model(model)).select_related(
        "view_permission__content_type", "edit_permission__content_type"
    )
    levels: dict[str, FieldLevel] = {}
    for rule in rules:
        if rule.view_permission and not user.has_perm(_perm_name(rule.view_permission)):
            levels[rule.field_name] = "hidden"
        elif rule.edit_permission and not user.has_perm(_perm_name(rule.edit_permission)):
            levels[rule.field_name] = "view"
    return levels


def _perm_name(permission: Any) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def hidden_fields(user: Any, model: type[models.Model]) -> set[str]:
    return {name for name, level in field_access(user, model).items() if level == "hidden"}


def require_fields_writable(user: Any, model: type[models.Model], names: set[str]) -> None:
    """Refuse a write that touches a field the user may only see, or may not see."""
    blocked = sorted(name for name, level in field_access(user, model).items() if name in names)
    if blocked:
        raise CoreError(CoreErrorCode.FIELD_READ_ONLY, field=", ".join(blocked))


def require_window(user: Any, action: Action, obj: models.Model) -> None:
    """Only the edit/delete window of `obj`'s record rule: for items whose "who may" is
    decided by their own context (a task's assignees, a calendar's writers)."""
    if action == "view" or user.is_superuser or user.has_perm(BYPASS_WINDOW_PERM):
        return
    rule = record_rule_for(type(obj))
    hours = None if rule is None else (rule.edit_window_hours if action == "change" else rule.delete_window_hours)
    if not _window_open(obj, hours):
        raise CoreError(CoreErrorCode.EDIT_WINDOW_CLOSED)
