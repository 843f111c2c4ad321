from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import BootstrapMixin
from crm.org.models import Department, Position, User


class DepartmentForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    code = forms.CharField(label=_("Code"), max_length=30, required=False)
    parent = forms.ModelChoiceField(label=_("Parent department"), queryset=Department.objects.all(), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:
        return f"{obj.name} ({obj.content_type.app_label}.{obj.codename})"


class PositionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(active=True))
    reports_to = forms.ModelChoiceField(
        label=_("Reports to"), queryset=Position.objects.select_related("department"), required=False
    )
    is_manager = forms.BooleanField(label=_("Manages the department"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    permissions = PermissionChoiceField(
        label=_("Permissions of this position"),
        required=False,
        queryset=Permission.objects.filter(content_type__app_label__in=["core", "org"])
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename"),
        widget=forms.SelectMultiple(attrs={"size": 14}),
    )


class AppointmentForm(BootstrapMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.filter(is_active=True))
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.filter(active=True).select_related("department")
    )
    start_date = UserDateField(label=_("From"))
    end_date = UserDateField(label=_("Until"), required=False)
    decree_number = forms.CharField(label=_("Decree number"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class AppointmentEndForm(BootstrapMixin, forms.Form):
    end_date = UserDateField(label=_("Ends on"))


class SubstitutionForm(BootstrapMixin, forms.Form):
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.filter(active=True).select_related("department")
    )
    substitute = forms.ModelChoiceField(label=_("Substitute"), queryset=User.objects.filter(is_active=True))
    start_date = UserDateField(label=_("From"))
    end_date = UserDateField(label=_("Until"))
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username


class EmployeeCardForm(BootstrapMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.filter(is_active=True), required=False)
    personnel_number = forms.CharField(label=_("Personnel number"), max_length=30, required=False)
    national_id = forms.RegexField(
        label=_("National ID"),
        regex=r"^[0-9۰-۹]{10}$",
        required=False,
        error_messages={"invalid": _("A national ID has 10 digits.")},
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    birth_date = UserDateField(label=_("Birth date"), required=False)
    hire_date = UserDateField(label=_("Hire date"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def apply_access(self, access: dict[str, str]) -> None:
        """Field-level rules: hidden fields leave the form, view-only ones are disabled."""
        for name, level in access.items():
            if name not in self.fields:
                continue
            if level == "hidden":
                del self.fields[name]
            else:
                self.fields[name].disabled = True

    def core_values(self) -> dict[str, Any]:
        from crm.core.i18n.digits import to_latin_digits

        values = {n: self.cleaned_data[n] for n, f in self.fields.items() if not n.startswith("cf_") and not f.disabled}
        if values.get("national_id"):
            values["national_id"] = to_latin_digits(values["national_id"])
        for name in ("personnel_number", "mobile", "email", "notes", "national_id"):
            if name in values and values[name] is None:
                values[name] = ""
        return values


class MailSettingsForm(BootstrapMixin, forms.Form):
    smtp_host = forms.CharField(label=_("SMTP host"), max_length=255, required=False)
    smtp_port = forms.IntegerField(label=_("SMTP port"), min_value=1, max_value=65535, initial=587)
    smtp_username = forms.CharField(label=_("SMTP username"), max_length=255, required=False)
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"), choices=[("none", _("None")), ("starttls", "STARTTLS"), ("ssl", "SSL/TLS")]
    )
    default_from = forms.EmailField(label=_("Default sender"), required=False)
    imap_host = forms.CharField(label=_("IMAP host"), max_length=255, required=False)
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_username = forms.CharField(label=_("IMAP username"), max_length=255, required=False)
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )
    imap_ssl = forms.BooleanField(label=_("IMAP over SSL"), required=False)
