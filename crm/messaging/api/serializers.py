"""Input and output of the messaging API: messages (any channel) with their events, the
send request, and the gateways' callbacks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.messaging.models import Channel, Message, MessageEvent


class MessageQuery(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    status = serializers.ChoiceField(choices=Message.Status.choices, required=False)
    direction = serializers.ChoiceField(choices=Message.Direction.choices, required=False)
    identity = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class MessageEventOutput(serializers.ModelSerializer):
    class Meta:
        model = MessageEvent
        fields = ["id", "kind", "at", "data"]


class MessageOutput(serializers.ModelSerializer):
    line = serializers.IntegerField(source="sms_line_id", allow_null=True, read_only=True, help_text="SMS line")
    mailbox = serializers.IntegerField(source="mailbox_id", allow_null=True, read_only=True)
    fax_line = serializers.IntegerField(source="fax_line_id", allow_null=True, read_only=True)
    bulk_send = serializers.IntegerField(source="bulk_send_id", allow_null=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "channel",
            "direction",
            "status",
            "identity_id",
            "from_address",
            "to_address",
            "subject",
            "body",
            "parts",
            "line",
            "mailbox",
            "fax_line",
            "bulk_send",
            "provider_ref",
            "error",
            "created_at",
            "sent_at",
            "delivered_at",
        ]


class MessageDetailOutput(MessageOutput):
    events = MessageEventOutput(many=True, read_only=True)

    class Meta(MessageOutput.Meta):
        fields = [*MessageOutput.Meta.fields, "events"]


class SendInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    identities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), required=False, max_length=1000, default=list
    )
    addresses = serializers.ListField(
        child=serializers.CharField(max_length=320), required=False, max_length=1000, default=list
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    subject = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    template = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62, default=None)
    account = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        default=None,
        help_text="the SMS line, mailbox or fax line to send from (default: your default one)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["identities"] and not attrs["addresses"]:
            raise serializers.ValidationError({"identities": [_("Name identities or addresses to send to.")]})
        if not attrs["body"].strip() and not attrs["template"]:
            raise serializers.ValidationError({"body": [_("Write a text or choose a template.")]})
        return attrs


class SendOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    skipped_hidden = serializers.IntegerField()
    no_address = serializers.ListField(child=serializers.IntegerField())
    invalid = serializers.ListField(child=serializers.CharField())


class CallbackOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True, help_text="the event or message stored (none if nothing changed)")
