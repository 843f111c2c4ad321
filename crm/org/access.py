"""This context's record policies, plugged into core.permissions."""

from crm.core.customfields.registry import register_link_target
from crm.core.permissions.access import AccessPolicy, register_policy
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User

register_policy(EmployeeCard, AccessPolicy(owner_field="created_by"))
register_policy(Department, AccessPolicy(owner_field=None))
register_policy(Position, AccessPolicy(owner_field=None))
register_policy(Appointment, AccessPolicy(owner_field=None))
register_policy(Substitution, AccessPolicy(owner_field=None))
register_policy(User, AccessPolicy(owner_field=None))


def _existing_users(ids: object) -> set[int]:
    return set(User.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))  # type: ignore[arg-type]


def _user_label(pk: int) -> str:
    user = User.objects.filter(pk=pk).first()
    return str(user) if user else f"#{pk}"


register_link_target("user", resolver=_existing_users, labeler=_user_label)
