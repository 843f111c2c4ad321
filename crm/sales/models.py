"""Products, price lists and the sales/purchase documents (SL-1 … SL-10).

A `Document` is a quote (pro-forma), an invoice or a return invoice, for a sale or a
purchase; one is issued from another (`source`), keeping the chain. Amounts are Decimal in
the organisation's one currency. Stock (crm.inventory) and money (crm.finance) react to
approvals through `crm.sales.events`; they never change these tables."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.base_models import OwnedModel, SoftDeleteModel, TimeStampedModel
from crm.core.customfields.models import HasCustomFields

USER = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 20, "decimal_places": 2}
QUANTITY = {"max_digits": 16, "decimal_places": 3}
PERCENT = {"max_digits": 7, "decimal_places": 3}


# --- products (SL-1) ---------------------------------------------------------------------


class ProductGroup(TimeStampedModel):
    """A group of products in a tree of any depth (materialised path, `crm.core.tree`)."""

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent group")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

    class Tracking(models.TextChoices):
        NONE = "none", _("Not stocked")
        QUANTITY = "quantity", _("By quantity")
        SERIAL = "serial", _("By serial number")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, editable=False, default="", db_index=True)  # Persian-aware search
    group = models.ForeignKey(
        ProductGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="products", verbose_name=_("group")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    tracking = models.CharField(_("stock tracking"), max_length=10, choices=Tracking.choices, default=Tracking.QUANTITY)
    unit = models.CharField(_("unit"), max_length=30, default="", blank=True)
    purchase_cost = models.DecimalField(_("purchase cost"), default=Decimal(0), **MONEY)
    sale_price = models.DecimalField(_("sale price"), default=Decimal(0), **MONEY)
    commission_percent = models.DecimalField(_("commission %"), default=Decimal(0), **PERCENT)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=0)
    tax_exempt = models.BooleanField(_("tax exempt"), default=False)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["group", "name"], name="product_group_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- price lists (SL-10) -------------------------------------------------------------------


class PriceList(TimeStampedModel):
    """Cash, term (cheque), agency, a festival…: chosen on a document by the customer's
    class (`customer_classes`, empty = any) and date (`valid_from`/`valid_to`); the
    highest `priority` that applies wins. Prices come from `items` (a fixed price per
    product) then `rules` (a policy over the base sale price), in that order."""

    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    customer_classes = models.JSONField(_("customer classes"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)
    is_default = models.BooleanField(_("default"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_items")
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="price_list_item_unique")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.price}"


class PriceListRule(models.Model):
    """A policy: for all products, a group (and its subgroups) or one product, raise or
    lower the base sale price by an amount or a percentage."""

    class Method(models.TextChoices):
        PERCENT_UP = "pct_up", _("Increase by %")
        PERCENT_DOWN = "pct_down", _("Decrease by %")
        AMOUNT_UP = "amt_up", _("Increase by amount")
        AMOUNT_DOWN = "amt_down", _("Decrease by amount")

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="rules")
    group = models.ForeignKey(ProductGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("policy"), max_length=10, choices=Method.choices)
    value = models.DecimalField(_("value"), **MONEY)

    class Meta:
        ordering = ["id"]

    # --- documents (SL-2 … SL-9) ------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.method} {self.value}"


class Kind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    INVOICE = "invoice", _("Invoice")
    RETURN = "return", _("Return invoice")


class Direction(models.TextChoices):
    SALE = "sale", _("Sale")
    PURCHASE = "purchase", _("Purchase")


class DocumentSettings(models.Model):
    """The admin's settings per document type (kind × direction): tax, numbering
    (PL-4 `DocumentNumbering` under `doc_type`), approval, access windows, formulas and
    the print template."""

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    tax_percent = models.DecimalField(_("tax %"), default=Decimal(10), **PERCENT)
    approval_required = models.BooleanField(_("approval required"), default=True)
    edit_window_hours = models.PositiveIntegerField(_("editable for (hours, 0 = always)"), default=0)
    creator_only_view = models.BooleanField(_("only its creator sees it"), default=False)
    # admin formulas over line fields (+ − × ÷, parentheses), evaluated by crm.sales.formulas
    quantity_formula = models.CharField(_("quantity formula"), max_length=300, blank=True)
    line_total_formula = models.CharField(_("line total formula"), max_length=300, blank=True)
    print_template = models.TextField(_("print template (HTML)"), blank=True)
    print_css = models.TextField(_("print style (CSS)"), blank=True)

    class Meta:
        verbose_name = _("document settings")
        verbose_name_plural = _("document settings")
        constraints = [models.UniqueConstraint(fields=["kind", "direction"], name="document_settings_unique")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_kind_display()}"

    @property
    def doc_type(self) -> str:
        return f"sales.{self.direction}_{self.kind}"


class Document(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class CustomerResponse(models.TextChoices):
        NONE = "", _("No answer")
        ACCEPTED = "accepted", _("Accepted by the customer")
        DECLINED = "declined", _("Declined by the customer")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.SALE)
    number = models.CharField(_("number"), max_length=40, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    identity_id = models.BigIntegerField(_("customer / supplier"), db_index=True)
    issued_on = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    price_list = models.ForeignKey(
        PriceList, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("price list")
    )
    source = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="issued", verbose_name=_("issued from")
    )
    warehouse_id = models.BigIntegerField(_("warehouse"), null=True, blank=True)  # crm.inventory
    # totals are kept by the services (sum of lines, then document discount and tax)
    subtotal = models.DecimalField(_("subtotal"), default=Decimal(0), **MONEY)
    lines_discount = models.DecimalField(_("line discounts"), default=Decimal(0), **MONEY)
    discount = models.DecimalField(_("document discount"), default=Decimal(0), **MONEY)
    tax_percent = models.DecimalField(_("tax %"), default=Decimal(0), **PERCENT)
    tax = models.DecimalField(_("tax"), default=Decimal(0), **MONEY)
    total = models.DecimalField(_("total"), default=Decimal(0), **MONEY)
    # set when a user with the permission overrides the computed tax (None = computed)
    tax_overridden = models.BooleanField(default=False)
    notes = models.TextField(_("notes"), blank=True)
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("salesperson")
    )
    # users of the document's workflow (may edit besides the creator), SL-9
    workflow_users = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("workflow users"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # the customer's answer from the link sent to them
    public_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer_response = models.CharField(
        _("customer's answer"), max_length=10, choices=CustomerResponse.choices, blank=True, default=""
    )
    customer_response_at = models.DateTimeField(null=True, blank=True)
    customer_response_note = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped on every edit: approvals are of a version

    class Meta:
        ordering = ["-id"]
        verbose_name = _("sales document")
        verbose_name_plural = _("sales documents")
        permissions = [
            ("view_all_document", _("Can view all sales documents")),
            ("change_all_document", _("Can change all sales documents")),
            ("approve_document", _("Can approve or reject sales documents")),
            ("override_document_totals", _("Can change document discount and tax by hand")),
            ("choose_price_list", _("Can choose another price list")),
        ]
        indexes = [
            models.Index(fields=["kind", "direction", "status", "-id"], name="document_type_status_idx"),
            models.Index(fields=["identity_id", "-issued_on"], name="document_identity_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "direction", "number"], condition=~Q(number=""), name="document_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or f'#{self.pk}'}"

    @property
    def doc_type(self) -> str:
        return f"sales.{self.direction}_{self.kind}"


class DocumentLine(HasCustomFields):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount %"), default=Decimal(0), **PERCENT)
    discount = models.DecimalField(_("discount"), default=Decimal(0), **MONEY)
    tax = models.DecimalField(_("tax"), default=Decimal(0), **MONEY)
    total = models.DecimalField(_("total"), default=Decimal(0), **MONEY)
    # serial numbers picked for a serial-tracked product (crm.inventory checks them)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    source_line = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")


class DocumentEvent(models.Model):
    """The document's approval trail: submitted, approved, rejected, edited after
    approval (re-approval needed), answered by the customer, sent."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REOPENED = "reopened", _("Edited after approval")
        CUSTOMER_ACCEPTED = "cust_ok", _("Accepted by the customer")
        CUSTOMER_DECLINED = "cust_no", _("Declined by the customer")
        SENT = "sent", _("Sent to the customer")
        CANCELLED = "cancelled", _("Cancelled")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} v{self.version}"


class Signature(models.Model):
    """An approver's signature image, printed on documents they approved."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="sales_signature")
    image = models.FileField(_("signature image"), upload_to="signatures/")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"signature of {self.user_id}"
