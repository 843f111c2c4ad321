"""Quotes, invoices and returns: list, status report, form with lines (htmx), detail,
approval actions and the document type settings. Each view parses input, reads through
`crm.sales.document_selectors`, calls one service of `crm.sales.documents` and renders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import custom_data_from_form
from crm.core.customfields.selectors import custom_field_definitions, custom_values_display
from crm.core.errors import ApplicationError
from crm.core.i18n.formatting import format_date
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.permissions.access import hidden_fields
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_quick_search
from crm.sales import access, document_selectors, documents, events
from crm.sales.errors import SalesError
from crm.sales.models import Direction, Document, DocumentLine, DocumentSettings, Kind, Product
from crm.sales.web.document_forms import (
    DocumentFilterForm,
    DocumentForm,
    LineRows,
    SettingsForm,
    new_line_key,
    parse_decimal,
    rows_from_document,
)

LIST_KEY = "sales_documents"
SORT_CHOICES = [
    ("-id", _lazy("Newest first")),
    ("-date", _lazy("Date, newest first")),
    ("date", _lazy("Date, oldest first")),
    ("-total", _lazy("Total, largest first")),
    ("total", _lazy("Total, smallest first")),
    ("number", _lazy("Number")),
]


def _require_view(user: Any) -> None:
    if not (user.is_superuser or user.has_perm("sales.view_document") or user.has_perm("sales.view_all_document")):
        raise PermissionDenied


def _document_or_404(request: HttpRequest, pk: int) -> Document:
    document = document_selectors.document_get_for_user(user=request.user, pk=pk)
    if document is None:
        raise Http404
    return document


# ---- list and report --------------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[DocumentFilterForm, document_selectors.DocumentFilters]:
    form = DocumentFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = document_selectors.DocumentFilters(
        q=data.get("q") or "",
        kind=data.get("kind") or "",
        direction=data.get("direction") or "",
        status=data.get("status") or "",
        identity_id=data.get("identity"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        customer_response=data.get("response") or None,
        sort=request.GET.get("sort") if request.GET.get("sort") in document_selectors.SORTS else "-id",
    )
    code = (data.get("product") or "").strip()
    if code:
        product = Product.all_objects.filter(code=code).only("pk").first()
        filters.product_id = product.pk if product else -1
    return form, filters


def _export(request: HttpRequest, qs: Any) -> HttpResponse:
    rows = list(document_selectors.document_list_rows(qs)[:50000])
    names = document_selectors.identity_names({d.identity_id for d in rows})
    definitions = [
        d
        for d in custom_field_definitions(model=Document)
        if f"custom.{d.key}" not in hidden_fields(request.user, Document)
    ]
    columns = [
        (_("Number"), lambda d: d.number),
        (_("Kind"), lambda d: d.get_kind_display()),
        (_("Sale / purchase"), lambda d: d.get_direction_display()),
        (_("Status"), lambda d: d.get_status_display()),
        (_("Date"), lambda d: format_date(d.issued_on)),
        (_("Customer / supplier"), lambda d: names.get(d.identity_id, "")),
        (_("Subtotal"), lambda d: d.subtotal),
        (_("Discount"), lambda d: d.lines_discount + d.discount),
        (_("Tax"), lambda d: d.tax),
        (_("Total"), lambda d: d.total),
    ]
    from crm.core.customfields.selectors import custom_value_display

    columns += [(d.label, lambda doc, d=d: custom_value_display(d, doc.custom.get(d.key))) for d in definitions]
    return export_response(
        fmt=request.GET["export"], rows=rows, columns=columns, filename=LIST_KEY, rtl=request.LANGUAGE_CODE == "fa"
    )


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    form, filters = _filters(request)
    qs = document_selectors.document_list_for_user(user=request.user, filters=filters)
    if request.GET.get("export") in ("csv", "xlsx"):
        return _export(request, qs)
    page = paginate(request, document_selectors.document_list_rows(qs))
    identity_id = filters.identity_id
    names = document_selectors.identity_names({d.identity_id for d in page["rows"]} | {identity_id or 0})
    return render(
        request,
        "sales/documents/list.html",
        {
            **page,
            "form": form,
            "names": names,
            "identity_name": names.get(identity_id or 0, ""),
            "list_key": LIST_KEY,
            "saved_filters": saved_filters_for(user=request.user, list_key=LIST_KEY),
            "sort": filters.sort,
            "sort_choices": SORT_CHOICES,
            "can_create": access.can_create_documents(request.user),
        },
    )


@login_required
def document_report(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    form, filters = _filters(request)
    groups = document_selectors.document_status_report(user=request.user, filters=filters)
    return render(request, "sales/documents/report.html", {"form": form, "groups": groups})


# ---- the form ---------------------------------------------------------------------------------


def _form_context(
    request: HttpRequest,
    *,
    form: DocumentForm,
    kind: str,
    direction: str,
    rows: list[dict[str, Any]],
    document: Document | None,
    identity: Any = None,
) -> dict[str, Any]:
    settings = documents.document_settings_ensure(kind=kind, direction=direction)
    definitions = [d for d in custom_field_definitions(model=DocumentLine) if d.kind != "file"]
    products = {p.pk: p for p in Product.all_objects.filter(pk__in=[r["product"] for r in rows if r.get("product")])}
    for row in rows:
        row.setdefault("product_obj", products.get(int(row["product"])) if str(row.get("product")).isdigit() else None)
    return {
        "form": form,
        "kind": kind,
        "direction": direction,
        "kind_label": Kind(kind).label,
        "direction_label": Direction(direction).label,
        "settings": settings,
        "rows": rows,
        "document": document,
        "identity": identity,
        "line_definitions": definitions,
        "preview": _preview(request, kind=kind, direction=direction, document=document, data=None, rows=rows),
    }


def _identity_choice(request: HttpRequest, raw: Any) -> Any:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return identity_base_for_user(user=request.user).filter(pk=pk).first()


def _values(form: DocumentForm, *, creating: bool) -> dict[str, Any]:
    data = form.cleaned_data
    values: dict[str, Any] = {
        "identity_id": data["identity"],
        "issued_on": data["issued_on"],
        "valid_until": data.get("valid_until"),
        "assignee_id": data["assignee"].pk if data.get("assignee") else None,
        "workflow_user_ids": [u.pk for u in data.get("workflow_users") or []],
        "notes": data.get("notes") or "",
        "custom": custom_data_from_form(form),
    }
    if not form.fields["price_list"].disabled:
        values["price_list_id"] = data["price_list"].pk if data.get("price_list") else None
    if not form.fields["discount"].disabled:
        values["discount"] = data.get("discount") or Decimal(0)
        values["tax"] = data.get("tax")
    return values


def _save(request: HttpRequest, *, kind: str, direction: str, document: Document | None, identity: Any) -> HttpResponse:
    form = DocumentForm(request.POST, user=request.user, document=document)
    lines = LineRows(request.POST)
    if form.is_valid():
        values = _values(form, creating=document is None)
        try:
            if document is None:
                saved = documents.document_create(
                    actor=request.user, kind=kind, direction=direction, values=values, lines=lines.inputs()
                )
                messages.success(request, _("The document was created."))
            else:
                saved = documents.document_update(
                    actor=request.user,
                    document=document,
                    values=values,
                    lines=lines.inputs(),
                    version=form.cleaned_data.get("version"),
                )
                messages.success(request, _("The document was saved."))
            return redirect("sales:document_detail", saved.pk)
        except ApplicationError as exc:
            error_to_form(form, exc, prefix="cf_")
    identity = _identity_choice(request, request.POST.get("identity")) or identity
    context = _form_context(
        request, form=form, kind=kind, direction=direction, rows=lines.rows, document=document, identity=identity
    )
    return render(request, "sales/documents/form.html", context, status=200 if not form.errors else 400)


@login_required
def document_create(request: HttpRequest, kind: str = "", direction: str = "") -> HttpResponse:
    kind = kind or request.GET.get("kind") or request.POST.get("kind") or Kind.QUOTE
    direction = direction or request.GET.get("direction") or request.POST.get("direction") or Direction.SALE
    if kind not in Kind.values or direction not in Direction.values:
        raise Http404
    if not access.can_create_documents(request.user):
        raise PermissionDenied
    identity = _identity_choice(request, request.GET.get("identity"))
    if request.method == "POST":
        return _save(request, kind=kind, direction=direction, document=None, identity=identity)
    form = DocumentForm(
        initial={"identity": identity.pk if identity else None, "issued_on": timezone.localdate(), "discount": ""},
        user=request.user,
    )
    rows = [{"key": new_line_key(), "quantity": 1, "custom": {}}]
    context = _form_context(
        request, form=form, kind=kind, direction=direction, rows=rows, document=None, identity=identity
    )
    return render(request, "sales/documents/form.html", context)


@login_required
def quote_create(request: HttpRequest) -> HttpResponse:
    return document_create(request, kind=Kind.QUOTE, direction=Direction.SALE)


@login_required
def invoice_create(request: HttpRequest) -> HttpResponse:
    return document_create(request, kind=Kind.INVOICE, direction=Direction.SALE)


@login_required
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    error = access.document_change_error(request.user, document)
    if error is not None:
        error_to_message(request, error)
        return redirect("sales:document_detail", document.pk)
    identity = _identity_choice(request, document.identity_id)
    if request.method == "POST":
        return _save(request, kind=document.kind, direction=document.direction, document=document, identity=identity)
    form = DocumentForm(
        initial={
            "identity": document.identity_id,
            "issued_on": document.issued_on,
            "valid_until": document.valid_until,
            "price_list": document.price_list_id,
            "assignee": document.assignee_id,
            "workflow_users": [u.pk for u in document.workflow_users.all()],
            "discount": document.discount or "",
            "tax": document.tax if document.tax_overridden else "",
            "notes": document.notes,
            "version": document.version,
        },
        user=request.user,
        document=document,
    )
    context = _form_context(
        request,
        form=form,
        kind=document.kind,
        direction=document.direction,
        rows=rows_from_document(document),
        document=document,
        identity=identity,
    )
    return render(request, "sales/documents/form.html", context)


# ---- htmx parts of the form -------------------------------------------------------------------


@login_required
def line_row(request: HttpRequest) -> HttpResponse:
    """An empty line row for "Add line"."""
    if not access.can_create_documents(request.user) and not request.user.has_perm("sales.change_document"):
        raise PermissionDenied
    definitions = [d for d in custom_field_definitions(model=DocumentLine) if d.kind != "file"]
    row = {"key": new_line_key(), "quantity": 1, "custom": {}}
    return render(
        request,
        "sales/documents/form.html#line-row",
        {"row": row, "line_definitions": definitions},
    )


@login_required
def line_remove(request: HttpRequest) -> HttpResponse:
    """Nothing: the row asking is swapped out; the totals are then recomputed."""
    response = HttpResponse("")
    return response


@login_required
def product_options(request: HttpRequest) -> HttpResponse:
    """Products matching the text typed in a line (S2's Persian-aware search)."""
    from crm.sales.catalogue_selectors import product_search

    key = str(request.GET.get("key", ""))[:20]
    if not key.isalnum():
        raise Http404
    text = request.GET.get(f"line-{key}-product_q", "")
    products = product_search(text, limit=15) if len(text.strip()) >= 1 else []
    return render(request, "sales/documents/form.html#product-options", {"products": products, "key": key, "q": text})


@login_required
def identity_options(request: HttpRequest) -> HttpResponse:
    """Customers matching the text typed in the form's customer field."""
    results = identity_quick_search(user=request.user, text=request.GET.get("identity_q", ""), limit=10)
    response = render(request, "sales/documents/form.html#identity-options", {"results": results})
    return response


def _preview(
    request: HttpRequest,
    *,
    kind: str,
    direction: str,
    document: Document | None,
    data: Any,
    rows: list[dict[str, Any]],
) -> documents.Preview:
    """Lines and totals as the service would compute them, without saving (live totals)."""
    from crm.core.i18n.calendars import parse_user_date

    user = request.user
    values: dict[str, Any] = {}
    if data is not None:
        values["identity_id"] = data.get("identity") or None
        values["issued_on"] = parse_user_date(data.get("issued_on", "")) or None
        if access.can_choose_price_list(user) and "price_list" in data:
            values["price_list_id"] = data.get("price_list") or None
        if access.can_override_totals(user):
            values["discount"] = parse_decimal(data.get("discount")) or Decimal(0)
            values["tax"] = parse_decimal(data.get("tax"))
    elif document is not None:
        values["identity_id"] = document.identity_id
    else:
        values["identity_id"] = request.GET.get("identity") or None
    keyed = []
    for row in rows:
        inputs = LineRows.row_input(row)
        if inputs is not None:
            keyed.append((row["key"], inputs))
    return documents.document_preview(
        actor=user, kind=kind, direction=direction, values=values, lines=keyed, document=document
    )


@login_required
@require_POST
def document_preview(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    direction = request.POST.get("direction", "")
    if kind not in Kind.values or direction not in Direction.values:
        raise Http404
    document = None
    if request.POST.get("document"):
        document = document_selectors.document_get_for_user(user=request.user, pk=int(request.POST["document"]))
    rows = LineRows(request.POST).rows
    preview = _preview(request, kind=kind, direction=direction, document=document, data=request.POST, rows=rows)
    return render(request, "sales/documents/form.html#totals", {"preview": preview, "rows": rows, "oob": True})


# ---- detail and actions -----------------------------------------------------------------------


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request.user)
    document = _document_or_404(request, pk)
    user = request.user
    lines = list(document.lines.all())
    info = events.line_info(document=document, lines=lines)
    for line in lines:
        line.info = info.get(line.pk, [])
    names = document_selectors.identity_names({document.identity_id})
    settings = documents.document_settings_ensure(kind=document.kind, direction=document.direction)
    can_change = access.can_change_document(user, document)
    can_approve = access.can_approve_document(user, document)
    issued = document_selectors.document_issued_from(user=user, document=document)
    returnable = {}
    if document.kind == Kind.INVOICE and document.status == Document.Status.APPROVED:
        returnable = document_selectors.returnable_quantities(invoice=document)
    context = {
        "document": document,
        "lines": lines,
        "identity_name": names.get(document.identity_id, ""),
        "settings": settings,
        "can_change": can_change,
        "can_approve": can_approve and document.status == Document.Status.PENDING,
        "can_submit": can_change and document.status in (Document.Status.DRAFT, Document.Status.REJECTED),
        "can_cancel": can_change and document.status != Document.Status.CANCELLED,
        "can_delete": access.document_change_error(user, document, action="delete") is None
        and document.status in (Document.Status.DRAFT, Document.Status.REJECTED),
        "can_issue_invoice": document.kind == Kind.QUOTE
        and document.status in (Document.Status.DRAFT, Document.Status.PENDING, Document.Status.APPROVED)
        and access.can_create_documents(user)
        and not any(d.kind == Kind.INVOICE and d.status != Document.Status.CANCELLED for d in issued),
        "can_issue_return": bool(returnable)
        and any(v > 0 for v in returnable.values())
        and access.can_create_documents(user),
        "can_send": document.status == Document.Status.APPROVED
        and (user.is_superuser or user.has_perm("sales.change_document") or user.has_perm(access.CHANGE_ALL)),
        "issued": issued,
        "custom_values": custom_values_display(obj=document, hidden=hidden_fields(user, Document)),
        "history": audit_entries_for(target=document, hidden=hidden_fields(user, Document)),
        "customer_link": documents.customer_link_url(document) if document.status == Document.Status.APPROVED else "",
        "print_available": _has_url("sales:document_print"),
    }
    return render(request, "sales/documents/detail.html", context)


def _has_url(name: str) -> bool:
    try:
        reverse(name, args=[1])
    except Exception:  # S2's printing pages may not be there yet
        return False
    return True


ACTIONS = {"submit", "approve", "reject", "cancel", "delete", "issue_invoice", "issue_return", "send"}


@login_required
@require_POST
def document_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    document = _document_or_404(request, pk)
    user, post = request.user, request.POST
    version = post.get("version") or None
    note = (post.get("note") or "").strip()[:500]
    target = reverse("sales:document_detail", args=[document.pk])
    try:
        if action == "submit":
            done = documents.document_submit(actor=user, document=document, version=version)
            messages.success(
                request,
                _("Approved.") if done.status == Document.Status.APPROVED else _("Sent for approval."),
            )
        elif action == "approve":
            documents.document_approve(actor=user, document=document, version=version, note=note)
            messages.success(request, _("Approved."))
        elif action == "reject":
            documents.document_reject(actor=user, document=document, version=version, note=note)
            messages.success(request, _("Rejected."))
        elif action == "cancel":
            documents.document_cancel(actor=user, document=document, note=note)
            messages.success(request, _("Cancelled."))
        elif action == "delete":
            documents.document_delete(actor=user, document=document)
            messages.success(request, _("Deleted."))
            target = reverse("sales:document_list")
        elif action in ("issue_invoice", "issue_return"):
            kind = Kind.INVOICE if action == "issue_invoice" else Kind.RETURN
            issued = documents.document_issue_from(actor=user, source=document, kind=kind)
            messages.success(request, _("%(document)s was issued.") % {"document": issued})
            target = reverse("sales:document_edit", args=[issued.pk])
        elif action == "send":
            channel = post.get("channel", "sms")
            documents.document_send_to_customer(
                actor=user, document=document, channel=channel, address=post.get("address", "")
            )
            messages.success(request, _("The link was sent to the customer."))
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect(target)


# ---- document type settings -------------------------------------------------------------------


def _require_settings(user: Any) -> None:
    if not (user.is_superuser or user.has_perm(access.SETTINGS)):
        raise PermissionDenied


@login_required
def settings_list(request: HttpRequest) -> HttpResponse:
    _require_settings(request.user)
    rows = [
        documents.document_settings_ensure(kind=kind, direction=direction)
        for direction in Direction.values
        for kind in Kind.values
    ]
    return render(request, "sales/settings/list.html", {"rows": rows})


@login_required
def settings_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_settings(request.user)
    settings = DocumentSettings.objects.filter(pk=pk).first()
    if settings is None:
        raise Http404
    form = SettingsForm(request.POST or None, instance=DocumentSettings.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            documents.document_settings_save(actor=request.user, settings=settings, values=form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("sales:settings_list")
        except SalesError as exc:
            formula = exc.params.get("formula")
            field = next(
                (
                    n
                    for n in ("quantity_formula", "line_total_formula")
                    if formula and form.cleaned_data.get(n) == formula
                ),
                None,
            )
            form.add_error(field, exc.message)
    return render(
        request,
        "sales/settings/form.html",
        {"form": form, "settings": settings, "names": documents.line_formula_names()},
        status=400 if form.errors else 200,
    )


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


urlpatterns = [
    path("documents/", document_list, name="document_list"),
    path("documents/report/", document_report, name="document_report"),
    path("documents/new/", document_create, name="document_create"),
    path("quotes/new/", quote_create, name="quote_create"),
    path("invoices/new/", invoice_create, name="invoice_create"),
    path("documents/<int:pk>/", document_detail, name="document_detail"),
    path("documents/<int:pk>/edit/", document_edit, name="document_edit"),
    path("documents/<int:pk>/<slug:action>/", document_action, name="document_action"),
    path("documents/form/line/", line_row, name="document_line_row"),
    path("documents/form/line/remove/", line_remove, name="document_line_remove"),
    path("documents/form/products/", product_options, name="document_product_options"),
    path("documents/form/identities/", identity_options, name="document_identity_options"),
    path("documents/form/preview/", document_preview, name="document_preview"),
    path("settings/", settings_list, name="settings_list"),
    path("settings/<int:pk>/", settings_edit, name="settings_edit"),
]
