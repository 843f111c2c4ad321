"""Category access (ID-2), plugged into core.permissions as a scope on identities.

An identity is hidden from a user when it is in at least one category and every one of
its categories is restricted to positions the user does not hold today.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from crm.core.permissions.access import AccessPolicy, register_policy, register_scope
from crm.identities.models import Assignment, Category, Identity, IdentityCategory
from crm.org.selectors import active_position_ids_for


def accessible_category_ids(user: Any) -> set[int]:
    cached = getattr(user, "_crm_category_ids", None)
    if cached is not None:
        return cached
    if getattr(user, "is_superuser", False):
        ids = set(Category.objects.values_list("pk", flat=True))
    else:
        positions = active_position_ids_for(user)
        ids = set(
            Category.objects.filter(Q(restricted=False) | Q(positions__in=positions)).values_list("pk", flat=True)
        )
    user._crm_category_ids = ids
    return ids


def category_scope(user: Any, qs: QuerySet[Identity]) -> QuerySet[Identity]:
    if not Category.objects.filter(restricted=True).exists():
        return qs
    links = IdentityCategory.objects.filter(identity=OuterRef("pk"))
    return qs.filter(~Exists(links) | Exists(links.filter(category_id__in=accessible_category_ids(user))))


register_policy(
    Identity,
    AccessPolicy(
        owner_field="created_by",
        own_q=lambda user: (
            Q(created_by=user) | Q(Exists(Assignment.objects.filter(identity=OuterRef("pk"), user=user)))
        ),
    ),
)
register_scope(Identity, category_scope)
