"""Catalogue pages (SL-1, SL-10): products (list with filters, saved filters and export;
detail with prices; form), the product group tree, price lists (heading, fixed prices,
policies) and the price check. Products are readable by every staff user; writes need
the model permissions (checked again by the services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import custom_field_definitions, custom_value_display, custom_values_display
from crm.core.errors import ApplicationError
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.permissions.access import field_access, hidden_fields
from crm.core.web.admin_forms import bootstrapify
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.sales import catalogue
from crm.sales import catalogue_selectors as selectors
from crm.sales.models import PriceList, PriceListRule, Product
from crm.sales.pricing import prices_for
from crm.sales.web.catalogue_forms import (
    GroupForm,
    PriceCheckForm,
    PriceItemForm,
    PriceListForm,
    ProductFilterForm,
    ProductForm,
    RuleForm,
)

LIST_KEY = "products"
SORT_CHOICES = [
    ("name", gettext_lazy("Name")),
    ("code", gettext_lazy("Code")),
    ("price", gettext_lazy("Price, low to high")),
    ("-price", gettext_lazy("Price, high to low")),
    ("-id", gettext_lazy("Newest")),
]
FILTERABLE_CUSTOM = {"choice", "text"}
PRICE_LIST_VIEW = ("sales.view_pricelist", "sales.add_pricelist", "sales.change_pricelist")


def _staff(request: HttpRequest) -> None:
    if not request.user.is_active:
        raise PermissionDenied


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _can_view_price_lists(user: Any) -> bool:
    return any(user.has_perm(p) for p in PRICE_LIST_VIEW)


def _product_or_404(request: HttpRequest, pk: int) -> Product:
    product = selectors.product_get(pk, user=request.user)
    if product is None:
        raise Http404
    return product


# ---- products: list ---------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    form = ProductFilterForm(request.GET or None, groups=selectors.group_tree())
    hidden = hidden_fields(user, Product)
    definitions = [d for d in custom_field_definitions(model=Product) if f"custom.{d.key}" not in hidden]
    active = form.value("active") or "1"
    custom = []
    for d in definitions:
        raw = request.GET.get(f"cf_{d.key}", "").strip()
        if raw and d.kind in FILTERABLE_CUSTOM:
            custom.append((d, "contains" if d.kind == "text" else "eq", raw))
    sort = request.GET.get("sort") or "name"
    filters = selectors.ProductFilters(
        q=form.value("q") or "",
        group=form.value("group"),
        kind=form.value("kind") or "",
        tracking=form.value("tracking") or "",
        active=None if active == "all" else active == "1",
        custom=custom,
        sort=sort if sort in dict(SORT_CHOICES) else "name",
    )
    return {"form": form, "filters": filters, "hidden": hidden, "definitions": definitions, "sort": filters.sort}


def _export(request: HttpRequest, qs: Any, parsed: dict[str, Any]) -> HttpResponse:
    hidden = parsed["hidden"]
    columns = [
        (label, getter)
        for name, label, getter in (
            ("code", _("Code"), lambda p: p.code),
            ("name", _("Name"), lambda p: p.name),
            ("group", _("Group"), lambda p: p.group.name if p.group else ""),
            ("kind", _("Kind"), lambda p: p.get_kind_display()),
            ("tracking", _("Stock tracking"), lambda p: p.get_tracking_display()),
            ("unit", _("Unit"), lambda p: p.unit),
            ("purchase_cost", _("Purchase cost"), lambda p: p.purchase_cost),
            ("sale_price", _("Sale price"), lambda p: p.sale_price),
            ("commission_percent", _("Commission %"), lambda p: p.commission_percent),
            ("warranty_months", _("Warranty (months)"), lambda p: p.warranty_months),
            ("active", _("Active"), lambda p: _("yes") if p.active else _("no")),
        )
        if name not in hidden
    ]
    columns += [(d.label, lambda p, d=d: custom_value_display(d, p.custom.get(d.key))) for d in parsed["definitions"]]
    return export_response(
        fmt=request.GET["export"],
        rows=qs.iterator(chunk_size=2000),
        columns=columns,
        filename=LIST_KEY,
        rtl=request.LANGUAGE_CODE == "fa",
    )


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    parsed = _filters(request)
    qs = selectors.product_list_for_user(user=request.user, filters=parsed["filters"])
    can_export = request.user.has_perm("sales.view_product")
    if request.GET.get("export") in ("csv", "xlsx"):
        if not can_export:
            raise PermissionDenied
        return _export(request, qs, parsed)
    page = paginate(request, qs)
    more = ("tracking", "active")
    return render(
        request,
        "sales/catalogue/product_list.html",
        {
            **page,
            **parsed,
            "list_key": LIST_KEY,
            "saved_filters": saved_filters_for(user=request.user, list_key=LIST_KEY),
            "sort_choices": SORT_CHOICES,
            "filterable": [d for d in parsed["definitions"] if d.kind in FILTERABLE_CUSTOM],
            "more_open": any(request.GET.get(n) for n in more)
            or any(k.startswith("cf_") and v for k, v in request.GET.items()),
            "can_export": can_export,
        },
    )


@login_required
def product_search(request: HttpRequest) -> HttpResponse:
    """Live product search (htmx fragment): code or Persian-aware name."""
    _staff(request)
    text = request.GET.get("q", "")[:100]
    results = selectors.product_search(text, limit=15) if text.strip() else []
    return render(request, "sales/catalogue/product_search.html", {"results": results, "q": text})


# ---- products: detail and form -------------------------------------------------------------------


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    product = _product_or_404(request, pk)
    hidden = hidden_fields(request.user, Product)
    form = PriceCheckForm(request.GET or None)
    on = (form.is_valid() and form.cleaned_data.get("on")) or timezone.localdate()
    return render(
        request,
        "sales/catalogue/product_detail.html",
        {
            "product": product,
            "hidden": hidden,
            "trail": selectors.group_trail(product.group),
            "custom_values": custom_values_display(obj=product, hidden=hidden),
            "prices": selectors.price_check(product=product, on=on) if _can_view_price_lists(request.user) else [],
            "price_form": form,
            "on": on,
            "history": audit_entries_for(target=product, hidden=hidden),
        },
    )


def _product_initial(product: Product | None) -> dict[str, Any]:
    if product is None:
        return {}
    names = [n for n in ProductForm.base_fields if n != "group"]
    return {**{n: getattr(product, n) for n in names}, "group": product.group_id}


@login_required
def product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    product = _product_or_404(request, pk) if pk else None
    _require(request, "sales.change_product" if product else "sales.add_product")
    access = field_access(request.user, Product)
    hidden = {n for n, level in access.items() if level == "hidden"}
    form = ProductForm(
        request.POST or None, initial=_product_initial(product), groups=selectors.group_tree(), hidden=hidden
    )
    for name, level in access.items():
        if level == "view" and name in form.fields:
            form.fields[name].disabled = True
    add_custom_fields(form, model=Product, values=product.custom if product else None, access=access)
    bootstrapify(form)  # the custom fields too
    if request.method == "POST" and form.is_valid():
        values = {
            n: v for n, v in form.cleaned_data.items() if n in catalogue.PRODUCT_FIELDS and not form.fields[n].disabled
        }
        for key in ("purchase_cost", "commission_percent"):
            if key in values and values[key] is None:
                values[key] = Decimal(0)
        values["warranty_months"] = values.get("warranty_months") or 0
        try:
            custom = custom_data_from_form(form)
            if product is None:
                product = catalogue.product_create(actor=request.user, custom=custom, **values)
            else:
                catalogue.product_update(actor=request.user, product=product, custom=custom, **values)
        except ApplicationError as exc:
            error_to_form(form, exc, prefix="cf_")
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:product_detail", product.pk)
    return render(request, "sales/catalogue/product_form.html", {"form": form, "product": product})


@login_required
@require_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "sales.delete_product")
    product = _product_or_404(request, pk)
    try:
        catalogue.product_delete(actor=request.user, product=product)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("sales:product_detail", product.pk)
    messages.success(request, _("The product “%(name)s” was deleted.") % {"name": product.name})
    return redirect("sales:product_list")


# ---- groups ------------------------------------------------------------------------------------


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    groups = list(selectors.group_tree())
    counts = selectors.group_product_counts()
    for group in groups:
        group.indent = range(group.depth)
        group.product_count = counts.get(group.pk, 0)
    return render(request, "sales/catalogue/group_list.html", {"groups": groups})


@login_required
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    group = selectors.group_get(pk) if pk else None
    if pk and group is None:
        raise Http404
    _require(request, "sales.change_productgroup" if group else "sales.add_productgroup")
    parents = selectors.group_tree()
    if group is not None:
        parents = parents.exclude(path__startswith=group.path)
    initial = {"name": group.name, "parent": group.parent_id} if group else {"parent": request.GET.get("parent")}
    form = GroupForm(request.POST or None, initial=initial, groups=parents)
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.product_group_save(
                actor=request.user, group=group, name=form.cleaned_data["name"], parent=form.cleaned_data["parent"]
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:group_list")
    return render(request, "sales/catalogue/group_form.html", {"form": form, "group": group})


@login_required
@require_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "sales.delete_productgroup")
    group = selectors.group_get(pk)
    if group is None:
        raise Http404
    try:
        catalogue.product_group_delete(actor=request.user, group=group)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The group “%(name)s” was deleted.") % {"name": group.name})
    return redirect("sales:group_list")


# ---- price lists -------------------------------------------------------------------------------


def _price_list_or_404(request: HttpRequest, pk: int) -> PriceList:
    if not _can_view_price_lists(request.user):
        raise PermissionDenied
    price_list = selectors.pricelist_get(pk)
    if price_list is None:
        raise Http404
    return price_list


@login_required
def pricelist_list(request: HttpRequest) -> HttpResponse:
    if not _can_view_price_lists(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    lists = list(selectors.pricelist_list_with_counts())
    for price_list in lists:
        price_list.valid_today = selectors.price_list_valid_on(price_list, today)
    return render(request, "sales/catalogue/pricelist_list.html", {"price_lists": lists, "today": today})


@login_required
def pricelist_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    price_list = _price_list_or_404(request, pk) if pk else None
    _require(request, "sales.change_pricelist" if price_list else "sales.add_pricelist")
    initial = {}
    if price_list is not None:
        initial = {n: getattr(price_list, n) for n in catalogue.PRICE_LIST_FIELDS}
        initial["customer_classes"] = ", ".join(price_list.customer_classes or [])
    form = PriceListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            price_list = catalogue.price_list_save(actor=request.user, price_list=price_list, **form.cleaned_data)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:pricelist_detail", price_list.pk)
    return render(request, "sales/catalogue/pricelist_form.html", {"form": form, "price_list": price_list})


@login_required
def pricelist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    q = request.GET.get("q", "")[:100]
    page = paginate(request, selectors.pricelist_items(price_list, q=q))
    rules = list(selectors.pricelist_rules(price_list))
    return render(
        request,
        "sales/catalogue/pricelist_detail.html",
        {
            **page,
            "price_list": price_list,
            "q": q,
            "rules": rules,
            "rule_form": RuleForm(groups=selectors.group_tree()),
            "can_change": request.user.has_perm("sales.change_pricelist"),
            "valid_today": selectors.price_list_valid_on(price_list, timezone.localdate()),
        },
    )


@login_required
def pricelist_product_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Products to add to the list (htmx), each with the price the list gives it now."""
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.change_pricelist")
    text = request.GET.get("product_q", "")[:100]
    results = selectors.product_search(text, limit=10) if text.strip() else []
    prices = prices_for(price_list=price_list, products=results, on=timezone.localdate())
    rows = [(p, prices.get(p.pk, p.sale_price)) for p in results]
    return render(
        request,
        "sales/catalogue/pricelist_detail.html#search-results",
        {"price_list": price_list, "search_rows": rows, "product_q": text},
    )


@login_required
@require_POST
def pricelist_item_save(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.change_pricelist")
    form = PriceItemForm(request.POST)
    product = selectors.product_get(form.cleaned_data["product"], user=request.user) if form.is_valid() else None
    if product is None:
        messages.error(request, _("Choose a product and enter a valid price."))
    else:
        try:
            catalogue.price_list_item_set(
                actor=request.user, price_list=price_list, product=product, price=form.cleaned_data["price"]
            )
        except ApplicationError as exc:
            error_to_message(request, exc)
        else:
            messages.success(request, _("The price of “%(name)s” was saved.") % {"name": product.name})
    return redirect("sales:pricelist_detail", price_list.pk)


@login_required
@require_POST
def pricelist_item_delete(request: HttpRequest, pk: int, product_id: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.change_pricelist")
    product = selectors.product_get(product_id, user=request.user)
    if product is None:
        raise Http404
    try:
        catalogue.price_list_item_remove(actor=request.user, price_list=price_list, product=product)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("sales:pricelist_detail", price_list.pk)


@login_required
@require_POST
def pricelist_rule_save(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.change_pricelist")
    form = RuleForm(request.POST, groups=selectors.group_tree())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("sales:pricelist_detail", price_list.pk)
    data = form.cleaned_data
    product = None
    if data["target"] == "product":
        product = selectors.product_get(code=data["product_code"])
        if product is None:
            messages.error(request, _("No product has the code “%(code)s”.") % {"code": data["product_code"]})
            return redirect("sales:pricelist_detail", price_list.pk)
    try:
        catalogue.price_list_rule_save(
            actor=request.user,
            price_list=price_list,
            method=data["method"],
            value=data["value"],
            group=data["group"] if data["target"] == "group" else None,
            product=product,
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The policy was added."))
    return redirect("sales:pricelist_detail", price_list.pk)


@login_required
@require_POST
def pricelist_rule_delete(request: HttpRequest, pk: int, rule_id: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.change_pricelist")
    rule = PriceListRule.objects.filter(pk=rule_id, price_list=price_list).first()
    if rule is None:
        raise Http404
    try:
        catalogue.price_list_rule_delete(actor=request.user, price_list=price_list, rule=rule)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("sales:pricelist_detail", price_list.pk)


@login_required
@require_POST
def pricelist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    _require(request, "sales.delete_pricelist")
    try:
        catalogue.price_list_delete(actor=request.user, price_list=price_list)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("sales:pricelist_detail", price_list.pk)
    messages.success(request, _("The price list “%(name)s” was deleted.") % {"name": price_list.name})
    return redirect("sales:pricelist_list")


@login_required
def price_check(request: HttpRequest) -> HttpResponse:
    """A product's price under every list, for the products matching the text."""
    _staff(request)
    form = PriceCheckForm(request.GET or None)
    valid = form.is_valid()
    on = (valid and form.cleaned_data.get("on")) or timezone.localdate()
    text = (valid and form.cleaned_data.get("q")) or ""
    products = selectors.product_search(text, limit=10) if text.strip() else []
    lists = list(selectors.pricelist_list())
    matrix = selectors.price_matrix(products=products, price_lists=lists, on=on)
    return render(
        request,
        "sales/catalogue/price_check.html",
        {"form": form, "products": products, "price_lists": lists, "matrix": matrix, "on": on, "q": text},
    )


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("products/new/", product_edit, name="product_create"),
    path("products/search/", product_search, name="product_search"),
    path("products/<int:pk>/", product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
    path("products/<int:pk>/delete/", product_delete, name="product_delete"),
    path("product-groups/", group_list, name="group_list"),
    path("product-groups/new/", group_edit, name="group_create"),
    path("product-groups/<int:pk>/", group_edit, name="group_edit"),
    path("product-groups/<int:pk>/delete/", group_delete, name="group_delete"),
    path("price-lists/", pricelist_list, name="pricelist_list"),
    path("price-lists/new/", pricelist_edit, name="pricelist_create"),
    path("price-lists/<int:pk>/", pricelist_detail, name="pricelist_detail"),
    path("price-lists/<int:pk>/edit/", pricelist_edit, name="pricelist_edit"),
    path("price-lists/<int:pk>/delete/", pricelist_delete, name="pricelist_delete"),
    path("price-lists/<int:pk>/products/", pricelist_product_search, name="pricelist_product_search"),
    path("price-lists/<int:pk>/items/", pricelist_item_save, name="pricelist_item_save"),
    path("price-lists/<int:pk>/items/<int:product_id>/delete/", pricelist_item_delete, name="pricelist_item_delete"),
    path("price-lists/<int:pk>/rules/", pricelist_rule_save, name="pricelist_rule_save"),
    path("price-lists/<int:pk>/rules/<int:rule_id>/delete/", pricelist_rule_delete, name="pricelist_rule_delete"),
    path("price-check/", price_check, name="price_check"),
]
