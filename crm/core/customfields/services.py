"""Writes of custom field definitions and values."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.customfields.models import CustomFieldDefinition, HasCustomFields
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.customfields.values import clean_values
from crm.core.errors import CoreError, CoreErrorCode
from crm.core.permissions.access import require_perm

NUMERIC_KINDS = {CustomFieldDefinition.Kind.NUMBER, CustomFieldDefinition.Kind.MONEY}
SORTABLE_KINDS = NUMERIC_KINDS | {
    CustomFieldDefinition.Kind.TEXT,
    CustomFieldDefinition.Kind.DATE,
    CustomFieldDefinition.Kind.DATETIME,
    CustomFieldDefinition.Kind.CHOICE,
    CustomFieldDefinition.Kind.LINK_IDENTITY,
    CustomFieldDefinition.Kind.LINK_USER,
    CustomFieldDefinition.Kind.LINK_DOCUMENT,
}


def _ensure_postgres_index(definition: CustomFieldDefinition) -> None:
    """PostgreSQL: expression indexes per sortable field, one per sort direction.

    Lists sort NULLS LAST both ways; a b-tree scanned backwards gives DESC NULLS FIRST,
    so the descending order needs its own index; both end with the primary key, the
    tie-breaker of every list, so a low-cardinality field needs no sort at all.
    """
    if connection.vendor != "postgresql" or definition.kind not in SORTABLE_KINDS:
        return
    model = definition.content_type.model_class()
    assert model is not None
    table = model._meta.db_table
    expression = f"(custom ->> '{definition.key}')"  # key is validated: [a-z][a-z0-9_]*
    if definition.kind in NUMERIC_KINDS:
        expression = f"(({expression})::numeric)"
    with connection.cursor() as cursor:
        for suffix, direction in (("", ", id"), ("_desc", " DESC NULLS LAST, id DESC")):
            name = f"cf_{table}_{definition.key}"[: 63 - len(suffix)] + suffix
            cursor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({expression}{direction})')


@transaction.atomic
def custom_field_define(*, actor: Any, model: type[models.Model], **attrs: Any) -> CustomFieldDefinition:
    require_perm(actor, "core.add_customfielddefinition")
    if not issubclass(model, HasCustomFields):
        raise CoreError(CoreErrorCode.INVALID_CUSTOM_VALUE, fields={"content_type": "not opted in"})
    definition = CustomFieldDefinition(content_type=ContentType.objects.get_for_model(model), **attrs)
    definition.full_clean()
    tracked_create(obj=definition, actor=actor, action="customfield.defined")
    _ensure_postgres_index(definition)
    return definition


def custom_values_apply(
    *,
    obj: HasCustomFields,
    data: dict[str, Any],
    partial: bool = False,
    writable: set[str] | None = None,
    definitions: list[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Validate `data` against the model's definitions and set `obj.custom` (not saved).

    `writable` limits which keys the caller may change (field-level access).
    `definitions` (the model's active ones) saves a query per call in bulk work.
    Raises CoreError with per-field messages; `obj` is untouched on error.
    """
    if definitions is None:
        definitions = custom_field_definitions(model=type(obj))
    if writable is not None:
        denied = [key for key in data if key not in writable]
        if denied:
            raise CoreError(CoreErrorCode.FIELD_READ_ONLY, field=", ".join(denied))
    values, errors = clean_values(definitions, data, existing=obj.custom, partial=partial)
    if errors:
        raise CoreError(CoreErrorCode.INVALID_CUSTOM_VALUE, fields=errors)
    obj.custom = values
    return values


def custom_values_audit(*, actor: Any, obj: models.Model, before: dict[str, Any], after: dict[str, Any]) -> None:
    diff = {
        f"custom.{k}": [before.get(k), after.get(k)] for k in set(before) | set(after) if before.get(k) != after.get(k)
    }
    if diff:
        audit_record(actor=actor, target=obj, action=f"{obj._meta.model_name}.custom_updated", changes=diff)


@transaction.atomic
def custom_field_update(*, actor: Any, definition: CustomFieldDefinition, **values: Any) -> CustomFieldDefinition:
    """Labels, choices, order, required and active may change; key and type may not."""
    require_perm(actor, "core.change_customfielddefinition")
    for frozen in ("key", "kind", "content_type"):
        values.pop(frozen, None)
    tracked_update(obj=definition, actor=actor, **values)
    return definition
