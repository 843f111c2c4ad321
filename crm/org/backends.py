"""Role-based rights: a user has the permissions of the positions they hold today,
plus those of positions they stand in for as a substitute today (PL-5)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone


def active_position_ids(user: Any) -> set[int]:
    from crm.org.models import Appointment, Substitution

    today = timezone.localdate()
    held = Appointment.objects.active_on(today).filter(user=user, position__active=True).values_list("position_id", flat=True)
    deputy = Substitution.objects.active_on(today).filter(substitute=user, position__active=True).values_list(
        "position_id", flat=True
    )
    return set(held) | set(deputy)


class PositionPermissionBackend(ModelBackend):
    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        positions = active_position_ids(user_obj)
        return Permission.objects.filter(Q(group__user=user_obj) | Q(positions__in=positions)).distinct()
