from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

PATTERN_TOKEN = re.compile(r"\{(prefix|year|yy|number)\}")


def validate_pattern(value: str) -> None:
    stripped = PATTERN_TOKEN.sub("", value)
    if "{" in stripped or "}" in stripped:
        raise ValidationError(_("Only {prefix}, {year}, {yy} and {number} may appear in braces."))
    if "{number}" not in value:
        raise ValidationError(_("The pattern must contain {number}."))


class NumberSequence(models.Model):
    """A counter that hands out document numbers; several document types may share one (PL-4)."""

    class YearMode(models.TextChoices):
        NONE = "none", _("No year")
        JALALI = "jalali", _("Jalali year")
        GREGORIAN = "gregorian", _("Gregorian year")

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    pattern = models.CharField(
        _("pattern"),
        max_length=80,
        default="{prefix}{number}",
        validators=[validate_pattern],
        help_text=_("Tokens: {prefix}, {year}, {yy}, {number}."),
    )
    start = models.PositiveBigIntegerField(_("start number"), default=1)
    padding = models.PositiveSmallIntegerField(_("digits"), default=0)
    year_mode = models.CharField(_("year"), max_length=10, choices=YearMode.choices, default=YearMode.NONE)
    reset_yearly = models.BooleanField(_("restart every year"), default=False)

    class Meta:
        ordering = ["key"]
        verbose_name = _("numbering sequence")
        verbose_name_plural = _("numbering sequences")

    def __str__(self) -> str:
        return self.name


class NumberCounter(models.Model):
    """The next value of a sequence in one period ('' when it never restarts, else the year)."""

    sequence = models.ForeignKey(NumberSequence, on_delete=models.CASCADE, related_name="counters")
    period = models.CharField(max_length=8, blank=True)
    next_value = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["sequence", "period"]
        constraints = [models.UniqueConstraint(fields=["sequence", "period"], name="numbering_counter_unique")]

    def __str__(self) -> str:
        return f"{self.sequence_id}/{self.period or '-'}: {self.next_value}"


class DocumentNumbering(models.Model):
    """Which sequence numbers a document type, and when the number is given."""

    class AssignOn(models.TextChoices):
        CREATE = "create", _("On creation")
        APPROVE = "approve", _("On approval")

    doc_type = models.CharField(_("document type"), max_length=64, unique=True)  # "sales.sale_invoice"
    label = models.CharField(_("label"), max_length=120)
    sequence = models.ForeignKey(NumberSequence, on_delete=models.PROTECT, related_name="document_types")
    assign_on = models.CharField(_("number given"), max_length=10, choices=AssignOn.choices, default=AssignOn.CREATE)

    class Meta:
        ordering = ["doc_type"]
        verbose_name = _("document numbering")
        verbose_name_plural = _("document numbering")

    def __str__(self) -> str:
        return self.label
