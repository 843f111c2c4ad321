"""Authenticity check of a serial number (IN-2): a customer texts a serial, optionally
after a keyword ("serial ABC123", "سریال ABC123"), and gets "genuine, product X, warranty
until <date>" or "not found".

`serial_check(text)` is the service (no messaging needed); `serial_check_reply(text,
sender=…)` words the answer in the sender's language and calendar (Persian and Jalali for
Persian text or an Iranian number); `inbound_serial_check(message)` is the handler the
messaging context calls for each inbound SMS. Without a keyword it only answers texts that
are a known serial, so other inbound SMS (survey answers, "call me") pass on untouched."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from crm.core.i18n.calendars import calendar_override, default_calendar_for
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.formatting import format_date
from crm.inventory.models import Serial

KEYWORDS = ("serial", "sn", "s/n", "warranty", "check", "سریال", "گارانتی", "اصالت", "استعلام", "серійний", "гарантія")
_PERSIAN = re.compile(r"[\u0600-\u06ff]")
_TOKEN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_/.]{2,99}$")


@dataclass(frozen=True)
class SerialCheck:
    asked: str  # the serial as understood from the text ("" when none)
    keyword: bool  # the text began with a keyword: the sender means a serial check
    serial: Serial | None = None

    @property
    def found(self) -> bool:
        return self.serial is not None

    @property
    def product_name(self) -> str:
        return self.serial.product.name if self.serial else ""

    @property
    def warranty_end(self) -> dt.date | None:
        return self.serial.warranty_end if self.serial else None


def _parse(text: str) -> tuple[str, bool]:
    words = to_latin_digits(text or "").replace("\u200c", " ").split()
    keyword = False
    while words and words[0].lower().rstrip(":：") in KEYWORDS:
        words, keyword = words[1:], True
    candidate = words[0] if len(words) == 1 else ""
    return (candidate if _TOKEN.match(candidate) else ""), keyword


def serial_check(text: str) -> SerialCheck:
    """Look a texted serial up. Serials are matched without regard to case."""
    asked, keyword = _parse(text)
    if not asked:
        return SerialCheck(asked="", keyword=keyword)
    serial = (
        Serial.objects.select_related("product")
        .filter(serial__iexact=asked)
        .exclude(status=Serial.Status.SCRAPPED)
        .order_by("-status", "pk")  # a sold one (its warranty) before one still in stock
        .first()
    )
    return SerialCheck(asked=asked, keyword=keyword, serial=serial)


def reply_language(text: str, sender: str = "") -> str:
    if _PERSIAN.search(text or "") or (sender or "").startswith(("+98", "0098", "98")):
        return "fa"
    return settings.LANGUAGE_CODE[:2]


def serial_check_reply(text: str, *, sender: str = "") -> str | None:
    """The answer to send back, or None when the text is not a serial check."""
    result = serial_check(text)
    if not result.found and not result.keyword:
        return None
    language = reply_language(text, sender)
    with translation.override(language), calendar_override(default_calendar_for(language)):
        if not result.found:
            return _("Serial number %(serial)s was not found. This product may not be genuine.") % {
                "serial": result.asked or "—"
            }
        values: dict[str, Any] = {"serial": result.serial.serial, "product": result.product_name}  # type: ignore[union-attr]
        if result.warranty_end:
            values["date"] = format_date(result.warranty_end)
            return _("Genuine: %(serial)s is a %(product)s, under warranty until %(date)s.") % values
        return _("Genuine: %(serial)s is a %(product)s.") % values


def inbound_serial_check(message: Any) -> str | None:
    """Inbound handler for the messaging context (SMS only)."""
    if getattr(message, "channel", "") != "sms":
        return None
    return serial_check_reply(message.body or "", sender=getattr(message, "from_address", ""))
