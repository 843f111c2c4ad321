"""The safe formula evaluator: only numbers, names, + − × ÷ and parentheses; never eval."""

from decimal import Decimal

import pytest

from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.formulas import formula_check, formula_eval, formula_names

D = Decimal
NAMES = ["quantity", "unit_price", "length", "width", "discount"]


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("length * width", {"length": D("2.5"), "width": D("4")}, D("10.0")),
        ("(length + width) * 2", {"length": D(1), "width": D(2)}, D(6)),
        ("quantity * unit_price - discount", {"quantity": D(3), "unit_price": D("9.99"), "discount": D(1)}, D("28.97")),
        ("-length + 10", {"length": D(4)}, D(6)),
        ("1 / 3", {}, D(1) / D(3)),
        ("0.1 + 0.2", {}, D("0.3")),  # Decimal, not binary floating point
        ("length × width ÷ 2", {"length": D(3), "width": D(4)}, D(6)),  # typographic signs
        ("length − 1", {"length": D(3)}, D(2)),
        ("۲ * length", {"length": D(5)}, D(10)),  # Persian digits
        ("length * 1٫5", {"length": D(2)}, D("3.0")),  # Persian decimal separator
        ("+width", {"width": "7"}, D(7)),  # a number given as text
    ],
)
def test_formula_eval(text, values, expected):
    assert formula_eval(text, values) == expected


def test_division_by_zero_is_a_clear_error():
    with pytest.raises(SalesError) as exc:
        formula_eval("length / (width - 2)", {"length": D(1), "width": D(2)})
    assert exc.value.code == SalesErrorCode.FORMULA_DIVISION_BY_ZERO
    assert "divides by zero" in exc.value.message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "length ** 2",
        "length % 2",
        "length // 2",
        "abs(length)",
        "length.real",
        "[1, 2]",
        "'text'",
        "length if width else 1",
        "length < width",
        "lambda: 1",
        "True + 1",
        "length and width",
        "(1).__class__",
    ],
)
def test_anything_but_arithmetic_is_refused(text):
    with pytest.raises(SalesError) as exc:
        formula_check(text, NAMES)
    assert exc.value.code in (SalesErrorCode.FORMULA_NOT_ALLOWED, SalesErrorCode.FORMULA_SYNTAX)


@pytest.mark.parametrize("text", ["length *", "(length", "length width", "1 +* 2 )"])
def test_syntax_errors(text):
    with pytest.raises(SalesError) as exc:
        formula_check(text, NAMES)
    assert exc.value.code == SalesErrorCode.FORMULA_SYNTAX


def test_unknown_names_are_refused_when_saved_and_evaluated():
    with pytest.raises(SalesError) as exc:
        formula_check("height * width", NAMES)
    assert exc.value.code == SalesErrorCode.FORMULA_UNKNOWN_NAME
    assert "height" in exc.value.message
    with pytest.raises(SalesError):
        formula_eval("height * 2", {"width": D(1)})


def test_empty_formula_is_valid_and_names_are_listed():
    formula_check("", NAMES)
    formula_check("   ", NAMES)
    assert formula_names("(length + width) * quantity") == {"length", "width", "quantity"}


def test_long_and_deep_formulas_are_refused():
    with pytest.raises(SalesError) as exc:
        formula_check("1 + " * 100 + "1", NAMES)
    assert exc.value.code == SalesErrorCode.FORMULA_TOO_LONG
    formula_check("(" * 90 + "1" + ")" * 90, NAMES)  # deep parentheses are only grouping
    with pytest.raises(SalesError):
        formula_check("-" * 150 + "1", NAMES)
