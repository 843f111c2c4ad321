"""Reads of the identities context, always through the user's access rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_filter
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.search import normalize_compact
from crm.core.permissions.access import visible_to
from crm.identities.models import Address, Assignment, Category, Email, Identity, IdentityCategory, Phone
from crm.identities.phones import looks_like_phone, normalize_phone


def identity_base_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Identity]:
    base = Identity.all_objects.all() if include_deleted else Identity.objects.all()
    return visible_to(user, base)


def identity_get_for_user(*, user: Any, pk: int, include_deleted: bool = False) -> Identity | None:
    return (
        identity_base_for_user(user=user, include_deleted=include_deleted)
        .filter(pk=pk)
        .prefetch_related(
            "phones",
            "emails",
            "addresses",
            "websites",
            "special_dates",
            "categories",
            "assignees",
            "contact_links__person",
            "organisation_links__organisation",
        )
        .first()
    )


@dataclass
class IdentityFilters:
    q: str = ""
    kind: str = ""
    category: Category | None = None
    include_subcategories: bool = True
    customers_only: bool = False
    customer: bool | None = None  # True/False: only customers / only non-customers (API)
    unknown: bool | None = None
    assigned_to: Any = None
    city: str = ""
    colour: str = ""
    class_code: str = ""
    created_by: Any = None
    created_after: datetime | None = None  # created_at >= this
    created_before: datetime | None = None  # created_at < this
    custom: list[tuple[CustomFieldDefinition, str, Any]] = field(default_factory=list)
    sort: str = "-id"


SORTS = {
    "-id": ("-id",),
    "id": ("id",),
    "name": ("display_name", "id"),
    "-name": ("-display_name", "-id"),
    "customer_number": ("customer_number", "id"),
    "-created": ("-created_at", "-id"),
}


def _exact_ids(text: str) -> list[int]:
    """Identities named exactly by the text: customer number, phone in any format, email.

    Looked up first, each on its own unique or plain index, so a search for a number never
    degrades into a scan of the name column (an OR across them defeats the indexes).
    """
    if "@" in text:
        return list(Email.objects.filter(address=text.strip().lower()).values_list("identity_id", flat=True)[:50])
    latin = to_latin_digits(text).strip()
    ids = list(Identity.objects.filter(customer_number=latin).values_list("pk", flat=True)[:1])
    number = normalize_phone(text) if looks_like_phone(text) else None
    if number:
        ids += list(Phone.objects.filter(number=number).values_list("identity_id", flat=True)[:50])
    return ids


def _exact_q(text: str) -> Q:
    return Q(pk__in=_exact_ids(text))


def _name_key(text: str) -> str:
    """The search key of a name fragment, or '' when the text is a number or an email."""
    key = normalize_compact(text)
    return "" if "@" in text or key.replace("+", "").replace("-", "").isdigit() else key


def _search(qs: QuerySet[Identity], text: str) -> QuerySet[Identity]:
    """Name fragment (Persian-normalised), customer number, phone in any format, or email (ID-5).

    An exact match (number, phone, email) wins; otherwise the text is a name fragment.
    """
    text = text.strip()
    if not text:
        return qs
    exact = _exact_ids(text)
    if exact:
        return qs.filter(pk__in=exact)
    key = _name_key(text)
    return qs.filter(name_key__contains=key) if key else qs.none()


def identity_list_for_user(*, user: Any, filters: IdentityFilters | None = None) -> QuerySet[Identity]:
    f = filters or IdentityFilters()
    qs = identity_base_for_user(user=user)
    qs = _search(qs, f.q)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category is not None:
        cats = (
            Category.objects.filter(path__startswith=f.category.path).values("pk")
            if f.include_subcategories
            else [f.category.pk]
        )
        qs = qs.filter(Exists(IdentityCategory.objects.filter(identity=OuterRef("pk"), category_id__in=cats)))
    if f.customers_only or f.customer is not None:
        qs = qs.filter(customer_number__isnull=not (f.customers_only or f.customer))
    if f.unknown is not None:
        qs = qs.filter(is_unknown=f.unknown)
    if f.assigned_to is not None:
        qs = qs.filter(Exists(Assignment.objects.filter(identity=OuterRef("pk"), user=f.assigned_to)))
    if f.city:
        qs = qs.filter(Exists(Address.objects.filter(identity=OuterRef("pk"), city=f.city)))
    if f.colour:
        qs = qs.filter(colour=f.colour)
    if f.class_code:
        qs = qs.filter(class_code=f.class_code)
    if f.created_by is not None:
        qs = qs.filter(created_by=f.created_by)
    if f.created_after is not None:
        qs = qs.filter(created_at__gte=f.created_after)
    if f.created_before is not None:
        qs = qs.filter(created_at__lt=f.created_before)
    for definition, op, value in f.custom:
        qs = custom_filter(qs, definition=definition, op=op, value=value)
    return qs.order_by(*SORTS.get(f.sort, SORTS["-id"]))


def identity_list_rows(qs: QuerySet[Identity]) -> QuerySet[Identity]:
    """What a list page shows per row, fetched in two extra queries for the whole page."""
    return qs.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")),
        Prefetch("emails", queryset=Email.objects.order_by("-is_primary", "id")),
        "categories",
    )


def identity_quick_search(*, user: Any, text: str, limit: int = 10) -> list[Identity]:
    """The quick search widget: exact matches first (customer number, phone, email), then
    names starting with the text, then names containing it. No ORDER BY over all matches:
    a common first name may match a hundred thousand rows."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    base = identity_base_for_user(user=user)
    found = list(base.filter(_exact_q(text))[:limit])
    key = _name_key(text)
    # Prefix matches first (a range scan of the text_pattern_ops index: no ORDER BY, which
    # that index cannot serve under a linguistic collation), then other
    # matches newest first: walking the primary key stops after `limit` rows for common
    # fragments, where a trigram bitmap scan would first collect every match (seconds).
    # Rare fragments are the slow case of this plan; see bench/RESULTS.md.
    for condition, order in (({"name_key__startswith": key}, ()), ({"name_key__contains": key}, ("-id",))):
        if not key or len(found) >= limit:
            break
        matches = base.filter(**condition).exclude(pk__in=[i.pk for i in found]).order_by(*order)
        found += list(matches[: limit - len(found)])
    return found


def identity_by_phone(*, number: str) -> Identity | None:
    """Caller ID: the identity behind a number (any format), newest real one first."""
    e164 = normalize_phone(number)
    if e164 is None:
        return None
    return Identity.objects.filter(phones__number=e164).order_by("is_unknown", "-id").first()


def categories_for_user(*, user: Any) -> QuerySet[Category]:
    from crm.identities.access import accessible_category_ids

    return Category.objects.filter(pk__in=accessible_category_ids(user)).order_by("path")


def assigned_identities(*, user: Any) -> QuerySet[Identity]:
    return identity_list_for_user(user=user, filters=IdentityFilters(assigned_to=user))


def category_tree() -> QuerySet[Category]:
    """Every category in tree order, for the categories admin (names and access only)."""
    return Category.objects.select_related("parent").prefetch_related("positions__department").order_by("path")


def category_get(*, pk: int) -> Category | None:
    return Category.objects.filter(pk=pk).first()
