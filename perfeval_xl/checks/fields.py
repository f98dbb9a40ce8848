"""Field checks of a form: each input as its kind wants it (number, rate, choice, bound, fixed
figure, required), and the sums the form's tables must add up to."""
from __future__ import annotations

from decimal import Decimal

from perfeval_xl.checks.checker import NUMERIC, SCALE, TOLERANCE, _Checker, blank, number
from perfeval_xl.forms.layout import NOT_APPLICABLE, F, Form, SumCheck
from perfeval_xl.engine.parse import ParseError, normalize, parse_number, quote, show


def check_fields(c: _Checker, form: Form) -> None:
    scored = _scored_inputs(form)
    for f in form.fields():
        if f.computed or f.name in scored:  # a 评分表 row's input is read with its indicator
            continue
        v = c.get(f.name)
        if f.value is not None:  # a fixed figure of the official form
            if number(v) != Decimal(str(f.value)):
                c.report(f.name, "fixed_changed", f"{f.label}应为{f.value:g}，不得改动")
            continue
        if blank(v):
            if f.required and not not_applicable(c, f.name):
                c.report(f.name, "required", f"{f.label}未填写")
            continue
        if f.kind == "percent":
            c.rate(f.name, _field_label(c, f))
        elif f.kind in NUMERIC:
            if (x := number(v)) is None:
                c.report(f.name, "not_number", _not_a_number(f.label, v))
                continue
            check_bounds(c, f, x, v)
        if f.choices and normalize(str(v)) not in f.choices:
            c.report(f.name, "bad_choice", f"{f.label}“{v}”应为：{'、'.join(f.choices)}")


def _field_label(c: _Checker, f: F) -> str:
    """A field's label, with its indicator's name on an indicator row: “X”的得分比例."""
    prefix = f.name.rpartition("_")[0]
    name = c.get(prefix + "_name") if prefix and not f.name.endswith("_name") else None
    return f"{quote(str(name))}的{f.label}" if not blank(name) else f.label


def _not_a_number(label: str, v: object) -> str:
    try:
        parse_number(v)
    except ParseError:
        return f"{label}“{v}”无法识别为数值"
    return f"{label}“{v}”是文字，表中公式不按数字计算，请只填写数字（不带单位）"


def _scored_inputs(form: Form) -> set[str]:
    spec = form.indicators
    if spec is None or spec.slots:
        return set()
    return {f"{spec.prefix}{i}_value" for i in range(1, spec.count + 1)}


def check_bounds(c: _Checker, f: F, x: Decimal, v: object) -> None:
    """Head counts are non-negative integers; amounts non-negative; nothing beyond any scale."""
    if f.kind == "int" and x != x.to_integral_value():
        c.report(f.name, "not_integer", f"{f.label}应为整数，填写的是{v}")
    elif f.kind == "int" and x < 0:
        c.report(f.name, "negative", f"{f.label}不能为负数（{v}）")
    elif f.kind == "money" and x < 0:
        c.report(f.name, "negative", f"{f.label}为负数（{v}），请核实", "warning")
    limit = SCALE.get(f.kind)
    if limit is not None and abs(x) > limit:
        c.report(f.name, "out_of_scale", f"{f.label}“{v}”超出合理范围（绝对值不超过{show(limit)}）")


def not_applicable(c: _Checker, name: str) -> bool:
    """A 评分表 row the unit marked 不适用 (its ``…_na`` cell): its inputs may stay blank."""
    prefix = name.rsplit("_", 1)[0]
    return normalize(str(c.get(prefix + "_na") or "")) == NOT_APPLICABLE


def check_sums(c: _Checker, checks: list[SumCheck]) -> None:
    for chk in checks:
        raw_parts = [c.get(p) for p in chk.parts]
        total_raw = c.get(chk.total)
        if all(blank(p) for p in raw_parts):
            continue  # parts not itemised (e.g. unit rows unused): nothing to compare
        parts = [number(p) if not blank(p) else Decimal(0) for p in raw_parts]
        total = number(total_raw) if not blank(total_raw) else None
        if any(p is None for p in parts) or (total is None and not blank(total_raw)):
            continue  # a non-number is reported by check_fields
        s = sum(parts, Decimal(0))
        if total is None:
            if s != 0:
                c.report(chk.total, "total_missing", f"{chk.what}：已填写分项（合计{s:f}），合计未填写")
            continue
        if abs(total - s) > TOLERANCE:
            c.report(chk.total, "sum_mismatch", f"{chk.what}：合计{total:f}，各分项之和{s:f}，相差{total - s:f}")
