"""REST endpoints of the money context (issue #6 item 9): receipts and payments (with
allocations and cheques), cheque status actions, payment links, balances and statements.

Same selectors, services and access rules as the pages: a record the caller may not see is
a 404 on every path and absent from every list; service refusals keep the one error shape
with the status of their code (`FinanceError.statuses`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.params import query_params
from crm.core.api.schema import ErrorOutput
from crm.finance import selectors, services
from crm.finance.api import serializers as s
from crm.finance.errors import FinanceError, FinanceErrorCode
from crm.identities.selectors import identity_base_for_user

CONFLICT = OpenApiResponse(ErrorOutput, description="Not possible in the record's current state.")
REFUSED = OpenApiResponse(ErrorOutput, description="Not allowed, or invalid.")


def found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


def _need(request: Request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


class FinanceApi(GenericAPIView):
    filter_backends = ()


def _allocations(rows: list[dict[str, Any]]) -> list[services.AllocationInput]:
    return [services.AllocationInput(document_id=row["document"], amount=row["amount"]) for row in rows]


def _receipt_out(request: Request, pk: int) -> dict[str, Any]:
    return s.ReceiptOutput(found(selectors.receipt_get_for_user(user=request.user, pk=pk))).data


@extend_schema_view(
    get=extend_schema(
        operation_id="receipts_list",
        parameters=[s.ReceiptQuery],
        description="Receipts (money in) and payments (money out) you may see, newest first.",
    ),
    post=extend_schema(
        operation_id="receipts_create",
        request=s.ReceiptInput,
        responses={201: s.ReceiptOutput, 400: REFUSED, 403: REFUSED},
        description="Record a receipt or payment, optionally allocated to approved invoices "
        "(each allocation at most the invoice's open amount; together at most the amount). "
        "A cheque receipt needs `cheque`.",
    ),
)
class ReceiptListApi(mixins.ListModelMixin, FinanceApi):
    serializer_class = s.ReceiptOutput

    def get(self, request: Request) -> Response:
        _need(request, "finance.view_receipt")
        q = query_params(s.ReceiptQuery, request)
        filters = selectors.ReceiptFilters(
            direction=q.get("direction", ""),
            method=q.get("method", ""),
            status=q.get("status", ""),
            identity_id=q.get("identity"),
            date_from=q.get("date_from"),
            date_to=q.get("date_to"),
            text=q.get("search", ""),
        )
        rows = (
            selectors.receipt_list_for_user(user=request.user, filters=filters)
            .select_related("created_by", "cheque")
            .prefetch_related("allocations__document", "cheque__events__actor")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ReceiptOutput(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.ReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        receipt = services.receipt_create(
            actor=request.user,
            values={
                "identity_id": v["identity"],
                "direction": v["direction"],
                "method": v["method"],
                "amount": v["amount"],
                "reference": v["reference"],
                "notes": v["notes"],
                **({"date": v["date"]} if v.get("date") else {}),
            },
            allocations=_allocations(v["allocations"]),
            cheque=dict(v["cheque"]) if v.get("cheque") else None,
            custom=v.get("custom"),
        )
        return Response(_receipt_out(request, receipt.pk), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="receipts_retrieve", responses={200: s.ReceiptOutput}),
    patch=extend_schema(
        operation_id="receipts_partial_update",
        request=s.ReceiptUpdateInput,
        responses={200: s.ReceiptOutput, 400: REFUSED, 403: REFUSED, 409: CONFLICT},
        description="Date, reference, notes, custom fields and allocations; the amount, identity "
        "and method stay (cancel and record again to change those).",
    ),
)
class ReceiptDetailApi(FinanceApi):
    serializer_class = s.ReceiptOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(_receipt_out(request, pk))

    def patch(self, request: Request, pk: int) -> Response:
        receipt = found(selectors.receipt_get_for_user(user=request.user, pk=pk))
        data = s.ReceiptUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        allocations = v.pop("allocations", None)
        custom = v.pop("custom", None)
        services.receipt_update(actor=request.user, receipt=receipt, values=v, custom=custom)
        if allocations is not None:
            services.receipt_allocate(actor=request.user, receipt=receipt, allocations=_allocations(allocations))
        return Response(_receipt_out(request, pk))


@extend_schema_view(
    post=extend_schema(
        operation_id="receipts_cancel",
        request=s.CancelInput,
        responses={200: s.ReceiptOutput, 403: REFUSED, 409: CONFLICT},
        description="Void a receipt or payment: its amount leaves the balance.",
    )
)
class ReceiptCancelApi(FinanceApi):
    serializer_class = s.ReceiptOutput

    def post(self, request: Request, pk: int) -> Response:
        receipt = found(selectors.receipt_get_for_user(user=request.user, pk=pk))
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.receipt_cancel(actor=request.user, receipt=receipt, reason=data.validated_data["reason"])
        return Response(_receipt_out(request, pk))


@extend_schema_view(
    get=extend_schema(
        operation_id="cheques_list", parameters=[s.ChequeQuery], description="Cheques you may see, by due date."
    )
)
class ChequeListApi(mixins.ListModelMixin, FinanceApi):
    serializer_class = s.ChequeOutput

    def get(self, request: Request) -> Response:
        _need(request, "finance.view_receipt")
        q = query_params(s.ChequeQuery, request)
        filters = selectors.ChequeFilters(
            status=q.get("status", ""),
            due_from=q.get("due_from"),
            due_to=q.get("due_to"),
            direction=q.get("direction", ""),
            identity_id=q.get("identity"),
        )
        rows = selectors.cheque_list_for_user(user=request.user, filters=filters).prefetch_related("events__actor")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ChequeOutput(page, many=True).data)


class ChequeDetailApi(FinanceApi):
    serializer_class = s.ChequeOutput

    @extend_schema(operation_id="cheques_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ChequeOutput(found(selectors.cheque_get_for_user(user=request.user, pk=pk))).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="cheques_status",
        request=s.ChequeStatusInput,
        responses={200: s.ChequeOutput, 403: REFUSED, 409: CONFLICT},
        description="received → deposited | bounced | returned; deposited → cleared | bounced; "
        "bounced → deposited | returned. A bounced cheque debits the customer again.",
    )
)
class ChequeStatusApi(FinanceApi):
    serializer_class = s.ChequeOutput

    def post(self, request: Request, pk: int) -> Response:
        cheque = found(selectors.cheque_get_for_user(user=request.user, pk=pk))
        data = s.ChequeStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.cheque_set_status(actor=request.user, cheque=cheque, **data.validated_data)
        return Response(s.ChequeOutput(found(selectors.cheque_get_for_user(user=request.user, pk=pk))).data)


@extend_schema_view(
    get=extend_schema(operation_id="payment_links_list", parameters=[s.PaymentLinkQuery]),
    post=extend_schema(
        operation_id="payment_links_create",
        request=s.PaymentLinkInput,
        responses={201: s.PaymentLinkOutput, 400: REFUSED, 403: REFUSED},
        description="A link for a customer (and optionally one of their approved invoices) to pay "
        "a fixed amount online until `expires_at`; `send_by` sends it by SMS or email.",
    ),
)
class PaymentLinkListApi(mixins.ListModelMixin, FinanceApi):
    serializer_class = s.PaymentLinkOutput

    def get(self, request: Request) -> Response:
        _need(request, "finance.view_paymentlink")
        q = query_params(s.PaymentLinkQuery, request)
        rows = selectors.paymentlink_list_for_user(
            user=request.user, status=q.get("status", ""), identity_id=q.get("identity")
        ).prefetch_related("transactions")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.PaymentLinkOutput(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.PaymentLinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        link = services.payment_link_create(
            actor=request.user,
            identity_id=v["identity"],
            amount=v["amount"],
            expires_at=v["expires_at"],
            document_id=v.get("document"),
            description=v["description"],
        )
        if v.get("send_by"):
            services.payment_link_send(actor=request.user, link=link, channel=v["send_by"])
        link = found(selectors.paymentlink_get_for_user(user=request.user, pk=link.pk))
        return Response(s.PaymentLinkOutput(link).data, status=status.HTTP_201_CREATED)


class PaymentLinkDetailApi(FinanceApi):
    serializer_class = s.PaymentLinkOutput

    @extend_schema(operation_id="payment_links_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PaymentLinkOutput(found(selectors.paymentlink_get_for_user(user=request.user, pk=pk))).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="payment_links_cancel", request=None, responses={200: s.PaymentLinkOutput, 409: CONFLICT}
    )
)
class PaymentLinkCancelApi(FinanceApi):
    serializer_class = s.PaymentLinkOutput

    def post(self, request: Request, pk: int) -> Response:
        link = found(selectors.paymentlink_get_for_user(user=request.user, pk=pk))
        services.payment_link_cancel(actor=request.user, link=link)
        return Response(s.PaymentLinkOutput(found(selectors.paymentlink_get_for_user(user=request.user, pk=pk))).data)


def _statement_identity(request: Request, identity_id: int) -> int:
    if not selectors.can_view_statement(request.user, identity_id):
        if not identity_base_for_user(user=request.user, include_deleted=True).filter(pk=identity_id).exists():
            raise Http404
        raise FinanceError(FinanceErrorCode.NOT_ALLOWED)
    return identity_id


class BalanceApi(FinanceApi):
    serializer_class = s.BalanceOutput

    @extend_schema(
        operation_id="balances_retrieve",
        responses={200: s.BalanceOutput, 403: REFUSED},
        description="An identity's balance: debits − credits; positive = debtor, negative = creditor.",
    )
    def get(self, request: Request, identity: int) -> Response:
        _statement_identity(request, identity)
        info = selectors.balance_for(identity)
        return Response(
            s.BalanceOutput(
                {
                    "identity": identity,
                    "debit": info.debit,
                    "credit": info.credit,
                    "balance": info.balance,
                    "side": info.side,
                }
            ).data
        )


class StatementApi(FinanceApi):
    serializer_class = s.StatementOutput

    @extend_schema(
        operation_id="statements_retrieve",
        parameters=[s.StatementQuery],
        responses={200: s.StatementOutput, 403: REFUSED},
        description="An identity's movements in date order with the running balance after each. "
        "Pages count back from the latest: page 1 holds the newest `page_size` movements (oldest "
        "first within the page); `has_next` means older ones exist.",
    )
    def get(self, request: Request, identity: int) -> Response:
        _statement_identity(request, identity)
        q = query_params(s.StatementQuery, request)
        data = selectors.statement(
            identity_id=identity,
            date_from=q.get("date_from"),
            date_to=q.get("date_to"),
            page=q.get("page"),
            per_page=q["page_size"],
        )
        return Response(s.StatementOutput(data).data)
