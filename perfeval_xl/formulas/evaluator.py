"""A small evaluator for the formulas our templates contain, with the PE_* UDFs bound to Python.

It lets a workbook be recalculated headless exactly as Excel does with the add-in loaded:
numbers, strings, names, A1 references (also 'Sheet'!$A$1), ranges inside functions, the
operators + - * / & = <> < > <= >=, the functions IF, IFERROR, SUM, N, ROUND, MIN, MAX, AND, OR,
TRIM, ISNUMBER, ISTEXT and PE_*. IF and IFERROR are lazy: the branch not taken is parsed, not
evaluated, so the native fallback of ``IFERROR(PE_…(…), <native>)`` (formulas/native.py, proven
in LibreOffice by tests/test_native.py) is never needed here while the UDFs answer.
Anything else is reported as an unsupported formula rather than guessed at.
"""
from __future__ import annotations

import re
from decimal import InvalidOperation, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Callable

from perfeval_xl.formulas import udfs

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?(?![\w(]))
  | (?P<name>[A-Za-z_\u4e00-\u9fff][\w.]*)
  | (?P<op><>|<=|>=|[-+*/&=<>(),:%])
""", re.VERBOSE)


class FormulaError(ValueError):
    pass


@lru_cache(maxsize=65536)  # every export, score and validate of a template evaluates the same formulas
def tokenize(text: str) -> tuple[tuple[str, str], ...]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"无法解析公式：{text[pos:pos + 20]}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return tuple(out)


def _num(v):
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, Decimal):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        raise FormulaError("#VALUE!") from None


def _round(x, digits=0):
    try:
        return float(Decimal(str(_num(x))).quantize(Decimal(1).scaleb(-int(_num(digits))), ROUND_HALF_UP))
    except InvalidOperation:  # beyond Decimal's precision (1e308): no digits left to round
        return _num(x)


def _flatten(args):
    for a in args:
        if isinstance(a, list):
            yield from _flatten(a)
        else:
            yield a


FUNCTIONS: dict[str, Callable] = {
    "SUM": lambda *a: sum(_num(x) for x in _flatten(a) if isinstance(x, (int, float, Decimal)) and not isinstance(x, bool)),
    "N": lambda x: x if isinstance(x, (int, float)) and not isinstance(x, bool) else 0,
    "ROUND": _round,
    "AND": lambda *a: all(bool(x) for x in _flatten(a)),
    "OR": lambda *a: any(bool(x) for x in _flatten(a)),
    "NOT": lambda x: not bool(x),
    "MIN": lambda *a: min(_num(x) for x in _flatten(a)),
    "MAX": lambda *a: max(_num(x) for x in _flatten(a)),
    "TRIM": lambda x: " ".join(t for t in _text(x).split(" ") if t),
    "ISNUMBER": lambda x: isinstance(x, (int, float, Decimal)) and not isinstance(x, bool),
    "ISTEXT": lambda x: isinstance(x, str),
}
FUNCTIONS.update({f.__name__: f for f in udfs.UDFS})


# Formula → {token index where a branch not taken starts: index where it ends}, for every
# Evaluator of this process (the templates' few hundred distinct formulas, each evaluated often).
_SKIPPED: dict[str, dict[int, int]] = {}


class Evaluator:
    """Evaluate one formula; ``resolve(kind, text)`` returns the value of a name or reference
    (a list of values for a range)."""

    def __init__(self, resolve: Callable[[str, str], object]):
        self.resolve = resolve
        self.skip = 0  # > 0 while parsing a branch that is not taken

    def evaluate(self, formula: str):
        self.tokens = tokenize(formula.lstrip("="))
        self.skipped = _SKIPPED.setdefault(formula, {})
        self.i = 0
        value = self._compare()
        if self.i != len(self.tokens):
            raise FormulaError(f"公式多余部分：{self.tokens[self.i][1]}")
        return value

    def _peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def _take(self, value=None):
        tok = self._peek()
        if value is not None and tok[1] != value:
            raise FormulaError(f"公式缺少“{value}”")
        self.i += 1
        return tok

    def _compare(self):
        left = self._concat()
        while self._peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            op = self._take()[1]
            right = self._concat()
            left = None if self.skip else _compare(op, left, right)
        return left

    def _concat(self):
        left = self._additive()
        while self._peek()[1] == "&":
            self._take()
            right = self._additive()
            left = None if self.skip else f"{_text(left)}{_text(right)}"
        return left

    def _additive(self):
        left = self._term()
        while self._peek()[1] in ("+", "-"):
            op = self._take()[1]
            right = self._term()
            if not self.skip:
                left = _num(left) + _num(right) if op == "+" else _num(left) - _num(right)
        return left

    def _term(self):
        left = self._unary()
        while self._peek()[1] in ("*", "/"):
            op = self._take()[1]
            right = self._unary()
            if self.skip:
                continue
            if op == "/" and _num(right) == 0:
                raise FormulaError("#DIV/0!")
            left = _num(left) * _num(right) if op == "*" else _num(left) / _num(right)
        return left

    def _unary(self):
        if self._peek()[1] == "-":
            self._take()
            value = self._unary()
            return None if self.skip else -_num(value)
        if self._peek()[1] == "+":
            self._take()
        return self._primary()

    def _primary(self):
        kind, text = self._take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if text == "(":
            value = self._compare()
            self._take(")")
            return value
        if kind == "name" and self._peek()[1] == "(":
            return self._call(text.upper())
        if kind == "name" and text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        if kind in ("name", "ref"):
            return None if self.skip else self.resolve(kind, text)
        raise FormulaError(f"公式中意外的“{text}”")

    def _call(self, fname: str):
        self._take("(")
        if fname == "IF":
            return self._if()
        if fname == "IFERROR":
            return self._iferror()
        args = self._args()
        if self.skip:
            return None
        if fname not in FUNCTIONS:
            raise FormulaError(f"不支持的函数：{fname}")
        # UDFs receive blanks as None, like xlwings passes empty cells
        args = [None if a == "" and fname.startswith("PE_") else a for a in args]
        return FUNCTIONS[fname](*args)

    def _branch(self, taken: bool):
        """One argument of IF/IFERROR: evaluated when taken, else only parsed: once per formula
        and place, since where a branch ends does not depend on any value."""
        if taken:
            return self._compare()
        start = self.i
        if start in self.skipped:
            self.i = self.skipped[start]
            return None
        self.skip += 1
        try:
            self._compare()
        finally:
            self.skip -= 1
        self.skipped[start] = self.i
        return None

    def _if(self):
        cond = self._compare()
        yes = not self.skip and _truthy(cond)
        self._take(",")
        value = self._branch(yes)
        if self._peek()[1] == ",":
            self._take()
            other = self._branch(not self.skip and not yes)
            value = value if yes else other
        elif not yes:
            value = False
        self._take(")")
        return None if self.skip else value

    def _iferror(self):
        start = self.i
        try:
            value = self._compare()
            failed = isinstance(value, str) and value.startswith("#")
        except (FormulaError, ArithmeticError, TypeError, ValueError):
            if self.skip:
                raise
            self.i = start  # parse the failed argument again, without evaluating
            self._branch(False)
            failed = True
        self._take(",")
        fallback = self._branch(failed and not self.skip)
        self._take(")")
        return None if self.skip else (fallback if failed else value)

    def _args(self) -> list:
        args = []
        if self._peek()[1] == ")":
            self._take()
            return args
        while True:
            args.append(self._compare())
            tok = self._take()
            if tok[1] == ")":
                return args
            if tok[1] != ",":
                raise FormulaError("函数参数之间应为逗号")


def _truthy(v) -> bool:
    if isinstance(v, str):
        return v != ""
    return bool(v)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _compare(op, a, b):
    a = "" if a is None else a
    b = "" if b is None else b
    if isinstance(a, str) or isinstance(b, str):
        a, b = _text(a), _text(b)
    else:
        a, b = _num(a), _num(b)
    return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
