"""Merging two identities and undoing it (ID-7, ID-10).

A merge moves what the merged identity has and the survivor lacks, soft-deletes the
merged one, and writes into MergeRecord.moved every row it moved or added, by id, with
the values it replaced, so that identity_merge_undo can put exactly those back:

    phones/emails: [{"id", "primary"}]     addresses/websites/special_dates: [id]
    *_skipped: [id] (exact duplicates, left on the merged identity)
    categories / assignments: [category id] / [user id] added to the survivor
    contact_links: [{"id", "side"}]        contact_links_left: [id]
    custom: {"before", "after", "filled", "skipped"}   (the survivor's values)
    customer_number: {"moved", "became_customer_at"} or {"merged_number"}
    timeline: [row id] moved; timeline_hidden: [row id] hidden as duplicates
    audit: [AuditEntry id] of the merge, marked undone by the undo
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from crm.core.audit.services import audit_mark_undone, audit_record, restore, soft_delete
from crm.core.customfields.services import custom_values_audit
from crm.core.errors import CoreError, CoreErrorCode
from crm.core.permissions.access import field_access, require, require_perm
from crm.core.timeline.services import timeline_move, timeline_shared_rows, timeline_show_rows, timeline_unmove
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.events import identity_event
from crm.identities.models import (
    Address,
    Assignment,
    ContactPerson,
    Email,
    Identity,
    IdentityCategory,
    MergeRecord,
    Phone,
    SpecialDate,
    Website,
)

MERGE_PERM = "identities.merge_identity"

# name in MergeRecord.moved, model, what makes two rows "the same", has is_primary
CHILDREN: list[tuple[str, type[models.Model], Callable[[Any], Any], bool]] = [
    ("phones", Phone, lambda r: (r.number, r.extension), True),
    ("emails", Email, lambda r: r.address, True),
    ("addresses", Address, lambda r: (r.line.strip(), r.city.strip(), r.postal_code.strip()), False),
    ("websites", Website, lambda r: r.url.rstrip("/").lower(), False),
    ("special_dates", SpecialDate, lambda r: (r.label.strip(), r.date), False),
]


def _lock(*pks: int) -> list[Identity]:
    """Both rows, locked in key order (two merges of the same pair cannot deadlock)."""
    rows = {i.pk: i for i in Identity.all_objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    return [rows[pk] for pk in pks]


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _move_children(survivor: Identity, merged: Identity) -> dict[str, list[Any]]:
    moved: dict[str, list[Any]] = {}
    for name, model, key, has_primary in CHILDREN:
        mine = list(model.objects.filter(identity=survivor))
        seen = {key(r) for r in mine}
        rows, skipped = [], []
        for row in model.objects.filter(identity=merged).order_by("pk"):
            (skipped if key(row) in seen else rows).append(row)
            seen.add(key(row))
        ids = [r.pk for r in rows]
        model.objects.filter(pk__in=ids).update(identity=survivor)
        if has_primary:
            if any(r.is_primary for r in mine):
                model.objects.filter(pk__in=ids).update(is_primary=False)
            moved[name] = [{"id": r.pk, "primary": r.is_primary} for r in rows]
        else:
            moved[name] = ids
        moved[f"{name}_skipped"] = [r.pk for r in skipped]
    return moved


def _add_links(survivor: Identity, merged: Identity) -> dict[str, list[int]]:
    """Categories and experts of the merged identity the survivor lacks (its own rows stay for the undo)."""
    have = set(survivor.category_links.values_list("category_id", flat=True))
    categories = [pk for pk in merged.category_links.values_list("category_id", flat=True) if pk not in have]
    IdentityCategory.objects.bulk_create([IdentityCategory(identity=survivor, category_id=pk) for pk in categories])
    have = set(survivor.assignments.values_list("user_id", flat=True))
    assignments = [a for a in merged.assignments.all() if a.user_id not in have]
    Assignment.objects.bulk_create(
        [Assignment(identity=survivor, user_id=a.user_id, assigned_by_id=a.assigned_by_id) for a in assignments]
    )
    return {"categories": sorted(categories), "assignments": sorted(a.user_id for a in assignments)}


def _move_contact_links(survivor: Identity, merged: Identity) -> dict[str, list[Any]]:
    """Both directions: the merged organisation's contact persons, the merged person's organisations.
    Links that would duplicate one of the survivor's, point at itself or not fit its kind stay behind."""
    moved: list[dict[str, Any]] = []
    left: list[int] = []
    for side, other, kind in (
        ("organisation", "person", Identity.Kind.ORGANISATION),
        ("person", "organisation", Identity.Kind.PERSON),
    ):
        taken = set(ContactPerson.objects.filter(**{side: survivor}).values_list(f"{other}_id", flat=True))
        for link in ContactPerson.objects.filter(**{side: merged}).order_by("pk"):
            partner = getattr(link, f"{other}_id")
            if survivor.kind != kind or partner == survivor.pk or partner in taken:
                left.append(link.pk)
                continue
            taken.add(partner)
            ContactPerson.objects.filter(pk=link.pk).update(**{side: survivor})
            moved.append({"id": link.pk, "side": side})
    return {"contact_links": moved, "contact_links_left": left}


def _fill_custom(actor: Any, survivor: Identity, merged: Identity) -> dict[str, Any]:
    """Custom values the survivor lacks come from the merged identity; the survivor's own win.
    Fields the actor may not write (field-level rules) are left alone."""
    blocked = {name.removeprefix("custom.") for name in field_access(actor, Identity) if name.startswith("custom.")}
    before = dict(survivor.custom or {})
    filled = {
        k: v for k, v in (merged.custom or {}).items() if _empty(before.get(k)) and not _empty(v) and k not in blocked
    }
    skipped = sorted(k for k, v in (merged.custom or {}).items() if k in blocked and not _empty(v))
    after = {**before, **filled}
    if filled:
        survivor.custom = after
        survivor.save(update_fields=["custom", "updated_at"])
        custom_values_audit(actor=actor, obj=survivor, before=before, after=after)
    return {"before": before, "after": after, "filled": sorted(filled), "skipped": skipped}


def _take_customer_number(survivor: Identity, merged: Identity) -> dict[str, Any]:
    if not merged.customer_number:
        return {}
    if survivor.customer_number:
        return {"merged_number": merged.customer_number}  # the merged identity keeps its own
    number, since = merged.customer_number, merged.became_customer_at
    merged.customer_number = None
    merged.save(update_fields=["customer_number", "updated_at"])  # free the unique number first
    survivor.customer_number, survivor.became_customer_at = number, since
    survivor.save(update_fields=["customer_number", "became_customer_at", "updated_at"])
    return {"moved": number, "became_customer_at": since.isoformat() if since else None}


def _merge_counts(moved: dict[str, Any]) -> dict[str, int]:
    names = [name for name, *_rest in CHILDREN] + ["categories", "assignments", "contact_links", "timeline"]
    counts = {name: len(moved.get(name, [])) for name in names}
    counts["custom"] = len(moved.get("custom", {}).get("filled", []))
    return {k: v for k, v in counts.items() if v}


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in counts.items())


@transaction.atomic
def identity_merge(*, actor: Any, survivor: Identity, merged: Identity) -> MergeRecord:
    """Merge `merged` into `survivor` (both need change rights, plus the merge right).
    Unknown contacts (ID-7) merge the same way."""
    if survivor.pk == merged.pk:
        raise IdentityError(IdentityErrorCode.MERGE_SAME)
    require_perm(actor, MERGE_PERM)
    survivor, merged = _lock(survivor.pk, merged.pk)
    for identity in (survivor, merged):
        if identity.is_deleted:
            raise CoreError(CoreErrorCode.ALREADY_DELETED)
        require(actor, "change", identity)
    moved: dict[str, Any] = {"survivor_label": str(survivor), "merged_label": str(merged)}
    moved |= _move_children(survivor, merged)
    moved |= _add_links(survivor, merged)
    moved |= _move_contact_links(survivor, merged)
    moved["custom"] = _fill_custom(actor, survivor, merged)
    moved["customer_number"] = _take_customer_number(survivor, merged)
    moved["timeline_hidden"] = timeline_shared_rows(from_identity_id=merged.pk, to_identity_id=survivor.pk)
    moved["timeline"] = timeline_move(from_identity_id=merged.pk, to_identity_id=survivor.pk)
    soft_delete(obj=merged, actor=actor)
    record = MergeRecord.objects.create(
        survivor=survivor,
        merged=merged,
        moved=moved,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    counts = [None, _counts_text(_merge_counts(moved))]
    entries = [
        audit_record(
            actor=actor,
            target=survivor,
            action="identity.merged",
            changes={"merged": [None, f"{merged} (#{merged.pk})"], "merge_record": record.pk, "moved": counts},
        ),
        audit_record(
            actor=actor,
            target=merged,
            action="identity.merged",
            changes={"merged_into": [None, f"{survivor} (#{survivor.pk})"], "merge_record": record.pk, "moved": counts},
        ),
    ]
    identity_event(identity_id=survivor.pk, entry=entries[0], summary=str(merged), actor=actor)
    record.moved["audit"] = [e.pk for e in entries]
    record.save(update_fields=["moved"])
    return record


def _move_children_back(survivor: Identity, merged: Identity, moved: dict[str, Any]) -> dict[str, int]:
    """Rows still on the survivor go home, with their old primary flags; added links go away."""
    back: dict[str, int] = {}
    for name, model, _key, has_primary in CHILDREN:
        items = moved.get(name, [])
        rows = model.objects.filter(identity=survivor)
        if has_primary:
            back[name] = sum(
                rows.filter(pk__in=[i["id"] for i in items if i["primary"] is primary]).update(
                    identity=merged, is_primary=primary
                )
                for primary in (True, False)
            )
        else:
            back[name] = rows.filter(pk__in=items).update(identity=merged)
    back["categories"] = IdentityCategory.objects.filter(
        identity=survivor, category_id__in=moved.get("categories", [])
    ).delete()[0]
    back["assignments"] = Assignment.objects.filter(
        identity=survivor, user_id__in=moved.get("assignments", [])
    ).delete()[0]
    back["contact_links"] = sum(
        ContactPerson.objects.filter(pk=link["id"], **{link["side"]: survivor}).update(**{link["side"]: merged})
        for link in moved.get("contact_links", [])
    )
    return back


def _restore_custom(actor: Any, survivor: Identity, custom: dict[str, Any]) -> None:
    """The survivor's previous values for the keys the merge filled (unless changed since)."""
    current = dict(survivor.custom or {})
    restored = dict(current)
    for key in custom.get("filled", []):
        if current.get(key) != custom["after"].get(key):
            continue
        if key in custom["before"]:
            restored[key] = custom["before"][key]
        else:
            restored.pop(key, None)
    if restored != current:
        survivor.custom = restored
        survivor.save(update_fields=["custom", "updated_at"])
        custom_values_audit(actor=actor, obj=survivor, before=current, after=restored)


def _give_back_customer_number(survivor: Identity, merged: Identity, info: dict[str, Any]) -> None:
    number = info.get("moved")
    if not number or survivor.customer_number != number:
        return
    survivor.customer_number, survivor.became_customer_at = None, None
    survivor.save(update_fields=["customer_number", "became_customer_at", "updated_at"])
    since = info.get("became_customer_at")
    merged.customer_number = number
    merged.became_customer_at = dt.datetime.fromisoformat(since) if since else None
    merged.save(update_fields=["customer_number", "became_customer_at", "updated_at"])


@transaction.atomic
def identity_merge_undo(*, actor: Any, record: MergeRecord) -> MergeRecord:
    """Put back exactly what the merge moved and bring the merged identity back."""
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise IdentityError(IdentityErrorCode.MERGE_UNDONE)
    require_perm(actor, MERGE_PERM)
    survivor, merged = _lock(record.survivor_id, record.merged_id)
    require(actor, "change", survivor)
    require(actor, "change", merged)
    moved = record.moved
    if merged.is_deleted:
        restore(obj=merged, actor=actor)
    back = _move_children_back(survivor, merged, moved)
    _restore_custom(actor, survivor, moved.get("custom", {}))
    _give_back_customer_number(survivor, merged, moved.get("customer_number", {}))
    timeline_unmove(row_ids=moved.get("timeline", []), to_identity_id=merged.pk)
    timeline_show_rows(row_ids=moved.get("timeline_hidden", []))
    record.undone_at = timezone.now()
    record.save(update_fields=["undone_at"])
    audit_mark_undone(entry_ids=moved.get("audit", []))
    changes = {"merge_record": record.pk, "moved_back": [None, _counts_text({k: v for k, v in back.items() if v})]}
    for identity, name, other in ((survivor, "merged", merged), (merged, "merged_into", survivor)):
        entry = audit_record(
            actor=actor,
            target=identity,
            action="identity.merge_undone",
            changes={name: [f"{other} (#{other.pk})", None], **changes},
        )
        identity_event(identity_id=identity.pk, entry=entry, summary=str(other), actor=actor)
    return record
