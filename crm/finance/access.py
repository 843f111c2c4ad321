"""Who sees money records (PL-5).

- Receipts and payments (and their cheques): `finance.view_all_receipt` sees all;
  `finance.view_receipt` only the ones the user recorded (or, for online payments, whose
  payment link they made). Changing follows `change_all_receipt` / `change_receipt` the
  same way, within the core record rule's edit window. Superusers see everything.
- Payment links: `finance.view_all_paymentlink` or one's own with `finance.view_paymentlink`.
- Balances and statements: `finance.view_statement`, for identities the user may see.
- Every money record is also limited to the identities the user may see (category scope)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crm.core.permissions.access import AccessPolicy, register_policy, register_scope
from crm.finance.models import PaymentLink, Receipt


def identity_scope(user: Any, qs: QuerySet) -> QuerySet:
    from crm.identities.selectors import identity_base_for_user

    return qs.filter(identity_id__in=identity_base_for_user(user=user, include_deleted=True).values("pk"))


register_policy(Receipt, AccessPolicy(owner_field="created_by"))
register_scope(Receipt, identity_scope)
register_policy(PaymentLink, AccessPolicy(owner_field="created_by"))
register_scope(PaymentLink, identity_scope)
