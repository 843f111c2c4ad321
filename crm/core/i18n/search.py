"""Persian-aware normal form for search (ID-5): the same text however it was typed.

- Arabic ي ى and ك, ة, أ إ ٱ → Persian ی, ک, ه, ا
- Persian and Arabic-Indic digits → Latin digits
- ZWNJ (U+200C), ZWJ, tatweel and diacritics removed; ZWNJ counts as a space
- whitespace collapsed, lower-cased (Latin)
"""

from __future__ import annotations

import re

from crm.core.i18n.digits import to_latin_digits

_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ۀ": "ه",
        "ؤ": "و",
        "\u200c": " ",
        "\u200d": "",
        "\u0640": "",
        "\u200f": "",
        "\u200e": "",
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
_SPACES = re.compile(r"\s+")


def normalize_search(text: str) -> str:
    text = to_latin_digits(text or "").translate(_LETTERS)
    text = _DIACRITICS.sub("", text)
    return _SPACES.sub(" ", text).strip().lower()


def normalize_compact(text: str) -> str:
    """Normal form without spaces: 'نیک نام', 'نیک‌نام' and 'نیکنام' become one key."""
    return normalize_search(text).replace(" ", "")
