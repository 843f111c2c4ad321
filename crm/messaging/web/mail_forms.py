"""Forms of "My email", the mailbox settings and the fax pages."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.errors import ApplicationError
from crm.core.items.files import check_upload
from crm.core.web.admin_forms import bootstrapify
from crm.identities.selectors import identity_base_for_user
from crm.messaging.access import fax_lines_for_user, mailboxes_for_user
from crm.messaging.models import Mailbox

MAX_FILES = 10


class IdentityPicker(forms.Widget):
    """Chosen identities ticked plus a live search (the shared picker of the activities
    pages: its template and its htmx search endpoint). Only identities the user may see."""

    template_name = "activities/calls/identity_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.queryset: Any = None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def format_value(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [str(getattr(v, "pk", v)) for v in values if str(getattr(v, "pk", v)).isdigit()]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        ids = [int(v) for v in context["widget"]["value"]]
        chosen = list(self.queryset.filter(pk__in=ids)) if ids and self.queryset is not None else []
        context["widget"].update(
            {"multiple": True, "chosen": chosen, "found": [], "pick_url": reverse("activities:identity_pick")}
        )
        return context


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked like any other upload (type and size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(items) > MAX_FILES:
            raise forms.ValidationError(_("At most %(n)s files.") % {"n": MAX_FILES})
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in items]
        for upload in cleaned:
            head = upload.read(64)
            upload.seek(0)
            try:
                check_upload(upload.name or "file", upload.size or 0, head)
            except ApplicationError as exc:
                raise forms.ValidationError(f"{upload.name}: {exc.message}") from exc
        return cleaned


class ComposeForm(forms.Form):
    FORMATS = [("text", _("Plain text")), ("html", _("Formatted (HTML)"))]

    mailbox = forms.ModelChoiceField(queryset=Mailbox.objects.none(), label=pgettext_lazy("email", "From"))
    identities = forms.ModelMultipleChoiceField(queryset=None, required=False, label=_("To identities"))
    to = forms.CharField(
        label=pgettext_lazy("email", "To"),
        required=False,
        max_length=2000,
        help_text=_("Addresses separated by commas; identities chosen above are added."),
    )
    cc = forms.CharField(label=_("Cc"), required=False, max_length=5000)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="text", widget=forms.RadioSelect)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
        help_text=_("For formatted mail write HTML; scripts, styles and unsafe links are removed."),
    )
    files = MultipleFileField(label=_("Attachments"), required=False)
    add_signature = forms.BooleanField(label=_("Add the mailbox signature"), required=False, initial=True)
    compose_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)
    forward_of = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mailboxes = mailboxes_for_user(user, send=True).order_by("kind", "-is_default", "name")
        self.fields["mailbox"].queryset = mailboxes
        picker = IdentityPicker()
        picker.queryset = identity_base_for_user(user=user)
        self.fields["identities"].queryset = picker.queryset
        self.fields["identities"].widget = picker
        if not self.initial.get("compose_key") and not self.is_bound:
            self.initial["compose_key"] = uuid.uuid4().hex
        for name in ("to", "cc"):
            self.fields[name].widget.attrs.update({"dir": "ltr", "autocomplete": "email"})
        bootstrapify(self)
        self.fields["mailbox"].empty_label = None
        self.fields["format"].widget.attrs["class"] = "form-check-input"


class MailFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    mailbox = forms.ModelChoiceField(queryset=Mailbox.objects.none(), required=False, label=_("Mailbox"))
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def __init__(self, *args: Any, mailboxes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].queryset = mailboxes
        bootstrapify(self)
        self.fields["mailbox"].empty_label = _("All mailboxes")


class MailboxForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Mailbox.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.EmailField(label=_("Address"))
    smtp_host = forms.CharField(
        label=_("SMTP host"), required=False, max_length=255, help_text=_("Empty: the organisation's mail server.")
    )
    smtp_port = forms.IntegerField(label=_("SMTP port"), min_value=1, max_value=65535, initial=587)
    smtp_security = forms.ChoiceField(label=_("SMTP security"), choices=Mailbox.Security.choices, initial="starttls")
    smtp_username = forms.CharField(label=_("SMTP username"), required=False, max_length=255)
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )
    imap_host = forms.CharField(
        label=_("IMAP host"), required=False, max_length=255, help_text=_("Empty: the organisation's mail server.")
    )
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=Mailbox.Security.choices, initial="ssl")
    imap_username = forms.CharField(label=_("IMAP username"), required=False, max_length=255)
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )
    imap_folder = forms.CharField(label=_("IMAP folder"), max_length=100, initial="INBOX")
    signature = forms.CharField(
        label=_("Signature"), required=False, widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"})
    )
    is_default = forms.BooleanField(label=_("Default for sending"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in Mailbox.Kind.choices if c[0] in kinds]
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = kinds[0]
        for name in ("address", "smtp_host", "imap_host", "smtp_username", "imap_username", "imap_folder"):
            self.fields[name].widget.attrs["dir"] = "ltr"
        bootstrapify(self)


class FaxForm(forms.Form):
    line = forms.ModelChoiceField(queryset=None, label=_("Fax line"))
    identity = forms.ModelChoiceField(queryset=None, required=False, label=_("Identity"))
    to = forms.CharField(label=_("Fax number"), max_length=40)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    cover_text = forms.CharField(
        label=_("Cover note"), required=False, widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"})
    )
    document = forms.FileField(label=_("Document (PDF)"))
    compose_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = fax_lines_for_user(user, send=True).order_by("-is_default", "name")
        self.fields["identity"].queryset = identity_base_for_user(user=user)
        self.fields["identity"].widget = forms.HiddenInput()
        self.fields["to"].widget.attrs["dir"] = "ltr"
        if not self.initial.get("compose_key") and not self.is_bound:
            self.initial["compose_key"] = uuid.uuid4().hex
        bootstrapify(self)
        self.fields["line"].empty_label = None

    def clean_document(self) -> UploadedFile:
        upload = self.cleaned_data["document"]
        head = upload.read(64)
        upload.seek(0)
        if not head.startswith(b"%PDF-"):
            raise forms.ValidationError(_("Attach the document to fax as a PDF file."))
        try:
            check_upload(upload.name or "fax.pdf", upload.size or 0, head)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload
