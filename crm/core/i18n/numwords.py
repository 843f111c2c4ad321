"""Amounts in words for printed documents (SL-6): Persian, English and Ukrainian.

`amount_in_words(1250000, "fa")` → "یک میلیون و دویست و پنجاه هزار". Only the number: the
caller adds the currency. A fraction is kept to two places and said as hundredths
("… and 50/100" in en/uk, "… ممیز پنجاه صدم" in fa). Plain Python, no Django.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# --- Persian -----------------------------------------------------------------------------------

FA_ONES = ["", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"]
FA_TEENS = ["ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده"]
FA_TENS = ["", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود"]
FA_HUNDREDS = ["", "صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد"]
FA_SCALES = ["", "هزار", "میلیون", "میلیارد", "هزار میلیارد", "میلیون میلیارد"]

# --- English -----------------------------------------------------------------------------------

EN_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
EN_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
EN_SCALES = ["", "thousand", "million", "billion", "trillion", "quadrillion"]

# --- Ukrainian ---------------------------------------------------------------------------------

UK_ONES_M = ["", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"]
UK_ONES_F = ["", "одна", "дві", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"]
UK_TEENS = [
    "десять",
    "одинадцять",
    "дванадцять",
    "тринадцять",
    "чотирнадцять",
    "п'ятнадцять",
    "шістнадцять",
    "сімнадцять",
    "вісімнадцять",
    "дев'ятнадцять",
]
UK_TENS = ["", "", "двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят", "вісімдесят", "дев'яносто"]
UK_HUNDREDS = ["", "сто", "двісті", "триста", "чотириста", "п'ятсот", "шістсот", "сімсот", "вісімсот", "дев'ятсот"]
# (one, few, many) forms and whether the scale word is feminine
UK_SCALES: list[tuple[tuple[str, str, str], bool]] = [
    (("", "", ""), False),
    (("тисяча", "тисячі", "тисяч"), True),
    (("мільйон", "мільйони", "мільйонів"), False),
    (("мільярд", "мільярди", "мільярдів"), False),
    (("трильйон", "трильйони", "трильйонів"), False),
    (("квадрильйон", "квадрильйони", "квадрильйонів"), False),
]

ZERO = {"fa": "صفر", "en": "zero", "uk": "нуль"}
MINUS = {"fa": "منفی", "en": "minus", "uk": "мінус"}


def _groups(n: int) -> list[int]:
    """Three-digit groups, least significant first."""
    out = []
    while n:
        n, rest = divmod(n, 1000)
        out.append(rest)
    return out


def _fa_triple(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [FA_HUNDREDS[hundreds]] if hundreds else []
    if 10 <= rest < 20:
        parts.append(FA_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        parts += [w for w in (FA_TENS[tens], FA_ONES[ones]) if w]
    return " و ".join(parts)


def _fa(n: int) -> str:
    parts = []
    for scale, group in reversed(list(enumerate(_groups(n)))):
        if group:
            parts.append(f"{_fa_triple(group)} {FA_SCALES[scale]}".strip())
    return " و ".join(parts)


def _en_triple(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{EN_ONES[hundreds]} hundred"] if hundreds else []
    if 10 <= rest < 20:
        parts.append(EN_TEENS[rest - 10])
    elif rest:
        tens, ones = divmod(rest, 10)
        parts.append("-".join(w for w in (EN_TENS[tens], EN_ONES[ones]) if w))
    return " ".join(parts)


def _en(n: int) -> str:
    parts = []
    for scale, group in reversed(list(enumerate(_groups(n)))):
        if group:
            parts.append(f"{_en_triple(group)} {EN_SCALES[scale]}".strip())
    return " ".join(parts)


def _uk_form(n: int) -> int:
    if 11 <= n % 100 <= 14:
        return 2
    if n % 10 == 1:
        return 0
    if 2 <= n % 10 <= 4:
        return 1
    return 2


def _uk_triple(n: int, feminine: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [UK_HUNDREDS[hundreds]] if hundreds else []
    if 10 <= rest < 20:
        parts.append(UK_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        ones_words = UK_ONES_F if feminine else UK_ONES_M
        parts += [w for w in (UK_TENS[tens], ones_words[ones]) if w]
    return " ".join(parts)


def _uk(n: int) -> str:
    parts = []
    for scale, group in reversed(list(enumerate(_groups(n)))):
        if group:
            forms, feminine = UK_SCALES[scale]
            parts.append(f"{_uk_triple(group, feminine)} {forms[_uk_form(group)]}".strip())
    return " ".join(parts)


SPELL = {"fa": _fa, "en": _en, "uk": _uk}
LIMIT = 10**18


def _language(language: str) -> str:
    code = (language or "en").lower().replace("_", "-").split("-")[0]
    return code if code in SPELL else "en"


def number_in_words(n: int, language: str) -> str:
    """A whole number in words."""
    lang = _language(language)
    if n == 0:
        return ZERO[lang]
    if n < 0:
        return f"{MINUS[lang]} {number_in_words(-n, lang)}"
    if n >= LIMIT:
        return str(n)
    return SPELL[lang](n)


def amount_in_words(value: Decimal | int, language: str) -> str:
    lang = _language(language)
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    words = number_in_words(whole, lang)
    if cents:
        if lang == "fa":
            words = f"{words} ممیز {number_in_words(cents, lang)} صدم"
        elif lang == "uk":
            words = f"{words} і {cents:02d}/100"
        else:
            words = f"{words} and {cents:02d}/100"
    return f"{MINUS[lang]} {words}" if sign else words
