"""Serializers of the catalogue API: products, product groups, price lists (with their
fixed prices and policies) and prices. Inputs only parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.core.api.item_serializers import CustomValuesField, hide_fields
from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup

MONEY = {"max_digits": 20, "decimal_places": 2, "min_value": Decimal(0), "coerce_to_string": True}


class GroupBriefOutput(serializers.ModelSerializer):
    class Meta:
        model = ProductGroup
        fields = ["id", "name"]


class ProductGroupOutput(serializers.ModelSerializer):
    class Meta:
        model = ProductGroup
        fields = ["id", "name", "parent", "depth", "path"]


class ProductGroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=ProductGroup.objects.all(),
        allow_null=True,
        required=False,
        help_text="parent group id (null: a top group)",
    )


class ProductOutput(serializers.ModelSerializer):
    group = GroupBriefOutput(allow_null=True)
    custom = serializers.DictField(required=False)

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "group",
            "kind",
            "tracking",
            "unit",
            "purchase_cost",
            "sale_price",
            "commission_percent",
            "warranty_months",
            "tax_exempt",
            "description",
            "active",
            "custom",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return hide_fields(super().to_representation(instance), self.context.get("hidden", set()))


class ProductInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    group = serializers.PrimaryKeyRelatedField(queryset=ProductGroup.objects.all(), allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=Product.Kind.choices, required=False)
    tracking = serializers.ChoiceField(choices=Product.Tracking.choices, required=False)
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True)
    purchase_cost = serializers.DecimalField(required=False, **MONEY)
    sale_price = serializers.DecimalField(required=False, **MONEY)
    commission_percent = serializers.DecimalField(
        max_digits=7, decimal_places=3, min_value=Decimal(0), max_value=Decimal(100), required=False
    )
    warranty_months = serializers.IntegerField(min_value=0, max_value=600, required=False)
    tax_exempt = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    custom = CustomValuesField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key, value in attrs.items():
            if isinstance(value, str) and "\x00" in value:
                raise serializers.ValidationError({key: [_("Text may not contain NUL characters.")]})
        return attrs


class ProductQuery(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="code or name (Persian-aware)"
    )
    group = serializers.IntegerField(required=False, min_value=1, help_text="a group id; its subgroups included")
    kind = serializers.ChoiceField(choices=Product.Kind.choices, required=False)
    tracking = serializers.ChoiceField(choices=Product.Tracking.choices, required=False)
    active = serializers.ChoiceField(
        choices=[("true", "true"), ("false", "false"), ("all", "all")], required=False, default="true"
    )


class PriceListOutput(serializers.ModelSerializer):
    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "code",
            "customer_classes",
            "valid_from",
            "valid_to",
            "priority",
            "is_default",
            "active",
            "created_at",
            "updated_at",
        ]


class PriceListInput(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    code = serializers.SlugField(max_length=40)
    customer_classes = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=50, help_text="empty: every customer"
    )
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)
    priority = serializers.IntegerField(min_value=-1000, max_value=1000, required=False)
    is_default = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)


class ProductBriefOutput(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name"]


class PriceListItemOutput(serializers.ModelSerializer):
    product = ProductBriefOutput()

    class Meta:
        model = PriceListItem
        fields = ["product", "price"]


class PriceListItemInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, help_text="product id")
    price = serializers.DecimalField(**MONEY)


class PriceListRuleOutput(serializers.ModelSerializer):
    group = GroupBriefOutput(allow_null=True)
    product = ProductBriefOutput(allow_null=True)

    class Meta:
        model = PriceListRule
        fields = ["id", "group", "product", "method", "value"]


class PriceListRuleInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=PriceListRule.Method.choices)
    value = serializers.DecimalField(**MONEY)
    group = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="a group id (with subgroups)"
    )
    product = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="a product id")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("group") and attrs.get("product"):
            raise serializers.ValidationError({"group": [_("A rule applies to a group or a product, not both.")]})
        return attrs


class PricesQuery(serializers.Serializer):
    products = serializers.CharField(max_length=2000, help_text="product ids, comma separated (at most 500)")
    price_list = serializers.IntegerField(
        required=False, min_value=1, help_text="a price list id; without it, the list chosen for customer_class"
    )
    customer_class = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    on = serializers.DateField(required=False, help_text="the date (default today)")

    def validate_products(self, value: str) -> list[int]:
        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise serializers.ValidationError(_("Give product ids separated by commas.")) from None
        if not ids or len(ids) > 500 or any(i < 1 or i > 2**62 for i in ids):
            raise serializers.ValidationError(_("Give between 1 and 500 product ids."))
        return list(dict.fromkeys(ids))


class PriceOutput(serializers.Serializer):
    product = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=20, decimal_places=2)


class PricesOutput(serializers.Serializer):
    price_list = PriceListOutput(allow_null=True)
    on = serializers.DateField()
    prices = PriceOutput(many=True)
