from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.base_models import OwnedModel, SoftDeleteModel, TimeStampedModel
from crm.core.crypto.fields import EncryptedTextField
from crm.core.customfields.models import HasCustomFields


class User(AbstractUser):
    """A person who signs in. Rights come from the positions they hold (see backends)."""

    class Calendar(models.TextChoices):
        AUTO = "", _("By language")
        JALALI = "jalali", _("Jalali (Solar Hijri)")
        GREGORIAN = "gregorian", _("Gregorian")

    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("", _("By browser")), *settings.LANGUAGES]
    )
    calendar = models.CharField(_("calendar"), max_length=10, blank=True, choices=Calendar.choices)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    notify_by_email = models.BooleanField(_("also send notifications by email"), default=False)
    notify_by_sms = models.BooleanField(_("also send notifications by SMS"), default=False)

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Department(TimeStampedModel):
    """A unit of the organisation; departments form a tree (materialised path for subtrees)."""

    name = models.CharField(_("name"), max_length=150)
    code = models.CharField(_("code"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent department"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Position(TimeStampedModel):
    """A post in the org chart. Permissions belong to the post, not to the person."""

    title = models.CharField(_("title"), max_length=150)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="positions", verbose_name=_("department")
    )
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", verbose_name=_("reports to")
    )
    is_manager = models.BooleanField(_("manages the department"), default=False)
    permissions = models.ManyToManyField(
        Permission, blank=True, related_name="positions", verbose_name=_("permissions")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department__path", "title"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return f"{self.title} · {self.department.name}" if self.department_id else self.title


class AppointmentQuerySet(models.QuerySet):
    def active_on(self, day: dt.date | None = None) -> AppointmentQuerySet:
        day = day or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)


class Appointment(TimeStampedModel, OwnedModel):
    """An organisational decree: a user holds a position from start_date to end_date."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("user")
    )
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("position")
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    decree_number = models.CharField(_("decree number"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["user", "start_date"], name="appointment_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="appointment_dates_ordered",
            )
        ]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.user} → {self.position}"


class Substitution(TimeStampedModel, OwnedModel):
    """A deputy who holds a position's rights for a date range while its holder is away."""

    position = models.ForeignKey(
        Position, on_delete=models.CASCADE, related_name="substitutions", verbose_name=_("position")
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substitutions", verbose_name=_("substitute")
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="substitution_dates_ordered")
        ]
        verbose_name = _("substitution")
        verbose_name_plural = _("substitutions")

    def __str__(self) -> str:
        return f"{self.substitute} ↔ {self.position}"


class EmployeeCard(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    """The employee's card (PL-11), linked to their user; takes custom fields (PL-3)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee_card",
        verbose_name=_("user"),
    )
    personnel_number = models.CharField(_("personnel number"), max_length=30, blank=True)
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    national_id = models.CharField(_("national ID"), max_length=20, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("view_all_employeecard", _("Can view all employee cards")),
            ("change_all_employeecard", _("Can change all employee cards")),
            ("delete_all_employeecard", _("Can delete all employee cards")),
            ("view_sensitive_employeecard", _("Can see sensitive employee data")),
        ]
        verbose_name = _("employee card")
        verbose_name_plural = _("employee cards")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class MailServerSettings(models.Model):
    """The organisation's mail server (PL-11). One row; passwords stored encrypted."""

    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_username = models.CharField(_("SMTP username"), max_length=255, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)
    smtp_security = models.CharField(
        _("SMTP security"),
        max_length=10,
        default="starttls",
        choices=[("none", _("None")), ("starttls", "STARTTLS"), ("ssl", "SSL/TLS")],
    )
    default_from = models.EmailField(_("default sender"), blank=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_username = models.CharField(_("IMAP username"), max_length=255, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_ssl = models.BooleanField(_("IMAP over SSL"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mail server settings")
        verbose_name_plural = _("mail server settings")

    def __str__(self) -> str:
        return self.smtp_host or "mail settings"
