"""The indicators' formula language: numbers, + − × ÷, parentheses and named report figures.

A formula is parsed with Python's own grammar (`ast`, expression mode) and then every node is
checked against a short whitelist, so attribute access, calls, subscripts, comparisons,
powers and any name that is not a report figure are refused before anything is evaluated.
Nothing is ever passed to `eval`: `evaluate` walks the checked tree itself. A value that is
not available (a suppressed figure, a division by zero, a result that is not finite) makes
the whole formula not available rather than a wrong number.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

#: Longest formula accepted; the column holds as much.
MAX_LENGTH = 500

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
}


class FormulaError(ValueError):
    """Why a formula is refused, with the 1-based column it points at and the unknown name."""

    def __init__(self, message: str, *, column: int | None = None, name: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.name = name


@dataclass(frozen=True)
class Formula:
    """A checked formula: its tree and the figure names it reads, in order of appearance."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]


def _column(node: ast.AST) -> int:
    return int(getattr(node, "col_offset", 0)) + 1


def _check(node: ast.expr, allowed: Collection[str], names: list[str]) -> None:
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, (*_OPERATORS, ast.Div)):
            raise FormulaError("only + - * / are allowed", column=_column(node))
        _check(node.left, allowed, names)
        _check(node.right, allowed, names)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.UAdd | ast.USub):
            raise FormulaError("only + - * / are allowed", column=_column(node))
        _check(node.operand, allowed, names)
    elif isinstance(node, ast.Constant):
        # bool is an int to Python; `True` in a formula is a mistake, not the number one.
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError("only numbers and figure names are allowed", column=_column(node))
        try:
            float(node.value)
        except OverflowError:
            raise FormulaError("the number is too large", column=_column(node)) from None
    elif isinstance(node, ast.Name):
        if node.id not in allowed:
            raise FormulaError(f"unknown figure {node.id!r}", column=_column(node), name=node.id)
        if node.id not in names:
            names.append(node.id)
    else:
        what = {
            ast.Attribute: "attribute access",
            ast.Call: "function calls",
            ast.Subscript: "subscripts",
            ast.Compare: "comparisons",
        }.get(type(node), type(node).__name__.lower())
        raise FormulaError(f"{what} not allowed", column=_column(node))


def _syntax_error(error: SyntaxError, text: str) -> FormulaError:
    # Python's messages speak of Python; say what went wrong in the formula's terms.
    reason = error.msg or ""
    if "never closed" in reason:
        return FormulaError("a parenthesis is not closed", column=error.offset or 1)
    if "unmatched" in reason:
        return FormulaError("a parenthesis is not opened", column=error.offset or 1)
    if not error.offset or error.offset > len(text):  # the parser ran out of input
        return FormulaError("the formula ends too early", column=len(text) + 1)
    return FormulaError("syntax error", column=error.offset)


def parse(text: str, allowed: Collection[str]) -> Formula:
    """Check `text` as a formula over the figure names in `allowed`; raise `FormulaError`."""
    stripped = text.strip()
    if not stripped:
        raise FormulaError("the formula is empty", column=1)
    if len(stripped) > MAX_LENGTH:
        raise FormulaError(f"longer than {MAX_LENGTH} characters", column=MAX_LENGTH + 1)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        raise _syntax_error(error, stripped) from None
    except ValueError:  # a NUL character
        raise FormulaError("syntax error", column=1) from None
    names: list[str] = []
    _check(tree.body, allowed, names)
    return Formula(text=stripped, tree=tree.body, names=tuple(names))


def _value(node: ast.expr, figures: Mapping[str, float | None]) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return figures.get(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, figures)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return None if operand is None else sign * operand
    assert isinstance(node, ast.BinOp)
    left = _value(node.left, figures)
    right = _value(node.right, figures)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Div):
        return left / right if right != 0 else None
    return _OPERATORS[type(node.op)](left, right)


def evaluate(formula: Formula, figures: Mapping[str, float | None]) -> float | None:
    """The formula's value, or None when an input is not available, a divisor is zero or the
    result is not a finite number."""
    value = _value(formula.tree, figures)
    if value is None or not math.isfinite(value):
        return None
    return value
