"""The causes a finding names, beyond what was read: a rule that departs from its printed
分值, a rate beyond its formula's range, a formula rewritten or not.

Builds on checks/checker.py; rows.py imports it where it reports.
"""
from __future__ import annotations

import re
from decimal import Decimal

from perfeval_xl.checks.checker import _Checker, _is_formula
from perfeval_xl.engine.parse import pct, quote, show
from perfeval_xl.engine.scheme import Indicator


def say_what_the_rule_does(c: _Checker, cell: str, ind: Indicator, value: object, weight: Decimal,
                           computed: Decimal) -> None:
    """提示 where a score follows what the row does not show: a rule that departs from the
    printed 分值 (when that changed the score), a rate beyond the range its formula implies."""
    departure = ind.departure()
    if departure:
        printed = ind.model_copy(update={"rule": ind.rule.model_copy(update={"full": None})})
        if printed.points(value, weight) != computed:
            c.report(cell, "rule_departs", f"{quote(ind.name)}：{departure}，本行得{show(computed)}分", "warning")
    why = ind.outside(value) if ind.input_kind == "rate" and isinstance(value, Decimal) else ""
    if why:
        c.report(cell, "rate_implausible", f"{quote(ind.name)}为{pct(value)}，按计算公式{why}，请核对；"
                                           f"得分仍按评分标准计算（{show(computed)}分）", "warning")


def formula_note(c: _Checker, name: str) -> str:
    """Why a computed cell shows another figure, as far as the book tells: its formula differs
    from the template's, or it is the template's and the cell's inputs read differently there."""
    field = next((f for f in c.form.fields() if f.name == name), None) if c.form else None
    content = getattr(c.book, "raw", lambda *a: None)(c.sheet, name)
    if field is None or not field.computed or "{" in field.formula or not _is_formula(content):
        return ""  # a value (an export freezes them) or a formula we cannot compare: say nothing
    if _formula_key(content) != _formula_key(field.formula):
        return "（此单元格的公式与模板不同，已被改写）"
    return "（单元格公式未被改动：公式对所填内容的读法与评分标准的计算不同，请改用常见写法）"


def _formula_key(formula: str) -> str:
    """A formula as compared with the template's: case, spaces, $ and Excel's _xlfn. aside."""
    return re.sub(r"\s|\$|_xlfn\.", "", formula).upper()
