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

import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess
from perfeval_xl.engine.scheme import load
from perfeval_xl.formulas import native
from perfeval_xl.forms.sets import template_sets

from .conftest import EXAMPLE, TEMPLATES
from .differential import Tally, run_sets


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


# --------------------------------------------------------------------------- the differential run
BOOKS = {"2023": 2, "2020": 3, "2021-lengshuitan": 3}  # ≈ 300 rows, ≈ 20 s; scripts/differential.py runs thousands


def test_native_formulas_equal_the_engine_in_libreoffice(lo, tmp_path):
    """Random fills of every set (tests/differential.py: every input kind, the writings people
    use, totals at the grade boundaries): every row, 总分 and 等次 as the engine has them."""
    tally = Tally()
    run_sets(lo, BOOKS, tmp_path, tally)
    print("\n" + tally.summary())
    assert tally.mismatches[:20] == []
    assert tally.rows >= 250 and tally.totals >= 15 and len(tally.kinds) >= 40


# --------------------------------------------------------------------------- the seeds, filled
def _seed_books():
    from .seeds import fill as yaml_fill, seed000, seed002
    from .seeds.books import fill

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
    from perfeval_xl.forms.builders import _typed

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
