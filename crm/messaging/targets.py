"""Target groups (CM-6): named sets of identities for newsletters and repeat sends.

Members come from a list query (any registered recipient source, e.g. an identities
saved filter), from picked identities, or from a bulk send's recipients (all, or those
whose message ended in chosen statuses). Only identities the acting user may see are
added. Access: see `crm.messaging.bulk_selectors`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from crm.core.audit.services import audit_record
from crm.messaging.bulk import BulkError, BulkErrorCode, recipient_source_get
from crm.messaging.bulk_selectors import (
    bulk_send_get_for_user,
    can_manage_group,
    group_get_for_user,
)
from crm.messaging.models import BulkSend, Message, TargetGroup, TargetGroupMember

BATCH = 5000


def _require_manage(actor: Any, group: TargetGroup) -> None:
    if group_get_for_user(user=actor, pk=group.pk) is None or not can_manage_group(actor, group):
        raise BulkError(BulkErrorCode.NOT_ALLOWED)


def _may_create(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and (actor.has_perm("messaging.add_targetgroup") or actor.has_perm("messaging.add_bulksend"))
    )


@transaction.atomic
def group_create(*, actor: Any, name: str, description: str = "") -> TargetGroup:
    if not _may_create(actor):
        raise BulkError(BulkErrorCode.NOT_ALLOWED)
    if not name.strip():
        raise BulkError(BulkErrorCode.NO_NAME, fields={"name": BulkError.messages[BulkErrorCode.NO_NAME]})
    group = TargetGroup.objects.create(name=name.strip()[:150], description=description.strip(), created_by=actor)
    audit_record(actor=actor, target=group, action="targetgroup.created")
    return group


@transaction.atomic
def group_update(*, actor: Any, group: TargetGroup, name: str, description: str = "") -> TargetGroup:
    _require_manage(actor, group)
    if not name.strip():
        raise BulkError(BulkErrorCode.NO_NAME, fields={"name": BulkError.messages[BulkErrorCode.NO_NAME]})
    group.name, group.description = name.strip()[:150], description.strip()
    group.save(update_fields=["name", "description", "updated_at"])
    audit_record(actor=actor, target=group, action="targetgroup.updated")
    return group


@transaction.atomic
def group_delete(*, actor: Any, group: TargetGroup) -> None:
    _require_manage(actor, group)
    audit_record(actor=actor, target=group, action="targetgroup.deleted")
    group.delete()


def _visible_ids(actor: Any, ids: Sequence[int]) -> list[int]:
    from crm.identities.selectors import identity_base_for_user

    return list(identity_base_for_user(user=actor).filter(pk__in=list(ids)).values_list("pk", flat=True))


def _add(group: TargetGroup, actor: Any, ids: Iterable[int]) -> int:
    """Add the visible ones of `ids`, in batches; returns how many were new."""
    added = 0
    batch: list[int] = []

    def flush() -> int:
        wanted = set(_visible_ids(actor, batch))
        have = set(
            TargetGroupMember.objects.filter(group=group, identity_id__in=wanted).values_list("identity_id", flat=True)
        )
        new = [TargetGroupMember(group=group, identity_id=i) for i in sorted(wanted - have)]
        TargetGroupMember.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        batch.clear()
        return len(new)

    for identity_id in ids:
        batch.append(int(identity_id))
        if len(batch) >= BATCH:
            added += flush()
    if batch:
        added += flush()
    return added


@transaction.atomic
def group_add_members(*, actor: Any, group: TargetGroup, identity_ids: Iterable[int]) -> int:
    _require_manage(actor, group)
    added = _add(group, actor, identity_ids)
    audit_record(actor=actor, target=group, action="targetgroup.members_added", changes={"added": added})
    return added


@transaction.atomic
def group_add_from_query(*, actor: Any, group: TargetGroup, list_key: str, query: str) -> int:
    """Add every row of a list query (e.g. an identities saved filter) to the group."""
    _require_manage(actor, group)
    source = recipient_source_get(list_key)
    if source is None:
        raise BulkError(BulkErrorCode.BAD_SOURCE)
    added = _add(group, actor, source.resolve(actor, query))
    audit_record(
        actor=actor, target=group, action="targetgroup.members_added", changes={"added": added, "query": query}
    )
    return added


@transaction.atomic
def group_remove_members(*, actor: Any, group: TargetGroup, identity_ids: Iterable[int]) -> int:
    _require_manage(actor, group)
    removed, _detail = TargetGroupMember.objects.filter(group=group, identity_id__in=list(identity_ids)).delete()
    audit_record(actor=actor, target=group, action="targetgroup.members_removed", changes={"removed": removed})
    return removed


@transaction.atomic
def group_from_send(
    *,
    actor: Any,
    send: BulkSend,
    statuses: Sequence[str] = (),
    group: TargetGroup | None = None,
    name: str = "",
) -> tuple[TargetGroup, int]:
    """Make a target group (or add to one) from a send's recipients: all, or those whose
    message is in `statuses` ("opened" and "clicked" mean those who opened / clicked)."""
    if bulk_send_get_for_user(user=actor, pk=send.pk) is None:
        raise BulkError(BulkErrorCode.NOT_ALLOWED)
    if group is None:
        group = group_create(actor=actor, name=name or send.name)
    else:
        _require_manage(actor, group)
    rows = Message.objects.filter(bulk_send=send, identity_id__isnull=False)
    plain = [s for s in statuses if s not in ("opened", "clicked")]
    if plain:
        rows = rows.filter(status__in=plain)
    if "opened" in statuses:
        rows = rows.filter(opened_at__isnull=False)
    if "clicked" in statuses:
        rows = rows.filter(clicked_at__isnull=False)
    ids = rows.order_by("id").values_list("identity_id", flat=True).iterator(chunk_size=BATCH)
    added = _add(group, actor, ids)
    audit_record(
        actor=actor,
        target=group,
        action="targetgroup.members_added",
        changes={"added": added, "from_send": send.pk, "statuses": list(statuses)},
    )
    return group, added
