"""Writes of the identities context. Every write checks rights, validates, audits."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.core.audit.services import audit_record, audit_snapshot, restore, soft_delete, tracked_update
from crm.core.bulk import InstanceFactory
from crm.core.customfields.services import custom_values_apply, custom_values_audit
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.search import normalize_compact
from crm.core.numbering.models import NumberSequence
from crm.core.numbering.services import document_number_next, document_numbering_for, sequence_next
from crm.core.permissions.access import require, require_fields_writable, require_perm
from crm.core.tree import tree_move, tree_place
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.events import identity_event
from crm.identities.models import (
    Address,
    Assignment,
    Category,
    ContactPerson,
    Email,
    Identity,
    IdentityCategory,
    Phone,
    SpecialDate,
    Website,
)
from crm.identities.phones import normalize_phone

CUSTOMER_DOC_TYPE = "customer"
PHONE_KINDS = frozenset(Phone.Kind.values)
# Imports build these for every row of a file: positional construction costs half (core.bulk).
_new_phone, _new_email = InstanceFactory(Phone), InstanceFactory(Email)
SCALAR_FIELDS = [
    "kind",
    "title",
    "first_name",
    "last_name",
    "organisation_name",
    "national_id",
    "economic_code",
    "birth_date",
    "colour",
    "class_code",
    "source",
    "notes",
]


def _milestone(
    *, actor: Any, identity: Identity, action: str, summary: str = "", changes: dict[str, Any] | None = None
) -> None:
    """Audit an identity milestone and show it in the identity's history tab."""
    entry = audit_record(actor=actor, target=identity, action=action, changes=changes)
    identity_event(identity_id=identity.pk, entry=entry, summary=summary, actor=actor)


def identity_names(identity: Identity) -> None:
    """Fill display_name and the Persian-normalised search key from the name parts."""
    if identity.kind == Identity.Kind.ORGANISATION:
        name = identity.organisation_name.strip()
    else:
        name = " ".join(p for p in (identity.first_name.strip(), identity.last_name.strip()) if p)
    identity.display_name = name[:255]
    identity.name_key = normalize_compact(name)[:255]


def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    return value


def clean_phones(items: list[dict[str, Any]]) -> list[Phone]:
    phones, seen = [], set()
    for item in items:
        raw = str(item.get("number", "")).strip()
        if not raw:
            continue
        number = normalize_phone(raw)
        if number is None:
            raise IdentityError(IdentityErrorCode.INVALID_PHONE, value=raw[:40], fields={"phones": raw[:40]})
        if number in seen:
            continue
        seen.add(number)
        kind = item.get("kind") or Phone.Kind.MOBILE
        if kind not in PHONE_KINDS:
            kind = Phone.Kind.PHONE
        phones.append(
            _new_phone(
                {
                    "number": number,
                    "kind": kind,
                    "extension": to_latin_digits(str(item.get("extension", "")))[:10],
                    "is_primary": bool(item.get("is_primary")),
                }
            )
        )
    if phones and not any(p.is_primary for p in phones):
        phones[0].is_primary = True
    return phones


def clean_emails(items: list[Any]) -> list[Email]:
    emails, seen = [], set()
    for item in items:
        raw = (item.get("address", "") if isinstance(item, dict) else str(item)).strip().lower()
        if not raw:
            continue
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise IdentityError(IdentityErrorCode.INVALID_EMAIL, value=raw[:80], fields={"emails": raw[:80]}) from exc
        if raw in seen:
            continue
        seen.add(raw)
        emails.append(
            _new_email({"address": raw, "is_primary": bool(isinstance(item, dict) and item.get("is_primary"))})
        )
    if emails and not any(e.is_primary for e in emails):
        emails[0].is_primary = True
    return emails


def _replace_children(
    identity: Identity,
    *,
    phones: Any = None,
    emails: Any = None,
    addresses: Any = None,
    websites: Any = None,
    special_dates: Any = None,
) -> dict[str, list[Any]]:
    """Replace nested lists that were given (None = leave as is); return the audit diff."""
    changes: dict[str, list[Any]] = {}
    specs = (
        ("phones", phones, Phone, clean_phones, lambda p: p.number),
        ("emails", emails, Email, clean_emails, lambda e: e.address),
        (
            "addresses",
            addresses,
            Address,
            lambda items: [
                Address(
                    **{
                        k: _clean_text(v)
                        for k, v in a.items()
                        if k in ("label", "province", "city", "line", "postal_code")
                    }
                )
                for a in items
                if a.get("line")
            ],
            str,
        ),
        (
            "websites",
            websites,
            Website,
            lambda items: [Website(url=str(u.get("url", u) if isinstance(u, dict) else u)) for u in items if u],
            lambda w: w.url,
        ),
        (
            "special_dates",
            special_dates,
            SpecialDate,
            lambda items: [SpecialDate(label=_clean_text(d["label"]), date=d["date"]) for d in items],
            lambda d: str(d.date),
        ),
    )
    for name, given, model, clean, key in specs:
        if given is None:
            continue
        rows = clean(given)
        before = [key(r) for r in model.objects.filter(identity=identity)]
        model.objects.filter(identity=identity).delete()
        for row in rows:
            row.identity = identity
            row.full_clean(exclude=["identity"])
        model.objects.bulk_create(rows)
        after = [key(r) for r in rows]
        if before != after:
            changes[name] = [before, after]
    return changes


def _validate_names(identity: Identity) -> None:
    identity_names(identity)
    if not identity.display_name:
        raise IdentityError(
            IdentityErrorCode.NAME_REQUIRED,
            fields={"first_name": IdentityError.messages[IdentityErrorCode.NAME_REQUIRED]},
        )


@transaction.atomic
def identity_create(
    *,
    actor: Any,
    phones: list | None = None,
    emails: list | None = None,
    addresses: list | None = None,
    websites: list | None = None,
    special_dates: list | None = None,
    categories: list[Category] | None = None,
    custom: dict | None = None,
    assignees: list | None = None,
    is_unknown: bool = False,
    **values: Any,
) -> Identity:
    require_perm(actor, "identities.add_identity")
    values = {k: _clean_text(v) for k, v in values.items() if k in SCALAR_FIELDS}
    given = {k for k, v in values.items() if v not in (None, "")} | {f"custom.{k}" for k in custom or {}}
    require_fields_writable(actor, Identity, given)  # a field the user may only see (or not) stays empty
    identity = Identity(
        created_by=actor if getattr(actor, "is_authenticated", False) else None, is_unknown=is_unknown, **values
    )
    _validate_names(identity)
    custom_values_apply(obj=identity, data=custom or {})
    identity.full_clean(exclude=["custom", "customer_number", "created_by", "deleted_by"])
    identity.save()
    snapshot = audit_snapshot(identity)
    _milestone(
        actor=actor,
        identity=identity,
        action="identity.created",
        summary=identity.display_name,
        changes={k: [None, v] for k, v in snapshot.items() if v not in (None, "", [], {}, False)},
    )
    changes = _replace_children(
        identity,
        phones=phones or [],
        emails=emails or [],
        addresses=addresses or [],
        websites=websites or [],
        special_dates=special_dates or [],
    )
    if categories:
        categories = list({c.pk: c for c in categories}.values())  # the same category twice is once
        IdentityCategory.objects.bulk_create([IdentityCategory(identity=identity, category=c) for c in categories])
        changes["categories"] = [[], sorted(c.pk for c in categories)]
    for user in assignees or []:
        Assignment.objects.get_or_create(identity=identity, user=user, defaults={"assigned_by": actor})
    if changes:
        audit_record(actor=actor, target=identity, action="identity.details_changed", changes=changes)
    return identity


@transaction.atomic
def identity_update(
    *,
    actor: Any,
    identity: Identity,
    phones: list | None = None,
    emails: list | None = None,
    addresses: list | None = None,
    websites: list | None = None,
    special_dates: list | None = None,
    categories: list[Category] | None = None,
    custom: dict | None = None,
    **values: Any,
) -> Identity:
    identity = Identity.objects.select_for_update().get(pk=identity.pk)
    require(actor, "change", identity)
    values = {k: _clean_text(v) for k, v in values.items() if k in SCALAR_FIELDS}
    changed = {k for k, v in values.items() if getattr(identity, k) != v}
    changed |= {f"custom.{k}" for k, v in (custom or {}).items() if identity.custom.get(k) != v}
    require_fields_writable(actor, Identity, changed)
    before_custom = dict(identity.custom)
    if custom:
        custom_values_apply(obj=identity, data=custom, partial=True)
    candidate = copy.copy(identity)  # validate on a copy: tracked_update must see the old values to diff and save
    for name, value in values.items():
        setattr(candidate, name, value)
    _validate_names(candidate)
    candidate.full_clean(exclude=["custom", "customer_number", "created_by", "deleted_by"])
    tracked_update(
        obj=identity, actor=actor, display_name=candidate.display_name, name_key=candidate.name_key, **values
    )
    if identity.custom != before_custom:
        identity.save(update_fields=["custom", "updated_at"])
        custom_values_audit(actor=actor, obj=identity, before=before_custom, after=identity.custom)
    changes = _replace_children(
        identity, phones=phones, emails=emails, addresses=addresses, websites=websites, special_dates=special_dates
    )
    if categories is not None:
        changes.update(_set_categories(identity, categories, actor=actor))
    if changes:
        audit_record(actor=actor, target=identity, action="identity.details_changed", changes=changes)
    return identity


def _set_categories(identity: Identity, categories: list[Category], *, actor: Any = None) -> dict[str, list[Any]]:
    before = sorted(identity.category_links.values_list("category_id", flat=True))
    kept: set[int] = set()
    if getattr(actor, "is_authenticated", False) and not actor.is_superuser:
        from crm.identities.access import accessible_category_ids

        kept = set(before) - accessible_category_ids(actor)  # a user cannot take away a category he cannot see
    after = sorted({c.pk for c in categories} | kept)
    if before == after:
        return {}
    IdentityCategory.objects.filter(identity=identity).exclude(category_id__in=after).delete()
    IdentityCategory.objects.bulk_create(
        [IdentityCategory(identity=identity, category_id=pk) for pk in after if pk not in before]
    )
    return {"categories": [before, after]}


def identity_delete(*, actor: Any, identity: Identity) -> None:
    require(actor, "delete", identity)
    soft_delete(obj=identity, actor=actor)


def identity_restore(*, actor: Any, identity: Identity) -> None:
    require(actor, "delete", identity)
    restore(obj=identity, actor=actor)


@transaction.atomic
def identity_assign(*, actor: Any, identity: Identity, users: list[Any]) -> None:
    """Set the experts responsible for an identity (ID-4)."""
    require(actor, "change", identity)
    before = sorted(identity.assignments.values_list("user_id", flat=True))
    after = sorted({u.pk for u in users})
    if before == after:
        return
    Assignment.objects.filter(identity=identity).exclude(user_id__in=after).delete()
    for user in users:
        Assignment.objects.get_or_create(identity=identity, user=user, defaults={"assigned_by": actor})
    audit_record(actor=actor, target=identity, action="identity.assigned", changes={"assignees": [before, after]})


def _customer_sequence_ensure() -> None:
    """The 'customer' sequence comes with the installation (migration 0005); if an admin
    removed it, automatic customer numbers start a fresh one with the same defaults rather
    than refusing the approval that asked for a number."""
    NumberSequence.objects.get_or_create(
        key="customer",
        defaults={"name": "Customer numbers", "prefix": "C", "pattern": "{prefix}{number}", "start": 10001},
    )


@transaction.atomic
def customer_number_give(
    *, actor: Any, identity: Identity, number: str | None = None, reason: str = "manual"
) -> Identity:
    """Make the identity a customer (ID-3): a number typed by hand, or the next of the
    'customer' sequence. Called by sales/contracts on the first approved document, where a
    customer who already has a number keeps it."""
    if reason == "manual":  # before looking: no "already a customer" for those without the right
        require_perm(actor, "identities.assign_customer_number")
    identity = Identity.all_objects.select_for_update().get(pk=identity.pk)
    if identity.customer_number:
        if number is None and reason != "manual":
            return identity
        raise IdentityError(IdentityErrorCode.ALREADY_CUSTOMER)
    if number is not None:
        number = to_latin_digits(number).strip()
        if Identity.all_objects.filter(customer_number=number).exists():
            raise IdentityError(IdentityErrorCode.CUSTOMER_NUMBER_TAKEN, value=number)
    elif document_numbering_for(doc_type=CUSTOMER_DOC_TYPE) is not None:
        number = document_number_next(doc_type=CUSTOMER_DOC_TYPE, event="create")
    else:
        if reason != "manual":  # a person asking is told to set numbering up; an approval is not refused
            _customer_sequence_ensure()
        number = sequence_next(key="customer")
    identity.customer_number, identity.became_customer_at, identity.is_unknown = number, timezone.now(), False
    try:
        with transaction.atomic():
            identity.save(update_fields=["customer_number", "became_customer_at", "is_unknown", "updated_at"])
    except IntegrityError as exc:
        raise IdentityError(IdentityErrorCode.CUSTOMER_NUMBER_TAKEN, value=number) from exc
    _milestone(
        actor=actor,
        identity=identity,
        action="identity.became_customer",
        summary=number,
        changes={"customer_number": [None, number], "reason": reason},
    )
    return identity


@transaction.atomic
def identity_add_phone(*, actor: Any, identity: Identity, number: str, kind: str = Phone.Kind.MOBILE) -> Phone:
    """Add a number to an existing profile, e.g. from a call from a new number (ID-8)."""
    require(actor, "change", identity)
    phone = clean_phones([{"number": number, "kind": kind}])
    if not phone:
        raise IdentityError(IdentityErrorCode.INVALID_PHONE, value=number[:40])
    existing = identity.phones.filter(number=phone[0].number).first()
    if existing:
        return existing
    phone[0].identity = identity
    phone[0].is_primary = not identity.phones.exists()
    phone[0].save()
    _milestone(
        actor=actor,
        identity=identity,
        action="identity.phone_added",
        summary=phone[0].number,
        changes={"phones": [None, phone[0].number]},
    )
    return phone[0]


@transaction.atomic
def resolve_contact(
    *, phone: str | None = None, email: str | None = None, actor: Any = None, source: str = ""
) -> tuple[Identity, bool]:
    """Find the identity behind a phone number or email, or create an 'unknown' profile
    (ID-7). Used by telephony and email. Returns (identity, created). No rights check:
    callers are system channels; what a user then sees goes through the selectors."""
    number = normalize_phone(phone) if phone else None
    address = (email or "").strip().lower() or None
    if number is None and address is None:
        raise IdentityError(IdentityErrorCode.NOTHING_TO_RESOLVE)
    lookup = (
        Identity.objects.filter(phones__number=number) if number else Identity.objects.filter(emails__address=address)
    )
    found = lookup.order_by("is_unknown", "id").first()
    if found:
        return found, False
    label = number or address or ""
    identity = Identity(
        kind=Identity.Kind.PERSON,
        last_name=label[:100],
        is_unknown=True,
        source=source[:60],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    identity_names(identity)
    identity.save()
    _milestone(
        actor=actor, identity=identity, action="identity.unknown_created", summary=label, changes={"source": source}
    )
    if number:
        Phone.objects.create(identity=identity, number=number, is_primary=True)
    else:
        Email.objects.create(identity=identity, address=address, is_primary=True)
    return identity, True


@transaction.atomic
def unknown_convert(*, actor: Any, identity: Identity, **values: Any) -> Identity:
    """Turn an unknown contact into a real identity, keeping its numbers and history."""
    if not identity.is_unknown:
        raise IdentityError(IdentityErrorCode.NOT_UNKNOWN)
    identity = identity_update(actor=actor, identity=identity, **values)
    identity.is_unknown = False
    identity.save(update_fields=["is_unknown", "updated_at"])
    _milestone(actor=actor, identity=identity, action="identity.unknown_converted", summary=identity.display_name)
    return identity


@transaction.atomic
def contact_person_link(*, actor: Any, organisation: Identity, person: Identity, role: str = "") -> ContactPerson:
    require(actor, "change", organisation)
    if organisation.kind != Identity.Kind.ORGANISATION or person.kind != Identity.Kind.PERSON:
        raise IdentityError(IdentityErrorCode.CONTACT_KIND)
    link, _created = ContactPerson.objects.update_or_create(
        organisation=organisation, person=person, defaults={"role": role.strip()[:100]}
    )
    audit_record(
        actor=actor,
        target=organisation,
        action="identity.contact_linked",
        changes={"contact": [None, person.pk], "role": role},
    )
    return link


@transaction.atomic
def contact_person_unlink(*, actor: Any, link: ContactPerson) -> None:
    require(actor, "change", link.organisation)
    audit_record(
        actor=actor,
        target=link.organisation,
        action="identity.contact_unlinked",
        changes={"contact": [link.person_id, None]},
    )
    link.delete()


@transaction.atomic
def category_save(
    *, actor: Any, category: Category | None, name: str, parent: Category | None, restricted: bool, positions: list[Any]
) -> Category:
    require_perm(actor, "identities.change_category" if category else "identities.add_category")
    if category is not None and parent is not None and parent.path.startswith(category.path):
        raise IdentityError(IdentityErrorCode.CATEGORY_CYCLE)
    if category is None:
        category = Category.objects.create(name=name.strip(), parent=parent, restricted=restricted)
        tree_place(category)
        audit_record(actor=actor, target=category, action="category.created", changes=audit_snapshot(category))
    else:
        old_path = category.path
        tracked_update(obj=category, actor=actor, name=name.strip(), parent=parent, restricted=restricted)
        tree_move(category, old_path)
    before = sorted(category.positions.values_list("pk", flat=True))
    category.positions.set(positions)
    after = sorted(p.pk for p in positions)
    if before != after:
        audit_record(
            actor=actor, target=category, action="category.access_changed", changes={"positions": [before, after]}
        )
    return category


@transaction.atomic
def category_delete(*, actor: Any, category: Category) -> None:
    require_perm(actor, "identities.delete_category")
    if category.children.exists():
        raise IdentityError(IdentityErrorCode.CATEGORY_IN_USE)
    audit_record(actor=actor, target=category, action="category.deleted", changes={"name": [category.name, None]})
    category.delete()


def identity_search_key(text: str) -> str:
    """The key quick search compares with `Identity.name_key`."""
    return normalize_compact(text)
