"""Input and output of the money API. Amounts are decimal strings; dates ISO 8601."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.core.api.item_serializers import BoundedDateField, BoundedDateTimeField, CustomValuesField
from crm.finance.models import Cheque, ChequeEvent, GatewayTransaction, LedgerEntry, PaymentLink, Receipt

AMOUNT = {"max_digits": 20, "decimal_places": 2, "min_value": Decimal("0.01"), "max_value": Decimal("1e17")}


def _clean(value: str) -> str:
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise serializers.ValidationError(_("Text may not contain NUL or unpaired surrogate characters."))
    return value


class AllocationIO(serializers.Serializer):
    document = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="id of an approved invoice")
    amount = serializers.DecimalField(**AMOUNT)


class ChequeInput(serializers.Serializer):
    number = serializers.CharField(max_length=40, validators=[_clean])
    bank = serializers.CharField(max_length=100, validators=[_clean])
    branch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", validators=[_clean])
    account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="", validators=[_clean])
    due_date = BoundedDateField()


class ReceiptInput(serializers.Serializer):
    identity = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    direction = serializers.ChoiceField(choices=Receipt.Direction.choices, default=Receipt.Direction.IN)
    method = serializers.ChoiceField(
        choices=[c for c in Receipt.Method.choices if c[0] != Receipt.Method.ONLINE], default=Receipt.Method.CASH
    )
    date = BoundedDateField(required=False)
    amount = serializers.DecimalField(**AMOUNT)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", validators=[_clean])
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="", validators=[_clean])
    allocations = AllocationIO(many=True, required=False, default=list)
    cheque = ChequeInput(required=False, allow_null=True, default=None)
    custom = CustomValuesField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("method") == Receipt.Method.CHEQUE and not attrs.get("cheque"):
            raise serializers.ValidationError({"cheque": [_("A cheque receipt needs the cheque's details.")]})
        if len(attrs.get("allocations") or []) > 200:
            raise serializers.ValidationError({"allocations": [_("At most 200 allocations.")]})
        return attrs


class ReceiptUpdateInput(serializers.Serializer):
    date = BoundedDateField(required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, validators=[_clean])
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, validators=[_clean])
    allocations = AllocationIO(many=True, required=False)
    custom = CustomValuesField()


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="", validators=[_clean])


class AllocationOutput(serializers.Serializer):
    document = serializers.IntegerField(source="document_id")
    document_label = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)

    def get_document_label(self, obj: Any) -> str:
        return str(obj.document)


class ChequeEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)

    class Meta:
        model = ChequeEvent
        fields = ["from_status", "to_status", "note", "actor", "at"]


class ChequeOutput(serializers.ModelSerializer):
    receipt = serializers.IntegerField(source="receipt_id")
    identity = serializers.IntegerField(source="identity_id")
    direction = serializers.CharField(source="receipt.direction")
    events = ChequeEventOutput(many=True, read_only=True)

    class Meta:
        model = Cheque
        fields = [
            "id",
            "receipt",
            "identity",
            "direction",
            "number",
            "bank",
            "branch",
            "account",
            "due_date",
            "amount",
            "status",
            "status_at",
            "events",
        ]


class ReceiptOutput(serializers.ModelSerializer):
    identity = serializers.IntegerField(source="identity_id")
    allocations = AllocationOutput(many=True, read_only=True)
    cheque = serializers.SerializerMethodField()
    payment_link = serializers.IntegerField(source="payment_link_id", allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "number",
            "direction",
            "method",
            "status",
            "identity",
            "date",
            "amount",
            "reference",
            "notes",
            "custom",
            "allocations",
            "cheque",
            "payment_link",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_cheque(self, obj: Receipt) -> dict[str, Any] | None:
        cheque = getattr(obj, "cheque", None) if obj.method == Receipt.Method.CHEQUE else None
        return ChequeOutput(cheque).data if cheque else None


class ChequeStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Cheque.Status.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="", validators=[_clean])


class PaymentLinkInput(serializers.Serializer):
    identity = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    amount = serializers.DecimalField(**AMOUNT)
    expires_at = BoundedDateTimeField()
    document = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[_clean]
    )
    send_by = serializers.ChoiceField(choices=[("sms", "SMS"), ("email", "email")], required=False, allow_null=True)


class TransactionOutput(serializers.ModelSerializer):
    class Meta:
        model = GatewayTransaction
        fields = ["id", "provider", "status", "amount", "ref_id", "card", "created_at", "finished_at"]


class PaymentLinkOutput(serializers.ModelSerializer):
    identity = serializers.IntegerField(source="identity_id")
    document = serializers.IntegerField(source="document_id", allow_null=True)
    state = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    transactions = TransactionOutput(many=True, read_only=True)

    class Meta:
        model = PaymentLink
        fields = [
            "id",
            "identity",
            "document",
            "amount",
            "expires_at",
            "description",
            "status",
            "state",
            "paid_at",
            "sent_to",
            "url",
            "transactions",
            "created_at",
        ]

    def get_state(self, obj: PaymentLink) -> str:
        from crm.finance.services import payment_link_state

        return payment_link_state(obj)

    def get_url(self, obj: PaymentLink) -> str:
        from crm.finance.services import payment_link_url

        return payment_link_url(obj)


class BalanceOutput(serializers.Serializer):
    identity = serializers.IntegerField()
    debit = serializers.DecimalField(max_digits=22, decimal_places=2)
    credit = serializers.DecimalField(max_digits=22, decimal_places=2)
    balance = serializers.DecimalField(max_digits=22, decimal_places=2)
    side = serializers.ChoiceField(choices=["debtor", "creditor", "settled"])


class StatementQuery(serializers.Serializer):
    date_from = BoundedDateField(required=False)
    date_to = BoundedDateField(required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**6)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)


class StatementRowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    source_type = serializers.CharField()
    source_id = serializers.IntegerField()
    description = serializers.CharField()
    debit = serializers.DecimalField(max_digits=22, decimal_places=2)
    credit = serializers.DecimalField(max_digits=22, decimal_places=2)
    balance = serializers.DecimalField(max_digits=22, decimal_places=2)


class StatementOutput(serializers.Serializer):
    identity = serializers.IntegerField(source="identity_id")
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    opening = serializers.DecimalField(max_digits=22, decimal_places=2)
    debit = serializers.DecimalField(max_digits=22, decimal_places=2)
    credit = serializers.DecimalField(max_digits=22, decimal_places=2)
    closing = serializers.DecimalField(max_digits=22, decimal_places=2)
    page = serializers.IntegerField(source="page_number")
    has_next = serializers.BooleanField()
    rows = StatementRowOutput(many=True)


class ReceiptQuery(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Receipt.Direction.choices, required=False)
    method = serializers.ChoiceField(choices=Receipt.Method.choices, required=False)
    status = serializers.ChoiceField(choices=Receipt.Status.choices, required=False)
    identity = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    date_from = BoundedDateField(required=False)
    date_to = BoundedDateField(required=False)
    search = serializers.CharField(required=False, max_length=100, allow_blank=True, default="", validators=[_clean])


class ChequeQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Cheque.Status.choices, required=False)
    due_from = BoundedDateField(required=False)
    due_to = BoundedDateField(required=False)
    direction = serializers.ChoiceField(choices=Receipt.Direction.choices, required=False)
    identity = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class PaymentLinkQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*PaymentLink.Status.choices, ("expired", "expired")], required=False)
    identity = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
