"""Message templates (CM-5): keeping them, the default per channel, and previews.

A template is organisation-wide text with `{{ … }}` placeholders from
`crm.messaging.placeholders`. One template per channel may be the default: quick send and
the email composer open with it. Previews render a template for a real identity the user
may see; unknown placeholders are reported so the editor can warn before anything is sent."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import ApplicationError
from crm.core.richtext import sanitize_html
from crm.core.templating import placeholders_in
from crm.messaging.models import Channel, Template
from crm.messaging.placeholders import identity_values, placeholder_groups, template_render
from crm.messaging.sending import sms_parts


class TemplateErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    BODY_REQUIRED = "body_required"
    NOT_ALLOWED = "not_allowed"
    IN_USE = "in_use"


class TemplateError(ApplicationError):
    messages = {
        TemplateErrorCode.NAME_REQUIRED: _("Give the template a name."),
        TemplateErrorCode.BODY_REQUIRED: _("Write the text of the template."),
        TemplateErrorCode.NOT_ALLOWED: _("You may not change message templates."),
        TemplateErrorCode.IN_USE: _("Occasions use this template; it was deactivated instead of deleted."),
    }


TEMPLATE_FIELDS = ("name", "channel", "context", "subject", "body", "is_html", "is_default", "active")


def templates_for(*, channel: str | None = None, active_only: bool = True) -> QuerySet[Template]:
    """Templates are shared by the whole organisation: everyone who sends may use them."""
    qs = Template.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("channel", "-is_default", "name")


def template_get(*, pk: Any, channel: str | None = None) -> Template | None:
    try:
        qs = Template.objects.filter(pk=int(pk))
    except (TypeError, ValueError):
        return None
    return (qs.filter(channel=channel) if channel else qs).first()


def template_default(channel: str) -> Template | None:
    return Template.objects.filter(channel=channel, active=True, is_default=True).first()


def _check(actor: Any, perm: str) -> None:
    if not actor.has_perm(perm):
        raise TemplateError(TemplateErrorCode.NOT_ALLOWED)


@transaction.atomic
def template_save(*, actor: Any, template: Template | None, **values: Any) -> Template:
    """Create or change a template; making it the default takes that from the others of
    its channel."""
    _check(actor, "messaging.add_template" if template is None else "messaging.change_template")
    data = {k: v for k, v in values.items() if k in TEMPLATE_FIELDS}
    if not (data.get("name") or "").strip():
        raise TemplateError(TemplateErrorCode.NAME_REQUIRED, fields={"name": _("Give the template a name.")})
    if not (data.get("body") or "").strip():
        raise TemplateError(TemplateErrorCode.BODY_REQUIRED, fields={"body": _("Write the text of the template.")})
    if data.get("channel") != Channel.EMAIL:
        data["is_html"] = False
    if data.get("channel") == Channel.SMS:
        data["subject"] = ""
    if data.get("is_html"):
        data["body"] = sanitize_html(data["body"])
    if template is None:
        template = Template(created_by=actor if getattr(actor, "is_authenticated", False) else None, **data)
        tracked_create(obj=template, actor=actor)
    else:
        tracked_update(obj=template, actor=actor, **data)
    if template.is_default:
        Template.objects.filter(channel=template.channel, is_default=True).exclude(pk=template.pk).update(
            is_default=False
        )
    return template


@transaction.atomic
def template_delete(*, actor: Any, template: Template) -> bool:
    """Delete a template; one that occasions still use is deactivated instead (returns False)."""
    _check(actor, "messaging.delete_template")
    try:
        with transaction.atomic():
            audit_record(actor=actor, target=template, action="template.deleted")
            template.delete()
        return True
    except ProtectedError:
        tracked_update(obj=template, actor=actor, active=False, is_default=False)
        return False


_BREAKS = re.compile(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)>")
_BLANKS = re.compile(r"\n{3,}")


def html_to_plain(text: str) -> str:
    """The plain-text part of an HTML message: paragraphs and line breaks kept, tags gone,
    entities decoded."""
    plain = html.unescape(strip_tags(_BREAKS.sub("\n", text or "")))
    return _BLANKS.sub("\n\n", "\n".join(line.strip() for line in plain.splitlines())).strip()


@dataclass
class Preview:
    subject: str
    text: str
    html: str
    parts: int
    length: int
    unknown: list[str]


def known_placeholders(context: str = "identity") -> set[str]:
    return {name for _label, fields in placeholder_groups(context) for name, _l in fields}


def template_preview(
    *,
    body: str,
    subject: str = "",
    channel: str,
    is_html: bool = False,
    identity_id: int | None = None,
    context: str = "identity",
    values: dict[str, Any] | None = None,
    user: Any = None,
) -> Preview:
    """The template as one recipient will get it. `identity_id` must already be checked
    against the user's access by the caller; with `user`, fields hidden from them stay empty."""
    filled: dict[str, Any] = {}
    if identity_id:
        filled.update(identity_values([identity_id], user=user).get(int(identity_id), {}))
    filled.update(values or {})
    html_body = ""
    if channel == Channel.EMAIL and is_html:
        html_body = sanitize_html(template_render(body, filled, html=True))
        text = html_to_plain(html_body)
    else:
        text = template_render(body, filled)
    known = known_placeholders(context)
    unknown = [name for name in placeholders_in(f"{subject}\n{body}") if name not in known and name not in filled]
    return Preview(
        subject=template_render(subject, filled),
        text=text,
        html=html_body,
        parts=sms_parts(text) if channel == Channel.SMS else 1,
        length=len(text),
        unknown=unknown,
    )


# --- default templates (the demo and a fresh install get these) ----------------------------

DEFAULTS: list[dict[str, Any]] = [
    {
        "name": "خوشامد (پیامک)",
        "channel": Channel.SMS,
        "body": "{{ identity.full_name }} عزیز، از اعتماد شما سپاسگزاریم. "
        "شماره مشتری شما: {{ identity.customer_number }}",
        "is_default": True,
    },
    {
        "name": "تبریک تولد (پیامک)",
        "channel": Channel.SMS,
        "body": "{{ identity.first_name }} عزیز، زادروزتان ({{ identity.birthday_long }}) خجسته باد!",
    },
    {
        "name": "تبریک نوروز (پیامک)",
        "channel": Channel.SMS,
        "body": "{{ identity.full_name }} گرامی، نوروز بر شما و خانواده‌تان فرخنده باد.",
    },
    {
        "name": "Birthday greeting (SMS)",
        "channel": Channel.SMS,
        "body": "Dear {{ identity.first_name }}, happy birthday from all of us!",
    },
    {
        "name": "Welcome (email)",
        "channel": Channel.EMAIL,
        "subject": "Welcome, {{ identity.first_name }}",
        "body": "<p>Dear {{ identity.full_name }},</p><p>Thank you for choosing us. "
        "Your customer number is <b>{{ identity.customer_number }}</b>.</p>",
        "is_html": True,
        "is_default": True,
    },
    {
        "name": "پیگیری (ایمیل)",
        "channel": Channel.EMAIL,
        "subject": "پیگیری درخواست شما",
        "body": '<p dir="rtl">{{ identity.full_name }} گرامی،</p><p dir="rtl">کارشناس شما {{ identity.expert }} '
        "به‌زودی با شما تماس می‌گیرد.</p>",
        "is_html": True,
    },
]


def templates_install_defaults(*, actor: Any) -> list[Template]:
    """Create the default templates that do not exist yet (by name); idempotent."""
    have = set(Template.objects.values_list("name", flat=True))
    made = []
    for spec in DEFAULTS:
        if spec["name"] in have:
            continue
        values = {"subject": "", "is_html": False, "is_default": False, "active": True, **spec}
        if values["is_default"] and template_default(values["channel"]):
            values["is_default"] = False
        template = Template(created_by=actor if getattr(actor, "is_authenticated", False) else None, **values)
        tracked_create(obj=template, actor=actor)
        made.append(template)
    return made
