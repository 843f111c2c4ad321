from __future__ import annotations

from rest_framework import serializers

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.lists.models import SavedFilter
from crm.core.numbering.models import NumberSequence


class CustomFieldDefinitionOutput(serializers.ModelSerializer):
    model = serializers.CharField(source="content_type.model", read_only=True)
    app = serializers.CharField(source="content_type.app_label", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = CustomFieldDefinition
        fields = ["id", "app", "model", "key", "label", "labels", "kind", "choices", "required", "position", "active"]


class CustomFieldQuery(serializers.Serializer):
    model = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="model name, e.g. employeecard"
    )


class SequenceOutput(serializers.ModelSerializer):
    next_number = serializers.SerializerMethodField()

    class Meta:
        model = NumberSequence
        fields = [
            "id",
            "key",
            "name",
            "prefix",
            "pattern",
            "start",
            "padding",
            "year_mode",
            "reset_yearly",
            "next_number",
        ]

    def get_next_number(self, obj: NumberSequence) -> str:
        from crm.core.numbering.services import sequence_preview

        previews = self.context.get("previews")  # a list passes them all, read in one query
        return previews[obj.pk] if previews and obj.pk in previews else sequence_preview(sequence=obj)


class SavedFilterOutput(serializers.ModelSerializer):
    class Meta:
        model = SavedFilter
        fields = ["id", "list_key", "name", "query", "shared", "owner", "created_at"]
        read_only_fields = ["owner", "created_at"]


class SavedFilterQuery(serializers.Serializer):
    list_key = serializers.SlugField(max_length=64, help_text="the list the filters belong to, e.g. employees")


class SavedFilterInput(serializers.Serializer):
    list_key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=120)
    query = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    shared = serializers.BooleanField(required=False, default=False)


class AuditEntryOutput(serializers.ModelSerializer):
    target_type = serializers.CharField(source="target_type.model", read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
        ]
