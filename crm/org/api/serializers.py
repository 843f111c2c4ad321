from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from crm.core.i18n.calendars import CALENDARS
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User


class UserOutput(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "full_name", "email", "is_active"]


class MeOutput(serializers.ModelSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "language",
            "calendar",
            "notify_by_email",
            "notify_by_sms",
            "is_superuser",
            "permissions",
        ]

    def get_permissions(self, obj: User) -> list[str]:
        return sorted(obj.get_all_permissions())


class MeInput(serializers.Serializer):
    language = serializers.ChoiceField(choices=["", *[c for c, _ in settings.LANGUAGES]], required=False)
    calendar = serializers.ChoiceField(choices=["", *CALENDARS], required=False)
    notify_by_email = serializers.BooleanField(required=False)
    notify_by_sms = serializers.BooleanField(required=False)


class DepartmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "code", "parent", "depth", "active", "created_at", "updated_at"]


class DepartmentInput(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    code = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False, default=None
    )
    active = serializers.BooleanField(required=False, default=True)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class PositionOutput(serializers.ModelSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Position
        fields = ["id", "title", "department", "reports_to", "is_manager", "active", "permissions"]

    def get_permissions(self, obj: Position) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in obj.permissions.all())


class PositionInput(serializers.Serializer):
    title = serializers.CharField(max_length=150)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    reports_to = serializers.PrimaryKeyRelatedField(
        queryset=Position.objects.all(), allow_null=True, required=False, default=None
    )
    is_manager = serializers.BooleanField(required=False, default=False)
    active = serializers.BooleanField(required=False, default=True)
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, help_text="'app_label.codename' strings"
    )

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_permissions(self, value: list[str]) -> list[Any]:
        from django.contrib.auth.models import Permission

        found = []
        for name in value:
            app_label, _dot, codename = name.partition(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                raise serializers.ValidationError(f"Unknown permission {name!r}.")
            found.append(perm)
        return found


class AppointmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Appointment
        fields = ["id", "user", "position", "start_date", "end_date", "decree_number", "note", "created_at"]


class AppointmentInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    position = serializers.PrimaryKeyRelatedField(queryset=Position.objects.all())
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    decree_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class AppointmentQuery(serializers.Serializer):
    active = serializers.BooleanField(required=False, default=False, help_text="only decrees in force today")


class AppointmentEndInput(serializers.Serializer):
    end_date = serializers.DateField()


class SubstitutionOutput(serializers.ModelSerializer):
    class Meta:
        model = Substitution
        fields = ["id", "position", "substitute", "start_date", "end_date", "reason", "created_at"]


class SubstitutionInput(serializers.Serializer):
    position = serializers.PrimaryKeyRelatedField(queryset=Position.objects.all())
    substitute = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class EmployeeCardOutput(serializers.ModelSerializer):
    class Meta:
        model = EmployeeCard
        fields = [
            "id",
            "user",
            "personnel_number",
            "first_name",
            "last_name",
            "national_id",
            "mobile",
            "email",
            "birth_date",
            "hire_date",
            "notes",
            "custom",
            "created_at",
            "updated_at",
            "deleted_at",
        ]

    def to_representation(self, instance: EmployeeCard) -> dict[str, Any]:
        data = super().to_representation(instance)
        hidden = self.context.get("hidden", set())
        for name in hidden:
            if name.startswith("custom."):
                data["custom"].pop(name.removeprefix("custom."), None)
            else:
                data.pop(name, None)
        return data


class EmployeeCardInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)
    personnel_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    national_id = serializers.RegexField(r"^[0-9]{10}$", required=False, allow_blank=True)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    hire_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    custom = serializers.DictField(required=False, help_text="custom field values by key")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("first_name", "last_name"):
            if name in attrs and not attrs[name].strip():
                raise serializers.ValidationError({name: ["This field may not be blank."]})
        return attrs
