"""One helper that turns a service error into form errors or a message."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from crm.core.errors import ApplicationError


def error_to_form(form: forms.Form, exc: ApplicationError, *, prefix: str = "") -> None:
    for name, message in exc.fields.items():
        field = prefix + name if prefix + name in form.fields else (name if name in form.fields else None)
        for text in message if isinstance(message, (list, tuple)) else [message]:
            form.add_error(field, str(text))
    if not exc.fields:
        form.add_error(None, exc.message)


def error_to_message(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, exc.message)
