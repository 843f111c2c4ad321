"""Reads of sales documents, always through the user's access rules (crm.sales.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_filter
from crm.core.i18n.digits import to_latin_digits
from crm.core.permissions.access import visible_to
from crm.identities.models import Identity
from crm.sales.models import Direction, Document, DocumentEvent, DocumentLine, DocumentSettings, Kind


def document_base_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Document]:
    base = Document.all_objects.all() if include_deleted else Document.objects.all()
    return visible_to(user, base)


def document_get_for_user(*, user: Any, pk: int, include_deleted: bool = False) -> Document | None:
    return (
        document_base_for_user(user=user, include_deleted=include_deleted)
        .filter(pk=pk)
        .select_related("price_list", "source", "created_by", "assignee", "approved_by")
        .prefetch_related(
            Prefetch("lines", queryset=DocumentLine.objects.select_related("product").order_by("position", "id")),
            Prefetch("events", queryset=DocumentEvent.objects.select_related("actor").order_by("id")),
            "workflow_users",
        )
        .first()
    )


def document_by_token(*, token: Any) -> Document | None:
    """The document behind a customer link (the caller has checked the link's signature)."""
    return (
        Document.objects.filter(public_token=token)
        .exclude(status=Document.Status.CANCELLED)
        .prefetch_related(
            Prefetch("lines", queryset=DocumentLine.objects.select_related("product").order_by("position", "id"))
        )
        .first()
    )


@dataclass
class DocumentFilters:
    q: str = ""  # number (Latin or Persian digits)
    kind: str = ""
    direction: str = ""
    status: str = ""
    identity_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    product_id: int | None = None
    created_by: Any = None
    customer_response: str | None = None
    custom: list[tuple[CustomFieldDefinition, str, Any]] = field(default_factory=list)
    sort: str = "-id"


SORTS = {
    "-id": ("-id",),
    "id": ("id",),
    "-date": ("-issued_on", "-id"),
    "date": ("issued_on", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "number": ("number", "id"),
}


def _apply_filters(qs: QuerySet[Document], f: DocumentFilters) -> QuerySet[Document]:
    text = to_latin_digits(f.q or "").strip()
    if text:
        qs = qs.filter(number__icontains=text)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.identity_id is not None:
        qs = qs.filter(identity_id=f.identity_id)
    if f.date_from is not None:
        qs = qs.filter(issued_on__gte=f.date_from)
    if f.date_to is not None:
        qs = qs.filter(issued_on__lte=f.date_to)
    if f.product_id is not None:
        qs = qs.filter(Exists(DocumentLine.objects.filter(document=OuterRef("pk"), product_id=f.product_id)))
    if f.created_by is not None:
        qs = qs.filter(created_by=f.created_by)
    if f.customer_response is not None:
        qs = qs.filter(customer_response=f.customer_response)
    for definition, op, value in f.custom:
        qs = custom_filter(qs, definition=definition, op=op, value=value)
    return qs


def document_list_for_user(*, user: Any, filters: DocumentFilters | None = None) -> QuerySet[Document]:
    f = filters or DocumentFilters()
    qs = _apply_filters(document_base_for_user(user=user), f)
    return qs.order_by(*SORTS.get(f.sort, SORTS["-id"]))


def document_list_rows(qs: QuerySet[Document]) -> QuerySet[Document]:
    return qs.select_related("created_by", "assignee")


def identity_names(identity_ids: list[int] | set[int]) -> dict[int, str]:
    """Display names of the documents' parties (one query for a page)."""
    ids = {i for i in identity_ids if i}
    if not ids:
        return {}
    return dict(Identity.all_objects.filter(pk__in=ids).values_list("pk", "display_name"))


def document_status_report(*, user: Any, filters: DocumentFilters | None = None) -> list[dict[str, Any]]:
    """Counts and sums by status per document type (SL-9), over the documents the user sees."""
    f = filters or DocumentFilters()
    f = DocumentFilters(**{**f.__dict__, "status": ""})
    qs = _apply_filters(document_base_for_user(user=user), f)
    rows = (
        qs.order_by()
        .values("direction", "kind", "status")
        .annotate(count=Count("id"), total=Sum("total"), tax=Sum("tax"))
        .order_by("direction", "kind", "status")
    )
    kinds = dict(Kind.choices)
    directions = dict(Direction.choices)
    statuses = dict(Document.Status.choices)
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["direction"], row["kind"])
        group = grouped.setdefault(
            key,
            {
                "direction": row["direction"],
                "kind": row["kind"],
                "label": f"{directions.get(key[0], key[0])} · {kinds.get(key[1], key[1])}",
                "statuses": [],
                "count": 0,
                "total": Decimal(0),
            },
        )
        group["statuses"].append(
            {
                "status": row["status"],
                "label": statuses.get(row["status"], row["status"]),
                "count": row["count"],
                "total": row["total"] or Decimal(0),
                "tax": row["tax"] or Decimal(0),
            }
        )
        group["count"] += row["count"]
        group["total"] += row["total"] or Decimal(0)
    return list(grouped.values())


def document_settings_list() -> list[DocumentSettings]:
    return list(DocumentSettings.objects.order_by("direction", "kind"))


def document_settings_get(*, kind: str, direction: str) -> DocumentSettings | None:
    return DocumentSettings.objects.filter(kind=kind, direction=direction).first()


def returned_quantities(
    *, invoice: Document, exclude_document_id: int | None = None, approved_only: bool = False
) -> dict[int, Decimal]:
    """How much of each invoice line other returns take back: every return still alive
    (drafts too, so two clerks do not return the same goods), or only approved ones (the
    check at approval, under the invoice's lock)."""
    lines = DocumentLine.objects.filter(
        source_line__document=invoice,
        document__kind=Kind.RETURN,
        document__deleted_at__isnull=True,
    ).exclude(document__status__in=[Document.Status.CANCELLED, Document.Status.REJECTED])
    if approved_only:
        lines = lines.filter(document__status=Document.Status.APPROVED)
    if exclude_document_id is not None:
        lines = lines.exclude(document_id=exclude_document_id)
    return {
        row["source_line_id"]: row["quantity"] or Decimal(0)
        for row in lines.values("source_line_id").annotate(quantity=Sum("quantity"))
    }


def returnable_quantities(
    *, invoice: Document, exclude_document_id: int | None = None, approved_only: bool = False
) -> dict[int, Decimal]:
    """Per invoice line: what may still be returned (invoiced minus other returns)."""
    taken = returned_quantities(invoice=invoice, exclude_document_id=exclude_document_id, approved_only=approved_only)
    return {line.pk: line.quantity - taken.get(line.pk, Decimal(0)) for line in invoice.lines.all()}


def documents_for_identity(*, user: Any, identity_id: int, limit: int = 50) -> list[Document]:
    """The documents of one customer/supplier the user may see (profile tab), newest first."""
    return list(document_base_for_user(user=user).filter(identity_id=identity_id).order_by("-issued_on", "-id")[:limit])


def document_issued_from(*, user: Any, document: Document) -> list[Document]:
    """Documents issued from this one (invoice from a quote, returns from an invoice)."""
    return list(document_base_for_user(user=user).filter(source=document).order_by("id"))


def pending_approval_for(*, user: Any, limit: int = 20) -> QuerySet[Document]:
    """Documents waiting for approval that this user sees (an approver's inbox)."""
    return (
        document_base_for_user(user=user)
        .filter(status=Document.Status.PENDING)
        .exclude(Q(created_by=user) & Q(created_by__is_superuser=False))
        .order_by("submitted_at", "id")[:limit]
    )
