"""Writes for follow-ups, comments and attachments on any registered item.

Every entry point checks that the actor may see the item (the item type's own rules,
through the timeline registry) before touching anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record
from crm.core.items.errors import ItemError, ItemErrorCode
from crm.core.items.files import check_upload
from crm.core.items.models import Attachment, AttachmentVersion, Comment, FollowUp, Mention
from crm.core.items.registry import mention_resolve
from crm.core.notifications.registry import MessageKind, register_message_kind
from crm.core.notifications.services import Notice, notify, notify_many
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_batch_handler, due_handler, due_job_cancel, due_job_schedule
from crm.core.timeline.registry import item_title, item_type_get, item_url, item_visible

FOLLOWUP_DUE = register_message_kind(
    MessageKind(
        key="followup.due",
        label=_("Follow-up reminder"),
        subject=_("Reminder: {{ item }}"),
        body=_("{{ note }}"),
        placeholders={"item": _("the item"), "note": _("your note"), "due": _("the time")},
    )
)
MENTIONED = register_message_kind(
    MessageKind(
        key="comment.mention",
        label=_("Mentioned in a comment"),
        subject=_("{{ author }} mentioned you on {{ item }}"),
        body=_("{{ comment }}"),
        placeholders={"author": _("who wrote"), "item": _("the item"), "comment": _("the comment")},
    )
)
MENTION_TOKEN = re.compile(r"(?<![\w@])@([\w][\w.\-]*\w|\w)", re.UNICODE)


def require_item(user: Any, item_type: str, item_id: str | int) -> None:
    if not item_visible(user, item_type, item_id):
        raise ItemError(ItemErrorCode.ITEM_NOT_FOUND)


# --- follow-ups and reminders (AC-7) ------------------------------------------------


def _schedule(followup: FollowUp) -> None:
    if followup.remind and followup.done_at is None:
        due_job_schedule(
            kind="followup.remind",
            due_at=followup.due_at,
            payload={"followup": followup.pk},
            dedupe_key=followup.dedupe_key,
        )


@transaction.atomic
def followup_set(
    *, actor: Any, item_type: str, item_id: str | int, due_at: dt.datetime, note: str = "", remind: bool = True
) -> FollowUp:
    require_item(actor, item_type, item_id)
    if remind and due_at <= timezone.now():
        raise ItemError(ItemErrorCode.DUE_IN_PAST)
    followup = FollowUp.objects.create(
        item_type=item_type, item_id=str(item_id), user=actor, due_at=due_at, note=note.strip()[:500], remind=remind
    )
    _schedule(followup)
    return followup


def _own(actor: Any, followup: FollowUp) -> None:
    if followup.user_id != actor.pk:
        raise ItemError(ItemErrorCode.NOT_YOURS)


@transaction.atomic
def followup_reschedule(*, actor: Any, followup: FollowUp, due_at: dt.datetime, note: str | None = None) -> FollowUp:
    _own(actor, followup)
    if followup.remind and due_at <= timezone.now():
        raise ItemError(ItemErrorCode.DUE_IN_PAST)
    due_job_cancel(dedupe_key=followup.dedupe_key)
    followup.due_at = due_at
    followup.reminded_at = None
    if note is not None:
        followup.note = note.strip()[:500]
    followup.save(update_fields=["due_at", "reminded_at", "note"])
    _schedule(followup)
    return followup


@transaction.atomic
def followup_done(*, actor: Any, followup: FollowUp, done: bool = True) -> FollowUp:
    _own(actor, followup)
    followup.done_at = timezone.now() if done else None
    followup.save(update_fields=["done_at"])
    if done:
        due_job_cancel(dedupe_key=followup.dedupe_key)
    elif followup.due_at > timezone.now():
        _schedule(followup)
    return followup


@transaction.atomic
def followup_delete(*, actor: Any, followup: FollowUp) -> None:
    _own(actor, followup)
    due_job_cancel(dedupe_key=followup.dedupe_key)
    followup.delete()


@due_handler("followup.remind")
def _remind(job: DueJob) -> None:
    """At the due time: a pop-up in every open tab of the owner, and email if they chose it.

    Runs inside the job's transaction; `notify` is idempotent on the follow-up's key, so a
    job run twice (a worker that lost its lease) still tells the user once.
    """
    followup = FollowUp.objects.select_related("user").filter(pk=job.payload.get("followup")).first()
    if followup is None or followup.done_at is not None or not followup.remind:
        return
    if followup.dedupe_key != job.dedupe_key:
        return  # rescheduled since; the new job reminds
    notify(
        users=[followup.user],
        kind="followup.due",
        values={
            "item": item_title(followup.item_type, followup.item_id),
            "note": followup.note,
            "due": timezone.localtime(followup.due_at).strftime("%Y-%m-%d %H:%M"),
        },
        dedupe_key=followup.dedupe_key,
        url=item_url(followup.item_type, followup.item_id) or "",
        item_type=followup.item_type,
        item_id=followup.item_id,
    )
    FollowUp.objects.filter(pk=followup.pk).update(reminded_at=timezone.now())


@due_batch_handler("followup.remind")
def _remind_batch(jobs: list[DueJob]) -> None:
    """The same for a whole claimed batch (thousands due in one minute): one query for the
    follow-ups, one per item type for titles, then `notify_many`."""
    by_pk = {job.payload.get("followup"): job for job in jobs}
    followups = [
        f
        for f in FollowUp.objects.select_related("user").filter(pk__in=[pk for pk in by_pk if pk])
        if f.done_at is None and f.remind and f.dedupe_key == by_pk[f.pk].dedupe_key
    ]
    titles: dict[tuple[str, str], str] = {}
    for item_type in {f.item_type for f in followups}:
        ids = [f.item_id for f in followups if f.item_type == item_type]
        registered = item_type_get(item_type)
        found = registered.titles(ids) if registered and registered.titles else {}
        titles.update({(item_type, item_id): found.get(item_id, f"#{item_id}") for item_id in ids})
    notify_many(
        [
            Notice(
                user=f.user,
                kind="followup.due",
                values={
                    "item": titles[(f.item_type, f.item_id)],
                    "note": f.note,
                    "due": timezone.localtime(f.due_at).strftime("%Y-%m-%d %H:%M"),
                },
                dedupe_key=f.dedupe_key,
                url=item_url(f.item_type, f.item_id) or "",
                item_type=f.item_type,
                item_id=f.item_id,
            )
            for f in followups
        ]
    )
    FollowUp.objects.filter(pk__in=[f.pk for f in followups]).update(reminded_at=timezone.now())


# --- comments and mentions (AC-8) ----------------------------------------------------


def mention_tokens(body: str) -> list[str]:
    return list(dict.fromkeys(MENTION_TOKEN.findall(body or "")))


@transaction.atomic
def comment_add(*, actor: Any, item_type: str, item_id: str | int, body: str, parent: Comment | None = None) -> Comment:
    require_item(actor, item_type, item_id)
    body = (body or "").strip()
    if not body:
        raise ItemError(ItemErrorCode.EMPTY_COMMENT)
    if parent is not None and (parent.item_type, parent.item_id) != (item_type, str(item_id)):
        parent = None
    comment = Comment.objects.create(
        item_type=item_type, item_id=str(item_id), parent=parent, author=actor, body=body[:10000]
    )
    _mention(actor, comment)
    return comment


def _mention(actor: Any, comment: Comment) -> None:
    resolved = mention_resolve(mention_tokens(comment.body))
    named: dict[int, tuple[Any, str]] = {}
    for token, users in resolved.items():
        for user in users:
            if user.pk != actor.pk and user.pk not in named:
                named[user.pk] = (user, token)
    already = set(comment.mentions.values_list("user_id", flat=True))
    fresh = [(user, token) for pk, (user, token) in named.items() if pk not in already]
    # only those who may see the item hear about it
    fresh = [(user, token) for user, token in fresh if item_visible(user, comment.item_type, comment.item_id)]
    Mention.objects.bulk_create([Mention(comment=comment, user=user, via=token) for user, token in fresh])
    if fresh:
        notify(
            users=[user for user, _token in fresh],
            kind="comment.mention",
            values={
                "author": actor.get_full_name() or actor.get_username(),
                "item": item_title(comment.item_type, comment.item_id),
                "comment": comment.body[:500],
            },
            dedupe_key=f"mention:{comment.pk}",
            url=item_url(comment.item_type, comment.item_id) or "",
            item_type=comment.item_type,
            item_id=comment.item_id,
        )


@transaction.atomic
def comment_edit(*, actor: Any, comment: Comment, body: str) -> Comment:
    if comment.author_id != actor.pk:
        raise ItemError(ItemErrorCode.NOT_AUTHOR)
    body = (body or "").strip()
    if not body:
        raise ItemError(ItemErrorCode.EMPTY_COMMENT)
    comment.body = body[:10000]
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    _mention(actor, comment)
    return comment


@transaction.atomic
def comment_delete(*, actor: Any, comment: Comment) -> None:
    if comment.author_id != actor.pk and not actor.is_superuser:
        raise ItemError(ItemErrorCode.NOT_AUTHOR)
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["deleted_at"])
    audit_record(actor=actor, action="comment.deleted", target=comment, changes={"body": comment.body})


def mentions_seen(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Mention.objects.filter(user=user, seen_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(seen_at=timezone.now())


# --- attachments with versions (AC-6) -----------------------------------------------


def _store_version(actor: Any, attachment: Attachment, upload: UploadedFile) -> AttachmentVersion:
    head = upload.read(64)
    upload.seek(0)
    content_type = check_upload(upload.name or "file", upload.size or 0, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    number = (attachment.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AttachmentVersion(
        attachment=attachment,
        number=number,
        original_name=(upload.name or "file")[:255],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    version.file.save(upload.name or "file", upload, save=False)
    version.save()
    return version


@transaction.atomic
def attachment_add_system(
    *, item_type: str, item_id: str | int, upload: UploadedFile, name: str = "", source: str = "system"
) -> Attachment:
    """Store a file that arrived by itself (an inbound mail's attachment, a received fax):
    no uploader and no rights check — callers are system channels; who then sees it is the
    item's own access rule. The same type and size checks as an upload."""
    attachment = Attachment.objects.create(
        item_type=item_type, item_id=str(item_id), name=(name or upload.name or "file")[:255], created_by=None
    )
    _store_version(None, attachment, upload)
    audit_record(actor=source, action="attachment.created", target=attachment, changes={"name": attachment.name})
    return attachment


@transaction.atomic
def attachment_add(
    *, actor: Any, item_type: str, item_id: str | int, upload: UploadedFile, name: str = ""
) -> Attachment:
    require_item(actor, item_type, item_id)
    attachment = Attachment.objects.create(
        item_type=item_type, item_id=str(item_id), name=(name or upload.name or "file")[:255], created_by=actor
    )
    _store_version(actor, attachment, upload)
    audit_record(actor=actor, action="attachment.created", target=attachment, changes={"name": attachment.name})
    return attachment


@transaction.atomic
def attachment_new_version(*, actor: Any, attachment: Attachment, upload: UploadedFile) -> AttachmentVersion:
    require_item(actor, attachment.item_type, attachment.item_id)
    Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
    version = _store_version(actor, attachment, upload)
    audit_record(actor=actor, action="attachment.version_added", target=attachment, changes={"version": version.number})
    return version


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> None:
    require_item(actor, attachment.item_type, attachment.item_id)
    if attachment.created_by_id != actor.pk and not actor.is_superuser:
        raise ItemError(ItemErrorCode.NOT_UPLOADER)
    attachment.deleted_at = timezone.now()
    attachment.save(update_fields=["deleted_at"])
    audit_record(actor=actor, action="attachment.deleted", target=attachment, changes={"name": attachment.name})
