from __future__ import annotations

from typing import Any

from django.db import transaction

from crm.core.audit.services import audit_record, audit_snapshot, tracked_create, tracked_update
from crm.core.permissions.access import require_perm
from crm.core.permissions.models import FieldAccessRule, RecordRule


@transaction.atomic
def record_rule_save(*, actor: Any, values: dict[str, Any]) -> RecordRule:
    require_perm(actor, "core.change_recordrule")
    rule = RecordRule.objects.filter(content_type=values["content_type"]).first()
    if rule is None:
        return tracked_create(obj=RecordRule(**values), actor=actor)  # type: ignore[return-value]
    tracked_update(obj=rule, actor=actor, **values)
    return rule


@transaction.atomic
def field_rule_save(*, actor: Any, values: dict[str, Any]) -> FieldAccessRule:
    require_perm(actor, "core.change_fieldaccessrule")
    rule = FieldAccessRule.objects.filter(content_type=values["content_type"], field_name=values["field_name"]).first()
    if rule is None:
        return tracked_create(obj=FieldAccessRule(**values), actor=actor)  # type: ignore[return-value]
    tracked_update(obj=rule, actor=actor, **values)
    return rule


@transaction.atomic
def rule_delete(*, actor: Any, rule: RecordRule | FieldAccessRule) -> None:
    require_perm(actor, f"core.delete_{rule._meta.model_name}")
    audit_record(actor=actor, target=rule, action=f"{rule._meta.model_name}.deleted", changes=audit_snapshot(rule))
    rule.delete()
