"""The indicator rows of a 评分表 or 自评表: each row's score recomputed with the engine from its
inputs (open rows of the 2023 自评表, scheme rows, rows the unit added), the 分值 the unit set,
and the inputs derived from the workbook's own figures."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from perfeval_xl.book import Book
from perfeval_xl.checks.causes import formula_note, say_what_the_rule_does
from perfeval_xl.checks.checker import RATE_TOLERANCE, SCALE, TOLERANCE, _Checker, as_text, blank, number
from perfeval_xl.checks.fields import not_applicable
from perfeval_xl.forms.layout import NOT_APPLICABLE, Derived, IndicatorRows
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.engine.parse import ParseError, normalize, parse_value, pct, quote, read_rate, show
from perfeval_xl.engine.rules import ScoreError, score
from perfeval_xl.engine.scheme import Indicator, Scheme


def _check_row_score(c: _Checker, p: str, label: str, weight: Decimal, computed: Decimal | None,
                     reachable: set[Decimal] | None = None) -> Decimal | None:
    """The final score of a row (computed, or the evaluator's adjusted score) and its checks.
    ``reachable``: every score a discrete rule can give; an adjusted score outside it is impossible."""
    adjusted_raw, reason = c.get(p + "adjusted"), c.get(p + "reason")
    final = computed
    if not blank(adjusted_raw):
        adjusted = number(adjusted_raw)
        if adjusted is None:
            return None  # reported by check_fields; counts nothing, as in the cell
        if adjusted < 0 or adjusted > weight:
            c.report(p + "adjusted", "score_out_of_range", f"{label}：调整后得分{adjusted:f}超出0至{weight:f}分")
            return None
        if reachable is not None and adjusted not in reachable:
            c.report(p + "adjusted", "score_unreachable",
                     f"{label}：调整后得分{adjusted:f}按评分标准不可能得到（可得分值：{'、'.join(show(x) for x in sorted(reachable))}）")
        final = adjusted
        if computed is not None and adjusted != computed and blank(reason):
            c.report(p + "reason", "adjusted_without_reason",
                     f"{label}：自评得分{adjusted:f}与计算得分{computed:f}不同，须说明原因")
    if final is None:
        return None
    if final < weight and blank(reason) and blank(adjusted_raw):
        c.report(p + "reason", "lost_points_without_reason",
                 f"{label}：未得满分（{final:f}/{weight:f}），应填写偏差原因分析及改进措施", "warning")
    shown = number(c.get(p + "score"))
    if shown is None or abs(shown - final) > TOLERANCE:
        c.report(p + "score", "score_mismatch",
                 f"{label}：得分单元格为{as_text(c.get(p + 'score'))}，按评分标准应为{final:f}{formula_note(c, p + 'score')}")
    return final


def _error_cell(message: str, cells: dict[str, str], default: str) -> str:
    """Which input a rule's complaint is about, from the words of its message."""
    return next((name for word, name in cells.items() if word in message), default)


def check_open_rows(c: _Checker, spec: IndicatorRows, scheme: Scheme) -> dict[str, Decimal]:
    """The unit's own indicator rows (2023 自评表). Returns points per 一级指标."""
    parts: dict[str, Decimal] = {l1: Decimal(0) for l1 in scheme.open_rows}
    weights: dict[str, Decimal] = {l1: Decimal(0) for l1 in scheme.open_rows}
    first_row: dict[str, str] = {}
    for i, (l1, _) in enumerate(spec.slots, start=1):
        p = f"{spec.prefix}{i}_"
        first_row.setdefault(l1, p + "weight")
        v = {k: c.get(p + k) for k in ("name", "target", "actual", "weight", "adjusted")}
        if all(blank(x) for x in v.values()):  # an unused row (most are): read nothing more
            continue
        v.update((k, c.get(p + k)) for k in ("direction", "level", "ratio"))
        if blank(v["name"]):
            c.report(p + "name", "row_without_name", "已填写指标值或分值，但未填写三级指标名称")
            continue
        label = quote(str(v["name"]))
        weight = number(v["weight"])
        if weight is None:
            if blank(v["weight"]):
                c.report(p + "weight", "required", f"{label}未填写分值")
            continue
        if not 0 < weight <= SCALE["score"]:
            c.report(p + "weight", "weight_out_of_range", f"{label}：分值{show(weight)}应大于0且不超过100")
            continue
        weights[l1] += weight
        computed = _row_engine_score(c, p, label, v, weight, scheme)
        final = _check_row_score(c, p, label, weight, computed)
        if final is not None:
            parts[l1] += final
    for l1, total in weights.items():
        if total != scheme.level1[l1]:
            c.report(first_row[l1], "level1_weight",
                     f"“{l1}”各行分值合计{total:f}，按指标体系应为{scheme.level1[l1]:f}")
    return parts


def _row_engine_score(c: _Checker, p: str, label: str, v: dict, weight: Decimal, scheme: Scheme) -> Decimal | None:
    rules = scheme.row_rules
    if not blank(v["level"]):
        ratio = c.rate(p + "ratio", f"{label}的得分比例")
        if ratio is None and not blank(v["ratio"]):
            return None  # unreadable or out of bounds: reported at the cell
        try:
            return score(rules.qualitative, weight, (v["level"], v["ratio"] if ratio is None else ratio))
        except ScoreError as exc:
            c.report(_error_cell(str(exc), {"完成等级": p + "level", "比例": p + "ratio"}, p + "ratio"), "cannot_score",
                     f"{label}：{exc}")
            return None
    target, actual = c.typed(p + "target"), c.typed(p + "actual")
    if blank(target):
        c.report(p + "target", "required", f"{label}未填写年度指标值")
        return None
    try:
        parsed = parse_value(target)
    except ParseError as exc:
        c.report(p + "target", "cannot_score", f"{label}：年度指标值{exc}")
        return None
    if not parsed.is_numeric:
        c.report(p + "target", "qualitative_needs_level",
                 f"{label}：年度指标值“{target}”无法识别为数值；定量指标请填写数值，"
                 f"定性指标请选择完成等级并填写得分比例")
        return None
    if blank(actual):
        c.report(p + "actual", "required", f"{label}未填写实际完成值")
        return None
    _echo_bare_rate(c, p + "actual", label, parsed, actual)
    try:
        return score(rules.quantitative, weight, (target, actual, v["direction"], c.year))
    except ScoreError as exc:
        cell = _error_cell(str(exc), {"指标方向": p + "direction", "年度指标值": p + "target",
                                      "实际完成值": p + "actual", "单位": p + "actual"}, p + "actual")
        c.report(cell, "cannot_score", f"{label}：{exc}")
        return None


def _echo_bare_rate(c: _Checker, name: str, label: str, target, actual: object) -> None:
    """A bare number against a percentage target is read as a rate: say how (按85%计)."""
    try:
        value = parse_value(actual)
        if target.kind != "percent" or value.kind != "number" or value.unit:
            return
        echo = read_rate(actual).echo
    except ParseError:
        return  # the rule reports it
    if echo:
        c.report(name, "read_as_percent", f"{label}：实际完成值“{actual}”{echo}；如非此意，请带%号填写", "warning")


class Tally(NamedTuple):
    """What a 评分表's rows add up to: points per 一级指标, 分值 of all rows and of applicable ones."""

    parts: dict[str, Decimal]
    weights: Decimal
    applicable: Decimal


def _row_weight(c: _Checker, p: str, label: str, edition_weight: Decimal | None) -> Decimal | None:
    """The row's 分值 as the unit set it (None: unusable, reported by check_fields or here)."""
    raw = c.get(p + "weight")
    weight = number(raw)
    if blank(raw):
        c.report(p + "weight", "required", f"{label}未填写分值")
    if weight is None:
        return None
    if weight < 0:
        c.report(p + "weight", "weight_negative", f"{label}：分值{weight:f}不能为负")
        return None
    if edition_weight is not None and weight != edition_weight:
        c.report(p + "weight", "weight_adapted", f"{label}：分值由参考样表的{edition_weight:f}调整为{weight:f}",
                 "warning")
    return weight


def check_scheme_rows(c: _Checker, spec: IndicatorRows, scheme: Scheme) -> Tally:
    """A 评分表: indicator i of the scheme on row i, then the rows the unit added."""
    parts: dict[str, Decimal] = {l1: Decimal(0) for l1 in scheme.level1}
    by_l1: dict[str, Decimal] = {l1: Decimal(0) for l1 in scheme.level1}
    applicable = Decimal(0)
    derived = {d.indicator: d for d in spec.derived}
    for i, ind in enumerate(scheme.indicators, start=1):
        p, label = f"{spec.prefix}{i}_", quote(ind.name)
        weight = _row_weight(c, p, label, ind.weight)
        if weight is None:
            continue
        by_l1[ind.l1] += weight
        judged = ind.rule.kind == "judged"  # the score itself is typed into 自评得分
        by_parts = not c.book.address(c.sheet, p + "value")  # 经济效益、社会效益 rows: scores typed per part
        entry = p + ("part1" if by_parts else "score" if judged else "value")
        if not_applicable(c, entry):
            if not blank(c.get(entry)):
                c.report(entry, "not_applicable_with_value", f"{label}已标为不适用，所填“{c.get(entry)}”不计分",
                         "warning")
            continue
        applicable += weight
        if judged and not by_parts:
            final = _typed_score(c, p, label, weight)
            parts[ind.l1] += final or 0
            continue
        cell, value = _indicator_value(c, p, ind)
        if value is None and not by_parts and blank(c.get(cell)) and blank(c.get(p + "adjusted")):
            # no silent zero: a blank (or "/") scores nothing, so it is an error at the cell
            c.report(cell, "required", f"{label}：{ind.input or '指标值'}未填写（本行计0分；"
                                       f"确无此项请在“是否适用”中选择{NOT_APPLICABLE}）")
        computed = None
        if value is not None:
            try:
                computed = ind.points(value, weight)
            except ScoreError as exc:
                c.report(cell, "cannot_score", f"{label}：{exc}")
        if derived.get(ind.id) is not None and value is not None:
            check_derived(c, cell, ind, derived[ind.id], value)
        if computed is not None:
            say_what_the_rule_does(c, cell, ind, value, weight, computed)
        reachable = getattr(ind.rule, "reachable", None)
        final = _check_row_score(c, p, label, weight, computed,
                                 reachable(weight) if reachable and weight == ind.weight else None)
        if final is not None:
            parts[ind.l1] += final
    for i in range(1, spec.added + 1):
        got = _check_added_row(c, f"add{i}_", scheme)
        if got is not None:
            l1, weight, points = got
            by_l1[l1] += weight
            applicable += weight
            parts[l1] += points or 0
    for l1, declared in scheme.level1.items():
        if by_l1[l1] != declared:
            c.report("weight_total", "level1_adapted",
                     f"一级指标“{l1}”各行分值合计由{declared:f}调整为{by_l1[l1]:f}", "warning")
    return Tally(parts, sum(by_l1.values(), Decimal(0)), applicable)


def _indicator_value(c: _Checker, p: str, ind: Indicator) -> tuple[str, object | None]:
    """(cell, value) a 评分表 row is scored on: its 指标值 as its rule takes it, or the sum of the
    得分 of its parts (经济效益、社会效益 on rows of their own); None: nothing to score."""
    if c.book.address(c.sheet, p + "value"):
        return p + "value", _row_input(c, p + "value", ind)
    parts, j = [], 1
    while c.book.address(c.sheet, f"{p}part{j}"):
        parts.append(c.get(f"{p}part{j}"))
        j += 1
    numbers = [number(v) for v in parts if not blank(v)]
    if not numbers or None in numbers:  # non-numbers are reported by check_fields
        return p + "part1", None
    return p + "part1", sum(numbers, Decimal(0))


def _row_input(c: _Checker, name: str, ind: Indicator) -> object | None:
    """A 评分表 row's input as its rule takes it (a rate as a fraction); None: nothing to score."""
    value = c.get(name)
    if ind.rule.blank_input(value):
        return "" if value is None else value  # scored without reading it: not "nothing to score"
    if blank(value):
        return None
    if ind.input_kind == "rate":
        return c.rate(name, ind.input or ind.name)
    return value


def derive(book: Book, d: Derived) -> Decimal | None:
    """The figure the official formula gives from the workbook's own tables (None: not computable)."""
    of, per = (number(book.get(*ref)) if ref[0] in book.sheets() else None for ref in (d.of, d.per))
    if of is None or per is None or (d.kind != "balance" and per == 0):
        return None
    if d.kind == "balance":  # the ratio 结余/上年结转 that picks the 资金结余 case
        return Decimal(0) if of <= 0 else (Decimal(1) if of <= per else Decimal(2))
    return (of - per) / per if d.kind == "change" else of / per


def check_derived(c: _Checker, name: str, ind: Indicator, d: Derived, value: object) -> None:
    """A typed value that differs from the one the unit's own figures give is an error."""
    expected = derive(c.book, d)
    if expected is None:
        return
    formula = ind.formula or d.text
    of, per = (f"{s}!{c.book.address(s, n)}（{_label(s, n)}{show(number(c.book.get(s, n)))}）" for s, n in (d.of, d.per))
    cells = f"{of}与{per}"
    if d.kind == "balance":
        try:
            typed = ind.rule.pick(value)
        except ScoreError:
            return  # reported as cannot_score
        should = ind.rule.options[int(expected)]
        if typed.label != should.label:
            c.report(name, "derived_mismatch", f"{quote(ind.name)}填写“{value}”，按{cells}应为“{should.label}”"
                                               f"（{formula}）")
        return
    if abs(Decimal(str(value)) - expected) >= RATE_TOLERANCE:
        c.report(name, "derived_mismatch", f"{quote(ind.name)}填写{pct(Decimal(str(value)))}，按{cells}"
                                           f"应为{pct(expected)}（{formula}）")


def _label(sheet: str, name: str) -> str:
    """A field's label from the layouts (实有人数), for messages that name another sheet's cell."""
    for tset in template_sets().values():
        for form in tset.forms:
            if form.sheet == sheet and name in {f.name for f in form.fields()}:
                return form.field(name).label
    return name


def _check_added_row(c: _Checker, p: str, scheme: Scheme) -> tuple[str, Decimal, Decimal | None] | None:
    """A row the unit added: 一级指标, name, 分值 and a typed score within [0, 分值]."""
    names = ("l1", "l2", "name", "standard", "weight", "value", "score", "reason")
    if all(blank(c.get(p + k)) for k in names):
        return None
    label = quote(str(c.get(p + "name") or "增加的指标"))
    if blank(c.get(p + "name")):
        c.report(p + "name", "row_without_name", "增加的指标行已填写内容，但未填写三级指标名称")
    l1 = normalize(str(c.get(p + "l1") or ""))
    if l1 not in scheme.level1:
        if blank(c.get(p + "l1")):
            c.report(p + "l1", "required", f"{label}未选择一级指标")
        return None  # a value outside the list is reported by check_fields
    weight = _row_weight(c, p, label, None)
    return None if weight is None else (l1, weight, _typed_score(c, p, label, weight))


def _typed_score(c: _Checker, p: str, label: str, weight: Decimal) -> Decimal | None:
    """A score the evaluator types into 自评得分 (judged rows, added rows): within [0, 分值]."""
    score_raw = c.get(p + "score")
    if blank(score_raw):
        c.report(p + "score", "required", f"{label}：自评得分未填写")
        return None
    points = number(score_raw)
    if points is None:
        return None  # not a number: reported by check_fields
    if not 0 <= points <= weight:
        c.report(p + "score", "score_out_of_range", f"{label}：自评得分{points:f}超出0至{weight:f}分")
        return None
    if points < weight and blank(c.get(p + "reason")):
        c.report(p + "reason", "lost_points_without_reason",
                 f"{label}：未得满分（{points:f}/{weight:f}），应填写扣分原因", "warning")
    return points
