"""Reads for the merge pages: the two sides of a comparison, a merge record and what it moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.selectors import custom_field_definitions, custom_value_display
from crm.core.i18n.formatting import format_date
from crm.core.permissions.access import hidden_fields
from crm.core.timeline.selectors import timeline_count
from crm.identities.merge.services import CHILDREN
from crm.identities.models import Category, ContactPerson, Identity, MergeRecord
from crm.identities.phones import display_phone
from crm.identities.selectors import identity_base_for_user, identity_get_for_user


def merge_record_get_for_user(*, user: Any, pk: int) -> MergeRecord | None:
    """A merge record, when the user may see both identities (the merged one is usually deleted)."""
    visible = identity_base_for_user(user=user, include_deleted=True)
    return (
        MergeRecord.objects.filter(pk=pk, survivor__in=visible.values("pk"), merged__in=visible.values("pk"))
        .select_related("survivor", "merged", "actor")
        .first()
    )


def merge_records_for_identity(*, user: Any, identity: Identity, limit: int = 20) -> list[MergeRecord]:
    """Merges into or out of this identity, newest first (for a profile's Changes tab)."""
    visible = identity_base_for_user(user=user, include_deleted=True).values("pk")
    qs = MergeRecord.objects.filter(Q(survivor=identity) | Q(merged=identity)).filter(
        survivor__in=visible, merged__in=visible
    )
    return list(qs.select_related("survivor", "merged", "actor")[:limit])


@dataclass
class MergeSide:
    identity: Identity
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    contacts: int = 0
    history: int = 0
    custom: dict[int, str] = field(default_factory=dict)


def _side(user: Any, identity: Identity) -> MergeSide:
    return MergeSide(
        identity=identity,
        phones=[display_phone(p.number) + (f" ({p.extension})" if p.extension else "") for p in identity.phones.all()],
        emails=[e.address for e in identity.emails.all()],
        categories=[c.name for c in identity.categories.all()],
        assignees=[u.get_full_name() or u.username for u in identity.assignees.all()],
        contacts=len(identity.contact_links.all()) + len(identity.organisation_links.all()),
        history=timeline_count(identity_id=identity.pk),
    )


def merge_comparison(*, user: Any, a: Identity, b: Identity) -> dict[str, Any]:
    """Both identities side by side, with the custom fields the user may read, row by row."""
    sides = [_side(user, a), _side(user, b)]
    hidden = hidden_fields(user, Identity)
    custom_rows = []
    for definition in custom_field_definitions(model=Identity):
        if f"custom.{definition.key}" in hidden:
            continue
        values = [custom_value_display(definition, (i.custom or {}).get(definition.key)) for i in (a, b)]
        if any(values):
            custom_rows.append((definition.label, values))
    return {"sides": sides, "custom_rows": custom_rows}


def merge_identity_get(*, user: Any, pk: Any) -> Identity | None:
    """One live identity the user may see, with what the comparison shows."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return identity_get_for_user(user=user, pk=pk)


def _labels_for(name: str, ids: list[Any]) -> list[str]:
    model = next(m for n, m, _k, _p in CHILDREN if n == name)
    pks = [i["id"] if isinstance(i, dict) else i for i in ids]
    rows = model._default_manager.filter(pk__in=pks)
    if name == "phones":
        return [display_phone(r.number) for r in rows]
    if name == "special_dates":
        return [f"{r.label}: {format_date(r.date)}" for r in rows]
    return [str(r) for r in rows]


SECTION_LABELS = {
    "phones": _("Phones"),
    "emails": _("Emails"),
    "addresses": _("Addresses"),
    "websites": _("Websites"),
    "special_dates": _("Dates"),
    "categories": _("Categories"),
    "assignments": _("Assigned experts"),
    "contact_links": _("Contact persons and organisations"),
    "custom": _("Custom fields"),
    "customer_number": _("Customer number"),
    "timeline": _("History items"),
}


def merge_record_summary(*, user: Any, record: MergeRecord) -> list[dict[str, Any]]:
    """What the merge moved, section by section, as text for the merge page."""
    moved = record.moved or {}
    sections: list[dict[str, Any]] = []

    def add(key: str, items: list[str], count: int | None = None) -> None:
        if items or count:
            sections.append({"key": key, "label": SECTION_LABELS[key], "items": items, "count": count or len(items)})

    for name, *_rest in CHILDREN:
        add(name, _labels_for(name, moved.get(name, [])))
    add("categories", list(Category.objects.filter(pk__in=moved.get("categories", [])).values_list("name", flat=True)))
    users = get_user_model().objects.filter(pk__in=moved.get("assignments", []))
    add("assignments", [u.get_full_name() or u.username for u in users])
    links = ContactPerson.objects.filter(pk__in=[i["id"] for i in moved.get("contact_links", [])])
    add(
        "contact_links",
        [f"{link.person} — {link.organisation}" for link in links.select_related("person", "organisation")],
    )
    custom = moved.get("custom", {})
    hidden = hidden_fields(user, Identity)
    labels = {d.key: d for d in custom_field_definitions(model=Identity, active_only=False)}
    add(
        "custom",
        [
            f"{labels[k].label}: {custom_value_display(labels[k], custom['after'].get(k))}" if k in labels else k
            for k in custom.get("filled", [])
            if f"custom.{k}" not in hidden
        ],
    )
    number = moved.get("customer_number", {})
    if number.get("moved"):
        add("customer_number", [str(number["moved"])])
    add("timeline", [], count=len(moved.get("timeline", [])))
    return sections
