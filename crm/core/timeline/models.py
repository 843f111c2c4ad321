from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimelineEntry(models.Model):
    """One CRM item as it appears in one identity's history (ID-6, AC-9).

    Every item type (call, note, invoice, ticket…) registers how it links to identities;
    its services keep these rows in step. An item linked to three identities has three
    rows. `identity_id` is a plain indexed integer so the platform does not depend on the
    identities context.
    """

    identity_id = models.BigIntegerField()
    item_type = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    summary = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extra = models.JSONField(default=dict, blank=True)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["identity_id", "item_type", "item_id"], name="timeline_entry_unique"),
        ]
        indexes = [
            models.Index(fields=["identity_id", "-occurred_at", "-id"], name="timeline_identity_idx"),
            models.Index(fields=["item_type", "item_id"], name="timeline_item_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="timeline_recent_idx"),
        ]
        verbose_name = _("history item")
        verbose_name_plural = _("history items")

    def __str__(self) -> str:
        return f"{self.item_type}:{self.item_id} → {self.identity_id}"


class HistoryItem(models.Model):
    """One CRM item in the global CRM history (AC-9): one row per item, whatever the number
    of identities it is linked to (those are in TimelineEntry). Kept by `timeline_record`."""

    item_type = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    summary = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item_type", "item_id"], name="history_item_unique"),
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="history_recent_idx"),
            models.Index(fields=["item_type", "-occurred_at", "-id"], name="history_type_idx"),
            models.Index(fields=["actor", "-occurred_at", "-id"], name="history_actor_idx"),
        ]
        verbose_name = _("CRM history item")
        verbose_name_plural = _("CRM history items")

    def __str__(self) -> str:
        return f"{self.item_type}:{self.item_id}"
