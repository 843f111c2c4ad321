"""REST endpoints of stock (issue #6 item 9): warehouses, stock levels, movements (list,
detail, create, reverse) and serial lookup. Same selectors, services and warehouse
access as the pages: a warehouse, movement or serial the caller may not see is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.params import query_params
from crm.core.api.schema import ErrorOutput
from crm.identities.selectors import identity_base_for_user
from crm.inventory import selectors, services
from crm.inventory.api import serializers as s
from crm.inventory.errors import InventoryError, InventoryErrorCode
from crm.inventory.models import StockMove

CONFLICT = OpenApiResponse(ErrorOutput, description="Refused: not enough stock, a serial not in stock, reversed.")


def found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


def visible_identity_ids(user: Any, ids: Any) -> set[int]:
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return set()
    return set(identity_base_for_user(user=user).filter(pk__in=wanted).values_list("pk", flat=True))


class StockApi(GenericAPIView):
    filter_backends = ()
    renderer_classes = [JSONRenderer]


@extend_schema_view(get=extend_schema(description="Warehouses you may use."))
class WarehouseListApi(mixins.ListModelMixin, StockApi):
    serializer_class = s.WarehouseOutput

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.warehouse_list_for_user(user=request.user))
        return self.get_paginated_response(s.WarehouseOutput(page, many=True).data)


class WarehouseDetailApi(StockApi):
    serializer_class = s.WarehouseOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.WarehouseOutput(found(selectors.warehouse_get_for_user(user=request.user, pk=pk))).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[s.StockQuery],
        description="Stock levels (product × warehouse) in the warehouses you may use.",
    )
)
class StockListApi(mixins.ListModelMixin, StockApi):
    serializer_class = s.StockLevelOutput

    def get(self, request: Request) -> Response:
        params = query_params(s.StockQuery, request)
        rows = selectors.stock_levels_for_user(
            user=request.user,
            warehouse_id=params["warehouse"],
            product_id=params["product"],
            below_reorder=params["below_reorder"],
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.StockLevelOutput(page, many=True).data)


class MoveMixin(StockApi):
    def output(self, move: StockMove) -> dict[str, Any]:
        context = {
            "identity_ids": visible_identity_ids(self.request.user, [move.identity_id]),
            "lines": selectors.move_lines(move=move),
        }
        return s.MoveDetailOutput(move, context=context).data  # type: ignore[return-value]


@extend_schema_view(
    get=extend_schema(parameters=[s.MoveQuery], description="Movements in the warehouses you may use, newest first."),
)
class MoveListApi(mixins.ListModelMixin, MoveMixin):
    serializer_class = s.MoveOutput

    def get(self, request: Request) -> Response:
        params = query_params(s.MoveQuery, request)
        rows = selectors.move_list_for_user(
            user=request.user,
            kind=params["kind"],
            warehouse_id=params["warehouse"],
            date_from=params["date_from"],
            date_to=params["date_to"],
        )
        page = self.paginate_queryset(rows)
        context = {"identity_ids": visible_identity_ids(request.user, [m.identity_id for m in page])}
        return self.get_paginated_response(s.MoveOutput(page, many=True, context=context).data)

    @extend_schema(
        request=s.MoveInput,
        responses={201: s.MoveDetailOutput, 409: CONFLICT},
        description="Record a goods receipt, issue, transfer or adjustment (each needs its own right "
        "and the warehouse). Quantities are positive; an adjustment's may be negative.",
    )
    def post(self, request: Request) -> Response:
        data = s.MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        warehouse = self._warehouse(values["warehouse"])
        to_warehouse = self._warehouse(values["to_warehouse"]) if values["to_warehouse"] else None
        identity_id = values["identity"]
        if identity_id and identity_id not in visible_identity_ids(request.user, [identity_id]):
            raise InventoryError(InventoryErrorCode.INVALID, fields={"identity": ["Not found."]})
        lines = [
            services.LineIn(line["product"], line["quantity"], tuple(line["serials"]), line["note"])
            for line in values["lines"]
        ]
        move = services.stock_move_create(
            actor=request.user,
            kind=values["kind"],
            warehouse=warehouse,
            to_warehouse=to_warehouse,
            moved_on=values["moved_on"],
            identity_id=identity_id,
            notes=values["notes"],
            lines=lines,
        )
        return Response(self.output(move), status=status.HTTP_201_CREATED)

    def _warehouse(self, pk: int) -> Any:
        warehouse = selectors.warehouse_get_for_user(user=self.request.user, pk=pk)
        if warehouse is None:
            raise InventoryError(InventoryErrorCode.INVALID, fields={"warehouse": ["Not found."]})
        return warehouse


class MoveDetailApi(MoveMixin):
    serializer_class = s.MoveDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(found(selectors.move_get_for_user(user=request.user, pk=pk))))


class MoveReverseApi(MoveMixin):
    serializer_class = s.MoveDetailOutput

    @extend_schema(
        request=s.ReverseInput,
        responses={201: s.MoveDetailOutput, 409: CONFLICT},
        description="Undo a movement by a new opposite one.",
    )
    def post(self, request: Request, pk: int) -> Response:
        move = found(selectors.move_get_for_user(user=request.user, pk=pk))
        data = s.ReverseInput(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = services.stock_move_reverse(actor=request.user, move=move, note=data.validated_data["note"])
        return Response(self.output(reversal), status=status.HTTP_201_CREATED)


class SerialDetailApi(StockApi):
    serializer_class = s.SerialOutput

    @extend_schema(
        parameters=[OpenApiParameter("serial", str, OpenApiParameter.PATH, description="the serial number")],
        responses={200: s.SerialOutput(many=True)},
        description="Every product's serial with this number (case-insensitive): status, warranty.",
    )
    def get(self, request: Request, serial: str) -> Response:
        rows = selectors.serial_get_for_user(user=request.user, serial=serial[:100])
        if not rows:
            raise Http404
        context = {"identity_ids": visible_identity_ids(request.user, [r.identity_id for r in rows])}
        return Response(s.SerialOutput(rows, many=True, context=context).data)
