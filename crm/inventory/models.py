"""Stock (SL-7, IN-1 … IN-4): warehouses with their own access, stock by quantity
(`StockLevel`, one row per product × warehouse, changed only under its row lock) and by
serial (`Serial`), movements (`StockMove` with signed `StockMoveLine`s: the lines are the
stock ledger the movement report reads), reorder levels and purchase requests.

Approvals of sales documents reach this context through `crm.sales.events`; the move made
for a document carries the document and its version, and a partial unique constraint
lets a (document, version) have one originating move only, so a retried or repeated
approval cannot move stock twice."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.base_models import OwnedModel, TimeStampedModel

USER = settings.AUTH_USER_MODEL
QUANTITY = {"max_digits": 16, "decimal_places": 3}


class Warehouse(TimeStampedModel):
    name = models.CharField(_("name"), max_length=150)
    code = models.CharField(_("code"), max_length=30, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    allow_negative = models.BooleanField(_("allow negative stock"), default=False)
    is_default = models.BooleanField(_("default warehouse"), default=False)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        permissions = [("view_all_warehouse", _("Can see and use all warehouses"))]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="warehouse_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class WarehouseAccess(models.Model):
    """Who may use a warehouse: a user, a position's holders or a department's staff.
    Keepers also get its reorder alerts."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    keeper = models.BooleanField(_("warehouse keeper"), default=False)

    class Meta:
        verbose_name = _("warehouse access")
        verbose_name_plural = _("warehouse access")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, position__isnull=True, department__isnull=True)
                    | Q(user__isnull=True, position__isnull=False, department__isnull=True)
                    | Q(user__isnull=True, position__isnull=True, department__isnull=False)
                ),
                name="warehouse_access_one_grantee",
            )
        ]
        indexes = [models.Index(fields=["user"], name="warehouse_access_user_idx")]

    def __str__(self) -> str:
        return f"{self.warehouse_id}:{self.user_id or self.position_id or self.department_id}"


class StockLevel(models.Model):
    """Quantity on hand of one product in one warehouse, and its reorder level."""

    product = models.ForeignKey("sales.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="levels")
    quantity = models.DecimalField(_("on hand"), default=Decimal(0), **QUANTITY)
    reorder_level = models.DecimalField(_("reorder level"), null=True, blank=True, **QUANTITY)
    reorder_quantity = models.DecimalField(_("quantity to order"), null=True, blank=True, **QUANTITY)
    # set while at/below the reorder level, so the alert goes out once per crossing
    below_reorder = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "warehouse_id"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_unique")]
        indexes = [
            models.Index(fields=["warehouse", "product"], name="stock_level_wh_idx"),
            models.Index(fields=["product"], condition=Q(below_reorder=True), name="stock_level_below_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Goods receipt")
    ISSUE = "issue", _("Goods issue (waybill)")
    TRANSFER = "transfer", _("Transfer")
    ADJUSTMENT = "adjustment", _("Adjustment")


class StockMove(TimeStampedModel, OwnedModel):
    class Status(models.TextChoices):
        DONE = "done", _("Done")
        REVERSED = "reversed", _("Reversed")

    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind.choices)
    number = models.CharField(_("number"), max_length=40, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DONE)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="moves", verbose_name=_("warehouse")
    )
    to_warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves_in",
        verbose_name=_("to warehouse"),
    )
    moved_on = models.DateField(_("date"))
    identity_id = models.BigIntegerField(_("customer / supplier"), null=True, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    # the sales document this move was made for (approval of an invoice or return)
    source_document = models.ForeignKey(
        "sales.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_version = models.PositiveIntegerField(null=True, blank=True)
    # a reversal points at the move it undoes (a document unapproved or cancelled)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        permissions = [
            ("add_receipt", _("Can record goods receipts")),
            ("add_issue", _("Can record goods issues")),
            ("add_transfer", _("Can transfer stock between warehouses")),
            ("add_adjustment", _("Can adjust stock")),
            ("reverse_stockmove", _("Can reverse stock movements")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_document", "source_version"],
                condition=Q(source_document__isnull=False, reversal_of__isnull=True),
                name="stock_move_once_per_document_version",
            )
        ]
        indexes = [
            models.Index(fields=["kind", "-id"], name="stock_move_kind_idx"),
            models.Index(fields=["warehouse", "-moved_on"], name="stock_move_wh_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or f'#{self.pk}'}"

    @property
    def doc_type(self) -> str:
        return f"inventory.{self.kind}"


class StockMoveLine(models.Model):
    """One signed change of one product in one warehouse: the stock ledger. A transfer has
    a line out of its source (negative) and one into its destination (positive)."""

    move = models.ForeignKey(StockMove, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    moved_on = models.DateField()  # the move's date, here for the movement report's index
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    # each serial's state before this line, so a reversal can put it back
    serial_states = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("stock movement line")
        verbose_name_plural = _("stock movement lines")
        indexes = [models.Index(fields=["product", "warehouse", "moved_on", "id"], name="stock_line_ledger_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"


class Serial(TimeStampedModel):
    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        SOLD = "sold", pgettext_lazy("serial", "Sold")
        RETURNED = "returned", pgettext_lazy("serial", "Returned to supplier")
        SCRAPPED = "scrapped", _("Scrapped")

    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    serial = models.CharField(_("serial number"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IN_STOCK)
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="serials", verbose_name=_("warehouse")
    )
    identity_id = models.BigIntegerField(_("sold to"), null=True, blank=True, db_index=True)
    sold_on = models.DateField(_("sold on"), null=True, blank=True)
    warranty_start = models.DateField(_("warranty from"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty until"), null=True, blank=True)
    last_move = models.ForeignKey(StockMove, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["serial"]
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        constraints = [models.UniqueConstraint(fields=["product", "serial"], name="serial_unique_per_product")]
        indexes = [models.Index(fields=["serial"], name="serial_number_idx")]

    def __str__(self) -> str:
        return self.serial


class PurchaseRequest(TimeStampedModel, OwnedModel):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("purchase request", "Open")
        ORDERED = "ordered", pgettext_lazy("purchase request", "Ordered")
        CLOSED = "closed", pgettext_lazy("purchase request", "Closed")

    product = models.ForeignKey("sales.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="purchase_requests", verbose_name=_("warehouse")
    )
    quantity = models.DecimalField(_("suggested quantity"), **QUANTITY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    automatic = models.BooleanField(_("raised by the reorder level"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("purchase request")
        verbose_name_plural = _("purchase requests")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"],
                condition=Q(status="open", automatic=True),
                name="purchase_request_one_open_auto",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id} × {self.quantity}"
