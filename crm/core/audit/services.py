"""Write side of the audit trail. Services call these inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.core.crypto.fields import EncryptedTextField
from crm.core.errors import CoreError, CoreErrorCode

SKIPPED_FIELDS = {"updated_at", "created_at", "password", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "url"):  # FieldFile
        return value.name or None
    return value


def _fingerprint(value: str) -> str:
    """Shows that a secret changed without keeping it (keyed, so it cannot be guessed offline)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"secret:{digest[:8]}"


def audit_snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of a row, ready for JSON and for diffing; secrets fingerprinted."""
    secrets = {f.attname for f in obj._meta.concrete_fields if isinstance(f, EncryptedTextField)}
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    snapshot = {}
    for name in names:
        if name in SKIPPED_FIELDS:
            continue
        value = getattr(obj, name)
        snapshot[name] = _fingerprint(value) if name in secrets and value else _plain(value)
    return snapshot


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def audit_record(*, actor: Any, target: models.Model, action: str, changes: dict[str, Any] | None = None) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=getattr(actor, "username", "") or str(actor or "system"),
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        target_label=str(target)[:255],
        changes=changes or {},
    )


def audit_mark_undone(*, entry_ids: Iterable[int]) -> int:
    """Mark audited actions as undone (e.g. a merge), so the history stops offering the undo."""
    return AuditEntry.objects.filter(pk__in=list(entry_ids), undone_at__isnull=True).update(undone_at=timezone.now())


def tracked_update(*, obj: models.Model, actor: Any, action: str | None = None, **values: Any) -> dict:
    """Set fields, save only those, and audit the diff. Returns the diff (empty if none)."""
    before = audit_snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    after = audit_snapshot(obj)
    diff = audit_diff(before, after)
    if not diff:
        return {}
    by_attname = {f.attname: f.name for f in obj._meta.concrete_fields}
    update_fields = [by_attname[name] for name in diff]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        update_fields.append("updated_at")
    obj.save(update_fields=sorted(set(update_fields)))
    audit_record(actor=actor, target=obj, action=action or f"{obj._meta.model_name}.updated", changes=diff)
    return diff


def tracked_create(*, obj: models.Model, actor: Any, action: str | None = None) -> models.Model:
    obj.save()
    snapshot = audit_snapshot(obj)
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "", [], {})}
    audit_record(actor=actor, target=obj, action=action or f"{obj._meta.model_name}.created", changes=changes)
    return obj


@transaction.atomic
def soft_delete(*, obj: models.Model, actor: Any) -> None:
    if getattr(obj, "deleted_at", None) is not None:
        raise CoreError(CoreErrorCode.ALREADY_DELETED)
    obj.deleted_at = timezone.now()  # type: ignore[attr-defined]
    obj.deleted_by = actor if getattr(actor, "is_authenticated", False) else None  # type: ignore[attr-defined]
    obj.save(update_fields=["deleted_at", "deleted_by"])
    audit_record(actor=actor, target=obj, action=f"{obj._meta.model_name}.deleted")


@transaction.atomic
def restore(*, obj: models.Model, actor: Any) -> None:
    if getattr(obj, "deleted_at", None) is None:
        raise CoreError(CoreErrorCode.NOT_DELETED)
    obj.deleted_at = None  # type: ignore[attr-defined]
    obj.deleted_by = None  # type: ignore[attr-defined]
    obj.save(update_fields=["deleted_at", "deleted_by"])
    audit_record(actor=actor, target=obj, action=f"{obj._meta.model_name}.restored")
