"""Input and output shapes of the stock API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from crm.inventory.models import MoveKind, Serial, StockLevel, StockMove, StockMoveLine, Warehouse

QUANTITY = {"max_digits": 16, "decimal_places": 3}


class WarehouseOutput(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "name", "code", "address", "allow_negative", "is_default", "active"]


class ProductRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class StockLevelOutput(serializers.ModelSerializer):
    product = ProductRef()
    warehouse = serializers.IntegerField(source="warehouse_id")

    class Meta:
        model = StockLevel
        fields = ["product", "warehouse", "quantity", "reorder_level", "reorder_quantity", "below_reorder"]


class StockQuery(serializers.Serializer):
    warehouse = serializers.IntegerField(required=False, min_value=1, max_value=2**62, default=None)
    product = serializers.IntegerField(required=False, min_value=1, max_value=2**62, default=None)
    below_reorder = serializers.BooleanField(required=False, default=False)


class MoveLineOutput(serializers.ModelSerializer):
    product = ProductRef()
    warehouse = serializers.IntegerField(source="warehouse_id")

    class Meta:
        model = StockMoveLine
        fields = ["id", "product", "warehouse", "quantity", "serials", "note"]


class MoveOutput(serializers.ModelSerializer):
    warehouse = serializers.IntegerField(source="warehouse_id")
    to_warehouse = serializers.IntegerField(source="to_warehouse_id", allow_null=True)
    identity = serializers.SerializerMethodField()
    source_document = serializers.IntegerField(source="source_document_id", allow_null=True)
    reversal_of = serializers.IntegerField(source="reversal_of_id", allow_null=True)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "number",
            "status",
            "warehouse",
            "to_warehouse",
            "moved_on",
            "identity",
            "notes",
            "source_document",
            "source_version",
            "reversal_of",
            "created_at",
        ]

    def get_identity(self, move: StockMove) -> int | None:
        visible = self.context.get("identity_ids", set())
        return move.identity_id if move.identity_id in visible else None


class MoveDetailOutput(MoveOutput):
    lines = serializers.SerializerMethodField()

    class Meta(MoveOutput.Meta):
        fields = [*MoveOutput.Meta.fields, "lines"]

    def get_lines(self, move: StockMove) -> list[dict[str, Any]]:
        return MoveLineOutput(self.context.get("lines", []), many=True).data  # type: ignore[return-value]


class MoveQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MoveKind.choices, required=False, default="")
    warehouse = serializers.IntegerField(required=False, min_value=1, max_value=2**62, default=None)
    date_from = serializers.DateField(required=False, default=None)
    date_to = serializers.DateField(required=False, default=None)


class MoveLineInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**62)
    quantity = serializers.DecimalField(**QUANTITY)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=1000
    )
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    def validate_quantity(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value


class MoveInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MoveKind.choices)
    warehouse = serializers.IntegerField(min_value=1, max_value=2**62)
    to_warehouse = serializers.IntegerField(min_value=1, max_value=2**62, required=False, allow_null=True, default=None)
    moved_on = serializers.DateField(required=False, allow_null=True, default=None)
    identity = serializers.IntegerField(min_value=1, max_value=2**62, required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    lines = MoveLineInput(many=True, allow_empty=False, max_length=200)


class ReverseInput(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class SerialOutput(serializers.ModelSerializer):
    product = ProductRef()
    warehouse = serializers.IntegerField(source="warehouse_id", allow_null=True)
    identity = serializers.SerializerMethodField()
    genuine = serializers.SerializerMethodField()

    class Meta:
        model = Serial
        fields = [
            "id",
            "serial",
            "product",
            "status",
            "warehouse",
            "identity",
            "sold_on",
            "warranty_start",
            "warranty_end",
            "genuine",
        ]

    def get_identity(self, serial: Serial) -> int | None:
        visible = self.context.get("identity_ids", set())
        return serial.identity_id if serial.identity_id in visible else None

    def get_genuine(self, serial: Serial) -> bool:
        return serial.status != Serial.Status.SCRAPPED
