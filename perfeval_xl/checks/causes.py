"""The causes a finding names, beyond what was read: a rule that departs from its printed
分值, a rate beyond its formula's range, a formula rewritten or not, a score typed as text.

Builds on checks/assess.py (its checker, its readings); assess imports it where it reports.
"""
from __future__ import annotations

import re
from decimal import Decimal

from perfeval_xl.checks.assess import _Checker, _field_label, _is_formula, number
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


def text_scores(c: _Checker) -> tuple[str | None, str]:
    """Why a total differs, when a score was typed as text ("4分": read as 4 here, skipped by
    the total's SUM): the cell to report (where it was typed: the 调整后得分 behind a row's 得分,
    or the 得分 itself) and the words to add; (None, "") when no score is text."""
    out = []
    for f in c.form.fields() if c.form else ():
        if f.kind != "score" or not re.fullmatch(r"\w+_(score|adjusted|part\d+)", f.name):
            continue
        v = c.get(f.name)
        if isinstance(v, str) and number(v) is not None:
            typed = f.name.rpartition("_")[0] + "_adjusted"
            out.append((typed, v) if f.name.endswith("_score") and c.get(typed) == v else (f.name, v))
    out = list(dict.fromkeys(out))
    why = "；".join(f"{_field_label(c, c.form.field(n))}“{v}”（{c.book.address(c.sheet, n)}）是文字，"
                   f"总分公式不计入，请只填写数字{show(number(v))}" for n, v in out)
    return (out[0][0], f"：{why}") if out else (None, "")
