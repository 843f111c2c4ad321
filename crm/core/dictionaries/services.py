from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.errors import ApplicationError, CoreErrorCode
from crm.core.permissions.access import require_perm


class DictionaryError(ApplicationError):
    messages = {CoreErrorCode.PERMISSION_DENIED: _("System entries cannot be removed or deactivated.")}


def dictionary_entry_ensure_system(
    *, dictionary: str, code: str, labels: dict[str, str], position: int = 0
) -> DictionaryEntry:
    """Create or refresh a protected entry that code relies on (called from migrations/setup)."""
    entry, _created = DictionaryEntry.objects.update_or_create(
        dictionary=dictionary, code=code, defaults={"is_system": True, "position": position, "active": True}
    )
    if _created or not entry.labels:
        entry.labels = labels
        entry.save(update_fields=["labels"])
    return entry


@transaction.atomic
def dictionary_entry_create(
    *, actor: Any, dictionary: str, code: str, labels: dict[str, str], position: int = 0
) -> DictionaryEntry:
    require_perm(actor, "core.add_dictionaryentry")
    entry = DictionaryEntry(dictionary=dictionary, code=code, labels=labels, position=position)
    entry.full_clean()
    return tracked_create(obj=entry, actor=actor)  # type: ignore[return-value]


@transaction.atomic
def dictionary_entry_update(*, actor: Any, entry: DictionaryEntry, **values: Any) -> DictionaryEntry:
    require_perm(actor, "core.change_dictionaryentry")
    if entry.is_system and (("code" in values and values["code"] != entry.code) or values.get("active") is False):
        raise DictionaryError(CoreErrorCode.PERMISSION_DENIED)
    tracked_update(obj=entry, actor=actor, **values)
    return entry


@transaction.atomic
def dictionary_entry_delete(*, actor: Any, entry: DictionaryEntry) -> None:
    require_perm(actor, "core.delete_dictionaryentry")
    if entry.is_system:
        raise DictionaryError(CoreErrorCode.PERMISSION_DENIED)
    audit_record(actor=actor, target=entry, action="dictionaryentry.deleted", changes={"code": [entry.code, None]})
    entry.delete()
