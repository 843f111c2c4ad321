"""Writes of the product catalogue and price lists (SL-1, SL-10): groups (a tree of any
depth), products and services (with custom fields), price lists with their items (fixed
prices) and rules (policies). Each service checks the actor's permission, runs in one
transaction and is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from crm.core.audit.services import audit_record, soft_delete, tracked_create, tracked_update
from crm.core.customfields.services import custom_values_apply, custom_values_audit
from crm.core.i18n.digits import to_latin_digits
from crm.core.permissions.access import require_perm
from crm.core.tree import tree_move, tree_place
from crm.sales.catalogue_errors import CatalogueError, CatalogueErrorCode
from crm.sales.catalogue_selectors import group_usage, product_name_key
from crm.sales.models import Document, PriceList, PriceListItem, PriceListRule, Product, ProductGroup

PRODUCT_FIELDS = (
    "code",
    "name",
    "group",
    "kind",
    "tracking",
    "unit",
    "purchase_cost",
    "sale_price",
    "commission_percent",
    "warranty_months",
    "tax_exempt",
    "description",
    "active",
)
PRICE_LIST_FIELDS = ("name", "code", "customer_classes", "valid_from", "valid_to", "priority", "is_default", "active")


# --- groups -----------------------------------------------------------------------------------


@transaction.atomic
def product_group_save(
    *, actor: Any, group: ProductGroup | None = None, name: str, parent: ProductGroup | None = None
) -> ProductGroup:
    """Create a group, or rename/move one (its subtree moves with it)."""
    require_perm(actor, "sales.change_productgroup" if group else "sales.add_productgroup")
    name = (name or "").strip()
    if not name:
        raise CatalogueError(CatalogueErrorCode.NAME_REQUIRED, fields={"name": "required"})
    if group is None:
        group = ProductGroup.objects.create(name=name[:150], parent=parent)
        tree_place(group)
        audit_record(actor=actor, target=group, action="productgroup.created", changes={"name": [None, group.name]})
        return group
    group = ProductGroup.objects.select_for_update().get(pk=group.pk)
    if parent is not None and (parent.pk == group.pk or parent.path.startswith(group.path)):
        raise CatalogueError(CatalogueErrorCode.GROUP_CYCLE, fields={"parent": "cycle"})
    old_path = group.path
    tracked_update(obj=group, actor=actor, name=name[:150], parent=parent)
    tree_move(group, old_path)
    return group


@transaction.atomic
def product_group_delete(*, actor: Any, group: ProductGroup) -> None:
    """Only an unused group: no subgroups, no products (deleted ones too), no price rules."""
    require_perm(actor, "sales.delete_productgroup")
    if any(group_usage(group).values()):
        raise CatalogueError(CatalogueErrorCode.GROUP_IN_USE)
    audit_record(actor=actor, target=group, action="productgroup.deleted", changes={"name": [group.name, None]})
    group.delete()


# --- products ---------------------------------------------------------------------------------


def _clean_product(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k in PRODUCT_FIELDS}
    for key in ("code", "name", "unit"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "code" in out:
        out["code"] = to_latin_digits(out["code"])[:40]
        if not out["code"]:
            raise CatalogueError(CatalogueErrorCode.CODE_REQUIRED, fields={"code": "required"})
    if "name" in out and not out["name"]:
        raise CatalogueError(CatalogueErrorCode.NAME_REQUIRED, fields={"name": "required"})
    for key in ("purchase_cost", "sale_price", "commission_percent"):
        if key in out:
            out[key] = Decimal(out[key] if out[key] not in (None, "") else 0)
            if out[key] < 0:
                raise CatalogueError(CatalogueErrorCode.NEGATIVE_AMOUNT, fields={key: "negative"})
    if out.get("commission_percent", 0) > 100:
        raise CatalogueError(CatalogueErrorCode.PERCENT_RANGE, fields={"commission_percent": "range"})
    if "warranty_months" in out:
        out["warranty_months"] = max(0, int(out["warranty_months"] or 0))
    if out.get("kind") == Product.Kind.SERVICE:
        out["tracking"] = Product.Tracking.NONE  # a service is never stocked
    return out


def _code_free(code: str, exclude: int | None = None) -> None:
    qs = Product.all_objects.filter(code__iexact=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise CatalogueError(CatalogueErrorCode.CODE_TAKEN, value=code, fields={"code": "taken"})


@transaction.atomic
def product_create(*, actor: Any, custom: dict[str, Any] | None = None, **values: Any) -> Product:
    require_perm(actor, "sales.add_product")
    fields = _clean_product({"code": "", "name": "", **values})
    _code_free(fields["code"])
    product = Product(**fields)
    product.name_key = product_name_key(product.name)
    product.created_by = actor if getattr(actor, "is_authenticated", False) else None
    if custom:
        custom_values_apply(obj=product, data=custom)
    try:
        with transaction.atomic():
            tracked_create(obj=product, actor=actor)
    except IntegrityError as exc:  # a concurrent create took the code
        raise CatalogueError(CatalogueErrorCode.CODE_TAKEN, value=fields["code"], fields={"code": "taken"}) from exc
    return product


@transaction.atomic
def product_update(
    *, actor: Any, product: Product, custom: dict[str, Any] | None = None, partial_custom: bool = True, **values: Any
) -> Product:
    require_perm(actor, "sales.change_product")
    product = Product.all_objects.select_for_update().get(pk=product.pk)
    fields = _clean_product(values)
    if "code" in fields and fields["code"] != product.code:
        _code_free(fields["code"], exclude=product.pk)
    if "name" in fields:
        fields["name_key"] = product_name_key(fields["name"])
    if fields.get("kind", product.kind) == Product.Kind.SERVICE:
        fields["tracking"] = Product.Tracking.NONE
    tracked_update(obj=product, actor=actor, **fields)
    if custom is not None:
        before = dict(product.custom)
        custom_values_apply(obj=product, data=custom, partial=partial_custom)
        if product.custom != before:
            product.save(update_fields=["custom", "updated_at"])
            custom_values_audit(actor=actor, obj=product, before=before, after=product.custom)
    return product


def product_delete(*, actor: Any, product: Product) -> None:
    """Soft delete: documents keep their lines; the product leaves lists and the picker."""
    require_perm(actor, "sales.delete_product")
    soft_delete(obj=product, actor=actor)


# --- price lists ------------------------------------------------------------------------------


def _clean_price_list(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k in PRICE_LIST_FIELDS}
    if "name" in out:
        out["name"] = (out["name"] or "").strip()[:150]
        if not out["name"]:
            raise CatalogueError(CatalogueErrorCode.NAME_REQUIRED, fields={"name": "required"})
    if "code" in out:
        out["code"] = (out["code"] or "").strip()[:40]
        if not out["code"]:
            raise CatalogueError(CatalogueErrorCode.CODE_REQUIRED, fields={"code": "required"})
    if "customer_classes" in out:
        raw = out["customer_classes"] or []
        if isinstance(raw, str):
            raw = raw.replace("،", ",").split(",")
        out["customer_classes"] = sorted({to_latin_digits(str(c)).strip().upper() for c in raw if str(c).strip()})
    start, end = out.get("valid_from"), out.get("valid_to")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        raise CatalogueError(CatalogueErrorCode.PRICE_LIST_DATES, fields={"valid_to": "before start"})
    return out


def _price_list_code_free(code: str, exclude: int | None = None) -> None:
    qs = PriceList.objects.filter(code=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise CatalogueError(CatalogueErrorCode.PRICE_LIST_CODE_TAKEN, value=code, fields={"code": "taken"})


@transaction.atomic
def price_list_save(*, actor: Any, price_list: PriceList | None = None, **values: Any) -> PriceList:
    """Create a list or change its heading (name, classes, dates, priority, flags)."""
    require_perm(actor, "sales.change_pricelist" if price_list else "sales.add_pricelist")
    fields = _clean_price_list(values)
    if price_list is None:
        fields = _clean_price_list({"name": "", "code": "", **fields})
        _price_list_code_free(fields["code"])
        price_list = tracked_create(obj=PriceList(**fields), actor=actor)  # type: ignore[assignment]
    else:
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        merged = _clean_price_list({"valid_from": price_list.valid_from, "valid_to": price_list.valid_to, **fields})
        fields = {k: merged[k] for k in fields}
        if "code" in fields and fields["code"] != price_list.code:
            _price_list_code_free(fields["code"], exclude=price_list.pk)
        tracked_update(obj=price_list, actor=actor, **fields)
    if price_list.is_default:  # one default list
        PriceList.objects.filter(is_default=True).exclude(pk=price_list.pk).update(is_default=False)
    return price_list


@transaction.atomic
def price_list_delete(*, actor: Any, price_list: PriceList) -> None:
    require_perm(actor, "sales.delete_pricelist")
    if Document.all_objects.filter(price_list=price_list).exists():
        raise CatalogueError(CatalogueErrorCode.PRICE_LIST_IN_USE)
    audit_record(actor=actor, target=price_list, action="pricelist.deleted", changes={"name": [price_list.name, None]})
    price_list.delete()


@transaction.atomic
def price_list_item_set(*, actor: Any, price_list: PriceList, product: Product, price: Decimal) -> PriceListItem:
    """Set (or change) the fixed price of a product in the list."""
    require_perm(actor, "sales.change_pricelist")
    price = Decimal(price)
    if price < 0:
        raise CatalogueError(CatalogueErrorCode.NEGATIVE_AMOUNT, fields={"price": "negative"})
    item, created = PriceListItem.objects.select_for_update().get_or_create(
        price_list=price_list, product=product, defaults={"price": price}
    )
    if created or item.price != price:
        audit_record(
            actor=actor,
            target=price_list,
            action="pricelist.item_set",
            changes={f"item.{product.code}": [None if created else str(item.price), str(price)]},
        )
    if not created and item.price != price:
        item.price = price
        item.save(update_fields=["price"])
    return item


@transaction.atomic
def price_list_items_set(*, actor: Any, price_list: PriceList, prices: dict[int, Decimal]) -> int:
    """Many fixed prices at once {product id: price}; returns how many changed."""
    require_perm(actor, "sales.change_pricelist")
    products = Product.objects.in_bulk(list(prices))
    changed = 0
    for product_id, price in prices.items():
        product = products.get(product_id)
        if product is None:
            continue
        before = PriceListItem.objects.filter(price_list=price_list, product=product).values_list("price", flat=True)
        old = next(iter(before), None)
        if old != Decimal(price):
            price_list_item_set(actor=actor, price_list=price_list, product=product, price=Decimal(price))
            changed += 1
    return changed


@transaction.atomic
def price_list_item_remove(*, actor: Any, price_list: PriceList, product: Product) -> None:
    require_perm(actor, "sales.change_pricelist")
    item = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    if item is None:
        raise CatalogueError(CatalogueErrorCode.NOT_IN_LIST)
    audit_record(
        actor=actor,
        target=price_list,
        action="pricelist.item_removed",
        changes={f"item.{product.code}": [str(item.price), None]},
    )
    item.delete()


def _clean_rule(method: str, value: Any, group: ProductGroup | None, product: Product | None) -> Decimal:
    if method not in PriceListRule.Method.values:
        raise CatalogueError(CatalogueErrorCode.RULE_METHOD, fields={"method": "invalid"})
    if group is not None and product is not None:
        raise CatalogueError(CatalogueErrorCode.RULE_TARGET, fields={"group": "both"})
    value = Decimal(value)
    if value < 0:
        raise CatalogueError(CatalogueErrorCode.NEGATIVE_AMOUNT, fields={"value": "negative"})
    if method == PriceListRule.Method.PERCENT_DOWN and value > 100:
        raise CatalogueError(CatalogueErrorCode.PERCENT_RANGE, fields={"value": "range"})
    return value


def _rule_label(rule: PriceListRule) -> dict[str, Any]:
    target = f"product:{rule.product_id}" if rule.product_id else f"group:{rule.group_id}" if rule.group_id else "all"
    return {"target": target, "method": rule.method, "value": str(rule.value)}


@transaction.atomic
def price_list_rule_save(
    *,
    actor: Any,
    price_list: PriceList,
    rule: PriceListRule | None = None,
    method: str,
    value: Decimal,
    group: ProductGroup | None = None,
    product: Product | None = None,
) -> PriceListRule:
    """Add a policy to the list, or change one of its policies."""
    require_perm(actor, "sales.change_pricelist")
    value = _clean_rule(method, value, group, product)
    before = _rule_label(rule) if rule else None
    if rule is None:
        rule = PriceListRule.objects.create(
            price_list=price_list, method=method, value=value, group=group, product=product
        )
    else:
        rule = PriceListRule.objects.select_for_update().get(pk=rule.pk, price_list=price_list)
        rule.method, rule.value, rule.group, rule.product = method, value, group, product
        rule.save(update_fields=["method", "value", "group", "product"])
    audit_record(
        actor=actor,
        target=price_list,
        action="pricelist.rule_saved",
        changes={f"rule.{rule.pk}": [before, _rule_label(rule)]},
    )
    return rule


@transaction.atomic
def price_list_rule_delete(*, actor: Any, price_list: PriceList, rule: PriceListRule) -> None:
    require_perm(actor, "sales.change_pricelist")
    if rule.price_list_id != price_list.pk:
        raise CatalogueError(CatalogueErrorCode.RULE_TARGET)
    audit_record(
        actor=actor,
        target=price_list,
        action="pricelist.rule_deleted",
        changes={f"rule.{rule.pk}": [_rule_label(rule), None]},
    )
    rule.delete()
