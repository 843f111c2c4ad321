"""Who uses which warehouse (IN-1).

A warehouse is used by the users, positions and departments it is granted to; holders of
`inventory.view_all_warehouse` (and superusers) use every warehouse. Everything stocked
follows: levels, movements, serials in a warehouse and purchase requests for it are seen
by the warehouse's users only. Recording a movement needs its own right besides
(`inventory.add_receipt`, `add_issue`, `add_transfer`, `add_adjustment`).
Sold serials (in no warehouse) are seen by anyone who uses some warehouse.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crm.inventory.models import MoveKind, Warehouse, WarehouseAccess
from crm.org.models import User
from crm.org.selectors import active_position_ids_for, department_ids_for, users_holding_position, users_in_departments

VIEW_ALL = "inventory.view_all_warehouse"
MOVE_PERMS = {
    MoveKind.RECEIPT: "inventory.add_receipt",
    MoveKind.ISSUE: "inventory.add_issue",
    MoveKind.TRANSFER: "inventory.add_transfer",
    MoveKind.ADJUSTMENT: "inventory.add_adjustment",
}


def _is_active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def sees_all_warehouses(user: Any) -> bool:
    return _is_active(user) and (user.is_superuser or user.has_perm(VIEW_ALL))


def warehouse_ids_for(user: Any) -> set[int]:
    """The warehouses this user may use (cached on the user object for the request)."""
    cached = getattr(user, "_crm_warehouses", None)
    if cached is not None:
        return cached
    if not _is_active(user):
        ids: set[int] = set()
    elif sees_all_warehouses(user):
        ids = set(Warehouse.objects.values_list("pk", flat=True))
    else:
        grants = (
            Q(user=user)
            | Q(position_id__in=active_position_ids_for(user))
            | Q(department_id__in=department_ids_for(user))
        )
        ids = set(WarehouseAccess.objects.filter(grants).values_list("warehouse_id", flat=True))
    user._crm_warehouses = ids
    return ids


def forget_warehouse_access(user: Any) -> None:
    if hasattr(user, "_crm_warehouses"):
        delattr(user, "_crm_warehouses")


def warehouse_scope(user: Any, qs: QuerySet, field: str = "warehouse_id") -> QuerySet:
    if sees_all_warehouses(user):
        return qs
    return qs.filter(**{f"{field}__in": warehouse_ids_for(user)})


def uses_any_warehouse(user: Any) -> bool:
    return bool(warehouse_ids_for(user))


def can_move(user: Any, kind: str, warehouse: Warehouse) -> bool:
    perm = MOVE_PERMS.get(MoveKind(kind))
    return (
        _is_active(user)
        and perm is not None
        and user.has_perm(perm)
        and (user.is_superuser or warehouse.pk in warehouse_ids_for(user))
    )


def move_kinds_for(user: Any) -> list[str]:
    return [kind for kind, perm in MOVE_PERMS.items() if _is_active(user) and user.has_perm(perm)]


def warehouse_keepers(warehouse: Warehouse) -> list[User]:
    """Who gets the warehouse's alerts: its keepers; if none are named, its users given
    directly; if none, the superusers."""
    grants = list(WarehouseAccess.objects.filter(warehouse=warehouse))
    chosen = [g for g in grants if g.keeper] or [g for g in grants if g.user_id]
    users: dict[int, User] = {}
    user_ids = [g.user_id for g in chosen if g.user_id]
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        users[user.pk] = user
    for grant in chosen:
        if grant.position_id:
            users.update({u.pk: u for u in users_holding_position(grant.position_id)})
        if grant.department_id:
            users.update({u.pk: u for u in users_in_departments({grant.department_id})})
    if not users:
        users = {u.pk: u for u in User.objects.filter(is_superuser=True, is_active=True)}
    return list(users.values())
