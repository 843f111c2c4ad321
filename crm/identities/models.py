"""The customer database (ID-1…ID-10): persons and organisations with their phones,
emails, addresses, websites, dates, categories, assignments and customer numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.base_models import OwnedModel, PublicIdMixin, SoftDeleteModel, TimeStampedModel
from crm.core.customfields.models import HasCustomFields


class Category(TimeStampedModel):
    """A "database" of identities (ID-2), in a tree. A restricted category is visible only
    to the positions listed in its access rows; an unrestricted one to everyone."""

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    restricted = models.BooleanField(_("only for chosen positions"), default=False)
    positions = models.ManyToManyField(
        "org.Position", blank=True, related_name="identity_categories", verbose_name=_("positions with access")
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Identity(TimeStampedModel, SoftDeleteModel, OwnedModel, PublicIdMixin, HasCustomFields):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Colour(models.TextChoices):
        NONE = "", _("None")
        RED = "red", _("Red")
        ORANGE = "orange", _("Orange")
        YELLOW = "yellow", _("Yellow")
        GREEN = "green", _("Green")
        BLUE = "blue", _("Blue")
        PURPLE = "purple", _("Purple")
        GREY = "grey", _("Grey")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    title = models.CharField(_("title"), max_length=40, blank=True, help_text=_("e.g. Dr., Eng."))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    display_name = models.CharField(_("name"), max_length=255, editable=False, default="")
    # Persian-normalised name without spaces or ZWNJ: what quick search matches (ID-5).
    name_key = models.CharField(max_length=255, editable=False, default="", db_index=True)
    customer_number = models.CharField(_("customer number"), max_length=40, null=True, blank=True, unique=True)
    became_customer_at = models.DateTimeField(_("customer since"), null=True, blank=True)
    is_unknown = models.BooleanField(_("unknown contact"), default=False, db_index=True)
    national_id = models.CharField(_("national ID / registration number"), max_length=20, blank=True)
    economic_code = models.CharField(_("economic code"), max_length=20, blank=True)
    birth_date = models.DateField(_("birthday"), null=True, blank=True)
    colour = models.CharField(_("colour tag"), max_length=10, choices=Colour.choices, blank=True, default="")
    class_code = models.CharField(_("customer class"), max_length=20, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    categories = models.ManyToManyField(
        Category, through="IdentityCategory", blank=True, related_name="identities", verbose_name=_("categories")
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        through_fields=("identity", "user"),
        blank=True,
        related_name="assigned_identities",
        verbose_name=_("assigned experts"),
    )

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("view_all_identity", _("Can view identities created by others")),
            ("change_all_identity", _("Can change identities created by others")),
            ("delete_all_identity", _("Can delete identities created by others")),
            ("export_identity", _("Can export identities")),
            ("import_identity", _("Can import identities")),
            ("merge_identity", _("Can merge identities")),
            ("assign_customer_number", _("Can give customer numbers")),
        ]
        indexes = [
            models.Index(fields=["display_name", "id"], name="identity_name_idx"),
            models.Index(fields=["created_at", "id"], name="identity_created_idx"),
        ]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"

    @property
    def is_customer(self) -> bool:
        return bool(self.customer_number)


class IdentityCategory(models.Model):
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="category_links")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="identity_links")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["identity", "category"], name="identity_category_unique")]
        indexes = [models.Index(fields=["category", "identity"], name="identity_category_rev_idx")]

    def __str__(self) -> str:
        return f"{self.identity_id}∈{self.category_id}"


class Phone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        PHONE = "phone", _("Phone")
        FAX = "fax", _("Fax")
        WORK = "work", pgettext_lazy("phone type", "Work")
        HOME = "home", pgettext_lazy("phone type", "Home")

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    number = models.CharField(_("number"), max_length=20, db_index=True, help_text=_("E.164"))
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")

    def __str__(self) -> str:
        return self.number


class Email(models.Model):
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("email"), max_length=254, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")

    def __str__(self) -> str:
        return self.address


class Address(models.Model):
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True, db_index=True)
    line = models.CharField(_("address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line, self.city, self.province) if p)


class Website(models.Model):
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="websites")
    url = models.URLField(_("website"), max_length=300)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class SpecialDate(models.Model):
    """Dates worth remembering besides the birthday (wedding anniversary, founding day…)."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="special_dates")
    label = models.CharField(_("occasion"), max_length=80)
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return self.label


class ContactPerson(models.Model):
    """A person identity who speaks for an organisation identity."""

    organisation = models.ForeignKey(
        Identity,
        on_delete=models.CASCADE,
        related_name="contact_links",
        limit_choices_to={"kind": Identity.Kind.ORGANISATION},
    )
    person = models.ForeignKey(
        Identity,
        on_delete=models.CASCADE,
        related_name="organisation_links",
        limit_choices_to={"kind": Identity.Kind.PERSON},
    )
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person"], name="contact_person_unique"),
            models.CheckConstraint(condition=~Q(organisation=models.F("person")), name="contact_person_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.organisation_id}"


class Assignment(models.Model):
    """An expert responsible for an identity (ID-4)."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["identity", "user"], name="assignment_unique")]
        indexes = [models.Index(fields=["user", "identity"], name="assignment_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}→{self.identity_id}"


class ImportJob(models.Model):
    """One import of identities from a file (ID-9): mapping, mode, progress, per-row report."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (xlsx)"
        VCARD = "vcard", "vCard"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        SKIP_BAD = "skip", _("Skip bad rows")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    mapping = models.JSONField(default=dict, blank=True, help_text=_("file column -> identity field"))
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.SKIP_BAD)
    dry_run = models.BooleanField(default=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True, help_text=_("[{row, field, message}]"))
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name or f"import #{self.pk}"


class MergeRecord(models.Model):
    """What a merge moved from one identity to another (ID-10), so it can be undone."""

    survivor = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="merges_in")
    merged = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="merges_out")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class DuplicateDismissal(models.Model):
    """A pair someone reviewed and judged "not duplicates" (ID-10); never proposed again.
    Stored with identity_a < identity_b, so one row covers both orders."""

    identity_a = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    identity_b = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["identity_a", "identity_b"], name="duplicate_dismissal_unique"),
            models.CheckConstraint(
                condition=Q(identity_a__lt=models.F("identity_b")), name="duplicate_dismissal_order"
            ),
        ]
        verbose_name = _("dismissed duplicate")
        verbose_name_plural = _("dismissed duplicates")

    def __str__(self) -> str:
        return f"{self.identity_a_id} ≠ {self.identity_b_id}"
