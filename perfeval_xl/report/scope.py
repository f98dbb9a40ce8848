"""What a number in a report sentence is about, so that it is compared only with a table figure
of the same scope.

Four things tell two figures of the same name apart (issue 20, measured on a department's report):
- fund source: 一般公共预算 / 政府性基金 / 财政拨款 / 全部资金 (a 一般公共预算 基本支出 is not
  the all-funds 基本支出 of the table, unless the table's other sources are all zero);
- level: the department, or one of its units (局机关, 二级单位, a row named in the table);
- stage: 年初 / 全年 (调整后) / 决算, or 预算 (either budget);
- time: another year (上年, 2022年), or a change (增加, 下降) rather than an amount.
A sentence that names a scope the figure does not have is not compared; a heading above it
(二、一般公共预算支出情况) only makes the scope uncertain, and an uncertain scope gives no finding.
Which words mean which scope, and which sources make up each fund scope, are data
(``scopes`` in report/texts/<set>.yaml).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FUNDS = ("一般公共预算", "政府性基金", "财政拨款", "全部资金")
# words → fund scope; a longer word first, so that 一般公共预算财政拨款 is 一般公共预算, not 财政拨款
FUND_WORDS = [("一般公共预算财政拨款", "一般公共预算"), ("政府性基金预算财政拨款", "政府性基金"),
              *((f, f) for f in FUNDS)]
QUALIFIERS = ("年初", "全年", "调整", "预算", "决算")  # a label made of these qualifies the label before it
STAGES = [("年初预算", "年初"), ("年初", "年初"), ("调整后", "全年"), ("全年预算", "全年"), ("调整为", "全年"), ("决算", "决算"),
          ("执行数", "决算"), ("实际支出", "决算"), ("预算", "预算")]
UNITS = ("本级", "局机关", "机关本级", "二级单位", "下属单位", "直属单位", "所属单位")
CHANGES = ("增加", "减少", "增长", "下降", "节约", "超支", "上年", "上一年", "去年", "同比", "较上", "比上")
_YEAR = re.compile(r"(\d{4})年")


@dataclass(frozen=True)
class Scope:
    fund: str | None = None
    stage: str | None = None
    other_unit: bool = False  # a unit below the department, or a named row of the table
    elsewhere: bool = False  # another year, or a change between years
    uncertain_fund: str | None = None  # only a heading above says it
    sentence: str = ""


def _nearest(text: str, words) -> str | None:
    """The word of ``words`` that ends last in ``text`` (the one nearest the number)."""
    best, at = None, -1
    for w in words:
        i = text.rfind(w)
        if i >= 0 and i + len(w) > at:
            best, at = w, i + len(w)
    return best


def read(label: str, clause: str, sentence: str, heading: str, year: str, units: tuple[str, ...]) -> Scope:
    """The scope of a number: ``label`` is the word it follows, ``clause`` the text from the last
    comma to the number, ``sentence`` the text from the sentence start to the number."""
    words = [w for w, _ in FUND_WORDS]
    word = next((w for w in words if w in label), None) or _nearest(sentence.replace(label, ""), words)
    fund = dict(FUND_WORDS)[word] if word else None
    stage_word = _nearest(clause, [w for w, _ in STAGES])
    stage = dict(STAGES)[stage_word] if stage_word else None
    years = {y for y in _YEAR.findall(clause) if y != year}
    elsewhere = bool(years) or any(w in clause.replace(label, "") for w in CHANGES)
    other_unit = any(u in sentence for u in UNITS + units)
    heading_fund = None if fund else next((f for f in FUNDS if f in heading), None)
    return Scope(fund, stage, other_unit, elsewhere, heading_fund, sentence)


def stage_fits(claim: str | None, figure: str | None) -> bool:
    if claim is None or figure is None:
        return True
    return claim == figure or (claim == "预算" and figure in ("年初", "全年"))


def fund_fits(claim: str | None, figure: str | None, same) -> bool:
    """``same(a, b)``: whether two fund scopes are equal in this workbook (other sources zero)."""
    if claim is None or figure is None:
        return True
    return claim == figure or same(claim, figure)
