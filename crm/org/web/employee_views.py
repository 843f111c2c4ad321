"""Employee cards: the list (filters, custom-field filters and sorting, saved filters,
export), the card with its custom fields and history, create/edit, delete/restore."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.audit.services import restore
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import (
    custom_field_definitions,
    custom_filter,
    custom_order,
    custom_value_display,
    custom_values_display,
)
from crm.core.errors import ApplicationError
from crm.core.i18n.formatting import format_date
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.permissions.access import can, field_access, hidden_fields
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.org import selectors, services
from crm.org.models import EmployeeCard
from crm.org.web.forms import EmployeeCardForm

SORTS = {
    "name": ("last_name", "first_name"),
    "-name": ("-last_name", "-first_name"),
    "hired": ("hire_date",),
    "-hired": ("-hire_date",),
    "new": ("-created_at",),
}


def _filtered(request: HttpRequest) -> tuple[QuerySet[EmployeeCard], list[Any]]:
    show_deleted = request.GET.get("deleted") == "1" and request.user.has_perm("org.delete_all_employeecard")
    qs = selectors.employee_card_list_for_user(
        user=request.user, search=request.GET.get("q", "").strip(), include_deleted=show_deleted
    )
    if show_deleted:
        qs = qs.filter(deleted_at__isnull=False)
    hidden = hidden_fields(request.user, EmployeeCard)
    definitions = [d for d in custom_field_definitions(model=EmployeeCard) if f"custom.{d.key}" not in hidden]
    for definition in definitions:
        value = request.GET.get(f"cf_{definition.key}", "").strip()
        if value:
            op = (
                "has"
                if definition.kind == "multi_choice"
                else ("contains" if definition.kind in ("text", "long_text") else "eq")
            )
            try:
                qs = custom_filter(qs, definition=definition, op=op, value=value)
            except (ArithmeticError, ValueError):
                messages.warning(request, _("The filter on “%(field)s” is not valid.") % {"field": definition.label})
    sort = request.GET.get("sort", "name")
    sort_field = next((d for d in definitions if sort.lstrip("-") == f"cf_{d.key}"), None)
    if sort_field is not None:
        qs = custom_order(qs, definition=sort_field, descending=sort.startswith("-"))
    else:
        qs = qs.order_by(*SORTS.get(sort, SORTS["name"]), "pk")
    return qs, definitions


def _export(request: HttpRequest, qs: QuerySet[EmployeeCard], definitions: list[Any]) -> HttpResponse:
    hidden = hidden_fields(request.user, EmployeeCard)
    columns = [
        (_(label), getter)
        for name, label, getter in (
            ("personnel_number", "Personnel number", lambda c: c.personnel_number),
            ("first_name", "First name", lambda c: c.first_name),
            ("last_name", "Last name", lambda c: c.last_name),
            ("mobile", "Mobile", lambda c: c.mobile),
            ("email", "Email", lambda c: c.email),
            ("national_id", "National ID", lambda c: c.national_id),
            ("hire_date", "Hire date", lambda c: format_date(c.hire_date)),
        )
        if name not in hidden
    ]
    columns += [(d.label, lambda c, d=d: custom_value_display(d, c.custom.get(d.key))) for d in definitions]
    return export_response(
        fmt=request.GET["export"],
        rows=qs.iterator(chunk_size=2000),
        columns=columns,
        filename="employees",
        rtl=request.LANGUAGE_CODE == "fa",
    )


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.has_perm("org.view_employeecard") or request.user.has_perm("org.view_all_employeecard")):
        raise PermissionDenied
    qs, definitions = _filtered(request)
    if request.GET.get("export") in ("csv", "xlsx"):
        return _export(request, qs, definitions)
    return render(
        request,
        "org/employee_list.html",
        {
            **paginate(request, qs),
            "definitions": definitions,
            "list_key": "employees",
            "saved_filters": saved_filters_for(user=request.user, list_key="employees"),
            "hidden": hidden_fields(request.user, EmployeeCard),
            "sort": request.GET.get("sort", "name"),
        },
    )


def _card_or_404(request: HttpRequest, pk: int, include_deleted: bool = False) -> EmployeeCard:
    card = selectors.employee_card_get_for_user(user=request.user, pk=pk, include_deleted=include_deleted)
    if card is None:
        raise Http404
    return card


@login_required
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card_or_404(request, pk, include_deleted=True)
    hidden = hidden_fields(request.user, EmployeeCard)
    return render(
        request,
        "org/employee_detail.html",
        {
            "card": card,
            "hidden": hidden,
            "custom_values": custom_values_display(obj=card, hidden=hidden),
            "history": audit_entries_for(target=card, hidden=hidden),
            "can_change": can(request.user, "change", card),
            "can_delete": can(request.user, "delete", card),
        },
    )


@login_required
def employee_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    card = _card_or_404(request, pk) if pk else None
    if card is None and not request.user.has_perm("org.add_employeecard"):
        raise PermissionDenied
    if card is not None and not can(request.user, "change", card):
        messages.error(request, _("You may not change this employee card."))
        return redirect("employee_detail", card.pk)
    access = field_access(request.user, EmployeeCard)
    initial = {name: getattr(card, name) for name in EmployeeCardForm.base_fields} if card else {}
    form = EmployeeCardForm(request.POST or None, request.FILES or None, initial=initial)
    form.apply_access(access)
    add_custom_fields(form, model=EmployeeCard, values=card.custom if card else {}, access=access)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        if not form.errors:
            try:
                if card:
                    card = services.employee_card_update(
                        actor=request.user, card=card, custom=custom, **form.core_values()
                    )
                else:
                    card = services.employee_card_create(actor=request.user, custom=custom, **form.core_values())
            except ApplicationError as exc:
                error_to_form(form, exc, prefix="cf_")
            else:
                messages.success(request, _("Saved."))
                return redirect("employee_detail", card.pk)
    return render(request, "org/employee_form.html", {"form": form, "card": card})


@login_required
@require_POST
def employee_delete(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card_or_404(request, pk)
    try:
        services.employee_card_delete(actor=request.user, card=card)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("employee_detail", pk)
    messages.success(request, _("The employee card was deleted. It can be restored from the card."))
    return redirect("employee_detail", pk)


@login_required
@require_POST
def employee_restore(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card_or_404(request, pk, include_deleted=True)
    if not can(request.user, "delete", card):
        raise PermissionDenied
    try:
        restore(obj=card, actor=request.user)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("employee_detail", pk)
