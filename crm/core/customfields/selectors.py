"""Reads over custom fields: definitions, display, and typed filter/sort on both databases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import ExpressionWrapper
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.registry import link_label

Kind = CustomFieldDefinition.Kind
NUMERIC = {Kind.NUMBER, Kind.MONEY}


def custom_field_definitions(*, model: type[models.Model], active_only: bool = True) -> list[CustomFieldDefinition]:
    qs = CustomFieldDefinition.objects.filter(content_type=ContentType.objects.get_for_model(model))
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("position", "id"))


def custom_value_display(definition: CustomFieldDefinition, value: Any) -> str:
    from crm.core.i18n.formatting import format_date_value, format_datetime_value, format_number, list_separator

    if value is None or value in ("", []):
        return ""
    kind = definition.kind
    if kind == Kind.CHOICE:
        return definition.choice_label(value)
    if kind == Kind.MULTI_CHOICE:
        return list_separator().join(definition.choice_label(v) for v in value)
    if kind in NUMERIC:
        return format_number(Decimal(str(value)))
    if kind == Kind.DATE:
        return format_date_value(value)
    if kind == Kind.DATETIME:
        return format_datetime_value(value)
    if kind == Kind.CHECKBOX:
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    if kind.startswith("link_"):
        return link_label(kind.removeprefix("link_"), int(value))
    return str(value)


def custom_values_display(*, obj: Any, hidden: set[str] = frozenset()) -> list[tuple[CustomFieldDefinition, str]]:
    values = getattr(obj, "custom", {}) or {}
    return [
        (d, custom_value_display(d, values.get(d.key)))
        for d in custom_field_definitions(model=type(obj))
        if f"custom.{d.key}" not in hidden
    ]


def _typed_key(definition: CustomFieldDefinition) -> Any:
    expression = KT(f"custom__{definition.key}")
    if definition.kind in NUMERIC:
        return Cast(expression, models.DecimalField())
    # Compare as plain text: KT's own lookups read the right-hand side as JSON on SQLite
    # ("malformed JSON" for eq, JSONDecodeError for gt/lt). Same SQL, so PG keeps its index.
    return ExpressionWrapper(expression, output_field=models.TextField())


def custom_filter(qs: models.QuerySet, *, definition: CustomFieldDefinition, op: str, value: Any) -> models.QuerySet:
    """Filter by one custom field. ops: eq, contains, gt, gte, lt, lte, isnull, has (multi choice)."""
    key = definition.key
    if op == "isnull":
        return qs.filter(**{f"custom__{key}__isnull": bool(value)})
    if op == "has":
        if connection.vendor == "postgresql":
            return qs.filter(custom__contains={key: [value]})
        return qs.filter(**{f"custom__{key}__icontains": f'"{value}"'})
    if op == "contains":
        return qs.filter(**{f"custom__{key}__icontains": value})
    if op == "eq" and connection.vendor == "postgresql" and definition.kind not in NUMERIC:
        return qs.filter(custom__contains={key: value})  # served by the GIN index
    if op == "eq" and not isinstance(value, str) and definition.kind not in NUMERIC:
        # JSON true/false and link ids are not text: compare as JSON (SQLite's ->> gives 1, not 'True')
        return qs.filter(**{f"custom__{key}": value})
    alias = f"cf_{key}"
    qs = qs.alias(**{alias: _typed_key(definition)})
    lookup = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}[op]
    if definition.kind in NUMERIC:
        value = Decimal(str(value))
    return qs.filter(**{f"{alias}__{lookup}": value})


def custom_order(
    qs: models.QuerySet, *, definition: CustomFieldDefinition, descending: bool = False
) -> models.QuerySet:
    expression = _typed_key(definition)
    ordering = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return qs.order_by(ordering, "-pk" if descending else "pk")
