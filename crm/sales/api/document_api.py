"""Sales documents API (with approve/reject actions) under /api/v1/sales-documents/.

The same selectors, services and access rules as the pages: a document the caller may not
see is a 404 on every path and absent from every list. Refusals keep the one error shape;
their status follows `SalesError.statuses` (not allowed → 403, wrong status or version → 409)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.customfields import custom_errors_under
from crm.core.api.params import query_params
from crm.core.errors import PermissionDeniedError
from crm.sales import document_selectors, documents
from crm.sales.api import document_serializers as s
from crm.sales.documents import LineInput
from crm.sales.models import Direction, Document, Kind


def _lines(items: list[dict[str, Any]] | None) -> list[LineInput] | None:
    if items is None:
        return None
    return [
        LineInput(
            id=item.get("id"),
            product_id=item["product"],
            quantity=item.get("quantity"),
            unit_price=item.get("unit_price"),
            discount_percent=item.get("discount_percent") or 0,
            discount=item.get("discount"),
            description=item.get("description", ""),
            serials=item.get("serials") or [],
            source_line_id=item.get("source_line"),
            custom=item.get("custom") or {},
        )
        for item in items
    ]


class DocumentApi(GenericAPIView):
    filter_backends = ()
    renderer_classes = [JSONRenderer]
    serializer_class = s.SalesDocumentDetailOutput

    def get_object(self) -> Document:
        document = document_selectors.document_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        if document is None:
            raise Http404
        return document

    def output(self, pk: int) -> dict[str, Any]:
        document = document_selectors.document_get_for_user(user=self.request.user, pk=pk)
        if document is None:  # e.g. deleted, or no longer visible after the change
            raise Http404
        return s.SalesDocumentDetailOutput(document).data


@extend_schema_view(
    get=extend_schema(
        operation_id="sales_documents_list",
        description="Quotes, invoices and returns you may see, newest first.",
        parameters=[s.SalesDocumentQuery],
        responses=s.SalesDocumentOutput(many=True),
    ),
    post=extend_schema(
        operation_id="sales_documents_create",
        description="A new draft with its lines; prices come from the customer's price list unless given.",
        request=s.SalesDocumentInput,
        responses={201: s.SalesDocumentDetailOutput},
    ),
)
class DocumentListApi(DocumentApi):
    serializer_class = s.SalesDocumentOutput

    def get(self, request: Request) -> Response:
        params = query_params(s.SalesDocumentQuery, request)
        filters = document_selectors.DocumentFilters(
            q=params.get("q", ""),
            kind=params.get("kind", ""),
            direction=params.get("direction", ""),
            status=params.get("status", ""),
            identity_id=params.get("identity"),
            product_id=params.get("product"),
            date_from=params.get("date_from"),
            date_to=params.get("date_to"),
            sort=params.get("sort", "-id"),
        )
        qs = document_selectors.document_list_rows(
            document_selectors.document_list_for_user(user=request.user, filters=filters)
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.SalesDocumentOutput(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.SalesDocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        with custom_errors_under("custom"):
            document = documents.document_create(
                actor=request.user,
                kind=data.validated_data.get("kind", Kind.QUOTE),
                direction=data.validated_data.get("direction", Direction.SALE),
                values=data.service_values(),
                lines=_lines(data.validated_data.get("lines")) or [],
            )
        return Response(self.output(document.pk), status=status.HTTP_201_CREATED)


class DocumentDetailApi(DocumentApi):
    @extend_schema(operation_id="sales_documents_retrieve", responses=s.SalesDocumentDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.SalesDocumentDetailOutput(self.get_object()).data)

    @extend_schema(
        operation_id="sales_documents_update",
        description="Change fields and/or lines (lines given replace them; `id` keeps a line). "
        "A pending or approved document goes back to draft and needs approval again.",
        request=s.SalesDocumentInput,
        responses=s.SalesDocumentDetailOutput,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="sales_documents_partial_update",
        request=s.SalesDocumentInput,
        responses=s.SalesDocumentDetailOutput,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(operation_id="sales_documents_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        documents.document_delete(actor=request.user, document=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        document = self.get_object()
        data = s.SalesDocumentInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.service_values()
        values.setdefault("identity_id", document.identity_id)
        with custom_errors_under("custom"):
            documents.document_update(
                actor=request.user,
                document=document,
                values=values,
                lines=_lines(data.validated_data.get("lines")),
                version=data.validated_data.get("version"),
            )
        return Response(self.output(document.pk))


ACTION_DOC = {
    "submit": "Send for approval (a type without required approval is approved at once).",
    "approve": "Approve a pending document (not one you created). Stock and money react in the same transaction.",
    "reject": "Reject a pending document; the creator is told.",
    "cancel": "Cancel; an approved document needs the approval right and reverses stock and money.",
}


def _action_view(action: str) -> type[DocumentApi]:
    @extend_schema(
        operation_id=f"sales_documents_{action}",
        description=ACTION_DOC[action],
        request=s.SalesActionInput,
        responses=s.SalesDocumentDetailOutput,
    )
    def post(self: DocumentApi, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = s.SalesActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        version, note = data.validated_data.get("version"), data.validated_data.get("note", "")
        user = request.user
        if action == "submit":
            documents.document_submit(actor=user, document=document, version=version)
        elif action == "approve":
            documents.document_approve(actor=user, document=document, version=version, note=note)
        elif action == "reject":
            documents.document_reject(actor=user, document=document, version=version, note=note)
        else:
            documents.document_cancel(actor=user, document=document, note=note)
        return Response(self.output(document.pk))

    return type(f"Document{action.title()}Api", (DocumentApi,), {"post": post})


class DocumentIssueApi(DocumentApi):
    @extend_schema(
        operation_id="sales_documents_issue",
        description="Issue an invoice from a quote, or a return from an approved invoice.",
        request=s.SalesIssueInput,
        responses={201: s.SalesDocumentDetailOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = self.get_object()
        data = s.SalesIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        quantities = {}
        for key, value in (data.validated_data.get("quantities") or {}).items():
            if not str(key).isdigit():
                raise Http404
            quantities[int(key)] = value
        issued = documents.document_issue_from(
            actor=request.user, source=source, kind=data.validated_data["kind"], quantities=quantities or None
        )
        return Response(self.output(issued.pk), status=status.HTTP_201_CREATED)


class DocumentSendApi(DocumentApi):
    @extend_schema(
        operation_id="sales_documents_send",
        description="Send the customer a link to the approved document by SMS or email.",
        request=s.SalesSendInput,
        responses=s.SalesDocumentDetailOutput,
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = s.SalesSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.is_authenticated:
            raise PermissionDeniedError()
        documents.document_send_to_customer(
            actor=request.user,
            document=document,
            channel=data.validated_data["channel"],
            address=data.validated_data.get("address", ""),
        )
        return Response(self.output(document.pk))


urlpatterns = [
    path("sales-documents/", DocumentListApi.as_view(), name="api_sales_documents"),
    path("sales-documents/<int:pk>/", DocumentDetailApi.as_view(), name="api_sales_document"),
    *[
        path(f"sales-documents/<int:pk>/{action}/", _action_view(action).as_view(), name=f"api_sales_document_{action}")
        for action in ACTION_DOC
    ],
    path("sales-documents/<int:pk>/issue/", DocumentIssueApi.as_view(), name="api_sales_document_issue"),
    path("sales-documents/<int:pk>/send/", DocumentSendApi.as_view(), name="api_sales_document_send"),
]
