"""Stock pages under /stock/: the stock report, movements (list, new receipt / issue /
transfer / adjustment, detail, reversal), the movement report with running balances,
serial numbers with their warranty, warehouses with their access, reorder levels and
purchase requests, and the htmx search boxes for products and identities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.errors import ApplicationError
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.timeline.registry import row_ids
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_quick_search
from crm.inventory import selectors, services
from crm.inventory.access import can_move, move_kinds_for, uses_any_warehouse
from crm.inventory.models import MoveKind, PurchaseRequest, StockMove
from crm.inventory.web import forms as f


def _require_stock_user(request: HttpRequest) -> None:
    if not uses_any_warehouse(request.user):
        raise PermissionDenied


def _found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


def _identity_names(user: Any, ids: Any) -> dict[int, str]:
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return {}
    return {i.pk: str(i) for i in identity_base_for_user(user=user).filter(pk__in=wanted)}


# --- stock report --------------------------------------------------------------------------


def _report_filters(form: f.StockReportForm) -> selectors.ReportFilters:
    warehouse, group = form.value("warehouse"), form.value("group")
    return selectors.ReportFilters(
        warehouse_id=warehouse.pk if warehouse else None,
        group_id=group.pk if group else None,
        below_reorder=bool(form.value("below")),
        search=form.value("q") or "",
        in_stock_only=bool(form.value("in_stock")),
    )


@login_required
def stock_report(request: HttpRequest) -> HttpResponse:
    _require_stock_user(request)
    user = request.user
    all_warehouses = selectors.warehouse_list_for_user(user=user)
    form = f.StockReportForm(request.GET or None, warehouses=list(all_warehouses))
    filters = _report_filters(form)
    warehouses = selectors.report_warehouses(user=user, warehouse_id=filters.warehouse_id)
    if request.GET.get("export") in ("csv", "xlsx"):
        return _stock_export(request, filters, warehouses)
    products = selectors.stock_report_products(user=user, filters=filters, warehouses=warehouses)
    page = paginate(request, products)
    rows = selectors.stock_report_rows(products=page["rows"], warehouses=warehouses)
    return render(
        request,
        "inventory/stock_report.html",
        {
            **page,
            "rows": rows,
            "form": form,
            "warehouses": warehouses,
            "list_key": "inventory.stock",
            "saved_filters": saved_filters_for(user=user, list_key="inventory.stock"),
            "can_reorder": user.has_perm("inventory.change_stocklevel"),
        },
    )


@login_required
def stock_totals(request: HttpRequest) -> HttpResponse:
    """The report's totals, loaded after the page (they read every level of the warehouses)."""
    _require_stock_user(request)
    form = f.StockReportForm(request.GET or None, warehouses=list(selectors.warehouse_list_for_user(user=request.user)))
    warehouses = selectors.report_warehouses(user=request.user, warehouse_id=_report_filters(form).warehouse_id)
    totals = selectors.stock_report_totals(warehouses=warehouses)
    return render(request, "inventory/stock_totals.html", {"totals": totals})


def _stock_export(request: HttpRequest, filters: selectors.ReportFilters, warehouses: list[Any]) -> HttpResponse:
    rows = selectors.stock_report_export(user=request.user, filters=filters, warehouses=warehouses)
    columns: list[tuple[str, Any]] = [
        (_("Code"), lambda r: r[0][1]),
        (_("Product"), lambda r: r[0][2]),
        (_("Unit"), lambda r: r[0][3]),
    ]
    for index, warehouse in enumerate(warehouses):
        columns.append((warehouse.name, lambda r, i=index: r[1][i]))
    columns.append((_("Total"), lambda r: r[2]))
    return export_response(
        fmt=request.GET["export"], rows=rows, columns=columns, filename="stock", rtl=get_language() == "fa"
    )


# --- movements -----------------------------------------------------------------------------


@login_required
def move_list(request: HttpRequest) -> HttpResponse:
    _require_stock_user(request)
    user = request.user
    warehouses = list(selectors.warehouse_list_for_user(user=user))
    form = f.MoveFilterForm(request.GET or None, warehouses=warehouses)
    warehouse = form.value("warehouse")
    qs = selectors.move_list_for_user(
        user=user,
        kind=form.value("kind") or "",
        warehouse_id=warehouse.pk if warehouse else None,
        number=form.value("number") or "",
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
    )
    page = paginate(request, qs)
    names = _identity_names(user, [m.identity_id for m in page["rows"]])
    for move in page["rows"]:
        move.identity_name = names.get(move.identity_id, "")
    return render(
        request,
        "inventory/move_list.html",
        {**page, "form": form, "kinds": [(k, MoveKind(k).label) for k in move_kinds_for(user)]},
    )


def _move_lines(formset: Any) -> list[services.LineIn]:
    lines = []
    for line_form in formset.forms:
        line = line_form.line() if line_form.is_valid() else None
        if line is not None:
            lines.append(services.LineIn(product_id=line[0], quantity=line[1], serials=line[2]))
    return lines


@login_required
def move_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in MoveKind.values:
        raise Http404
    user = request.user
    warehouses = [w for w in selectors.warehouse_list_for_user(user=user, active_only=True) if can_move(user, kind, w)]
    if not warehouses:
        raise PermissionDenied
    form = f.MoveForm(request.POST or None, user=user, kind=kind, warehouses=warehouses)
    formset = f.move_line_formset(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = _move_lines(formset)
        if not lines:
            form.add_error(None, _("Add at least one product."))
        else:
            data = form.cleaned_data
            identity = data.get("identity")
            try:
                move = services.stock_move_create(
                    actor=user,
                    kind=kind,
                    warehouse=data["warehouse"],
                    to_warehouse=data.get("to_warehouse"),
                    moved_on=data["moved_on"],
                    identity_id=identity.pk if identity else None,
                    notes=data["notes"],
                    lines=lines,
                )
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("%(move)s recorded.") % {"move": move})
                return redirect("inventory:move_detail", move.pk)
    return render(
        request,
        "inventory/move_form.html",
        {"form": form, "formset": formset, "kind": kind, "title": MoveKind(kind).label},
    )


@login_required
def move_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    move = _found(selectors.move_get_for_user(user=user, pk=pk))
    lines = selectors.move_lines(move=move)
    names = _identity_names(user, [move.identity_id])
    reversal = StockMove.objects.filter(reversal_of=move).first()
    return render(
        request,
        "inventory/move_detail.html",
        {
            "move": move,
            "lines": lines,
            "identity_name": names.get(move.identity_id, ""),
            "reversal": reversal,
            "can_reverse": move.status == StockMove.Status.DONE
            and move.reversal_of_id is None
            and user.has_perm("inventory.reverse_stockmove")
            and can_move(user, move.kind, move.warehouse),
            "history": audit_entries_for(target=move),
        },
    )


@login_required
@require_POST
def move_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    move = _found(selectors.move_get_for_user(user=request.user, pk=pk))
    try:
        reversal = services.stock_move_reverse(actor=request.user, move=move, note=request.POST.get("note", "")[:500])
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("inventory:move_detail", move.pk)
    messages.success(request, _("%(move)s reversed.") % {"move": move})
    return redirect("inventory:move_detail", reversal.pk)


# --- movement report -----------------------------------------------------------------------


@login_required
def movement_report(request: HttpRequest) -> HttpResponse:
    _require_stock_user(request)
    user = request.user
    warehouses = list(selectors.warehouse_list_for_user(user=user))
    form = f.MovementReportForm(request.GET or None, warehouses=warehouses)
    product, warehouse = form.value("product"), form.value("warehouse")
    filters = selectors.MovementFilters(
        product_id=product.pk if product else None,
        warehouse_id=warehouse.pk if warehouse else None,
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
    )
    qs, opening = selectors.movement_report(user=user, filters=filters)
    page = paginate(request, qs, per_page=100)
    for line in page["rows"]:
        line.balance = opening.get(line.product_id, Decimal(0)) + line.running
        line.out_quantity = -line.quantity
    return render(
        request,
        "inventory/movement_report.html",
        {**page, "form": form, "opening": opening, "product": product, "warehouse": warehouse},
    )


# --- serials -------------------------------------------------------------------------------


@login_required
def serial_list(request: HttpRequest) -> HttpResponse:
    _require_stock_user(request)
    user = request.user
    form = f.SerialFilterForm(request.GET or None)
    qs = selectors.serial_list_for_user(user=user, search=form.value("q") or "", status=form.value("status") or "")
    page = paginate(request, qs)
    names = _identity_names(user, [s.identity_id for s in page["rows"]])
    for serial in page["rows"]:
        serial.identity_name = names.get(serial.identity_id, "")
    return render(request, "inventory/serial_list.html", {**page, "form": form})


# --- warehouses ----------------------------------------------------------------------------


@login_required
def warehouse_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (uses_any_warehouse(user) or user.has_perm("inventory.add_warehouse")):
        raise PermissionDenied
    rows = list(selectors.warehouse_list_for_user(user=user).prefetch_related("access"))
    return render(request, "inventory/warehouse_list.html", {"rows": rows})


@login_required
def warehouse_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    warehouse = _found(selectors.warehouse_get_for_user(user=user, pk=pk)) if pk else None
    if not user.has_perm("inventory.change_warehouse" if warehouse else "inventory.add_warehouse"):
        raise PermissionDenied
    form = f.WarehouseForm(request.POST or None, instance=warehouse)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.warehouse_save(actor=user, warehouse=warehouse, values=form.values())
            services.warehouse_access_set(actor=user, warehouse=saved, grants=form.grants())
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Warehouse saved."))
            return redirect("inventory:warehouse_list")
    title = str(warehouse) if warehouse else _("New warehouse")
    return render(
        request,
        "inventory/warehouse_form.html",
        {
            "form": form,
            "object": warehouse,
            "title": title,
            "history": audit_entries_for(target=warehouse) if warehouse else [],
        },
    )


# --- reorder levels and purchase requests --------------------------------------------------


@login_required
def reorder_edit(request: HttpRequest, product_id: int, warehouse_id: int) -> HttpResponse:
    user = request.user
    if not user.has_perm("inventory.change_stocklevel"):
        raise PermissionDenied
    warehouse = _found(selectors.warehouse_get_for_user(user=user, pk=warehouse_id))
    product = _found(selectors.stocked_products().filter(pk=product_id).first())
    level = selectors.stock_levels_for_user(user=user, warehouse_id=warehouse.pk, product_id=product.pk).first()
    initial = {"level": level.reorder_level, "quantity": level.reorder_quantity} if level else {}
    form = f.ReorderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reorder_level_set(
                actor=user,
                product=product,
                warehouse=warehouse,
                level=form.cleaned_data["level"],
                quantity=form.cleaned_data["quantity"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Reorder level saved."))
            return redirect(f"{reverse('inventory:stock_report')}?warehouse={warehouse.pk}&q={product.code}")
    return render(
        request,
        "inventory/reorder_form.html",
        {"form": form, "product": product, "warehouse": warehouse, "level": level},
    )


@login_required
def purchase_request_list(request: HttpRequest) -> HttpResponse:
    _require_stock_user(request)
    form = f.PurchaseRequestFilterForm(request.GET or None)
    qs = selectors.purchase_request_list_for_user(user=request.user, status=form.value("status") or "")
    page = paginate(request, qs)
    return render(
        request,
        "inventory/purchase_request_list.html",
        {
            **page,
            "form": form,
            "statuses": PurchaseRequest.Status.choices,
            "can_change": request.user.has_perm("inventory.change_purchaserequest"),
        },
    )


@login_required
def purchase_request_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("inventory.add_purchaserequest"):
        raise PermissionDenied
    warehouses = list(selectors.warehouse_list_for_user(user=user, active_only=True))
    if not warehouses:
        raise PermissionDenied
    initial = {}
    for name in ("product", "warehouse"):
        ids = row_ids([request.GET.get(name, "")])
        if ids:
            initial[name] = ids[0]
    form = f.PurchaseRequestForm(request.POST or None, warehouses=warehouses, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.purchase_request_create(
                actor=user,
                product=data["product"],
                warehouse=data["warehouse"],
                quantity=data["quantity"],
                note=data["note"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Purchase request saved."))
            return redirect("inventory:purchase_request_list")
    return render(request, "inventory/purchase_request_form.html", {"form": form, "title": _("New purchase request")})


@login_required
@require_POST
def purchase_request_status(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _found(selectors.purchase_request_get_for_user(user=request.user, pk=pk))
    status = request.POST.get("status", "")
    if status not in PurchaseRequest.Status.values:
        raise Http404
    try:
        services.purchase_request_set_status(actor=request.user, request=purchase, status=status)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("inventory:purchase_request_list")


# --- search boxes (htmx) -------------------------------------------------------------------


def _search_text(request: HttpRequest) -> str:
    for key, value in request.GET.items():
        if key.endswith("_search") or key == "q":
            return value.strip()[:100]
    return ""


@login_required
def product_options(request: HttpRequest) -> HttpResponse:
    products = selectors.product_options(_search_text(request))
    options = [(p.pk, f"{p.code} · {p.name}") for p in products]
    return render(request, "inventory/widgets/options.html", {"options": options})


@login_required
def identity_options(request: HttpRequest) -> HttpResponse:
    found = identity_quick_search(user=request.user, text=_search_text(request))
    return render(request, "inventory/widgets/options.html", {"options": [(i.pk, str(i)) for i in found]})


urlpatterns = [
    path("", stock_report, name="stock_report"),
    path("totals/", stock_totals, name="stock_totals"),
    path("moves/", move_list, name="move_list"),
    path("moves/new/<str:kind>/", move_create, name="move_create"),
    path("moves/<int:pk>/", move_detail, name="move_detail"),
    path("moves/<int:pk>/reverse/", move_reverse, name="move_reverse"),
    path("movements/", movement_report, name="movement_report"),
    path("serials/", serial_list, name="serial_list"),
    path("warehouses/", warehouse_list, name="warehouse_list"),
    path("warehouses/new/", warehouse_form, name="warehouse_create"),
    path("warehouses/<int:pk>/", warehouse_form, name="warehouse_edit"),
    path("reorder/<int:product_id>/<int:warehouse_id>/", reorder_edit, name="reorder_edit"),
    path("purchase-requests/", purchase_request_list, name="purchase_request_list"),
    path("purchase-requests/new/", purchase_request_create, name="purchase_request_create"),
    path("purchase-requests/<int:pk>/status/", purchase_request_status, name="purchase_request_status"),
    path("search/products/", product_options, name="product_options"),
    path("search/identities/", identity_options, name="identity_options"),
]
