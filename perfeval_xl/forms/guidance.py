"""What to type in each input cell: the input message Excel shows when the cell is selected.

Messages are derived, never written per cell: from the field's kind (a rate, money, a count, a
date, a choice…) and, for a scored cell, from its rule's data (how many ①②③ items, the cases
of a choice, the limit of a threshold, the 分值 of a judged row). The 评分标准 itself stays in
the cell's comment.
"""
from __future__ import annotations

from decimal import Decimal

from perfeval_xl.engine.parse import pct
from perfeval_xl.engine.rules import DEFAULT_LEVELS
from perfeval_xl.forms.layout import REPORT_YEAR

# Excel refuses a file whose validation title exceeds 32 or prompt 255 characters.
TITLE_MAX, PROMPT_MAX = 32, 255

RATE = "填写百分比，如85%（也可填0.85）"
KIND_HINTS = {
    "percent": RATE,
    "money": "填写金额，单位万元，如1323.28；没有的填0",
    "int": "填写整数，如12",
    "number": "填写数字",
    "score": "填写得分：0至本行分值之间的数字，最多两位小数",
    "date": "填写日期，如2024年3月31日",
}

# Cells whose kind alone would prompt the wrong thing: the year is no count, a 分值 no 得分.
NAME_HINTS = {
    REPORT_YEAR: "填写报告所属年度（四位数字），如2023；各表标题中的年度随之变化",
    "weight": "填写本行分值：大于0、不超过100的数字；各指标分值合计须为总分",
}


def _is_rate(*limits: Decimal | None) -> bool:
    """Limits written as fractions (0.9, 1) are rates; 350 (考核得分) is a plain number."""
    known = [x for x in limits if x is not None]
    return bool(known) and all(abs(x) <= 2 for x in known)


def _threshold(rule) -> str:
    what = pct(rule.limit) if _is_rate(rule.limit) else f"{rule.limit:g}"
    full = {"lower": f"不超过{what}得满分", "higher": f"达到{what}得满分", "target": f"等于{what}得满分"}[rule.better]
    head = RATE if _is_rate(rule.limit) else "填写数值"
    tail = "；没有此类项目的留空或填“无”“/”，按满分计" if rule.blank_full else ""
    return f"{head}。{full}，其余按评分标准扣分{tail}"


def _bands(rule) -> str:
    ends = [b.min if b.min is not None else b.max for b in rule.bands]
    return f"{RATE if _is_rate(*ends) else '填写数值'}。按评分标准分档计分"


def _ratio(rule) -> str:
    if rule.full_at == 1:
        return f"{RATE}。100%及以上得满分，不足按比例计分"
    return f"填写数值：{rule.full_at:g}及以上得满分，不足按比例计分"


def _checklist(rule) -> str:
    n = len(rule.items)
    return f"填写符合的条目编号，如“①②”（共{n}项）；全部符合填“全部”，都不符合填“无”"


def _choice(rule) -> str:
    labels = "、".join(o.label for o in rule.options)
    ratio = "；也可填写比值（如 结余/上年结转）" if any(o.max_ratio is not None for o in rule.options) else ""
    return f"填写情形之一：{labels}（或编号1至{len(rule.options)}）{ratio}"


def rule_hint(rule, weight: Decimal) -> str:
    """The message of a 评分表 input cell, from its rule's kind and parameters."""
    kind = rule.kind
    if kind == "threshold":
        return _threshold(rule)
    if kind == "bands":
        return _bands(rule)
    if kind == "ratio":
        return _ratio(rule)
    if kind == "checklist":
        return _checklist(rule)
    if kind == "failures":
        return f"填写不符合要求的例数：0或正整数（每例扣{rule.per:g}分，扣完为止）"
    if kind == "choice":
        return _choice(rule)
    if kind == "judged":
        return f"填写自评得分：0至{weight:g}分（本行分值调整后以新分值为上限）"
    return "按评分标准填写"


def scored_note(ind) -> str:
    """The comment of a scored cell: the 评分标准 verbatim, then how the rule departs from the
    row as printed (计8分 on a 5-point row), so that the unit sees what the score does."""
    departure = ind.departure()
    return ind.standard + (f"\n注：{departure}。" if departure else "")


def scored_hint(ind) -> str:
    """The input message of a scored cell: from its rule, with the departure as in the note."""
    departure = ind.departure()
    return rule_hint(ind.rule, ind.weight) + (f"。注：{departure}" if departure else "")


def weight_hint(weight: Decimal) -> str:
    return f"参考样表分值{weight:g}分；可按本单位实际调整，调整后各指标分值合计须仍为总分"


TARGET_HINT = ("填写年度指标值：定量如“≥95%”“≤68.4万元”“670万元”“12月31日”（≥为正向，≤为反向）；"
               "定性写文字，并在右侧选择完成等级、填写得分比例")


ACTUAL_HINT = "填写实际完成值，写法与年度指标值一致，如“96%”“64.7万元”“11月30日”"


def ratio_hint() -> str:
    """定性指标的得分比例: the bands of the 完成等级, from the rule data."""
    bands = "，".join(f"{lv.label}{pct(lv.low)}至{pct(lv.high)}{'（含）' if lv.high_inclusive else ''}"
                     for lv in DEFAULT_LEVELS)
    return f"定性指标填写得分比例（百分比，如85%）：{bands}"


def input_message(field) -> tuple[str, str] | None:
    """(title, prompt) for an input cell, or None for computed and fixed cells."""
    if field.computed or field.value is not None:
        return None
    if field.hint:
        prompt = field.hint
    elif field.choices:
        prompt = "从下拉列表中选择：" + "、".join(field.choices)
    else:
        prompt = NAME_HINTS.get(field.name.rpartition("_")[2] if field.kind == "score" else field.name) or \
            KIND_HINTS.get(field.kind, f"填写{field.label}")
    if field.required:
        prompt += "（必填）"
    return field.label[:TITLE_MAX], prompt[:PROMPT_MAX]
