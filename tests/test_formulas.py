"""Every formula in every template evaluates, with PE_* bound to Python, to what the engine says."""
from decimal import Decimal

import pytest

from perfeval_xl.engine import rules
from perfeval_xl.checks.assess import assess
from perfeval_xl.book import OpenpyxlBook, split_ref
from perfeval_xl.formulas import native
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.engine.scheme import load
from perfeval_xl.forms.template import build_workbook

from .conftest import EXAMPLE, TEMPLATES
from .test_worked_examples import EXAMPLES


def formula_cells(book: OpenpyxlBook):
    """Formula cells of the forms. The hidden helper cells of the native fallback are not read on
    this path (the UDFs answer); LibreOffice proves them (tests/test_native.py)."""
    for ws in book.wb.worksheets:
        helpers = {split_ref(dn.attr_text)[1] for name, dn in ws.defined_names.items() if native.is_helper(name)}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("=") and cell.coordinate not in helpers:
                    yield ws.title, cell.coordinate


@pytest.mark.parametrize("path", TEMPLATES + [EXAMPLE], ids=lambda p: p.name)
def test_every_formula_evaluates(path):
    book = OpenpyxlBook.open(path)
    cells = list(formula_cells(book))
    assert cells
    for sheet, coord in cells:
        value = book.cell_value(sheet, coord)
        assert not (isinstance(value, str) and value.startswith(("#", "错误："))), (sheet, coord, value)


def test_example_formulas_agree_with_the_engine():
    book = OpenpyxlBook.open(EXAMPLE)
    a = assess(book)
    assert [f.code for f in a.findings if "mismatch" in f.code] == []
    assert book.get("附件1", "staff_rate") == pytest.approx(35 / 40)
    assert book.get("附件2", "exec_rate") == 1.0
    assert book.get("附件2", "exec_score") == float(rules.execution_score(1323.28, 1323.28))
    assert book.get("附件2", "score_total") == float(a.main.total) == 98
    assert book.get("附件2", "grade") == a.main.grade == "优"
    assert book.get("附件2", "ind10_computed") == 10  # 64.7 ≤ 68.4万元, 反向
    assert book.get("附件2", "ind10_score") == 8  # the judged 8 with its reason


def _first_value(scheme_id: str, ind) -> object:
    for sid, name, value, _ in EXAMPLES:
        if sid == scheme_id and load(sid).find(name).id == ind.id:
            return value
    return float(ind.weight) - 1  # a judged row: the evaluator's score


@pytest.mark.parametrize("tid,sheet", [("2020", "附件3-1"), ("2020", "附件3-2"),
                                       ("2021-lengshuitan", "附件2"), ("2021-lengshuitan", "附件4")])
def test_score_sheet_formulas_match_engine(tid, sheet):
    tset = template_sets()[tid]
    form = next(f for f in tset.forms if f.sheet == sheet)
    scheme = load(form.indicators.scheme)
    book = OpenpyxlBook(build_workbook(tset))
    expected = []
    for i, ind in enumerate(scheme.indicators, start=1):
        value = _first_value(scheme.id, ind)
        judged = ind.rule.kind == "judged"  # the evaluator types the score into 自评得分
        cell = (f"sc{i}_part1" if not book.address(sheet, f"sc{i}_value")  # 经济效益、社会效益 rows
                else f"sc{i}_score" if judged else f"sc{i}_value")
        book.set(sheet, cell, "" if value is None else value)
        expected.append(ind.score(value if value is not None else ""))
    for i, points in enumerate(expected, start=1):
        if scheme.indicators[i - 1].rule.kind != "judged":
            assert book.get(sheet, f"sc{i}_computed") == pytest.approx(float(points)), scheme.indicators[i - 1].name
        assert book.get(sheet, f"sc{i}_score") == pytest.approx(float(points))
    total = sum(expected, Decimal(0))
    assert book.get(sheet, "score_total") == pytest.approx(float(total))
    assert book.get(sheet, "grade") == rules.grade(total).label


ROWS = [  # (target, actual, direction, level, ratio, weight)
    ("670万元", "703万元", None, None, None, 20),
    ("≥95%", "90%", None, None, None, 10),
    ("≤100万元", "125万元", None, None, None, 10),
    ("68.4万元", "70万元", "反向", None, None, 10),
    ("0", "2", "等于", None, None, 5),
    ("12月31日", "11月30日", None, None, None, 5),
    ("优化", "已优化", None, "部分达成", 0.7, 10),
    ("完成20个", "完成15个", None, None, None, 8),
]


def test_open_row_formulas_match_engine():
    book = OpenpyxlBook(build_workbook(template_sets()["2023"]))
    row_rules = load("selfeval-2023").row_rules
    for i, (target, actual, direction, level, ratio, weight) in enumerate(ROWS, start=1):
        for key, v in dict(name=f"指标{i}", target=target, actual=actual, direction=direction, level=level,
                           ratio=ratio, weight=weight).items():
            book.set("附件2", f"ind{i}_{key}", v)
        if level:
            expected = rules.score(row_rules.qualitative, weight, (level, ratio))
        else:
            expected = rules.score(row_rules.quantitative, weight, (target, actual, direction))
        assert book.get("附件2", f"ind{i}_computed") == pytest.approx(float(expected)), ROWS[i - 1]


def test_a_change_recomputes_exactly_what_a_fresh_reading_computes():
    """``set`` forgets only the values that read the cell set (as a spreadsheet recalculates):
    after each change, every formula has the value a book reading the workbook afresh computes."""
    from perfeval_xl.checks.assess import forms_in, identify
    from perfeval_xl.checks.checker import NUMERIC

    book = OpenpyxlBook.open(EXAMPLE)
    cells = list(formula_cells(book))
    before = {c: book.cell_value(*c) for c in cells}
    inputs = [(sheet, f.name) for sheet, form in forms_in(book, identify(book)) for f in form.fields()
              if f.kind in NUMERIC and not f.computed]
    changed = 0
    for i, (sheet, name) in enumerate(inputs[::3]):
        book.set(sheet, name, [None, "约九成", -1, 12345.5][i % 4])
        fresh = OpenpyxlBook(book.wb)
        now = {c: book.cell_value(*c) for c in cells}
        assert now == {c: fresh.cell_value(*c) for c in cells}, (sheet, name)
        changed += now != before
        before = now
    assert len(inputs) > 60 and changed >= 15  # the changes did reach formulas
