"""Input and output of the sales documents API. Inputs are checked at the edge (sizes,
numbers, dates); the services keep the business rules (prices, permissions, approval)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from crm.core.api.item_serializers import BoundedDateField, CustomValuesField, text
from crm.sales.models import Direction, Document, DocumentEvent, DocumentLine, Kind

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 15, "decimal_places": 3}
PERCENT = {"max_digits": 6, "decimal_places": 3}
BIG_ID = {"min_value": 1, "max_value": 2**63 - 1}


class SalesLineInput(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="an existing line of this document (update)", **BIG_ID)
    product = serializers.IntegerField(help_text="product id", **BIG_ID)
    quantity = serializers.DecimalField(
        required=False, allow_null=True, min_value=0, help_text="empty when a quantity formula computes it", **QUANTITY
    )
    unit_price = serializers.DecimalField(
        required=False, allow_null=True, min_value=0, help_text="empty: from the price list", **MONEY
    )
    discount_percent = serializers.DecimalField(required=False, min_value=0, max_value=100, **PERCENT)
    discount = serializers.DecimalField(
        required=False, allow_null=True, min_value=0, help_text="an amount; wins over the percent", **MONEY
    )
    description = text(300, required=False, allow_blank=True)
    serials = serializers.ListField(child=text(80), required=False, max_length=1000)
    source_line = serializers.IntegerField(required=False, allow_null=True, **BIG_ID)
    custom = CustomValuesField()


class SalesDocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, help_text="on create; default quote")
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, help_text="on create; default sale")
    identity = serializers.IntegerField(help_text="customer or supplier (identity id)", **BIG_ID)
    issued_on = BoundedDateField(required=False)
    valid_until = BoundedDateField(required=False, allow_null=True)
    price_list = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="null: chosen by the customer class and date; another list needs a permission",
        **BIG_ID,
    )
    warehouse = serializers.IntegerField(required=False, allow_null=True, **BIG_ID)
    discount = serializers.DecimalField(required=False, min_value=0, help_text="needs a permission", **MONEY)
    tax = serializers.DecimalField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="tax by hand (needs a permission); null: computed",
        **MONEY,
    )
    tax_percent = serializers.DecimalField(required=False, min_value=0, max_value=100, **PERCENT)
    notes = text(5000, required=False, allow_blank=True)
    assignee = serializers.IntegerField(required=False, allow_null=True, **BIG_ID)
    workflow_users = serializers.ListField(child=serializers.IntegerField(**BIG_ID), required=False, max_length=100)
    custom = CustomValuesField()
    lines = SalesLineInput(many=True, required=False, max_length=500)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="the version edited")

    FIELD_MAP = {
        "identity": "identity_id",
        "issued_on": "issued_on",
        "valid_until": "valid_until",
        "price_list": "price_list_id",
        "warehouse": "warehouse_id",
        "discount": "discount",
        "tax": "tax",
        "tax_percent": "tax_percent",
        "notes": "notes",
        "assignee": "assignee_id",
        "workflow_users": "workflow_user_ids",
        "custom": "custom",
    }

    def service_values(self) -> dict[str, Any]:
        data = self.validated_data
        return {target: data[name] for name, target in self.FIELD_MAP.items() if name in data}


class SalesActionInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    note = text(500, required=False, allow_blank=True)


class SalesIssueInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(Kind.INVOICE, "invoice"), (Kind.RETURN, "return")])
    quantities = serializers.DictField(
        child=serializers.DecimalField(min_value=0, **QUANTITY),
        required=False,
        help_text="returns: {invoice line id: quantity}; empty: all that is left",
    )


class SalesSendInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[("sms", "sms"), ("email", "email")])
    address = text(254, required=False, allow_blank=True)


class SalesLineOutput(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = DocumentLine
        fields = [
            "id",
            "position",
            "product",
            "product_code",
            "product_name",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "discount",
            "total",
            "tax",
            "serials",
            "source_line",
            "custom",
        ]


class SalesEventOutput(serializers.ModelSerializer):
    class Meta:
        model = DocumentEvent
        fields = ["id", "action", "actor", "version", "note", "at"]


DOCUMENT_FIELDS = [
    "id",
    "kind",
    "direction",
    "number",
    "status",
    "identity_id",
    "issued_on",
    "valid_until",
    "price_list",
    "source",
    "warehouse_id",
    "subtotal",
    "lines_discount",
    "discount",
    "tax_percent",
    "tax",
    "tax_overridden",
    "total",
    "notes",
    "assignee",
    "created_by",
    "created_at",
    "submitted_at",
    "approved_at",
    "approved_by",
    "customer_response",
    "customer_response_at",
    "version",
    "custom",
]


class SalesDocumentOutput(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = DOCUMENT_FIELDS


class SalesDocumentDetailOutput(serializers.ModelSerializer):
    lines = SalesLineOutput(many=True, read_only=True)
    events = SalesEventOutput(many=True, read_only=True)
    workflow_users = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Document
        fields = [*DOCUMENT_FIELDS, "workflow_users", "lines", "events"]


class SalesDocumentQuery(serializers.Serializer):
    q = text(100, required=False, allow_blank=True, help_text="number")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    status = serializers.ChoiceField(choices=Document.Status.choices, required=False)
    identity = serializers.IntegerField(required=False, **BIG_ID)
    product = serializers.IntegerField(required=False, **BIG_ID)
    date_from = BoundedDateField(required=False)
    date_to = BoundedDateField(required=False)
    sort = serializers.ChoiceField(choices=["-id", "id", "-date", "date", "-total", "total", "number"], required=False)
