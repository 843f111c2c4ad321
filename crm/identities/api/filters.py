"""Query parameters of the identity list → selectors.IdentityFilters. A value that cannot
filter (unknown category, custom field hidden from the user, wrong type) is a 400 here,
never a surprise in the selector or the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.customfields.values import ValueError_, clean_value
from crm.identities.models import Identity
from crm.identities.selectors import IdentityFilters, categories_for_user

Kind = CustomFieldDefinition.Kind
CUSTOM_PREFIX = "custom."
ORDERED_KINDS = {Kind.NUMBER, Kind.MONEY, Kind.DATE, Kind.DATETIME}
ORDER_OPS = {"gt", "gte", "lt", "lte"}
# Filters on a field that a field access rule may hide: refused when it is hidden from the user.
FIELD_OF_PARAM = {"class_code": "class_code", "colour": "colour", "customer": "customer_number"}
# No identity was created outside these years; bounds beyond them mean "no bound" (and keep
# the time zone arithmetic of year 1 and 9999 away from the database).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 1, 1)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def identity_filters(*, user: Any, params: dict[str, Any], query: QueryDict, hidden: set[str]) -> IdentityFilters:
    """`params` is the validated IdentityQuery; `query` the raw query for `custom.*` keys;
    `hidden` the identity fields hidden from the user (no filtering by them)."""
    errors: dict[str, list[str]] = {}
    for param, field_name in FIELD_OF_PARAM.items():
        if params.get(param) not in (None, "") and field_name in hidden:
            errors[param] = [_("You may not filter by this field.")]
    if params["ordering"] == "customer_number" and "customer_number" in hidden:
        errors["ordering"] = [_("You may not sort by this field.")]
    category = None
    if params["category"] is not None:
        category = categories_for_user(user=user).filter(pk=params["category"]).first()
        if category is None:  # hidden and missing categories look the same
            errors["category"] = [_("Unknown category.")]
    custom, custom_errors = custom_filters(query, hidden=hidden)
    errors.update(custom_errors)
    if errors:
        raise ValidationError(errors)
    after, before = params["created_after"], params["created_before"]
    assigned = params["assigned_to"]
    return IdentityFilters(
        q=params["search"],
        kind=params["kind"],
        category=category,
        customer=params["customer"],
        unknown=params["unknown"],
        assigned_to=user if assigned == "me" else (int(assigned) if assigned else None),
        city=params["city"],
        colour=params["colour"],
        class_code=params["class_code"],
        created_after=_day_start(after) if after and after > EARLIEST else None,
        created_before=_day_start(before + dt.timedelta(days=1)) if before and before < LATEST else None,
        custom=custom,
        sort=params["ordering"],
    )


def custom_filters(
    query: QueryDict, *, hidden: set[str]
) -> tuple[list[tuple[CustomFieldDefinition, str, Any]], dict[str, list[str]]]:
    """`custom.<key>=v` (eq) and `custom.<key>__gt|gte|lt|lte=v` → (definition, op, stored value)."""
    names = [name for name in query if name.startswith(CUSTOM_PREFIX)]
    if not names:
        return [], {}
    definitions = {d.key: d for d in custom_field_definitions(model=Identity)}
    found: list[tuple[CustomFieldDefinition, str, Any]] = []
    errors: dict[str, list[str]] = {}
    for name in names:
        key, _sep, op = name.removeprefix(CUSTOM_PREFIX).partition("__")
        definition = None if f"custom.{key}" in hidden else definitions.get(key)
        if definition is None:
            errors[name] = [_("Unknown custom field.")]
            continue
        if op and (op not in ORDER_OPS or definition.kind not in ORDERED_KINDS):
            errors[name] = [_("This field cannot be compared this way.")]
            continue
        try:
            value = clean_value(definition, query.get(name, ""))
        except ValueError_ as exc:
            errors[name] = [str(exc)]
            continue
        if definition.kind == Kind.MULTI_CHOICE:
            found.extend((definition, "has", item) for item in value)
        else:
            found.append((definition, op or "eq", value))
    return found, errors
