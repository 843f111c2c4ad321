"""A safe evaluator for the admin's line formulas (SL-2): + − × ÷, parentheses, numbers
and field names, in Decimal arithmetic. Never `eval`: the text is parsed with `ast` and
only those node types are walked; anything else is refused when the admin saves it.

Plain Python without Django models, so it is tested without a database."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

from crm.core.i18n.digits import to_latin_digits
from crm.sales.errors import SalesError, SalesErrorCode

MAX_LENGTH = 300
MAX_DEPTH = 40
# the typographic signs people type; normalised before parsing
_SIGNS = str.maketrans({"×": "*", "÷": "/", "−": "-", "–": "-", "٫": ".", "٬": "", "،": ","})
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_UNARY = (ast.USub, ast.UAdd)


def _normalise(text: str) -> str:
    return to_latin_digits((text or "").translate(_SIGNS)).strip()


def _parse(text: str) -> ast.expr:
    if len(text) > MAX_LENGTH:
        raise SalesError(SalesErrorCode.FORMULA_TOO_LONG, limit=MAX_LENGTH)
    source = _normalise(text)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SalesError(SalesErrorCode.FORMULA_SYNTAX, formula=text, detail=getattr(exc, "msg", str(exc))) from None
    return tree.body


def _names(node: ast.expr, text: str, depth: int = 0) -> set[str]:
    """Check the shape of the tree; return the names it uses."""
    if depth > MAX_DEPTH:
        raise SalesError(SalesErrorCode.FORMULA_TOO_LONG, limit=MAX_LENGTH)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise SalesError(SalesErrorCode.FORMULA_NOT_ALLOWED, formula=text)
        return set()
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        return _names(node.left, text, depth + 1) | _names(node.right, text, depth + 1)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY):
        return _names(node.operand, text, depth + 1)
    raise SalesError(SalesErrorCode.FORMULA_NOT_ALLOWED, formula=text)


def formula_names(text: str) -> set[str]:
    """The field names a formula uses (raises SalesError when it is not a valid formula)."""
    return _names(_parse(text), text)


def formula_check(text: str, names: Iterable[str]) -> None:
    """Raise SalesError unless `text` is a valid formula over these names ('' is valid)."""
    if not (text or "").strip():
        return
    known = set(names)
    for name in sorted(formula_names(text)):
        if name not in known:
            raise SalesError(SalesErrorCode.FORMULA_UNKNOWN_NAME, formula=text, name=name)


def _number(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(to_latin_digits(str(value)).strip())
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _eval(node: ast.expr, values: Mapping[str, Decimal], text: str) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise SalesError(SalesErrorCode.FORMULA_UNKNOWN_NAME, formula=text, name=node.id)
        return _number(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)  # _names() admitted nothing else
    left, right = _eval(node.left, values, text), _eval(node.right, values, text)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if right == 0:
        raise SalesError(SalesErrorCode.FORMULA_DIVISION_BY_ZERO, formula=text)
    return left / right


def formula_eval(text: str, values: Mapping[str, Decimal]) -> Decimal:
    """The formula's value over `values` (Decimal, 28 significant digits)."""
    tree = _parse(text)
    _names(tree, text)
    with localcontext() as ctx:
        ctx.prec = 28
        try:
            return _eval(tree, values, text)
        except (DivisionByZero, InvalidOperation):
            raise SalesError(SalesErrorCode.FORMULA_DIVISION_BY_ZERO, formula=text) from None
