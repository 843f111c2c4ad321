"""Phone numbers in, E.164 out (default region IR), whatever the digits or spacing."""

from __future__ import annotations

import re

import phonenumbers

from crm.core.i18n.digits import to_latin_digits

DEFAULT_REGION = "IR"
_JUNK = re.compile(r"[^\d+]")
# Every Iranian number with 10 national digits is a possible number, so these need no
# phonenumbers call: the result is the same (tests/test_import_parsing.py checks it).
_IR_E164 = re.compile(r"\+98[1-9]\d{9}")
_IR_NATIONAL = re.compile(r"0[1-9]\d{9}")


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """'+98 912 123 4567', '09121234567', '۰۹۱۲۱۲۳۴۵۶۷', '9121234567', '0098…' → '+989121234567'.

    Returns None for text that is not a possible phone number.
    """
    raw = _JUNK.sub("", to_latin_digits(text or "").strip())
    if not raw or len(raw.lstrip("+")) < 5 or len(raw) > 20:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if region == DEFAULT_REGION:  # fast path for the usual Iranian forms (imports, caller ID)
        if _IR_E164.fullmatch(raw):
            return raw
        if _IR_NATIONAL.fullmatch(raw):
            return "+98" + raw[1:]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        if not raw.startswith("+") and region == DEFAULT_REGION and len(raw) == 10 and raw.startswith("9"):
            return normalize_phone("0" + raw, region)
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str, national: bool = True) -> str:
    """'+989121234567' → '0912 123 4567' for Iranian numbers, international format otherwise."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if national and phonenumbers.region_code_for_number(parsed) == DEFAULT_REGION:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", to_latin_digits(text or ""))
    return len(digits) >= 7
