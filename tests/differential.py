"""The LibreOffice differential: random fills of every template set, typed as people type them,
recalculated by LibreOffice (the native formulas) and scored by the engine.

Each row's computed cell must equal what the add-in's UDF (the engine) shows, to 0.01, or be
NEEDS_ADDIN for a writing outside the native reader's forms (never for a "plain" one), and show
no number where the engine refuses the input. Each sheet's 总分 and 等次 must be the engine's
(checks/assess), or NOT_COMPUTED while a row waits for the add-in. Used by tests/test_native.py
(a few books) and scripts/differential.py (thousands of rows).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess
from perfeval_xl.engine import parse, rules
from perfeval_xl.engine.parse import as_typed_in_percent_cell
from perfeval_xl.engine.scheme import load
from perfeval_xl.formulas import native, udfs
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

SETS = ("2023", "2020", "2021-lengshuitan")
# Totals at and beside the grade boundaries: one rounding rule for 总分 and 等次 (docs/rules.md)
BOUNDARY_TOTALS = [Decimal(x) for x in ("89.995", "89.994", "79.995", "59.995", "90", "79.994", "59.994")]


def decimals(lo: str, hi: str, places: int = 4):
    return st.decimals(Decimal(lo), Decimal(hi), places=places, allow_nan=False, allow_infinity=False)


def fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def full_width(text: str) -> str:
    """８５％: digits, point and percent sign as a Chinese input method types them."""
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else {".": "．", "%": "％"}.get(c, c) for c in text)


PLAIN_UNITS = [u for u in native.UNITS if u not in ("％",)]
PREFIXES = [w for w, _ in parse._COMPARATOR_WORDS if w not in ("以上", "以下", "以内")]
SUFFIXES = ["以上", "以下", "以内"]


@st.composite
def typed_number(draw, lo="-50", hi="2000", units=PLAIN_UNITS):
    """(value, plain, writing): a numeric cell, or text such as ≥90%, 完成20个, 68.4万元, ８５％."""
    d = draw(st.one_of(decimals(lo, hi), decimals("0", "2"), st.integers(0, 120).map(Decimal)))
    if draw(st.integers(0, 3)) == 0:
        return float(d), True, "number cell"
    unit = draw(st.sampled_from(units))
    text = fmt(d) + unit
    if unit in ("%", "‰"):
        text = fmt(d * 100 if unit == "%" else d * 1000) + unit
    style = draw(st.integers(0, 6))
    if style == 1:
        return draw(st.sampled_from(PREFIXES)) + text, True, "comparator word"
    if style == 2:
        return text + draw(st.sampled_from(SUFFIXES)), True, "以上/以下 after"
    if style == 3:
        return (draw(st.sampled_from(PREFIXES + [""])) + draw(st.sampled_from(parse._VERBS)) +
                draw(st.sampled_from(PREFIXES + [""])) + text), True, "verb"
    if style == 4:
        return " " + text + " ", True, "spaces"
    if style == 5:
        return full_width(text), True, "full-width"
    return text, True, "number with unit"


@st.composite
def typed_date(draw, year: int = 2023):
    """A deadline or completion date as written: 12月31日, 2023年12月31日, 2023-12-31, 12月31日前,
    年底前, 2023年12月底前, 6月末; or a date cell."""
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 31))
    y = draw(st.sampled_from([year - 1, year, year, year + 1]))
    plain = (month, day) != (2, 29)  # 2月29日 without a year: the engine reads 2月28日, the formulas ask
    style = draw(st.integers(0, 7))
    if style == 0:
        return f"{month}月{day}{draw(st.sampled_from(['日', '']))}", plain, "date"
    if style == 1:
        return f"{y}年{month}月{day}日", True, "date with year"
    if style == 2:
        sep = draw(st.sampled_from("-/."))
        return f"{y}{sep}{month:0{draw(st.integers(1, 2))}d}{sep}{day}", True, "ISO date"
    if style == 3:
        return f"{month}月{day}日{draw(st.sampled_from(parse._DEADLINE_TAIL))}", plain, "deadline word"
    if style == 4:
        return draw(st.sampled_from(parse._YEAR_END)) + draw(st.sampled_from(["", "前", "之前"])), True, "年底"
    if style == 5:
        return f"{draw(st.sampled_from(['', f'{y}年']))}{month}月{draw(st.sampled_from('底末'))}" + \
            draw(st.sampled_from(["", "前"])), True, "month end"
    if style == 6:
        try:
            return dt.datetime(y, month, day), True, "date cell"
        except ValueError:
            return dt.datetime(y, month, 28), True, "date cell"
    return f"{full_width(str(month))}月{full_width(str(day))}日", plain, "full-width date"


EXOTIC = st.sampled_from([
    "约九成", "1,323.28万元", "100㎡", "完成累计20个", "≥", "95%左右", "12/31", "3.5.个", "5.",
    "-", "+7", "1e3", "0x10", "一百", "≥90%以上", "12月", "13月1日", "2月29日", "优化", "2023年底",
]).map(lambda v: (v, False, "other text"))


def typed_value(units=PLAIN_UNITS):
    return st.one_of(typed_number(units=units), typed_number(units=units), typed_date(), EXOTIC,
                     st.just((None, True, "blank")))


@st.composite
def open_row(draw):
    """One row of a 2023 自评表: (cells by field, plain, writing)."""
    # the rare case last: Hypothesis's first example draws every integer as small as it can
    weight = draw(st.sampled_from([None, 0.5, 2.5]) if draw(st.integers(0, 9)) == 9 else
                  st.integers(1, 20).map(float))
    unit = draw(st.sampled_from(PLAIN_UNITS))
    kind = draw(st.integers(0, 5))
    if kind <= 2:  # mostly target and actual in one unit, as forms are filled
        (target, p1, w), (actual, p2, _) = draw(typed_number(units=[unit])), draw(typed_number(units=[unit]))
    elif kind == 3:  # a deadline: the actual a date as written, or a date cell
        (target, p1, w), (actual, p2, w2) = draw(typed_date()), draw(typed_date())
        w = f"{w} / {w2}"
    else:
        (target, p1, w), (actual, p2, _) = draw(typed_value()), draw(typed_value())
    if isinstance(target, dt.datetime):  # as a serial a date cell could be a plain number: unsure
        p1 = False
    direction = draw(st.sampled_from([None, None, "正向", "反向", "等于", "横向"]))
    level, ratio, p3 = None, None, True
    if draw(st.integers(0, 3)) == 3:
        labels = [a for lv in rules.DEFAULT_LEVELS for a in [lv.label, *lv.aliases]]
        level = draw(st.sampled_from(labels + ["差不多"]))
        ratio = draw(st.one_of(decimals("0", "1.2", 3).map(float), decimals("0", "100", 1).map(float),
                               decimals("0", "1", 2).map(lambda d: f"{fmt(d * 100)}%").map(str), st.just(None)))
        w = "qualitative"
    return dict(name="指标", weight=weight, target=target, actual=actual, direction=direction, level=level,
                ratio=ratio), p1 and p2 and p3, w


def _near(limit: Decimal, step: Decimal):
    """Numbers at and around a rule's limit: the boundaries where scores jump."""
    return st.integers(-40, 40).map(lambda k: limit + k * step / 2)


@st.composite
def _listed(draw, r: rules.Checklist):
    n = len(r.items)
    picked = draw(st.lists(st.integers(1, n), max_size=n + 1))
    style = draw(st.integers(0, 6))
    if style == 0:  # "⑪", "1 2" (12), a number cell: refused or left to the add-in
        return draw(st.sampled_from(["⑪", "①②x", "1 2", "0,1", 1.0])), False, "other text"
    if style == 1:
        return draw(st.sampled_from(["全部", "无", "是", "否", "0", "均不符合"])), True, "全部/无"
    if style in (2, 3):  # 1、2、3 / 1,2 / １，２
        sep = draw(st.sampled_from([",", "、", "，", ";", "、 "]))
        text = sep.join(str(i) for i in picked) or "无"
        return (full_width(text) if style == 3 else text), True, "digit list"
    sep = draw(st.sampled_from(["", ",", "、", "，", " "]))
    return sep.join(rules._CIRCLED[i - 1] for i in picked) or "无", True, "circled"


@st.composite
def indicator_value(draw, ind):
    """(value, plain, writing) for a 评分表 row's input, by its rule."""
    r = ind.rule
    if isinstance(r, rules.Checklist):
        return draw(_listed(r))
    if isinstance(r, rules.Choice):
        labels = [a for o in r.options for a in [o.label, *o.aliases]]
        return (draw(st.one_of(st.sampled_from(labels), st.integers(0, len(r.options) + 1).map(float),
                               decimals("-0.5", "2", 2).map(float), st.just("其他情形"))), True, "choice")
    limit = getattr(r, "limit", None)
    if limit is not None:
        number = _near(limit, r.step)
    elif isinstance(r, rules.Bands):
        number = st.sampled_from([b.min if b.min is not None else b.max for b in r.bands]).flatmap(
            lambda x: _near(x, Decimal("0.01")))
    elif isinstance(r, rules.Failures):
        number = st.one_of(st.integers(-1, 8).map(Decimal), decimals("0", "3", 1))
    elif isinstance(r, rules.Ratio):
        number = st.one_of(decimals("-0.2", "1.5", 4), decimals("0", str(r.full_at * 2), 2))
    else:  # judged
        number = decimals("-1", str(ind.weight + 1), 3)
    d = draw(number)
    form = draw(st.integers(0, 8))
    rate = ind.input_kind == "rate"
    if form == 0:
        return (f"{fmt(d * 100)}%", True, "percent text") if rate else (f"{fmt(d)}{draw(st.sampled_from(['例', '分', '个']))}", True, "number with unit")
    if form == 1:
        if getattr(r, "blank_full", False):
            return draw(st.sampled_from([None, "无", "不适用", "/", " / "])), True, "no project"
        return draw(st.sampled_from([None, "/"])), True, "blank or /"
    if form == 2:
        return draw(EXOTIC)
    if form == 3 and rate:  # with words: 90%以上, ≥90%, ≤0, 不低于95%
        text = f"{fmt(d * 100)}%"
        return draw(st.sampled_from([text + "以上", "≥" + text, "≤" + text, "不低于" + text, text + "以内"])), True, \
            "rate with words"
    if form == 4 and rate:  # 95 typed as a number into the percent cell: 9500 %, refused by both
        return float(d * 100), True, "percentage points in a percent cell"
    if form == 5:
        return full_width(f"{fmt(d * 100)}%" if rate else fmt(d)), True, "full-width"
    return float(d), True, "number cell"


# --------------------------------------------------------------------------- comparing
def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Tally:
    def __init__(self):
        self.rows = self.native = self.declined = self.refused = self.totals = 0
        self.kinds: Counter = Counter()
        self.mismatches: list = []

    def compare(self, what, expected, got, plain: bool):
        self.rows += 1
        if is_number(expected):
            if is_number(got) and abs(got - expected) < 0.005:
                self.native += 1
            elif got == native.NEEDS_ADDIN and not plain:
                self.declined += 1
            else:
                self.mismatches.append((what, expected, got))
        elif expected == "":
            if got != "":
                self.mismatches.append((what, expected, got))
        else:  # the engine refuses the input: never a number
            self.refused += 1
            if is_number(got):
                self.mismatches.append((what, expected, got))

    def compare_total(self, what, engine_total, engine_grade, total, grade, waiting: bool):
        """The engine's 总分 and 等次, or NOT_COMPUTED while some row (``waiting``) shows NEEDS_ADDIN."""
        self.totals += 1
        if total == native.NOT_COMPUTED:
            ok = waiting and grade == ""
        else:
            ok = is_number(total) and abs(total - float(engine_total)) < 0.005 and grade == engine_grade
        if not ok:
            self.mismatches.append((what, (float(engine_total), engine_grade), (total, grade)))

    def summary(self) -> str:
        return (f"{self.rows} rows ({len(self.kinds)} kinds of input): {self.native} computed natively, "
                f"{self.refused} refused by both, {self.declined} left to the add-in; {self.totals} totals; "
                f"{len(self.mismatches)} mismatches")


# --------------------------------------------------------------------------- filling
def boundary_total():
    """None (scores as the inputs give them) or, one book in three, a total at a grade boundary."""
    return st.one_of(st.just(None), st.just(None), st.sampled_from(BOUNDARY_TOTALS))


def _spread(book, sheet, cells: list[tuple[str, Decimal]], target: Decimal) -> None:
    """Typed scores (调整后得分 or 自评得分) on ``cells`` ((name, 分值)) adding up to ``target``."""
    left = sum((w for _, w in cells), Decimal(0)) - target
    for name, weight in cells:
        lost = min(weight, max(left, Decimal(0)))
        book.set(sheet, name, float(weight - lost))
        left -= lost


def _fill_2023(book, data, rows):
    year = data.draw(st.sampled_from([2023, 2023, 2024]))
    book.set("附件1", "report_year", year)
    boundary = data.draw(boundary_total())
    for sheet in ("附件2", "附件3_1"):
        budget, spent = (("budget_full", "budget_spent") if sheet == "附件2" else
                         ("fund_total_full", "fund_total_spent"))
        b = data.draw(st.one_of(decimals("1", "2000", 2).map(float), st.just(None), st.just(0.0)))
        s = data.draw(st.one_of(decimals("-10", "2500", 2).map(float), st.just(None)))
        if boundary is not None:
            b = s = 1000.0
        book.set(sheet, budget, b)
        book.set(sheet, spent, s)
        rows.append((sheet, "exec_score", udfs.PE_EXEC_SCORE(b, s, 10), True, "2023 budget"))
        typed = []
        i = 0
        while book.address(sheet, f"ind{i + 1}_name") is not None:
            i += 1
            cells, plain, writing = data.draw(open_row())
            if boundary is not None and cells["weight"]:
                typed.append((f"ind{i}_adjusted", Decimal(str(cells["weight"]))))
            for key, value in cells.items():
                book.set(sheet, f"ind{i}_{key}", value)
            expected = udfs.PE_ROW_SCORE(*(cells[k] for k in ("weight", "target", "actual", "direction", "level")),
                                         as_typed_in_percent_cell(cells["ratio"]), year)  # as the template hands it
            rows.append((sheet, f"ind{i}_computed", expected, plain, f"2023 {writing}"))
        if boundary is not None:
            _spread(book, sheet, typed, boundary - 10)


def _fill_score_sheets(book, tset, data, rows):
    boundary = data.draw(boundary_total())
    for form in tset.forms:
        if not form.indicators:
            continue
        scheme = load(form.indicators.scheme)
        typed = []
        for i, ind in enumerate(scheme.indicators, start=1):
            sheet, kind = form.sheet, f"{tset.id} {ind.rule.kind}"
            if isinstance(ind.rule, rules.Judged):  # the evaluator types a score within its 分值
                value = float(data.draw(decimals("0", str(ind.weight), 2)))
                if book.address(sheet, f"sc{i}_part1"):  # 经济效益、社会效益: scored on their sum
                    book.set(sheet, f"sc{i}_part1", value)
                    rows.append((sheet, f"sc{i}_computed", udfs.PE_INDICATOR_SCORE(ind.id, value, scheme.id), True,
                                 f"{kind} parts"))
                    typed.append((f"sc{i}_adjusted", ind.weight))
                else:  # typed into 自评得分 itself: the total adds it as typed
                    book.set(sheet, f"sc{i}_score", value)
                    typed.append((f"sc{i}_score", ind.weight))
                continue
            value, plain, writing = data.draw(indicator_value(ind))
            book.set(sheet, f"sc{i}_value", value)
            # the template hands a percent cell's number to the UDF as the percentage it shows
            arg = as_typed_in_percent_cell(value) if ind.input_kind == "rate" else value
            rows.append((sheet, f"sc{i}_computed", udfs.PE_INDICATOR_SCORE(ind.id, arg, scheme.id), plain,
                         f"{kind} {writing}"))
            typed.append((f"sc{i}_adjusted", ind.weight))
            if boundary is None and data.draw(st.integers(0, 9)) == 9:  # 调整后得分 as typed: 4分, 4.995, /
                book.set(sheet, f"sc{i}_adjusted", data.draw(st.sampled_from(["4分", "/", 1.005, 0.001])))
        if boundary is not None:
            _spread(book, form.sheet, typed, boundary)


class Blank:
    """A template opened once and filled many times: every cell a fill sets is put back after it
    (value and number format: a date cell's format would make the next fill's number a date)."""

    def __init__(self, path):
        self.book = OpenpyxlBook.open(path)
        self.saved: dict = {}
        set_cell = self.book.set

        def recording_set(sheet, name, value):
            cell = self.book.wb[sheet][self.book.address(sheet, name)]
            self.saved.setdefault((sheet, name), (cell.value, cell.number_format, cell.data_type))
            set_cell(sheet, name, value)
        self.book.set = recording_set

    def reset(self) -> None:
        for (sheet, name), (value, number_format, data_type) in self.saved.items():
            cell = self.book.wb[sheet][self.book.address(sheet, name)]
            cell.value, cell.number_format, cell.data_type = value, number_format, data_type
        self.saved.clear()
        self.book.invalidate()


def run_book(lo, tid: str, blank: Blank, out_path, data, tally: Tally) -> None:
    """Fill one book of set ``tid``, recalculate it in LibreOffice, compare rows and totals."""
    book, rows = blank.book, []
    try:
        if tid == "2023":
            _fill_2023(book, data, rows)
        else:
            _fill_score_sheets(book, template_sets()[tid], data, rows)
        book.wb.save(out_path)
        engine = {r.sheet: r for r in assess(book).forms if r.total is not None}
        inputs = {(s, n): [book.raw(s, n.replace("computed", k)) for k in ("value", "target", "actual", "weight")]
                  for s, n, *_ in rows}
    finally:
        blank.reset()
    sheets = [s for s in dict.fromkeys(r[0] for r in rows) if s in engine]
    cells = [(sheet, book.address(sheet, name)) for sheet, name, *_ in rows]
    totals = [(s, book.address(s, n)) for s in sheets for n in ("score_total", "grade")]
    got = lo.recalc(out_path, cells + totals)
    for (sheet, name, expected, plain, kind), value in zip(rows, got):
        tally.kinds[kind] += 1
        tally.compare(f"{tid} {sheet}!{name} {inputs[sheet, name]}", expected, value, plain)
    for k, sheet in enumerate(sheets):
        total, grade = got[len(cells) + 2 * k: len(cells) + 2 * k + 2]
        waiting = any(v == native.NEEDS_ADDIN for (s, *_), v in zip(rows, got) if s == sheet)
        tally.compare_total(f"{tid} {sheet} 总分/等次", engine[sheet].total, engine[sheet].grade, total, grade, waiting)


def run_sets(lo, books: dict[str, int], tmp, tally: Tally) -> None:
    """``books[tid]`` random books of each set, one LibreOffice for all, into ``tally``."""
    for tid, n in books.items():
        path = tmp / f"{tid}.xlsx"
        build_workbook(template_sets()[tid]).save(path)
        blank = Blank(path)

        # no shrinking: a mismatch is recorded with its inputs, and all of them are listed at the end
        @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(st.data())
        def one_book(data):
            run_book(lo, tid, blank, tmp / f"filled-{tid}.xlsx", data, tally)  # noqa: B023 (called at once)
        one_book()
