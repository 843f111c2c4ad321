from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DueJob(models.Model):
    """Work that must happen at a time: reminders, occasions, SLA timers, scheduled sends.

    Workers claim due rows with `SELECT … FOR UPDATE SKIP LOCKED` and a lease; a row whose
    worker died is claimed again when its lease runs out, so nothing is lost. Handlers must
    be idempotent for that case (messages go through the outbox, which is exactly-once).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    dedupe_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="duejob_pending_due_idx",
                condition=models.Q(status__in=["pending", "running"]),
            ),
        ]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return f"{self.kind}@{self.due_at:%Y-%m-%d %H:%M}"
