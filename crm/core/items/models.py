"""What hangs on any CRM item (an appointment, a call, an invoice, an identity's profile…):
follow-ups and reminders (AC-7), comments with mentions (AC-8) and attached files with
versions (AC-6). An item is named by its registered type key and id (the timeline
registry), so no context needs a copy of these tables."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FollowUp(models.Model):
    """A personal follow-up: only the one who set it sees it and is reminded of it."""

    item_type = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followups")
    due_at = models.DateTimeField(_("follow up at"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    remind = models.BooleanField(_("remind me"), default=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["user", "done_at", "due_at"], name="followup_user_due_idx"),
            models.Index(fields=["item_type", "item_id"], name="followup_item_idx"),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return self.note or f"{self.item_type}:{self.item_id}"

    @property
    def dedupe_key(self) -> str:
        # the due time as a UTC instant: the same whether it came from a form (local time)
        # or was read back from the database (UTC)
        return f"followup:{self.pk}:{self.due_at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S')}"


class Comment(models.Model):
    item_type = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies", verbose_name=_("reply to")
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item_type", "item_id", "created_at"], name="comment_item_idx")]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.body[:60]


class Mention(models.Model):
    """A user named in a comment, directly (@user) or through a department (@department)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    via = models.CharField(max_length=150, blank=True)  # the token that named them
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="mention_unique")]
        indexes = [models.Index(fields=["user", "-id"], name="mention_user_idx")]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")

    def __str__(self) -> str:
        return f"{self.user_id} in {self.comment_id}"


class Attachment(models.Model):
    item_type = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item_type", "item_id"], name="attachment_item_idx")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> AttachmentVersion | None:
        return self.versions.order_by("-number").first()


def _upload_to(instance: AttachmentVersion, filename: str) -> str:
    return f"attachments/{instance.attachment.public_id}/{instance.number}/{uuid.uuid4().hex}"


class AttachmentVersion(models.Model):
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to=_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["attachment", "number"], name="attachment_version_unique")]
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")

    def __str__(self) -> str:
        return f"{self.original_name} v{self.number}"

    @property
    def previewable(self) -> str:
        if self.content_type.startswith("image/"):
            return "image"
        if self.content_type == "application/pdf":
            return "pdf"
        return ""
