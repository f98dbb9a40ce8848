"""The native formulas, proven in a real independent engine: LibreOffice recalculates them.

Without the add-in (LibreOffice here, WPS, Excel without Python) every PE_* call is #NAME?, so
each score cell shows its native fallback (formulas/native.py). Hypothesis fills the indicator rows
of every template set with values as people type them; one LibreOffice process recalculates
every book; each computed cell must equal what the add-in's UDF (the Python engine) shows, to
0.01. Where the native reading is unsure it says NEEDS_ADDIN: allowed, counted, and never for the
"plain" values the reader is built for. Where the engine refuses an input, the native cell must
not show a number either.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess
from perfeval_xl.engine.parse import as_typed_in_percent_cell
from perfeval_xl.engine import parse, rules
from perfeval_xl.engine.scheme import load
from perfeval_xl.formulas import native, udfs
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

from .conftest import EXAMPLE, TEMPLATES

BOOKS = {"2023": 60, "2020": 25, "2021-lengshuitan": 25}  # 60×54 + 25×44 + 25×36 = 5,240 rows
ROWS = {"2023": 54, "2020": 44, "2021-lengshuitan": 36}  # rows compared per filled book


# --------------------------------------------------------------------------- every shipped book
@pytest.mark.parametrize("path", TEMPLATES + [EXAMPLE], ids=lambda p: p.name)
def test_libreoffice_shows_no_error_cell(lo, path):
    cells = lo.scan(path)
    assert cells
    errors = [c for c in cells if isinstance(c[2], dict) or c[2] in (native.NEEDS_ADDIN, native.NOT_COMPUTED)]
    assert errors == []


def test_libreoffice_computes_the_example(lo):
    book = OpenpyxlBook.open(EXAMPLE)
    names = ["score_total", "grade", "exec_score", "exec_rate", "ind10_computed", "ind10_score"]
    got = dict(zip(names, lo.recalc(EXAMPLE, [("附件2", book.address("附件2", n)) for n in names])))
    assert got == {"score_total": 98, "grade": "优", "exec_score": 10, "exec_rate": 1, "ind10_computed": 10,
                   "ind10_score": 8}
    staff = lo.recalc(EXAMPLE, [("附件1", book.address("附件1", "staff_rate"))])
    assert staff == [pytest.approx(35 / 40)]


# --------------------------------------------------------------------------- typed values
def decimals(lo: str, hi: str, places: int = 4):
    return st.decimals(Decimal(lo), Decimal(hi), places=places, allow_nan=False, allow_infinity=False)


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


PLAIN_UNITS = [u for u in native.UNITS if u not in ("％",)]
PREFIXES = [w for w, _ in parse._COMPARATOR_WORDS if w not in ("以上", "以下", "以内")]
SUFFIXES = ["以上", "以下", "以内"]


@st.composite
def typed_number(draw, lo="-50", hi="2000", units=PLAIN_UNITS):
    """(value, plain): a number as typed: a numeric cell, or text such as ≥90%, 完成20个, 68.4万元."""
    d = draw(st.one_of(decimals(lo, hi), decimals("0", "2"), st.integers(0, 120).map(Decimal)))
    if draw(st.integers(0, 3)) == 0:
        return float(d), True
    unit = draw(st.sampled_from(units))
    text = _fmt(d) + unit
    if unit in ("%", "‰"):
        text = _fmt(d * 100 if unit == "%" else d * 1000) + unit
    style = draw(st.integers(0, 5))
    if style == 1:
        text = draw(st.sampled_from(PREFIXES)) + text
    elif style == 2:
        text += draw(st.sampled_from(SUFFIXES))
    elif style == 3:
        text = draw(st.sampled_from(PREFIXES + [""])) + draw(st.sampled_from(parse._VERBS)) + \
            draw(st.sampled_from(PREFIXES + [""])) + text
    elif style == 4:
        text = " " + text + " "
    return text, True


@st.composite
def typed_date(draw):
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 31))  # 2月30日 is refused by both
    year = draw(st.sampled_from(["", "2023年"]))
    # a date with a year is left to the add-in: only the workbook's report year says what a
    # year-less deadline means against it (engine/rules.py _dates)
    return f"{year}{month}月{day}{draw(st.sampled_from(['日', '']))}", not year


EXOTIC = st.sampled_from([
    "约九成", "1,323.28万元", "１２个", "100㎡", "完成累计20个", "≥", "95%左右", "12/31", "3.5.个", "5.",
    "-", "+7", "1e3", "0x10", "一百", "90 %", "９０％", "≥90%以上", "12月", "13月1日", "2月29日", "优化",
]).map(lambda v: (v, False))


def typed_value(units=PLAIN_UNITS):
    return st.one_of(typed_number(units=units), typed_number(units=units), typed_date(), EXOTIC,
                     st.just((None, True)))


@st.composite
def open_row(draw):
    """One row of a 2023 自评表: (cells by field, plain)."""
    weight = draw(st.sampled_from([None, 0.5, 2.5]) if draw(st.integers(0, 9)) == 0 else
                  st.integers(1, 20).map(float))
    unit = draw(st.sampled_from(PLAIN_UNITS))
    if draw(st.integers(0, 3)):  # mostly target and actual in one unit, as forms are filled
        (target, p1), (actual, p2) = draw(typed_number(units=[unit])), draw(typed_number(units=[unit]))
    else:
        (target, p1), (actual, p2) = draw(typed_value()), draw(typed_value())
    direction = draw(st.sampled_from([None, None, "正向", "反向", "等于", "横向"]))
    level, ratio, p3 = None, None, True
    if draw(st.integers(0, 3)) == 0:
        labels = [a for lv in rules.DEFAULT_LEVELS for a in [lv.label, *lv.aliases]]
        level = draw(st.sampled_from(labels + ["差不多"]))
        ratio, p3 = draw(st.one_of(decimals("0", "1.2", 3).map(float), decimals("0", "100", 1).map(float),
                                   decimals("0", "1", 2).map(lambda d: f"{_fmt(d * 100)}%").map(str),
                                   st.just(None)).map(lambda r: (r, True)))
    return dict(name="指标", weight=weight, target=target, actual=actual, direction=direction, level=level,
                ratio=ratio), p1 and p2 and p3


def _near(limit: Decimal, step: Decimal):
    """Numbers at and around a rule's limit: the boundaries where scores jump."""
    return st.integers(-40, 40).map(lambda k: limit + k * step / 2)


@st.composite
def indicator_value(draw, ind):
    r = ind.rule
    if isinstance(r, rules.Checklist):
        n = len(r.items)
        picked = draw(st.lists(st.integers(0, n - 1), max_size=n + 1))
        sep = draw(st.sampled_from(["", ",", "、", "，", " "]))
        if draw(st.integers(0, 5)) == 0:  # "1,2" and ⑪ are left to the add-in
            return draw(st.sampled_from(["1,2", "⑪", "①②x", rules._CIRCLED[n] if n < 10 else "⑩⑩"])), False
        return draw(st.one_of(st.just(sep.join(rules._CIRCLED[i] for i in picked) or "无"),
                              st.sampled_from(["全部", "无", "是", "否", "0", "均不符合", 1.0]))), True
    if isinstance(r, rules.Choice):
        labels = [a for o in r.options for a in [o.label, *o.aliases]]
        return draw(st.one_of(st.sampled_from(labels), st.integers(0, len(r.options) + 1).map(float),
                              decimals("-0.5", "2", 2).map(float), st.just("其他情形"))), True
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
    form = draw(st.integers(0, 4))
    if form == 0:
        return f"{_fmt(d * 100)}%", True
    if form == 1 and getattr(r, "blank_full", False):
        return draw(st.sampled_from([None, "无", "不适用"])), True
    if form == 2:
        return draw(EXOTIC)
    return float(d), True


# --------------------------------------------------------------------------- the differential run
def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Tally:
    def __init__(self):
        self.rows = self.native = self.declined = self.refused = 0
        self.mismatches: list = []

    def compare(self, what, expected, got, plain: bool):
        self.rows += 1
        if _is_number(expected):
            if _is_number(got) and abs(got - expected) < 0.005:
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
            if _is_number(got):
                self.mismatches.append((what, expected, got))


def _fill_2023(book, data, tally_rows):
    for sheet in ("附件2", "附件3_1"):
        budget, spent = (("budget_full", "budget_spent") if sheet == "附件2" else
                         ("fund_total_full", "fund_total_spent"))
        b = data.draw(st.one_of(decimals("0", "2000", 2).map(float), st.just(None)))
        s = data.draw(st.one_of(decimals("-10", "2500", 2).map(float), st.just(None)))
        book.set(sheet, budget, b)
        book.set(sheet, spent, s)
        tally_rows.append((sheet, "exec_score", udfs.PE_EXEC_SCORE(b, s, 10), True))
        i = 0
        while book.address(sheet, f"ind{i + 1}_name") is not None:
            i += 1
            cells, plain = data.draw(open_row())
            for key, value in cells.items():
                book.set(sheet, f"ind{i}_{key}", value)
            expected = udfs.PE_ROW_SCORE(*(cells[k] for k in ("weight", "target", "actual", "direction", "level")),
                                         as_typed_in_percent_cell(cells["ratio"]))  # as the template hands it
            tally_rows.append((sheet, f"ind{i}_computed", expected, plain))


def _fill_score_sheets(book, tset, data, tally_rows):
    for form in tset.forms:
        if not form.indicators:
            continue
        scheme = load(form.indicators.scheme)
        for i, ind in enumerate(scheme.indicators, start=1):
            if isinstance(ind.rule, rules.Judged):  # the evaluator types a score within its 分值
                value = float(data.draw(decimals("0", str(ind.weight), 2)))
                if book.address(form.sheet, f"sc{i}_part1"):  # 经济效益、社会效益: scored on their sum
                    book.set(form.sheet, f"sc{i}_part1", value)
                    tally_rows.append((form.sheet, f"sc{i}_computed",
                                       udfs.PE_INDICATOR_SCORE(ind.id, value, scheme.id), True))
                else:  # typed into 自评得分 itself: the total adds it as typed
                    book.set(form.sheet, f"sc{i}_score", value)
                    tally_rows.append((form.sheet, f"sc{i}_score", value, True))
                continue
            value, plain = data.draw(indicator_value(ind))
            book.set(form.sheet, f"sc{i}_value", value)
            # the template hands a percent cell's number to the UDF as the percentage it shows
            typed = as_typed_in_percent_cell(value) if ind.input_kind == "rate" else value
            tally_rows.append((form.sheet, f"sc{i}_computed", udfs.PE_INDICATOR_SCORE(ind.id, typed, scheme.id), plain))


def _check_totals(tid, rows, got, totals: dict, tally: Tally) -> None:
    """总分 and 等次 of each sheet: the sum of the rows that show a number (as the engine sums),
    the edition's grade for it; NOT_COMPUTED when some row waits for the add-in."""
    for sheet, (total, grade) in totals.items():
        shown = [v for (s, *_), v in zip(rows, got) if s == sheet]
        scheme = load("selfeval-2023" if tid == "2023" else next(
            f.indicators.scheme for f in template_sets()[tid].forms if f.sheet == sheet))
        if native.NEEDS_ADDIN in shown:
            expected_total, expected_grade = native.NOT_COMPUTED, ""
        else:
            expected_total = sum((Decimal(str(v)) for v in shown if _is_number(v)), Decimal(0))
            expected_grade = rules.grade(expected_total, scheme.grades).label
        ok = total == expected_total if isinstance(expected_total, str) else abs(total - float(expected_total)) < 0.005
        if not ok or grade != expected_grade:
            tally.mismatches.append((f"{tid} {sheet} 总分/等次", (expected_total, expected_grade), (total, grade)))


@pytest.mark.parametrize("tid", list(BOOKS))  # one set per test: the sets run on parallel workers
def test_native_formulas_equal_the_engine_in_libreoffice(lo, tmp_path, tid):
    tally = Tally()
    sets = template_sets()
    paths = {tid: tmp_path / f"{tid}.xlsx"}
    build_workbook(sets[tid]).save(paths[tid])

    def run(tid, data):
        book = OpenpyxlBook.open(paths[tid])
        rows: list = []
        if tid == "2023":
            _fill_2023(book, data, rows)
        else:
            _fill_score_sheets(book, sets[tid], data, rows)
        path = tmp_path / f"filled-{tid}.xlsx"
        book.wb.save(path)
        cells = [(sheet, book.address(sheet, name)) for sheet, name, _, _ in rows]
        totals = [(s, book.address(s, n)) for s in dict.fromkeys(r[0] for r in rows) for n in ("score_total", "grade")]
        got = lo.recalc(path, cells + totals)
        _check_totals(tid, rows, got, {s: (got[len(cells) + 2 * k], got[len(cells) + 2 * k + 1])
                                       for k, s in enumerate(dict.fromkeys(r[0] for r in rows))}, tally)
        for (sheet, name, expected, plain), value in zip(rows, got):
            tally.compare(f"{tid} {sheet}!{name} {[book.raw(sheet, name.replace('computed', k)) for k in ('value', 'target', 'actual', 'weight')]}",
                          expected, value, plain)

    # no shrinking: a mismatch is recorded with its inputs, and all of them are listed at the end
    @settings(max_examples=BOOKS[tid], deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.generate])
    @given(st.data())
    def fill_and_compare(data):
        run(tid, data)
    fill_and_compare()
    print(f"\n{tally.rows} rows: {tally.native} computed natively, {tally.refused} refused by both, "
          f"{tally.declined} left to the add-in, {len(tally.mismatches)} mismatches")
    assert tally.mismatches[:20] == []
    assert tally.rows >= BOOKS[tid] * ROWS[tid]


# --------------------------------------------------------------------------- the seeds, filled
def _seed_books():
    from .seeds import fill as yaml_fill, seed000, seed002
    from .test_forms import fill

    return {"000": fill(seed000), "002": fill(seed002, seed002.ADJUSTED), "004": yaml_fill.fill()}


@pytest.mark.parametrize("seed", ["000", "002", "004"])
def test_seed_fills_compute_in_libreoffice(lo, tmp_path, seed):
    """The real forms typed into the templates: no error cell in LibreOffice, and every 总分 the
    native formulas show is the engine's (or says that a row waits for the add-in)."""
    book = _seed_books()[seed]
    path = tmp_path / f"seed{seed}.xlsx"
    book.wb.save(path)
    assert [c for c in lo.scan(path) if isinstance(c[2], dict)] == []
    a = assess(book)
    scored = [r for r in a.forms if r.total is not None]
    shown = lo.recalc(path, [(r.sheet, book.address(r.sheet, "score_total")) for r in scored])
    for r, value in zip(scored, shown):
        assert value == native.NOT_COMPUTED or value == pytest.approx(float(r.total), abs=0.005), (r.sheet, value)
    assert any(isinstance(v, (int, float)) for v in shown)  # at least one sheet computes natively


# --------------------------------------------------------------------------- typed scores out of range
def test_a_typed_score_outside_its_range_counts_nothing_as_in_the_engine(lo, tmp_path):
    """A score typed beyond its 分值 (自评调整, a judged row, an added row) or on a row marked
    不适用 never enters the native 总分: the total is the engine's, and the score cell says why."""
    from perfeval_xl.forms.sets import _typed

    book = _seed_books()["004"]
    form = next(f for f in template_sets()["2020"].forms if f.indicators and not f.indicators.slots)
    scheme = load(form.indicators.scheme)
    sheet = form.sheet
    typed = [i for i, ind in enumerate(scheme.indicators, start=1) if _typed(ind)]
    scored = next(i for i, ind in enumerate(scheme.indicators, start=1) if ind.rule.kind != "judged")
    assert len(typed) >= 2
    book.set(sheet, f"sc{typed[0]}_score", float(scheme.indicators[typed[0] - 1].weight) + 3)  # beyond 分值
    book.set(sheet, f"sc{typed[1]}_na", "不适用")  # a score stays typed on a 不适用 row
    book.set(sheet, f"sc{scored}_adjusted", -1)
    for k, v in {"l1": scheme.indicators[0].l1, "l2": "自设", "name": "增加的指标", "weight": 5, "score": 7}.items():
        book.set(sheet, f"add1_{k}", v)
    path = tmp_path / "out-of-range.xlsx"
    book.wb.save(path)
    engine = next(r for r in assess(book).forms if r.sheet == sheet)
    names = ["score_total", f"sc{scored}_score", "score_sum"]
    total, adjusted, points = lo.recalc(path, [(sheet, book.address(sheet, n)) for n in names])
    assert total == pytest.approx(float(engine.total), abs=0.005)
    assert points == pytest.approx(float(engine.score_sum if engine.score_sum is not None else engine.total), abs=0.005)
    assert adjusted == native.OUT_OF_RANGE

    book = OpenpyxlBook.open(EXAMPLE)  # the 2023 自评表: 调整后得分 beyond 分值
    book.set("附件2", "ind1_adjusted", 99)
    path = tmp_path / "2023.xlsx"
    book.wb.save(path)
    engine = next(r for r in assess(book).forms if r.sheet == "附件2")
    total, score = lo.recalc(path, [("附件2", book.address("附件2", n)) for n in ("score_total", "ind1_score")])
    assert total == pytest.approx(float(engine.total), abs=0.005) and total < 98
    assert score == native.OUT_OF_RANGE
