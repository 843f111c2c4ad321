"""Pages of the money context for signed-in staff: receipts and payments, cheques,
payment links, balances and statements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import custom_data_from_form
from crm.core.customfields.selectors import custom_values_display
from crm.core.errors import ApplicationError
from crm.core.permissions.access import can, hidden_fields
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.finance import selectors, services
from crm.finance.models import Cheque, PaymentLink, Receipt
from crm.finance.registrations import balance_text
from crm.finance.web.forms import (
    ChequeFilterForm,
    ChequeStatusForm,
    PaymentLinkFilterForm,
    PaymentLinkForm,
    ReceiptFilterForm,
    ReceiptForm,
    StatementForm,
    parse_amount,
)
from crm.identities.selectors import identity_base_for_user, identity_get_for_user


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# --- receipts and payments -------------------------------------------------------------------


@login_required
def receipt_list(request: HttpRequest) -> HttpResponse:
    _need(request, "finance.view_receipt")
    form = ReceiptFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ReceiptFilters(
        direction=data.get("direction") or "",
        method=data.get("method") or "",
        status=data.get("status") or "",
        identity_id=data.get("identity"),
        date_from=data.get("since"),
        date_to=data.get("until"),
        text=(data.get("q") or "").strip(),
    )
    page = paginate(request, selectors.receipt_list_for_user(user=request.user, filters=filters))
    names = selectors.identity_names({r.identity_id for r in page["rows"]})
    return render(
        request,
        "finance/receipt_list.html",
        {
            "form": form,
            "filtered": any(v for k, v in data.items()),
            "names": names,
            "can_add": request.user.has_perm("finance.add_receipt"),
            **page,
        },
    )


def _allocation_rows(request: HttpRequest, identity_id: int | None, direction: str) -> list[dict[str, Any]]:
    if not identity_id or direction not in Receipt.Direction.values:
        return []
    if not identity_base_for_user(user=request.user).filter(pk=identity_id).exists():
        return []
    rows = selectors.open_documents_for(user=request.user, identity_id=identity_id, direction=direction)
    source = request.POST if request.method == "POST" else request.GET
    for row in rows:
        row["value"] = source.get(f"alloc_{row['document'].pk}", "")
    return [r for r in rows if r["open"] > 0 or r["value"]]


def _allocations_from(request: HttpRequest) -> tuple[list[services.AllocationInput], bool]:
    out, bad = [], False
    for key, value in request.POST.items():
        if not key.startswith("alloc_") or not str(value).strip():
            continue
        document_id = _int(key.removeprefix("alloc_"))
        amount = parse_amount(value)
        if document_id is None or amount is None or amount < 0:
            bad = True
            continue
        if amount:
            out.append(services.AllocationInput(document_id=document_id, amount=amount))
    return out, bad


@login_required
def receipt_create(request: HttpRequest) -> HttpResponse:
    _need(request, "finance.add_receipt")
    initial: dict[str, Any] = {"direction": request.GET.get("direction", Receipt.Direction.IN)}
    identity_id = _int(request.GET.get("identity"))
    if identity_id:
        initial["identity"] = identity_id
    if request.GET.get("amount"):
        initial["amount"] = request.GET["amount"]
    form = ReceiptForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        allocations, bad = _allocations_from(request)
        if bad:
            form.add_error(None, _("Some allocation amounts are not valid."))
        if form.is_valid() and not bad:
            try:
                receipt = services.receipt_create(
                    actor=request.user,
                    values=form.values(),
                    allocations=allocations,
                    cheque=form.cheque(),
                    custom=custom_data_from_form(form),
                )
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Saved %(number)s.") % {"number": receipt.number or receipt})
                return redirect("finance:receipt_detail", receipt.pk)
        identity_id = _int(request.POST.get("identity"))
    direction = (request.POST or request.GET).get("direction", Receipt.Direction.IN)
    return render(
        request,
        "finance/receipt_form.html",
        {
            "form": form,
            "allocation_rows": _allocation_rows(request, identity_id, direction),
            "identity_id": identity_id,
        },
    )


@login_required
def receipt_allocations(request: HttpRequest) -> HttpResponse:
    """The allocation table for the identity and type chosen so far (htmx)."""
    _need(request, "finance.add_receipt")
    identity_id = _int(request.GET.get("identity"))
    rows = _allocation_rows(request, identity_id, request.GET.get("direction", Receipt.Direction.IN))
    return render(
        request, "finance/includes/allocation_table.html", {"allocation_rows": rows, "identity_id": identity_id}
    )


def _receipt_or_404(request: HttpRequest, pk: int) -> Receipt:
    receipt = selectors.receipt_get_for_user(user=request.user, pk=pk)
    if receipt is None:
        raise Http404
    return receipt


@login_required
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _receipt_or_404(request, pk)
    allocations = list(receipt.allocations.all())
    paid = selectors.document_paid_amounts([a.document_id for a in allocations])
    rows = [
        {
            "allocation": a,
            "document": a.document,
            "paid": paid.get(a.document_id, Decimal(0)),
            "open": a.document.total - paid.get(a.document_id, Decimal(0)),
            "state": selectors.document_payment_state(total=a.document.total, paid=paid.get(a.document_id, Decimal(0))),
        }
        for a in allocations
    ]
    cheque = getattr(receipt, "cheque", None) if receipt.method == Receipt.Method.CHEQUE else None
    can_change = can(request.user, "change", receipt) and receipt.status == Receipt.Status.RECORDED
    moves = []
    if cheque is not None and can_change:
        labels = dict(Cheque.Status.choices)
        moves = [(s, labels[s]) for s in Cheque.Status.values if s in services.CHEQUE_MOVES.get(cheque.status, set())]
    identity = identity_get_for_user(user=request.user, pk=receipt.identity_id, include_deleted=True)
    allocated = sum((a.amount for a in allocations), Decimal(0))
    return render(
        request,
        "finance/receipt_detail.html",
        {
            "receipt": receipt,
            "identity": identity,
            "rows": rows,
            "allocated": allocated,
            "unallocated": receipt.amount - allocated,
            "cheque": cheque,
            "cheque_events": list(cheque.events.select_related("actor")) if cheque else [],
            "moves": moves,
            "can_change": can_change,
            "custom_values": custom_values_display(obj=receipt, hidden=hidden_fields(request.user, Receipt)),
            "history": audit_entries_for(target=receipt),
            "payment_states": selectors.PAYMENT_STATES,
        },
    )


@login_required
def receipt_edit(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _receipt_or_404(request, pk)
    if not can(request.user, "change", receipt) or receipt.status != Receipt.Status.RECORDED:
        raise PermissionDenied
    initial = {"date": receipt.date, "reference": receipt.reference, "notes": receipt.notes}
    form = ReceiptForm(request.POST or None, user=request.user, receipt=receipt, initial=initial)
    allocation_rows = _allocation_rows(request, receipt.identity_id, receipt.direction)
    current = {a.document_id: a.amount for a in receipt.allocations.all()}
    if request.method != "POST":
        for row in allocation_rows:
            row["value"] = current.get(row["document"].pk, "")
    for row in allocation_rows:  # what this receipt holds counts as open for it
        row["open"] += current.get(row["document"].pk, Decimal(0))
    if request.method == "POST":
        allocations, bad = _allocations_from(request)
        if bad:
            form.add_error(None, _("Some allocation amounts are not valid."))
        if form.is_valid() and not bad:
            try:
                services.receipt_update(
                    actor=request.user, receipt=receipt, values=form.values(), custom=custom_data_from_form(form)
                )
                services.receipt_allocate(actor=request.user, receipt=receipt, allocations=allocations)
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("finance:receipt_detail", receipt.pk)
    return render(
        request,
        "finance/receipt_form.html",
        {"form": form, "receipt": receipt, "allocation_rows": allocation_rows, "identity_id": receipt.identity_id},
    )


@login_required
@require_POST
def receipt_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _receipt_or_404(request, pk)
    try:
        services.receipt_cancel(actor=request.user, receipt=receipt, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("Cancelled."))
    return redirect("finance:receipt_detail", receipt.pk)


# --- cheques ---------------------------------------------------------------------------------


@login_required
def cheque_list(request: HttpRequest) -> HttpResponse:
    _need(request, "finance.view_receipt")
    form = ChequeFilterForm(request.GET or None)
    due_from, due_to, status = form.range() if request.GET else (None, None, "")
    direction = form.cleaned_data.get("direction", "") if form.is_bound and form.is_valid() else ""
    filters = selectors.ChequeFilters(status=status, due_from=due_from, due_to=due_to, direction=direction)
    page = paginate(request, selectors.cheque_list_for_user(user=request.user, filters=filters))
    names = selectors.identity_names({c.identity_id for c in page["rows"]})
    labels = dict(Cheque.Status.choices)
    rows = []
    for cheque in page["rows"]:
        allowed = can(request.user, "change", cheque.receipt) and cheque.receipt.status == Receipt.Status.RECORDED
        moves = services.CHEQUE_MOVES.get(cheque.status, set()) if allowed else set()
        rows.append(
            (cheque, names.get(cheque.identity_id, ""), [(s, labels[s]) for s in Cheque.Status.values if s in moves])
        )
    return render(
        request,
        "finance/cheque_list.html",
        {"form": form, "rows": rows, "page_number": page["page_number"], "has_next": page["has_next"]},
    )


@login_required
@require_POST
def cheque_status(request: HttpRequest, pk: int) -> HttpResponse:
    cheque = selectors.cheque_get_for_user(user=request.user, pk=pk)
    if cheque is None:
        raise Http404
    form = ChequeStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.cheque_set_status(
                actor=request.user, cheque=cheque, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ApplicationError as exc:
            error_to_message(request, exc)
        else:
            messages.success(
                request,
                _("Cheque %(number)s: %(status)s.")
                % {
                    "number": cheque.number,
                    "status": dict(Cheque.Status.choices)[form.cleaned_data["status"]],
                },
            )
    back = request.POST.get("next", "")
    if back.startswith("/finance/") and "//" not in back:
        return redirect(back)
    return redirect("finance:receipt_detail", cheque.receipt_id)


# --- payment links ---------------------------------------------------------------------------


@login_required
def link_list(request: HttpRequest) -> HttpResponse:
    _need(request, "finance.view_paymentlink")
    form = PaymentLinkFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    page = paginate(request, selectors.paymentlink_list_for_user(user=request.user, status=status))
    names = selectors.identity_names({link.identity_id for link in page["rows"]})
    rows = [(link, names.get(link.identity_id, ""), services.payment_link_state(link)) for link in page["rows"]]
    return render(
        request,
        "finance/link_list.html",
        {
            "form": form,
            "rows": rows,
            "page_number": page["page_number"],
            "has_next": page["has_next"],
            "can_add": request.user.has_perm("finance.add_paymentlink"),
        },
    )


@login_required
def link_create(request: HttpRequest) -> HttpResponse:
    _need(request, "finance.add_paymentlink")
    source = request.POST if request.method == "POST" else request.GET
    identity_id = _int(source.get("identity"))
    documents = _allocation_rows(request, identity_id, Receipt.Direction.IN) if identity_id else []
    documents = [d for d in documents if (d["document"].direction, d["document"].kind) == ("sale", "invoice")]
    initial: dict[str, Any] = {}
    if identity_id:
        initial["identity"] = identity_id
    document_id = _int(request.GET.get("document"))
    if document_id:
        initial["document"] = document_id
        for row in documents:
            if row["document"].pk == document_id:
                initial["amount"] = row["open"]
    form = PaymentLinkForm(request.POST or None, user=request.user, documents=documents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.payment_link_create(
                actor=request.user,
                identity_id=data["identity"].pk,
                amount=data["amount"],
                expires_at=data["expires_at"],
                document_id=data.get("document"),
                description=data.get("description", ""),
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            if data.get("send_by"):
                try:
                    services.payment_link_send(actor=request.user, link=link, channel=data["send_by"])
                except ApplicationError as exc:
                    error_to_message(request, exc)
                else:
                    messages.success(request, _("The payment link was sent."))
            return redirect("finance:link_detail", link.pk)
    return render(request, "finance/link_form.html", {"form": form, "identity_id": identity_id})


def _link_or_404(request: HttpRequest, pk: int) -> PaymentLink:
    link = selectors.paymentlink_get_for_user(user=request.user, pk=pk)
    if link is None:
        raise Http404
    return link


@login_required
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link_or_404(request, pk)
    state = services.payment_link_state(link)
    identity = identity_get_for_user(user=request.user, pk=link.identity_id, include_deleted=True)
    receipts = list(selectors.receipt_base_for_user(user=request.user).filter(payment_link=link))
    return render(
        request,
        "finance/link_detail.html",
        {
            "link": link,
            "state": state,
            "url": request.build_absolute_uri(services.payment_link_path(link)),
            "identity": identity,
            "transactions": selectors.link_transactions(link),
            "receipts": receipts,
            "can_change": state == "open"
            and (request.user.is_superuser or request.user.has_perm("finance.change_paymentlink")),
            "history": audit_entries_for(target=link),
        },
    )


@login_required
@require_POST
def link_send(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link_or_404(request, pk)
    try:
        services.payment_link_send(actor=request.user, link=link, channel=request.POST.get("channel", ""))
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The payment link was sent."))
    return redirect("finance:link_detail", link.pk)


@login_required
@require_POST
def link_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link_or_404(request, pk)
    try:
        services.payment_link_cancel(actor=request.user, link=link)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("Cancelled."))
    return redirect("finance:link_detail", link.pk)


# --- balances and statements -----------------------------------------------------------------


@login_required
def balance_list(request: HttpRequest) -> HttpResponse:
    _need(request, selectors.STATEMENT_PERM)
    side = "creditors" if request.GET.get("side") == "creditors" else "debtors"
    qs = selectors.balance_list_for_user(user=request.user, side=side)
    page = paginate(request, qs)
    names = selectors.identity_names({b.identity_id for b in page["rows"]})
    return render(
        request,
        "finance/balance_list.html",
        {
            "side": side,
            "rows": [(b, names.get(b.identity_id, f"#{b.identity_id}"), abs(b.balance)) for b in page["rows"]],
            "total": selectors.balance_total(qs),
            "page_number": page["page_number"],
            "has_next": page["has_next"],
        },
    )


@login_required
def statement(request: HttpRequest, identity_id: int) -> HttpResponse:
    identity = identity_get_for_user(user=request.user, pk=identity_id, include_deleted=True)
    if identity is None or not selectors.can_view_statement(request.user, identity_id):
        raise Http404
    form = StatementForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    printing = request.GET.get("print") == "1"
    page = _int(request.GET.get("page")) or 1
    result = selectors.statement(
        identity_id=identity_id,
        date_from=data.get("since"),
        date_to=data.get("until"),
        page=page,
        per_page=None if printing else 100,
    )
    context = {
        "identity": identity,
        "form": form,
        "statement": result,
        "balance_text": balance_text(selectors.balance_for(identity_id)),
        "printing": printing,
        "page_number": result["page_number"],
        "has_next": result["has_next"],
        "print_url": f"{reverse('finance:statement', args=[identity_id])}?{_print_query(request)}",
    }
    return render(request, "finance/statement_print.html" if printing else "finance/statement.html", context)


def _print_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query["print"] = "1"
    return query.urlencode()
