"""Services of sales documents: quotes, invoices and returns (SL-2 … SL-9).

Amounts (all Decimal, rounded half-up to the cent; quantities to 3 places):
- line gross = quantity × unit price, or the type's line total formula;
- line discount = the amount typed, else gross × discount %; line `total` = gross − discount
  (before tax); line `tax` = total × the document's tax % (0 for tax-exempt products);
- document: `subtotal` = Σ gross, `lines_discount` = Σ line discounts, `discount` = the
  document discount (by hand: `sales.override_document_totals`), `tax` = Σ line tax, or
  with a document discount the tax of the taxable lines after their share of it (by hand
  with the same permission: `tax_overridden`), `total` = subtotal − lines_discount −
  discount + tax.

Life cycle: draft → (submit) pending → approved | rejected; without required approval,
submit approves at once. Any edit of a pending or approved document returns it to draft
(version + 1; an approved one first fires `unapproved` so stock and money reverse) and
it needs approval again. Approval fires `approved` inside its transaction, so a handler
that refuses (not enough stock) rolls the whole approval back. Cancelling an approved
document fires `cancelled`. Numbers come from core numbering on creation or approval.

This module is longer than the size guide's 500 lines: splitting the life cycle from the
edits would scatter one state machine over two files.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, audit_snapshot, tracked_create, tracked_update
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.customfields.services import custom_values_apply, custom_values_audit
from crm.core.errors import PermissionDeniedError
from crm.core.i18n.formatting import format_number
from crm.core.notifications.registry import MessageKind, register_message_kind
from crm.core.notifications.services import notify
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.numbering.services import document_number_next, document_numbering_for
from crm.core.timeline.services import timeline_hide, timeline_record
from crm.identities.models import Identity
from crm.identities.selectors import identity_base_for_user
from crm.sales import access, events
from crm.sales.document_selectors import returnable_quantities
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.formulas import formula_check, formula_eval
from crm.sales.models import (
    Direction,
    Document,
    DocumentEvent,
    DocumentLine,
    DocumentSettings,
    Kind,
    PriceList,
    Product,
)

ITEM_TYPE = "sales.document"
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
HUNDRED = Decimal(100)
LINK_SALT = "sales.customer_document"
BASE_LINE_NAMES = ("quantity", "unit_price", "discount_percent", "discount")
NUMERIC_KINDS = (CustomFieldDefinition.Kind.NUMBER, CustomFieldDefinition.Kind.MONEY)
# what may be issued from what
ISSUE_FROM = {Kind.INVOICE: Kind.QUOTE, Kind.RETURN: Kind.INVOICE}
DEFAULT_TAX = Decimal(10)
# what pricing, lines and stock information read of a product
PRODUCT_FIELDS = ("pk", "code", "name", "unit", "kind", "tracking", "group_id", "sale_price", "tax_exempt", "active")

for _key, _label, _subject, _body in (
    (
        "sales.submitted",
        _("Document waiting for your approval"),
        _("To approve: {{ document }}"),
        _("{{ actor }} asks you to approve {{ document }} for {{ customer }} ({{ total }})."),
    ),
    (
        "sales.approved",
        _("Your document was approved"),
        _("Approved: {{ document }}"),
        _("{{ actor }} approved {{ document }} for {{ customer }}."),
    ),
    (
        "sales.rejected",
        _("Your document was rejected"),
        _("Rejected: {{ document }}"),
        _("{{ actor }} rejected {{ document }} for {{ customer }}: {{ note }}"),
    ),
    (
        "sales.customer_answered",
        _("A customer answered a document"),
        _("{{ answer }}: {{ document }}"),
        _("{{ customer }} answered {{ document }}: {{ answer }}. {{ note }}"),
    ),
):
    register_message_kind(
        MessageKind(
            key=_key,
            label=_label,
            subject=_subject,
            body=_body,
            placeholders={
                "document": _("document"),
                "customer": _("customer"),
                "actor": _("user"),
                "total": _("total"),
                "note": _("note"),
                "answer": _("answer"),
            },
        )
    )


# --- inputs --------------------------------------------------------------------------------


@dataclass
class LineInput:
    product_id: int
    quantity: Decimal | None = None
    unit_price: Decimal | None = None  # None: from the price list
    discount_percent: Decimal = Decimal(0)
    discount: Decimal | None = None  # an amount; when given it wins over the percent
    description: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    serials: list[str] = field(default_factory=list)
    source_line_id: int | None = None
    id: int | None = None  # an existing line of the document (update keeps its id)


DOCUMENT_FIELDS = {
    "identity_id",
    "issued_on",
    "valid_until",
    "price_list_id",
    "warehouse_id",
    "discount",
    "tax",
    "tax_percent",
    "notes",
    "assignee_id",
    "workflow_user_ids",
    "custom",
}


# --- the calculation kernel (plain Python) ---------------------------------------------------


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def qty(value: Decimal) -> Decimal:
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)


@dataclass
class LineAmounts:
    quantity: Decimal
    gross: Decimal
    discount: Decimal
    total: Decimal  # gross − discount
    tax: Decimal


def line_amounts(
    *,
    position: int,
    quantity: Decimal | None,
    unit_price: Decimal,
    discount_percent: Decimal,
    discount: Decimal | None,
    tax_percent: Decimal,
    tax_exempt: bool,
    custom_numbers: dict[str, Decimal] | None = None,
    quantity_formula: str = "",
    line_total_formula: str = "",
) -> LineAmounts:
    """One line's amounts (see the module doc); raises SalesError for bad values."""
    if unit_price < 0:
        raise SalesError(SalesErrorCode.BAD_PRICE, line=position)
    if not (0 <= discount_percent <= HUNDRED) or (discount is not None and discount < 0):
        raise SalesError(SalesErrorCode.BAD_DISCOUNT, line=position)
    values: dict[str, Decimal] = dict(custom_numbers or {})
    values.update(
        {
            "unit_price": unit_price,
            "discount_percent": discount_percent,
            "discount": discount or Decimal(0),
            "quantity": quantity or Decimal(0),
        }
    )
    if quantity_formula:
        quantity = formula_eval(quantity_formula, {k: v for k, v in values.items() if k != "quantity"})
    if quantity is None or quantity <= 0:
        raise SalesError(SalesErrorCode.BAD_QUANTITY, line=position)
    quantity = qty(quantity)
    if quantity <= 0:
        raise SalesError(SalesErrorCode.BAD_QUANTITY, line=position)
    values["quantity"] = quantity
    gross = money(formula_eval(line_total_formula, values) if line_total_formula else quantity * unit_price)
    line_discount = money(discount if discount is not None else gross * discount_percent / HUNDRED)
    if gross >= 0 and line_discount > gross:
        raise SalesError(SalesErrorCode.BAD_DISCOUNT, line=position)
    total = gross - line_discount
    tax = Decimal(0) if tax_exempt else money(total * tax_percent / HUNDRED)
    return LineAmounts(quantity=quantity, gross=gross, discount=line_discount, total=total, tax=tax)


@dataclass
class Totals:
    subtotal: Decimal
    lines_discount: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def document_totals(
    *,
    lines: Iterable[tuple[LineAmounts, bool]],
    discount: Decimal,
    tax_percent: Decimal,
    tax_override: Decimal | None = None,
) -> Totals:
    """Totals of the lines ((amounts, tax exempt) pairs) with a document discount."""
    lines = list(lines)
    subtotal = sum((a.gross for a, _ in lines), Decimal(0))
    lines_discount = sum((a.discount for a, _ in lines), Decimal(0))
    net = subtotal - lines_discount
    discount = money(discount or 0)
    if discount < 0 or discount > max(net, Decimal(0)):
        raise SalesError(SalesErrorCode.DOCUMENT_DISCOUNT)
    if tax_override is not None:
        tax = money(tax_override)
    elif not discount:
        tax = sum((a.tax for a, _ in lines), Decimal(0))
    else:
        taxable = sum((a.total for a, exempt in lines if not exempt), Decimal(0))
        share = discount * taxable / net if net else Decimal(0)
        tax = money((taxable - share) * tax_percent / HUNDRED)
    if tax < 0:
        raise SalesError(SalesErrorCode.TOTALS_INVALID)
    return Totals(
        subtotal=subtotal, lines_discount=lines_discount, discount=discount, tax=tax, total=net - discount + tax
    )


# --- settings and numbering ------------------------------------------------------------------


def line_formula_names() -> list[str]:
    """Names a formula may use: the line's numbers and its numeric custom fields."""
    customs = [d.key for d in custom_field_definitions(model=DocumentLine) if d.kind in NUMERIC_KINDS]
    return [*BASE_LINE_NAMES, *[k for k in customs if k not in BASE_LINE_NAMES]]


def document_settings_ensure(*, kind: str, direction: str, numbering: bool = True) -> DocumentSettings:
    """The settings of a document type, created with defaults on first use, together with
    its numbering (a sequence per type; the admin may point several types at one)."""
    settings = DocumentSettings.objects.filter(kind=kind, direction=direction).first()
    if settings is not None and not numbering:
        return settings
    if settings is None:
        try:
            with transaction.atomic():
                settings = DocumentSettings.objects.create(
                    kind=kind,
                    direction=direction,
                    tax_percent=DEFAULT_TAX if kind != Kind.QUOTE or direction == Direction.SALE else Decimal(0),
                )
        except IntegrityError:
            settings = DocumentSettings.objects.get(kind=kind, direction=direction)
    _numbering_ensure(settings)
    return settings


def _numbering_ensure(settings: DocumentSettings) -> None:
    if document_numbering_for(doc_type=settings.doc_type) is not None:
        return
    key = settings.doc_type.replace(".", "_")
    prefixes = {Kind.QUOTE: "Q", Kind.INVOICE: "INV", Kind.RETURN: "RET"}
    prefix = ("P" if settings.direction == Direction.PURCHASE else "") + prefixes.get(settings.kind, "D")
    try:
        with transaction.atomic():
            sequence, _created = NumberSequence.objects.get_or_create(
                key=key,
                defaults={"name": str(settings)[:120], "prefix": f"{prefix}-", "start": 1001},
            )
            DocumentNumbering.objects.get_or_create(
                doc_type=settings.doc_type,
                defaults={"label": str(settings)[:120], "sequence": sequence, "assign_on": "create"},
            )
    except IntegrityError:
        pass  # another transaction made them


@transaction.atomic
def document_settings_save(*, actor: Any, settings: DocumentSettings, values: dict[str, Any]) -> DocumentSettings:
    """Change a document type's settings (audited); formulas are checked before saving."""
    if not (actor.is_superuser or actor.has_perm(access.SETTINGS)):
        raise PermissionDeniedError()
    names = line_formula_names()
    if "quantity_formula" in values:
        formula_check(values["quantity_formula"], [n for n in names if n != "quantity"])
    if "line_total_formula" in values:
        formula_check(values["line_total_formula"], names)
    tax = values.get("tax_percent")
    if tax is not None and not (0 <= Decimal(tax) <= HUNDRED):
        raise SalesError(SalesErrorCode.SETTINGS_INVALID)
    tracked_update(obj=settings, actor=actor, action="documentsettings.updated", **values)
    return settings


def _number(document: Document, event: str) -> None:
    if document.number:
        return
    number = document_number_next(doc_type=document.doc_type, event=event, on=document.issued_on)
    if number:
        document.number = number


# --- create / update -------------------------------------------------------------------------


def _identity_for(actor: Any, identity_id: Any) -> Identity:
    try:
        pk = int(identity_id)
    except (TypeError, ValueError):
        raise SalesError(SalesErrorCode.IDENTITY_NOT_FOUND) from None
    identity = identity_base_for_user(user=actor).filter(pk=pk).only("pk", "class_code", "display_name").first()
    if identity is None:
        raise SalesError(SalesErrorCode.IDENTITY_NOT_FOUND)
    return identity


def _price_list(
    actor: Any, document: Document, identity: Identity, *, wanted: Any, explicit: bool, keep_id: int | None
) -> PriceList | None:
    """The list chosen by the customer's class and the date, or the one the user picked
    (another one needs `sales.choose_price_list`; `keep_id` is allowed as it stands)."""
    from crm.sales.pricing import price_list_choose

    chosen = price_list_choose(customer_class=identity.class_code, on=document.issued_on)
    try:
        wanted_id = int(wanted) if wanted not in (None, "") else None
    except (TypeError, ValueError):
        raise SalesError(SalesErrorCode.PRICE_LIST_NOT_ALLOWED) from None
    if not explicit or wanted_id is None or wanted_id == (chosen.pk if chosen else None):
        return chosen  # none picked: the customer's class and the date choose
    if wanted_id != keep_id and not access.can_choose_price_list(actor):
        raise SalesError(SalesErrorCode.PRICE_LIST_NOT_ALLOWED)
    price_list = PriceList.objects.filter(pk=wanted_id).first()
    if price_list is None or (not price_list.active and wanted_id != keep_id):
        raise SalesError(SalesErrorCode.PRICE_LIST_NOT_ALLOWED)
    return price_list


def _decimal(value: Any, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SalesError(SalesErrorCode.TOTALS_INVALID) from None


def _build_lines(
    *,
    document: Document,
    settings: DocumentSettings,
    inputs: list[LineInput],
    source_lines: dict[int, DocumentLine] | None = None,
) -> list[tuple[DocumentLine, LineAmounts, bool]]:
    """Validated, priced lines (not saved)."""
    if not inputs:
        raise SalesError(SalesErrorCode.NO_LINES)
    product_ids = {line.product_id for line in inputs}
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=product_ids, deleted_at__isnull=True).only(*PRODUCT_FIELDS)
    }
    if len(products) != len(product_ids):
        raise SalesError(SalesErrorCode.PRODUCT_NOT_FOUND)
    need_price = [products[line.product_id] for line in inputs if line.unit_price is None]
    prices: dict[int, Decimal] = {}
    if need_price:
        from crm.sales.pricing import prices_for

        prices = prices_for(price_list=document.price_list, products=need_price, on=document.issued_on)
    definitions = custom_field_definitions(model=DocumentLine)
    numeric_keys = [d.key for d in definitions if d.kind in NUMERIC_KINDS]
    built = []
    for position, line_in in enumerate(inputs, start=1):
        product = products[line_in.product_id]
        line = DocumentLine(
            document=document,
            position=position,
            product=product,
            description=(line_in.description or "")[:300],
            discount_percent=_decimal(line_in.discount_percent, Decimal(0)),
            serials=[str(s).strip() for s in (line_in.serials or []) if str(s).strip()],
            source_line_id=line_in.source_line_id,
        )
        if line_in.id is not None:
            line.pk = line_in.id
        if line_in.custom:
            custom_values_apply(obj=line, data=line_in.custom, definitions=definitions)
        unit_price = _decimal(line_in.unit_price)
        if unit_price is None:
            unit_price = prices.get(product.pk, product.sale_price)
        if source_lines is not None and line_in.source_line_id in source_lines:
            unit_price = source_lines[line_in.source_line_id].unit_price  # returns at the invoiced price
        line.unit_price = money(unit_price)
        numbers = {k: _decimal(line.custom.get(k), Decimal(0)) for k in numeric_keys if k not in BASE_LINE_NAMES}
        amounts = line_amounts(
            position=position,
            quantity=_decimal(line_in.quantity),
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            discount=_decimal(line_in.discount),
            tax_percent=document.tax_percent,
            tax_exempt=product.tax_exempt,
            custom_numbers=numbers,
            quantity_formula=settings.quantity_formula,
            line_total_formula=settings.line_total_formula,
        )
        line.quantity, line.discount, line.total, line.tax = (
            amounts.quantity,
            amounts.discount,
            amounts.total,
            amounts.tax,
        )
        built.append((line, amounts, product.tax_exempt))
    return built


def _check_return(
    document: Document, built: list[tuple[DocumentLine, LineAmounts, bool]], *, approved_only: bool = False
) -> None:
    """A return takes back at most what its invoice sold minus other returns."""
    if document.kind != Kind.RETURN:
        return
    invoice = document.source
    if invoice is None:
        raise SalesError(SalesErrorCode.ISSUE_NOT_ALLOWED, target=Kind.RETURN.label, source="—")
    left = returnable_quantities(invoice=invoice, exclude_document_id=document.pk, approved_only=approved_only)
    wanted: dict[int, Decimal] = {}
    for line, _amounts, _exempt in built:
        if line.source_line_id not in left:
            raise SalesError(SalesErrorCode.RETURN_TOO_MUCH, line=line.position, left=0)
        wanted[line.source_line_id] = wanted.get(line.source_line_id, Decimal(0)) + line.quantity
        if wanted[line.source_line_id] > left[line.source_line_id]:
            raise SalesError(
                SalesErrorCode.RETURN_TOO_MUCH, line=line.position, left=format_number(left[line.source_line_id])
            )


def _apply_totals(
    document: Document, built: list[tuple[DocumentLine, LineAmounts, bool]], tax_override: Decimal | None
) -> None:
    totals = document_totals(
        lines=[(a, exempt) for _line, a, exempt in built],
        discount=document.discount,
        tax_percent=document.tax_percent,
        tax_override=tax_override,
    )
    document.subtotal, document.lines_discount, document.discount = (
        totals.subtotal,
        totals.lines_discount,
        totals.discount,
    )
    document.tax, document.total = totals.tax, totals.total
    document.tax_overridden = tax_override is not None


def _save_lines(document: Document, built: list[tuple[DocumentLine, LineAmounts, bool]]) -> None:
    keep = {line.pk for line, _a, _e in built if line.pk}
    existing = set(DocumentLine.objects.filter(document=document).values_list("pk", flat=True))
    if keep - existing:
        raise SalesError(SalesErrorCode.PRODUCT_NOT_FOUND)  # a line of another document
    DocumentLine.objects.filter(document=document).exclude(pk__in=keep).delete()
    new = []
    for line, _a, _e in built:
        line.document = document
        if line.pk:
            line.save()
        else:
            new.append(line)
    DocumentLine.objects.bulk_create(new)


def _check_totals_rights(actor: Any, document: Document, values: dict[str, Any]) -> Decimal | None:
    """Apply discount / tax % / tax typed by hand (with the right); the tax to force, if any."""
    changes_discount = "discount" in values and money(_decimal(values["discount"], Decimal(0))) != document.discount
    changes_rate = "tax_percent" in values and _decimal(values["tax_percent"]) not in (None, document.tax_percent)
    forced_tax = _decimal(values.get("tax")) if "tax" in values else None
    if document.tax_overridden and "tax" not in values:
        forced_tax = document.tax  # an earlier override stays until changed
    changes_tax = forced_tax is not None and (not document.tax_overridden or money(forced_tax) != document.tax)
    if (changes_discount or changes_rate or changes_tax) and not access.can_override_totals(actor):
        raise SalesError(SalesErrorCode.TOTALS_OVERRIDE_DENIED)
    if changes_discount:
        document.discount = money(_decimal(values["discount"], Decimal(0)))
    if changes_rate:
        rate = _decimal(values["tax_percent"])
        if rate is None or not (0 <= rate <= HUNDRED):
            raise SalesError(SalesErrorCode.TOTALS_INVALID)
        document.tax_percent = rate
    return forced_tax


def _set_fields(actor: Any, document: Document, values: dict[str, Any], keep_price_list: int | None = None) -> Identity:
    unknown = set(values) - DOCUMENT_FIELDS
    if unknown:
        raise ValueError(f"unknown document fields: {sorted(unknown)}")
    identity_id = values.get("identity_id", document.identity_id if document.identity_id else None)
    identity = _identity_for(actor, identity_id)
    document.identity_id = identity.pk
    if values.get("issued_on"):
        document.issued_on = values["issued_on"]
    if not document.issued_on:
        document.issued_on = timezone.localdate()
    if "valid_until" in values:
        document.valid_until = values["valid_until"] or None
    if "warehouse_id" in values:
        document.warehouse_id = values["warehouse_id"] or None
    if "notes" in values:
        document.notes = values["notes"] or ""
    if "assignee_id" in values:
        document.assignee_id = values["assignee_id"] or None
    explicit = "price_list_id" in values
    if explicit or document.pk is None or "identity_id" in values or "issued_on" in values:
        keep = keep_price_list if document.pk is None else document.price_list_id
        document.price_list = _price_list(
            actor, document, identity, wanted=values.get("price_list_id"), explicit=explicit, keep_id=keep
        )
    return identity


def _line_inputs_of(document: Document) -> list[LineInput]:
    return [
        LineInput(
            id=line.pk,
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            discount=line.discount if not line.discount_percent else None,
            description=line.description,
            custom=dict(line.custom),
            serials=list(line.serials),
            source_line_id=line.source_line_id,
        )
        for line in document.lines.all()
    ]


def _summary(document: Document) -> str:
    return f"{document} · {format_number(document.total)}"


def _history(actor: Any, document: Document) -> None:
    timeline_record(
        identity_ids=[document.identity_id],
        item_type=ITEM_TYPE,
        item_id=document.pk,
        occurred_at=document.created_at or timezone.now(),
        summary=_summary(document),
        actor=actor,
        extra={"kind": document.kind, "direction": document.direction, "status": document.status},
    )


@dataclass
class Preview:
    """What the form shows while typing: per line key its amounts, list price or error."""

    lines: dict[str, dict[str, Any]]
    totals: Totals | None
    price_list: PriceList | None
    error: str = ""


def document_preview(
    *,
    actor: Any,
    kind: str,
    direction: str,
    values: dict[str, Any],
    lines: list[tuple[str, LineInput]],
    document: Document | None = None,
) -> Preview:
    """Price and total unsaved lines the way `document_create`/`document_update` would,
    without saving or raising: errors are reported per line (live totals in the form)."""
    from crm.sales.pricing import prices_for

    settings = document_settings_ensure(kind=kind, direction=direction, numbering=False)
    doc = Document(
        kind=kind,
        direction=direction,
        tax_percent=document.tax_percent if document else settings.tax_percent,
        issued_on=values.get("issued_on") or (document.issued_on if document else timezone.localdate()),
        discount=document.discount if document else Decimal(0),
        tax=document.tax if document else Decimal(0),
        tax_overridden=document.tax_overridden if document else False,
    )
    error, forced_tax = "", None
    try:
        doc.price_list = _preview_price_list(actor, doc, values, document.price_list_id if document else None)
        forced_tax = _check_totals_rights(actor, doc, values)
    except SalesError as exc:
        error = exc.message
    product_ids = {line.product_id for _key, line in lines}
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids).only(*PRODUCT_FIELDS)}
    list_prices = prices_for(price_list=doc.price_list, products=list(products.values()), on=doc.issued_on)
    out: dict[str, dict[str, Any]] = {}
    done: list[tuple[LineAmounts, bool]] = []
    for position, (key, line) in enumerate(lines, start=1):
        product = products.get(line.product_id)
        row: dict[str, Any] = {"product": product, "list_price": list_prices.get(line.product_id)}
        out[key] = row
        if product is None:
            row["error"] = str(SalesError(SalesErrorCode.PRODUCT_NOT_FOUND).message)
            continue
        price = line.unit_price if line.unit_price is not None else row["list_price"]
        numbers = {k: _decimal(v, Decimal(0)) for k, v in (line.custom or {}).items() if _is_number(v)}
        try:
            amounts = line_amounts(
                position=position,
                quantity=line.quantity,
                unit_price=money(price),
                discount_percent=line.discount_percent or Decimal(0),
                discount=line.discount,
                tax_percent=doc.tax_percent,
                tax_exempt=product.tax_exempt,
                custom_numbers=numbers,
                quantity_formula=settings.quantity_formula,
                line_total_formula=settings.line_total_formula,
            )
        except SalesError as exc:
            row["error"] = exc.message
            continue
        row["amounts"] = amounts
        done.append((amounts, product.tax_exempt))
        unsaved = DocumentLine(document=doc, position=position, product=product, quantity=amounts.quantity)
        unsaved.pk = -position  # never a stored line: stock providers look at product and quantity
        row["line"] = unsaved
    with_lines = [row for row in out.values() if "line" in row]
    if with_lines:
        doc.warehouse_id = values.get("warehouse_id") or (document.warehouse_id if document else None)
        info = events.line_info(document=doc, lines=[row["line"] for row in with_lines])
        for row in with_lines:
            row["info"] = info.get(row["line"].pk, [])
    totals = None
    try:
        totals = document_totals(
            lines=done, discount=doc.discount, tax_percent=doc.tax_percent, tax_override=forced_tax
        )
    except SalesError as exc:
        error = error or exc.message
    return Preview(lines=out, totals=totals, price_list=doc.price_list, error=error)


def _preview_price_list(actor: Any, doc: Document, values: dict[str, Any], keep: int | None) -> PriceList | None:
    from crm.sales.pricing import price_list_choose

    identity = None
    with contextlib.suppress(SalesError):
        identity = _identity_for(actor, values.get("identity_id"))
    if identity is not None:
        return _price_list(
            actor, doc, identity, wanted=values.get("price_list_id"), explicit="price_list_id" in values, keep_id=keep
        )
    if values.get("price_list_id") or keep:
        return PriceList.objects.filter(pk=values.get("price_list_id") or keep).first()
    return price_list_choose(customer_class="", on=doc.issued_on)


def _is_number(value: Any) -> bool:
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return True


@transaction.atomic
def document_create(
    *,
    actor: Any,
    kind: str,
    direction: str = Direction.SALE,
    values: dict[str, Any],
    lines: list[LineInput],
    source: Document | None = None,
) -> Document:
    """A new draft document with its lines, priced and totalled; numbered now if its type
    is numbered on creation."""
    if not access.can_create_documents(actor):
        raise PermissionDeniedError()
    if kind not in Kind.values or direction not in Direction.values:
        raise SalesError(SalesErrorCode.SETTINGS_INVALID)
    settings = document_settings_ensure(kind=kind, direction=direction)
    document = Document(
        kind=kind,
        direction=direction,
        created_by=actor,
        source=source,
        tax_percent=settings.tax_percent,
        issued_on=values.get("issued_on") or timezone.localdate(),
    )
    _set_fields(actor, document, values, keep_price_list=source.price_list_id if source is not None else None)
    forced_tax = _check_totals_rights(actor, document, values)
    if "custom" in values and values["custom"] is not None:
        custom_values_apply(obj=document, data=values["custom"])
    source_lines = {line.pk: line for line in source.lines.all()} if source is not None else None
    built = _build_lines(document=document, settings=settings, inputs=lines, source_lines=source_lines)
    _check_return(document, built)
    _apply_totals(document, built, forced_tax)
    _number(document, "create")
    tracked_create(obj=document, actor=actor, action="sales.document.created")
    if values.get("workflow_user_ids"):
        document.workflow_users.set(values["workflow_user_ids"])
    _save_lines(document, built)
    _history(actor, document)
    return document


def _locked(document: Document) -> Document:
    # `of`: PostgreSQL cannot lock the nullable side of the outer joins
    return Document.objects.select_for_update(of=("self",)).select_related("price_list", "source").get(pk=document.pk)


def _check_version(document: Document, version: int | None) -> None:
    if version is not None and int(version) != document.version:
        raise SalesError(SalesErrorCode.STALE_VERSION)


def _reopen(actor: Any, document: Document) -> None:
    """An edit of a pending or approved document: back to draft, approval needed again."""
    if document.status == Document.Status.APPROVED:
        events.document_event("unapproved", document=document, actor=actor)
    if document.status in (Document.Status.APPROVED, Document.Status.PENDING):
        DocumentEvent.objects.create(
            document=document, action=DocumentEvent.Action.REOPENED, actor=actor, version=document.version
        )
    document.status = Document.Status.DRAFT
    document.approved_at = None
    document.approved_by = None
    document.submitted_at = None


@transaction.atomic
def document_update(
    *,
    actor: Any,
    document: Document,
    values: dict[str, Any],
    lines: list[LineInput] | None = None,
    version: int | None = None,
) -> Document:
    """Change a document (fields and/or lines). A pending or approved one goes back to
    draft and needs approval again (SL-4)."""
    document = _locked(document)
    access.require_change_document(actor, document)
    _check_version(document, version)
    before = audit_snapshot(document)
    custom_before = dict(document.custom)
    was = document.status
    _set_fields(actor, document, values)
    forced_tax = _check_totals_rights(actor, document, values)
    if "custom" in values and values["custom"] is not None:
        custom_values_apply(obj=document, data=values["custom"], partial=True)
    settings = document_settings_ensure(kind=document.kind, direction=document.direction)
    source_lines = {line.pk: line for line in document.source.lines.all()} if document.source else None
    inputs = lines if lines is not None else _line_inputs_of(document)
    if lines is None and "price_list_id" in values:
        for line_in in inputs:  # a new list re-prices the kept lines
            line_in.unit_price = None
    built = _build_lines(document=document, settings=settings, inputs=inputs, source_lines=source_lines)
    _check_return(document, built)
    _apply_totals(document, built, forced_tax)
    if was != Document.Status.DRAFT:
        _reopen(actor, document)
    document.version += 1
    document.save()
    if "workflow_user_ids" in values:
        document.workflow_users.set(values["workflow_user_ids"] or [])
    _save_lines(document, built)
    after = audit_snapshot(document)
    diff = {k: v for k, v in ((k, [before.get(k), after.get(k)]) for k in after) if v[0] != v[1]}
    diff.pop("version", None)
    audit_record(actor=actor, target=document, action="sales.document.updated", changes=diff)
    custom_values_audit(actor=actor, obj=document, before=custom_before, after=document.custom)
    _history(actor, document)
    return document


@transaction.atomic
def document_delete(*, actor: Any, document: Document) -> None:
    """Soft-delete a draft or rejected document (approved ones are cancelled instead)."""
    document = _locked(document)
    access.require_change_document(actor, document, action="delete")
    if document.status not in (Document.Status.DRAFT, Document.Status.REJECTED):
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=document.get_status_display())
    document.deleted_at, document.deleted_by = timezone.now(), actor
    document.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    audit_record(actor=actor, target=document, action="sales.document.deleted")
    timeline_hide(item_type=ITEM_TYPE, item_id=document.pk)


@transaction.atomic
def document_issue_from(
    *, actor: Any, source: Document, kind: str, quantities: dict[int, Decimal] | None = None
) -> Document:
    """Issue an invoice from a quote, or a return from an invoice, keeping the chain
    (`source`, `source_line`). A return takes what is still returnable, or `quantities`
    {invoice line id: quantity}."""
    if ISSUE_FROM.get(kind) != source.kind:
        raise SalesError(
            SalesErrorCode.ISSUE_NOT_ALLOWED, target=Kind(kind).label if kind in Kind.values else kind, source=source
        )
    bad = {Document.Status.CANCELLED, Document.Status.REJECTED}
    if source.status in bad or (kind == Kind.RETURN and source.status != Document.Status.APPROVED):
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=source.get_status_display())
    if kind == Kind.INVOICE:
        earlier = Document.objects.filter(source=source, kind=Kind.INVOICE).exclude(status=Document.Status.CANCELLED)
        if earlier.exists():
            raise SalesError(SalesErrorCode.ALREADY_ISSUED, document=earlier.first())
    left = returnable_quantities(invoice=source) if kind == Kind.RETURN else {}
    inputs = []
    for line in source.lines.all().order_by("position", "id"):
        quantity = line.quantity
        if kind == Kind.RETURN:
            quantity = quantities.get(line.pk, Decimal(0)) if quantities else left.get(line.pk, Decimal(0))
            if not quantity or quantity <= 0:
                continue
        inputs.append(
            LineInput(
                product_id=line.product_id,
                quantity=quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                discount=None if line.discount_percent or kind != Kind.RETURN else _share(line, quantity),
                description=line.description,
                custom=dict(line.custom),
                serials=list(line.serials),
                source_line_id=line.pk,
            )
        )
        if kind != Kind.RETURN and not line.discount_percent and line.discount:
            inputs[-1].discount = line.discount
    if not inputs:
        raise SalesError(SalesErrorCode.RETURN_TOO_MUCH, line="—", left=0)
    values = {
        "identity_id": source.identity_id,
        "price_list_id": source.price_list_id,
        "warehouse_id": source.warehouse_id,
        "notes": source.notes,
        "assignee_id": source.assignee_id,
        "custom": dict(source.custom),
    }
    document = document_create(
        actor=actor, kind=kind, direction=source.direction, values=values, lines=inputs, source=source
    )
    audit_record(actor=actor, target=source, action="sales.document.issued", changes={"issued": [None, document.pk]})
    return document


def _share(line: DocumentLine, quantity: Decimal) -> Decimal:
    """The part of a line's discount amount that goes with `quantity` of it."""
    if not line.quantity:
        return Decimal(0)
    return money(line.discount * quantity / line.quantity)


# --- approval (SL-4) -------------------------------------------------------------------------


def _approvers(document: Document) -> list[Any]:
    from crm.org.models import Position
    from crm.org.selectors import users_holding_position

    positions = Position.objects.filter(
        active=True, permissions__codename="approve_document", permissions__content_type__app_label="sales"
    ).values_list("pk", flat=True)
    users: dict[int, Any] = {}
    for position_id in positions:
        for user in users_holding_position(position_id):
            if user.pk != document.created_by_id:
                users[user.pk] = user
    return list(users.values())


def _notify_values(document: Document, actor: Any, **extra: Any) -> Any:
    customer = Identity.all_objects.filter(pk=document.identity_id).values_list("display_name", flat=True).first()

    def values(user: Any) -> dict[str, Any]:
        return {
            "document": str(document),
            "customer": customer or "",
            "actor": (actor.get_full_name() or actor.username) if getattr(actor, "pk", None) else "",
            "total": format_number(document.total),
            **{k: str(v) for k, v in extra.items()},
        }

    return values


def _notify(users: list[Any], kind: str, document: Document, actor: Any, key: str, **extra: Any) -> None:
    users = [u for u in users if u is not None and getattr(u, "pk", None) != getattr(actor, "pk", None)]
    if not users:
        return
    notify(
        users=users,
        kind=kind,
        values=_notify_values(document, actor, **extra),
        dedupe_key=key,
        url=reverse("sales:document_detail", args=[document.pk]),
        item_type=ITEM_TYPE,
        item_id=document.pk,
    )


@transaction.atomic
def document_submit(*, actor: Any, document: Document, version: int | None = None) -> Document:
    """Ask for approval; a type without required approval is approved at once."""
    document = _locked(document)
    access.require_change_document(actor, document)
    _check_version(document, version)
    if document.status not in (Document.Status.DRAFT, Document.Status.REJECTED):
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=document.get_status_display())
    settings = document_settings_ensure(kind=document.kind, direction=document.direction)
    if not settings.approval_required:
        return _approve(actor, document)
    document.status, document.submitted_at = Document.Status.PENDING, timezone.now()
    document.save(update_fields=["status", "submitted_at", "updated_at"])
    DocumentEvent.objects.create(
        document=document, action=DocumentEvent.Action.SUBMITTED, actor=actor, version=document.version
    )
    audit_record(
        actor=actor, target=document, action="sales.document.submitted", changes={"status": ["draft", "pending"]}
    )
    _notify(
        _approvers(document), "sales.submitted", document, actor, f"sales-submitted:{document.pk}:v{document.version}"
    )
    return document


@transaction.atomic
def document_approve(*, actor: Any, document: Document, version: int | None = None, note: str = "") -> Document:
    """Approve a pending document (the version the approver saw). Handlers of `approved`
    (stock, money) run in this transaction: if one refuses, nothing is approved."""
    document = _locked(document)
    error = access.approve_error(actor, document)
    if error is not None:
        raise error
    _check_version(document, version)
    if document.status != Document.Status.PENDING:
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=document.get_status_display())
    return _approve(actor, document, note=note)


def _approve(actor: Any, document: Document, note: str = "") -> Document:
    if document.kind == Kind.RETURN:
        Document.objects.select_for_update().filter(pk=document.source_id).first()  # returns of one invoice queue
        built = [(line, None, False) for line in document.lines.all()]
        _check_return(document, built, approved_only=True)  # type: ignore[arg-type]
    was = document.status
    document.status = Document.Status.APPROVED
    document.approved_at, document.approved_by = timezone.now(), actor
    _number(document, "approve")
    document.save(update_fields=["status", "approved_at", "approved_by", "number", "updated_at"])
    DocumentEvent.objects.create(
        document=document, action=DocumentEvent.Action.APPROVED, actor=actor, version=document.version, note=note[:500]
    )
    audit_record(actor=actor, target=document, action="sales.document.approved", changes={"status": [was, "approved"]})
    events.document_event("approved", document=document, actor=actor)
    if document.kind == Kind.INVOICE and document.direction == Direction.SALE:
        from crm.identities.services import customer_number_give

        identity = Identity.all_objects.filter(pk=document.identity_id, customer_number__isnull=True).first()
        if identity is not None:
            customer_number_give(actor=actor, identity=identity, reason="sales_invoice")
    _history(actor, document)
    creator = document.created_by if document.created_by_id else None
    _notify([creator], "sales.approved", document, actor, f"sales-approved:{document.pk}:v{document.version}")
    return document


@transaction.atomic
def document_reject(*, actor: Any, document: Document, note: str = "", version: int | None = None) -> Document:
    document = _locked(document)
    error = access.approve_error(actor, document)
    if error is not None:
        raise error
    _check_version(document, version)
    if document.status != Document.Status.PENDING:
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=document.get_status_display())
    document.status = Document.Status.REJECTED
    document.save(update_fields=["status", "updated_at"])
    DocumentEvent.objects.create(
        document=document, action=DocumentEvent.Action.REJECTED, actor=actor, version=document.version, note=note[:500]
    )
    audit_record(
        actor=actor, target=document, action="sales.document.rejected", changes={"status": ["pending", "rejected"]}
    )
    creator = document.created_by if document.created_by_id else None
    _notify(
        [creator], "sales.rejected", document, actor, f"sales-rejected:{document.pk}:v{document.version}", note=note
    )
    return document


@transaction.atomic
def document_cancel(*, actor: Any, document: Document, note: str = "") -> Document:
    """Cancel a document. An approved one needs the approval right as well, and fires
    `cancelled` so stock and money reverse."""
    document = _locked(document)
    access.require_change_document(actor, document)
    was = document.status
    if was == Document.Status.APPROVED:
        error = access.approve_error(actor, document)
        if error is not None and error.code == SalesErrorCode.APPROVE_DENIED:
            raise error
        if Document.objects.filter(source=document).exclude(status=Document.Status.CANCELLED).exists():
            raise SalesError(SalesErrorCode.HAS_ISSUED)
    document.status = Document.Status.CANCELLED
    document.save(update_fields=["status", "updated_at"])
    DocumentEvent.objects.create(
        document=document, action=DocumentEvent.Action.CANCELLED, actor=actor, version=document.version, note=note[:500]
    )
    audit_record(
        actor=actor, target=document, action="sales.document.cancelled", changes={"status": [was, "cancelled"]}
    )
    if was == Document.Status.APPROVED:
        events.document_event("cancelled", document=document, actor=actor)
    _history(actor, document)
    return document


# --- the customer's link (SL-4) --------------------------------------------------------------


def customer_link_token(document: Document) -> str:
    return signing.Signer(salt=LINK_SALT, sep=".").sign(str(document.public_token))


def customer_link_unsign(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(signing.Signer(salt=LINK_SALT, sep=".").unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def customer_link_url(document: Document) -> str:
    from django.conf import settings

    path = reverse("sales_public:customer_document", args=[customer_link_token(document)])
    return f"{getattr(settings, 'CRM_PUBLIC_URL', '').rstrip('/')}{path}"


def _contact(identity_id: int, channel: str) -> str:
    from crm.identities.models import Email, Phone

    if channel == "email":
        row = Email.objects.filter(identity_id=identity_id).order_by("-is_primary", "id").first()
        return row.address if row else ""
    rows = Phone.objects.filter(identity_id=identity_id).order_by("-is_primary", "id")
    row = rows.filter(kind=Phone.Kind.MOBILE).first() or rows.first()
    return row.number if row else ""


def customer_message_text(document: Document) -> tuple[str, str]:
    """(subject, body) of the message that carries the link, in the active language."""
    subject = gettext("%(document)s from us") % {"document": document}
    body = gettext("Please review %(document)s (total %(total)s) and accept or decline it: %(link)s") % {
        "document": document,
        "total": format_number(document.total),
        "link": customer_link_url(document),
    }
    return subject, body


@transaction.atomic
def document_send_to_customer(*, actor: Any, document: Document, channel: str, address: str = "") -> Any:
    """Send the customer a link to the approved document by email or SMS (through
    messaging); returns the queued message."""
    if not (actor.is_superuser or actor.has_perm("sales.change_document") or actor.has_perm(access.CHANGE_ALL)):
        raise PermissionDeniedError()
    if channel not in ("email", "sms"):
        raise SalesError(SalesErrorCode.NO_CONTACT, channel=channel)
    if document.status != Document.Status.APPROVED:
        raise SalesError(SalesErrorCode.WRONG_STATUS, status=document.get_status_display())
    address = (address or "").strip() or _contact(document.identity_id, channel)
    if not address:
        raise SalesError(SalesErrorCode.NO_CONTACT, channel=channel)
    subject, body = customer_message_text(document)
    message = _queue_message(actor, document, channel=channel, address=address, subject=subject, body=body)
    DocumentEvent.objects.create(
        document=document,
        action=DocumentEvent.Action.SENT,
        actor=actor,
        version=document.version,
        note=f"{channel}: {address}"[:500],
    )
    audit_record(
        actor=actor, target=document, action="sales.document.sent", changes={"to": [None, f"{channel}:{address}"]}
    )
    return message


def _queue_message(actor: Any, document: Document, *, channel: str, address: str, subject: str, body: str) -> Any:
    """Queue through messaging's quick send (from the sender's default line or mailbox)."""
    try:
        from crm.messaging.quicksend import quick_send
    except ImportError:
        raise SalesError(SalesErrorCode.MESSAGING_UNAVAILABLE) from None
    sent = DocumentEvent.objects.filter(document=document, action=DocumentEvent.Action.SENT).count()
    messages = quick_send(
        actor=actor,
        channel=channel,
        addresses=[address],
        body=body,
        subject=subject if channel == "email" else "",
        is_html=False,
        dedupe_prefix=f"sales-doc:{document.pk}:v{document.version}:{sent}",
    )
    if not messages:
        raise SalesError(SalesErrorCode.NO_CONTACT, channel=channel)
    return messages[0]


@transaction.atomic
def customer_respond(*, token: uuid.UUID, accept: bool, note: str = "") -> Document:
    """The customer's answer from the link: once (the same answer again changes nothing;
    another answer is refused)."""
    document = Document.objects.select_for_update().filter(public_token=token).first()
    if document is None or document.status in (Document.Status.CANCELLED, Document.Status.REJECTED):
        raise SalesError(SalesErrorCode.LINK_EXPIRED)
    answer = Document.CustomerResponse.ACCEPTED if accept else Document.CustomerResponse.DECLINED
    if document.customer_response:
        if document.customer_response == answer:
            return document
        raise SalesError(SalesErrorCode.ALREADY_ANSWERED)
    if document.status != Document.Status.APPROVED:
        raise SalesError(SalesErrorCode.LINK_EXPIRED)
    if document.valid_until and document.valid_until < timezone.localdate():
        raise SalesError(SalesErrorCode.LINK_EXPIRED)
    document.customer_response, document.customer_response_at = answer, timezone.now()
    document.customer_response_note = (note or "").strip()[:500]
    document.save(update_fields=["customer_response", "customer_response_at", "customer_response_note", "updated_at"])
    action = DocumentEvent.Action.CUSTOMER_ACCEPTED if accept else DocumentEvent.Action.CUSTOMER_DECLINED
    DocumentEvent.objects.create(
        document=document, action=action, version=document.version, note=document.customer_response_note
    )
    audit_record(
        actor=None, target=document, action=f"sales.document.customer_{answer}", changes={"answer": [None, answer]}
    )
    _history(None, document)
    creator = [document.created_by] if document.created_by_id else []
    _notify(
        creator,
        "sales.customer_answered",
        document,
        None,
        f"sales-answer:{document.pk}",
        answer=Document.CustomerResponse(answer).label,
        note=document.customer_response_note,
    )
    return document
