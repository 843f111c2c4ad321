from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.base_models import TimeStampedModel


class HasCustomFields(models.Model):
    """Opt-in: a model with this mixin gets admin-defined typed fields (PL-3)."""

    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        abstract = True


def pick_label(labels: dict[str, str], fallback: str = "") -> str:
    """The label in the active language, else English, else any."""
    lang = (get_language() or "en")[:2]
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), fallback) or fallback


class CustomFieldDefinition(TimeStampedModel):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        DATETIME = "datetime", _("Date and time")
        CHOICE = "choice", _("Single choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        CHECKBOX = "checkbox", _("Checkbox")
        FILE = "file", _("File")
        LINK_IDENTITY = "link_identity", _("Link to identity")
        LINK_USER = "link_user", _("Link to user")
        LINK_DOCUMENT = "link_document", _("Link to document")

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("applies to")
    )
    key = models.CharField(
        _("key"),
        max_length=40,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", _("Lower-case Latin letters, digits and _; starts with a letter."))
        ],
    )
    labels = models.JSONField(_("labels"), default=dict, help_text=_("Label per language code."))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    help_text = models.CharField(_("help text"), max_length=255, blank=True)

    class Meta:
        ordering = ["content_type", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["content_type", "key"], name="customfield_key_unique")]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick_label(self.labels, self.key)

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return pick_label(choice.get("labels", {}), value)
        return value
