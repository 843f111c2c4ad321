from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordRule(models.Model):
    """Per model: how long after creation a record may still be edited or deleted (PL-5)."""

    content_type = models.OneToOneField(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("record type")
    )
    edit_window_hours = models.PositiveIntegerField(_("editable for (hours)"), null=True, blank=True)
    delete_window_hours = models.PositiveIntegerField(_("deletable for (hours)"), null=True, blank=True)

    class Meta:
        ordering = ["content_type"]
        verbose_name = _("record rule")
        verbose_name_plural = _("record rules")
        permissions = [("bypass_edit_window", _("Can change records after their edit window"))]

    def __str__(self) -> str:
        return str(self.content_type)


class FieldAccessRule(models.Model):
    """A field hidden from users without `view_permission`, read-only without `edit_permission`.

    Field names are model field names, or `custom.<key>` for custom fields.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("record type")
    )
    field_name = models.CharField(_("field"), max_length=80)
    view_permission = models.ForeignKey(
        Permission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("needed to see it"),
    )
    edit_permission = models.ForeignKey(
        Permission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("needed to change it"),
    )

    class Meta:
        ordering = ["content_type", "field_name"]
        constraints = [models.UniqueConstraint(fields=["content_type", "field_name"], name="field_access_unique")]
        verbose_name = _("field access rule")
        verbose_name_plural = _("field access rules")

    def __str__(self) -> str:
        return f"{self.content_type} · {self.field_name}"
