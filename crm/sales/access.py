"""Who sees, changes and approves sales documents (SL-5, PL-5).

- Seeing: `sales.view_all_document` (or superuser) sees every document; `sales.view_document`
  sees the documents one created, is the salesperson (assignee) of, or is a workflow user of.
  Document types set to "only its creator sees it" (`DocumentSettings.creator_only_view`)
  narrow that to the creator, plus approvers (`sales.approve_document`) once the document
  left the draft stage (they must see what they approve). Superusers see everything.
- Changing: `sales.change_all_document` changes any visible document; `sales.change_document`
  only those of its workflow (creator, salesperson, workflow users). The type's edit window
  (`edit_window_hours` after creation, 0 = always) and the core record rule window apply
  to everyone but superusers and holders of `core.bypass_edit_window`.
- Approving: `sales.approve_document`; a user may not approve or reject a document they
  created, except a superuser (a one-person shop must still be able to work). Decided so
  approval stays a second pair of eyes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.core.permissions.access import BYPASS_WINDOW_PERM, AccessPolicy, check, register_policy, register_scope
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.models import Document, DocumentSettings

APPROVE = "sales.approve_document"
CHANGE_ALL = "sales.change_all_document"
OVERRIDE_TOTALS = "sales.override_document_totals"
CHOOSE_PRICE_LIST = "sales.choose_price_list"
ADD = "sales.add_document"
DELETE = "sales.delete_document"
SETTINGS = "sales.change_documentsettings"

WorkflowUsers = Document.workflow_users.through


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def document_own_q(user: Any) -> Q:
    """The documents of a user's workflow: created by them, theirs as salesperson, or
    listing them as workflow users."""
    return (
        Q(created_by=user)
        | Q(assignee=user)
        | Q(Exists(WorkflowUsers.objects.filter(document_id=OuterRef("pk"), user_id=user.pk)))
    )


def creator_only_types() -> list[tuple[str, str]]:
    """(kind, direction) of the types only their creators see (few rows; one query)."""
    return list(DocumentSettings.objects.filter(creator_only_view=True).values_list("kind", "direction"))


def creator_only_scope(user: Any, qs: QuerySet[Document]) -> QuerySet[Document]:
    types = creator_only_types()
    if not types:
        return qs
    restricted = Q()
    for kind, direction in types:
        restricted |= Q(kind=kind, direction=direction)
    allowed = Q(created_by=user)
    if user.has_perm(APPROVE):
        allowed |= ~Q(status=Document.Status.DRAFT)
    return qs.filter(~restricted | allowed)


register_policy(Document, AccessPolicy(owner_field="created_by", own_q=document_own_q))
register_scope(Document, creator_only_scope)


def _window_hours(document: Document) -> int:
    settings = (
        DocumentSettings.objects.filter(kind=document.kind, direction=document.direction)
        .values_list("edit_window_hours", flat=True)
        .first()
    )
    return settings or 0


def _bypasses_window(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm(BYPASS_WINDOW_PERM))


def document_change_error(user: Any, document: Document, *, action: str = "change") -> SalesError | None:
    """Why `user` may not change (or delete) `document`, or None when allowed."""
    if not _active(user):
        return SalesError(SalesErrorCode.EDIT_DENIED)
    if document.status == Document.Status.CANCELLED:
        return SalesError(SalesErrorCode.NOT_EDITABLE)
    error = check(user, "change", document)  # reach (own / all), scopes, core record rule window
    if error is not None:
        closed = getattr(error, "code", None) == "edit_window_closed"
        return SalesError(SalesErrorCode.EDIT_WINDOW_CLOSED if closed else SalesErrorCode.EDIT_DENIED)
    if action == "delete" and not (user.is_superuser or user.has_perm(DELETE)):
        return SalesError(SalesErrorCode.EDIT_DENIED)
    hours = _window_hours(document)
    created = document.created_at
    closed = bool(hours and created is not None and timezone.now() > created + dt.timedelta(hours=hours))
    if closed and not _bypasses_window(user):
        return SalesError(SalesErrorCode.EDIT_WINDOW_CLOSED)
    return None


def can_change_document(user: Any, document: Document) -> bool:
    return document_change_error(user, document) is None


def require_change_document(user: Any, document: Document, *, action: str = "change") -> None:
    error = document_change_error(user, document, action=action)
    if error is not None:
        raise error


def approve_error(user: Any, document: Document) -> SalesError | None:
    if not _active(user) or not (user.is_superuser or user.has_perm(APPROVE)):
        return SalesError(SalesErrorCode.APPROVE_DENIED)
    if document.created_by_id == user.pk and not user.is_superuser:
        return SalesError(SalesErrorCode.APPROVE_OWN)
    return None


def can_approve_document(user: Any, document: Document) -> bool:
    return approve_error(user, document) is None


def can_create_documents(user: Any) -> bool:
    return _active(user) and (user.is_superuser or user.has_perm(ADD))


def can_override_totals(user: Any) -> bool:
    return _active(user) and (user.is_superuser or user.has_perm(OVERRIDE_TOTALS))


def can_choose_price_list(user: Any) -> bool:
    return _active(user) and (user.is_superuser or user.has_perm(CHOOSE_PRICE_LIST))
