"""Digits and letters: Persian/Arabic-Indic ⇄ Latin, and the normal form used for search."""

from __future__ import annotations

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)


def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def to_persian_digits(text: str) -> str:
    """Persian digits and separators (٬ thousands, ٫ decimal) for display in fa."""
    return text.translate(_TO_PERSIAN)


def localize_digits(text: str, language: str | None) -> str:
    return to_persian_digits(text) if (language or "")[:2] == "fa" else text
