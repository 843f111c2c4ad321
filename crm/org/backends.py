"""Role-based rights: a user has the permissions of the positions they hold today,
plus those of positions they stand in for as a substitute today (PL-5)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.utils import timezone

from crm.org.models import Appointment, Position, Substitution


def active_position_ids(user: Any) -> set[int]:

    today = timezone.localdate()
    held = (
        Appointment.objects.active_on(today)
        .filter(user=user, position__active=True)
        .values_list("position_id", flat=True)
    )
    deputy = (
        Substitution.objects.active_on(today)
        .filter(substitute=user, position__active=True)
        .values_list("position_id", flat=True)
    )
    return set(held) | set(deputy)


class PositionPermissionBackend(ModelBackend):
    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        # Two narrow lookups instead of one OR across two joins: each uses its own index.
        through = Position.permissions.through
        ids = set(
            through.objects.filter(position_id__in=active_position_ids(user_obj)).values_list(
                "permission_id", flat=True
            )
        )
        ids |= set(Permission.objects.filter(group__user=user_obj).values_list("pk", flat=True))
        return Permission.objects.filter(pk__in=ids)
