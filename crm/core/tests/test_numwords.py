"""Amounts in words (SL-6) for fa, en and uk: plain Python, no database."""

from decimal import Decimal

import pytest

from crm.core.i18n.numwords import amount_in_words, number_in_words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "صفر"),
        (7, "هفت"),
        (15, "پانزده"),
        (21, "بیست و یک"),
        (100, "صد"),
        (205, "دویست و پنج"),
        (1000, "یک هزار"),
        (1_250_000, "یک میلیون و دویست و پنجاه هزار"),
        (12_000_015, "دوازده میلیون و پانزده"),
        (3_000_000_000, "سه میلیارد"),
        (999_999, "نهصد و نود و نه هزار و نهصد و نود و نه"),
    ],
)
def test_persian(value, words):
    assert amount_in_words(value, "fa") == words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (42, "forty-two"),
        (1_250_000, "one million two hundred fifty thousand"),
        (1_000_001, "one million one"),
        (900_000_000_000, "nine hundred billion"),
    ],
)
def test_english(value, words):
    assert amount_in_words(value, "en") == words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1, "один"),
        (1000, "одна тисяча"),
        (2000, "дві тисячі"),
        (5000, "п'ять тисяч"),
        (11_000, "одинадцять тисяч"),
        (21_000, "двадцять одна тисяча"),
        (1_250_000, "один мільйон двісті п'ятдесят тисяч"),
        (3_000_000, "три мільйони"),
        (12_000_000_000, "дванадцять мільярдів"),
    ],
)
def test_ukrainian(value, words):
    assert amount_in_words(value, "uk") == words


def test_fractions_negative_and_language_variants():
    assert amount_in_words(Decimal("12.50"), "en") == "twelve and 50/100"
    assert amount_in_words(Decimal("12.5"), "uk") == "дванадцять і 50/100"
    assert amount_in_words(Decimal("1.25"), "fa") == "یک ممیز بیست و پنج صدم"
    assert amount_in_words(Decimal("-3"), "fa-ir") == "منفی سه"
    assert amount_in_words(Decimal("1000.00"), "en_GB") == "one thousand"
    assert amount_in_words(5, "de") == "five"  # unknown language: English
    assert number_in_words(10**18, "en") == str(10**18)
