"""Score and validate a workbook: read fields by name, recompute through the engine, and report
findings (severity, sheet, cell, code, Chinese message), schema → validate → report.

The cells show what the formulas compute; this module recomputes the same results from the
inputs with the engine and reports every place where the two differ or an input is unusable.
"""
from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from pydantic import BaseModel

from perfeval_xl.forms import sets as forms_mod
from perfeval_xl.book import Book, BookError
from perfeval_xl.checks.causes import formula_note, say_what_the_rule_does
from perfeval_xl.checks.checker import (NUMERIC, RATE_TOLERANCE, SCALE, TOLERANCE, Finding, _Checker, _is_formula,  # noqa: F401
                                       as_text, blank, number)
from perfeval_xl.forms.layout import REPORT_YEAR, Derived, F, Form, IndicatorRows, SumCheck, TemplateSet
from perfeval_xl.forms.edition import EDITION_SHEET, carried, edition_set, recorded_key
from perfeval_xl.forms.sets import NOT_APPLICABLE
from perfeval_xl.engine.parse import (ParseError, normalize, parse_number,
                                     parse_value, pct, quote, read_rate, show)
from perfeval_xl.engine.rules import CENT, ScoreError, execution_score, grade, score
from perfeval_xl.engine.scheme import Indicator, Scheme, load as load_scheme



class FormResult(BaseModel):
    sheet: str
    scheme: str
    total: Decimal | None = None
    grade: str | None = None
    parts: dict[str, Decimal] = {}  # 一级指标 → points
    rates: dict[str, Decimal] = {}  # computed rates shown on the sheet: 控制率, 执行率…
    # 按百分制折算 (rows marked 不适用, or 分值 not adding to the total): the points before it
    score_sum: Decimal | None = None
    applicable: Decimal | None = None


class Assessment(BaseModel):
    template: str
    year: int
    label: str
    unit: str = ""
    main: FormResult | None = None
    forms: list[FormResult] = []
    findings: list[Finding] = []
    edition_sha256: str = ""  # the full hash of an edition carried by the workbook

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def identify(book: Book) -> TemplateSet:
    sets = forms_mod.template_sets()
    tid = book.template_id()
    if tid in sets:
        return sets[tid]
    if (ed := carried(book)) is not None:  # an edition from outside the package, in the book
        return edition_set(ed.key)
    for tset in sets.values():  # a file whose properties were lost: recognise it by its sheets
        if all(f.sheet in book.sheets() for f in tset.forms if f.key not in project_keys(tset)):
            return tset
    raise BookError("未知的表格布局：不是由本工具模板生成的工作簿")


def project_keys(tset: TemplateSet) -> set[str]:
    return {f.key for f in _project_forms(tset.project, 1)} if tset.project else set()


def project_copies(tset: TemplateSet, sheets: list[str]) -> dict[str, Form]:
    """The forms of projects 2, 3, … present in the book, by sheet (附件3_2, 附件2-2_2 + 附件3-2_2…)."""
    out: dict[str, Form] = {}
    if tset.project is None:
        return out
    # only the numbers the sheet names carry: building a project's forms writes every native formula
    numbers = {int(m.group(1)) for sheet in sheets if (m := re.search(r"_(\d+)$", sheet)) and int(m.group(1)) >= 2}
    for n in sorted(numbers):
        out.update({f.sheet: f for f in _project_forms(tset.project, n) if f.sheet in sheets})
    return out


@functools.lru_cache(maxsize=256)
def _project_forms(project, n: int) -> list[Form]:
    """The n-th project's forms, built once per process (collect reads thousands of books)."""
    return project(n)


def forms_in(book: Book, tset: TemplateSet) -> list[tuple[str, Form]]:
    """Each sheet with its layout; the copies of the project forms included."""
    layouts = {f.sheet: f for f in tset.forms}
    layouts.update(project_copies(tset, book.sheets()))
    return [(sheet, layouts[sheet]) for sheet in book.sheets() if sheet in layouts]


def report_year(book: Book, tset: TemplateSet) -> int:
    """The workbook's report_year input; the set's own year for files made before it existed."""
    for form in tset.forms:
        if form.sheet in book.sheets() and book.address(form.sheet, REPORT_YEAR):
            year = number(book.get(form.sheet, REPORT_YEAR))
            if year is not None and year == year.to_integral_value() and 1900 < year < 2200:
                return int(year)
    return tset.year


# ----------------------------------------------------------------------------- field checks
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
            if f.required and not _not_applicable(c, f.name):
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


def _not_applicable(c: _Checker, name: str) -> bool:
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


# ----------------------------------------------------------------------------- scored rows
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
        if _not_applicable(c, entry):
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
    for tset in forms_mod.template_sets().values():
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


def round_total(points: Decimal) -> Decimal:
    """总分 is the sum of the rows' scores rounded half-up to 0.01, and 等次 is judged on it:
    89.995 is 90.00 and 优 (docs/rules.md "总分 and 等次"; native.total rounds the same way)."""
    return points.quantize(CENT, ROUND_HALF_UP)


def rescale(points: Decimal, applicable: Decimal, total: Decimal) -> Decimal:
    """按百分制折算: the applicable rows' points brought to the full total, half-up to 0.01."""
    if applicable == total:
        return round_total(points)
    return (points * total / applicable).quantize(CENT, ROUND_HALF_UP) if applicable > 0 else Decimal(0)


def check_totals(c: _Checker, scheme: Scheme, expected_total: Decimal, weights: Decimal | None = None,
                 how: str = "") -> str:
    """分值合计 against the system's total, 总分 against the rows, 等次 against the 总分."""
    shown_weights = number(c.get("weight_total"))
    if weights is not None and weights != scheme.total:
        c.report("weight_total", "weight_total",
                 f"各指标分值合计为{weights:f}，应为{scheme.total:f}（调整分值或增加指标后合计仍须为总分）")
    elif shown_weights != (scheme.total if weights is None else weights):
        c.report("weight_total", "weight_total", f"分值合计为{as_text(c.get('weight_total'))}，应为{scheme.total:f}")
    shown = number(c.get("score_total"))
    if shown is None or abs(shown - expected_total) > TOLERANCE:
        total = show(shown) if shown is not None else as_text(c.get("score_total"))
        c.report("score_total", "total_mismatch", f"总分为{total}，{how or '各项得分之和为'}{expected_total:f}")
    expected_grade = grade(expected_total, scheme.grades)
    shown_grade = normalize(str(c.get("grade") or ""))
    if shown_grade not in [expected_grade.label, *expected_grade.aliases]:
        c.report("grade", "grade_mismatch", f"评价等次为{as_text(c.get('grade'), quote=True)}，总分{expected_total:f}应为“{expected_grade.label}”")
    return expected_grade.label


def check_budget(c: _Checker, spec: IndicatorRows, parts: dict[str, Decimal]) -> Decimal | None:
    """预算执行 row: the score, the 90% reason rule, and spending that lags the indicators."""
    budget_name, spent_name = spec.budget
    budget, spent = c.get(budget_name), c.get(spent_name)
    if blank(budget) or blank(spent) or number(budget) is None or number(spent) is None:
        return None
    try:
        exec_points = execution_score(budget, spent, c.get("exec_weight") or 10)
    except ScoreError as exc:
        c.report(budget_name, "cannot_score", str(exc))
        return None
    rate = number(spent) / number(budget)
    if rate < Decimal("0.9") and blank(c.get("exec_reason")):
        c.report("exec_reason", "low_execution_without_reason",
                 f"执行率{pct(rate, Decimal('0.9'))}低于90%，须说明原因", "warning")
    if rate > 1:
        c.report(spent_name, "rate_implausible", f"执行率为{pct(rate)}：全年执行数超过全年预算数，请核对；"
                                                 f"得分仍按评分标准计算（{show(exec_points)}分）", "warning")
    shown = number(c.get("exec_score"))
    if shown is None or abs(shown - exec_points) > TOLERANCE:
        c.report("exec_score", "score_mismatch", f"预算执行得分为{as_text(c.get('exec_score'))}，应为{exec_points:f}")
    indicators = sum(parts.values(), Decimal(0))
    if indicators > 0 and (indicators / 90 - exec_points / 10) / (indicators / 90) > Decimal("0.05"):
        c.report("score_total", "indicators_outrun_spending",
                 f"指标得分率{pct(indicators / 90)}明显高于预算执行得分率{pct(exec_points / 10)}，请核实", "warning")
    return exec_points


def untouched(book: Book, sheet: str, form: Form) -> bool:
    """No input differs from the template (blank, "/" as seed 001 strikes out 附件3, the
    pre-filled default, or a derived input still holding its formula)."""
    raw = getattr(book, "raw", lambda *a: None)

    def as_template(f: F) -> bool:
        v = book.get(sheet, f.name)
        return blank(v) or v == f.default or (_is_formula(f.default) and _is_formula(raw(sheet, f.name)))

    return all(as_template(f) for f in form.fields() if not f.computed and f.value is None)


def assess_form(book: Book, sheet: str, form: Form, out: list[Finding], tset: TemplateSet | None = None,
                year: int | None = None) -> FormResult | None:
    c = _Checker(book, sheet, out, year)
    c.form = form
    check_fields(c, form)
    check_sums(c, form.checks)
    rates = {f.label: number(c.get(f.name)) for f in form.fields() if f.computed and f.kind == "percent"}
    rates = {k: v for k, v in rates.items() if v is not None}
    spec = form.indicators
    if spec is None:
        return FormResult(sheet=sheet, scheme="", rates=rates)
    scheme = load_scheme(spec.scheme)
    if spec.slots:
        parts = check_open_rows(c, spec, scheme)
        exec_points = check_budget(c, spec, parts)
        parts = {"预算执行": exec_points or Decimal(0), **parts}
        total = round_total(sum(parts.values(), Decimal(0)))
        label = check_totals(c, scheme, total)
        return FormResult(sheet=sheet, scheme=scheme.id, total=total, grade=label, parts=parts, rates=rates)
    tally = check_scheme_rows(c, spec, scheme)
    points = sum(tally.parts.values(), Decimal(0))
    total = rescale(points, tally.applicable, scheme.total)
    rescaled = tally.applicable != scheme.total
    how = (f"按百分制折算应为（得分合计{points:f} ÷ 适用指标分值合计{tally.applicable:f} × {scheme.total:f}）"
           if rescaled else "")
    label = check_totals(c, scheme, total, tally.weights, how)
    return FormResult(sheet=sheet, scheme=scheme.id, total=total, grade=label, parts=tally.parts, rates=rates,
                      score_sum=points if rescaled else None, applicable=tally.applicable if rescaled else None)


def check_same(book: Book, tset: TemplateSet, out: list[Finding]) -> None:
    for (s1, n1), (s2, n2), what in tset.same:
        if s1 not in book.sheets() or s2 not in book.sheets():
            continue
        a, b = book.get(s1, n1), book.get(s2, n2)
        if blank(a) or blank(b):
            continue
        da, db = number(a), number(b)
        differ = abs(da - db) > TOLERANCE if da is not None and db is not None else normalize(str(a)) != normalize(str(b))
        if differ:
            out.append(Finding(severity="error", sheet=s2, cell=book.address(s2, n2) or n2, code="cross_sheet",
                               message=f"{what}“{b}”与{s1}!{book.address(s1, n1)}的“{a}”不一致"))


def _used(book: Book, tset: TemplateSet, sheets: list[tuple[str, Form]]) -> list[tuple[str, Form]]:
    """Project sheets are optional: a project whose sheets are all as in the template is left
    out (a unit without projects, or one with fewer than the template holds)."""
    keys = project_keys(tset)
    groups: dict[str, list[tuple[str, Form]]] = {}  # project → its sheets; "" the unit's own
    for sheet, form in sheets:
        groups.setdefault(_project_of(sheet) if form.key in keys else "", []).append((sheet, form))
    unused = {g for g, members in groups.items() if g and all(untouched(book, s, f) for s, f in members)}
    return [(s, f) for s, f in sheets if not (f.key in keys and _project_of(s) in unused)]


def _project_of(sheet: str) -> str:
    """Which project a sheet belongs to: 附件2-2, 附件3-2 and 附件3_1 → "1"; 附件3-2_2 → "2"."""
    _, sep, n = sheet.rpartition("_")
    return n if sep and n.isdigit() else "1"


def check_carried(book: Book, out: list[Finding]) -> str:
    """The hash of the edition the book carries ("" if built-in), and an error when its text
    is not the one the template was built with."""
    ed = carried(book)
    if ed is None:
        return ""
    if not ed.intact:
        out.append(Finding(severity="error", sheet=EDITION_SHEET, cell="A1", code="edition_changed",
                           message=f"工作簿所带指标体系已被改动：模板生成时为“{recorded_key(book)}”，"
                                   f"现为“{ed.key}”（SHA-256 {ed.sha256}），评分按现有内容计算，请核对"))
    return ed.sha256


def assess(book: Book) -> Assessment:
    tset = identify(book)
    out: list[Finding] = []
    sha = check_carried(book, out)
    results = []
    sheets = forms_in(book, tset)
    year = report_year(book, tset)
    for sheet, form in _used(book, tset, sheets):
        result = assess_form(book, sheet, form, out, tset, year)
        if result is not None:
            results.append(result)
    check_same(book, tset, out)
    unit = next((str(book.get(s, "unit_name")) for s, _ in sheets if not blank(book.get(s, "unit_name"))), "")
    main = next((r for r in results if r.sheet == tset.main), None)
    return Assessment(template=tset.id, year=report_year(book, tset), label=tset.label, unit=unit, main=main,
                      forms=results, findings=out, edition_sha256=sha)
