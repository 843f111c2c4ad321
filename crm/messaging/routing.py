"""Routing rules (CM-9): an inbound email or SMS that matches a rule becomes a record.

A rule matches on channel, optionally the mailbox or SMS line it arrived on and a text the
subject or body contains (compared Persian-aware: ي/ی, ك/ک, digits). Rules run in order;
a rule with "stop" ends the run when it matches. What a rule creates is a *target* from a
registry: "task" and "note" (crm.activities) are built in; tickets, forms and workflows
register theirs later with `register_routing_target(key, label, create)` where
`create(message, rule) -> (item_type, item_id)`.

Records are created as the rule's owner (who wrote the rule), linked to the sender's
identity, so they land in its history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import ApplicationError
from crm.core.i18n.search import normalize_search
from crm.messaging.models import Channel, Message, RoutingRule

RoutingCreate = Callable[[Message, RoutingRule], tuple[str, Any]]


@dataclass(frozen=True)
class RoutingTarget:
    key: str
    label: str | Promise
    create: RoutingCreate


_targets: dict[str, RoutingTarget] = {}


def register_routing_target(key: str, label: str | Promise, create: RoutingCreate) -> RoutingTarget:
    target = RoutingTarget(key=key, label=label, create=create)
    _targets[key] = target
    return target


def routing_targets() -> list[RoutingTarget]:
    return list(_targets.values())


class RoutingErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    UNKNOWN_TARGET = "unknown_target"
    NOT_ALLOWED = "not_allowed"
    NO_ACTOR = "no_actor"


class RoutingError(ApplicationError):
    messages = {
        RoutingErrorCode.NAME_REQUIRED: _("Give the rule a name."),
        RoutingErrorCode.UNKNOWN_TARGET: _("Choose what the rule creates."),
        RoutingErrorCode.NOT_ALLOWED: _("You may not change routing rules."),
        RoutingErrorCode.NO_ACTOR: _("The rule has no active owner to create records as."),
    }


# --- running rules -------------------------------------------------------------------------


def rules_matching(message: Message) -> list[RoutingRule]:
    qs = RoutingRule.objects.filter(active=True, channel=message.channel).filter(
        Q(mailbox__isnull=True) | Q(mailbox_id=message.mailbox_id),
        Q(sms_line__isnull=True) | Q(sms_line_id=message.sms_line_id),
    )
    text = normalize_search(f"{message.subject}\n{message.body}")
    return [rule for rule in qs.order_by("priority", "id") if normalize_search(rule.keyword) in text]


def routing_apply(message: Message) -> list[dict[str, Any]]:
    """Run the matching rules in order; returns what each created."""
    created: list[dict[str, Any]] = []
    for rule in rules_matching(message):
        target = _targets.get(rule.target)
        if target is None:
            continue
        with transaction.atomic():
            item_type, item_id = target.create(message, rule)
        created.append({"rule": rule.pk, "item_type": item_type, "item_id": str(item_id)})
        if rule.stop:
            break
    return created


def _actor(rule: RoutingRule) -> Any:
    owner = rule.created_by
    if owner is None or not owner.is_active:
        raise RoutingError(RoutingErrorCode.NO_ACTOR)
    return owner


def _title(message: Message) -> str:
    text = " ".join((message.subject or message.body or "").split())[:120]
    sender = message.from_address
    return f"{Channel(message.channel).label}: {sender} — {text}"[:250] if text else f"{sender}"[:250]


def _task(message: Message, rule: RoutingRule) -> tuple[str, Any]:
    from crm.activities.services import TASK, task_create

    params = rule.params or {}
    values: dict[str, Any] = {"title": params.get("title") or _title(message), "description": message.body or ""}
    if params.get("priority"):
        values["priority"] = int(params["priority"])
    if params.get("due_hours"):
        values["due_at"] = timezone.now() + dt.timedelta(hours=int(params["due_hours"]))
    assignee = params.get("assignee")
    task = task_create(
        actor=_actor(rule),
        values=values,
        user_ids=[int(assignee)] if assignee else [],
        identity_ids=[message.identity_id] if message.identity_id else [],
    )
    return TASK, task.pk


def _note(message: Message, rule: RoutingRule) -> tuple[str, Any]:
    from crm.activities.services import NOTE, note_create

    body = message.html or linebreaks(escape(message.body or ""))
    note = note_create(
        actor=_actor(rule),
        title=(rule.params or {}).get("title") or _title(message),
        body=body,
        identity_ids=[message.identity_id] if message.identity_id else [],
    )
    return NOTE, note.pk


register_routing_target("task", _("Task"), _task)
register_routing_target("note", _("Note"), _note)


# --- keeping rules -------------------------------------------------------------------------

RULE_FIELDS = ("name", "channel", "mailbox", "sms_line", "keyword", "target", "params", "priority", "stop", "active")


def routing_rules_for_user(user: Any) -> QuerySet[RoutingRule]:
    if not (user.has_perm("messaging.view_routingrule") or user.has_perm("messaging.add_routingrule")):
        return RoutingRule.objects.none()
    return RoutingRule.objects.select_related("mailbox", "sms_line", "created_by").order_by("priority", "id")


@transaction.atomic
def routing_rule_save(*, actor: Any, rule: RoutingRule | None, **values: Any) -> RoutingRule:
    data = {k: v for k, v in values.items() if k in RULE_FIELDS}
    perm = "messaging.add_routingrule" if rule is None else "messaging.change_routingrule"
    if not actor.has_perm(perm):
        raise RoutingError(RoutingErrorCode.NOT_ALLOWED)
    if not (data.get("name") or "").strip():
        raise RoutingError(RoutingErrorCode.NAME_REQUIRED, fields={"name": _("Give the rule a name.")})
    if data.get("target") not in _targets:
        raise RoutingError(RoutingErrorCode.UNKNOWN_TARGET, fields={"target": _("Choose what the rule creates.")})
    if data.get("channel") != Channel.EMAIL:
        data["mailbox"] = None
    if data.get("channel") != Channel.SMS:
        data["sms_line"] = None
    if rule is None:
        rule = RoutingRule(created_by=actor, **data)
        tracked_create(obj=rule, actor=actor)
    else:
        tracked_update(obj=rule, actor=actor, **data)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    if not actor.has_perm("messaging.delete_routingrule"):
        raise RoutingError(RoutingErrorCode.NOT_ALLOWED)
    audit_record(actor=actor, target=rule, action="routingrule.deleted")
    rule.delete()
