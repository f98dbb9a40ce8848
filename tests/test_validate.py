"""Corrupting any single input cell of the example gives a finding naming that cell; the input
file is never touched and the user never sees a traceback."""
import hashlib
import subprocess
import sys

import pytest

from perfeval_xl.checks.assess import assess, forms_in, identify
from perfeval_xl.book import OpenpyxlBook

from .conftest import EXAMPLE

NUMERIC = ("money", "int", "number", "score", "percent")


def _inputs(kinds=None, filled=True):
    book = OpenpyxlBook.open(EXAMPLE)
    tset = identify(book)
    for sheet, form in forms_in(book, tset):
        for f in form.fields():
            if f.computed or f.value is not None:
                continue
            if kinds and f.kind not in kinds:
                continue
            if filled and book.get(sheet, f.name) in (None, ""):
                continue
            yield sheet, f


@pytest.fixture(scope="module")
def book():
    return OpenpyxlBook.open(EXAMPLE)


def _findings_at(book, sheet, name, value):
    original = book.raw(sheet, name)
    book.set(sheet, name, value)
    try:
        a = assess(book)
    finally:
        book.set(sheet, name, original)
    cell = book.address(sheet, name)
    return a, [f for f in a.findings if f.sheet == sheet and f.cell == cell and f.severity == "error"]


def test_the_example_is_clean(book):
    assert assess(book).findings == []


@pytest.mark.parametrize("sheet,field", list(_inputs(NUMERIC)), ids=lambda x: getattr(x, "name", x))
def test_text_in_a_number(book, sheet, field):
    _, found = _findings_at(book, sheet, field.name, "约九成")
    assert found, f"{sheet}!{field.name}: no finding"
    assert any("“约九成”无法识别为数值" in f.message for f in found)


@pytest.mark.parametrize("sheet,field", [(s, f) for s, f in _inputs() if f.required], ids=lambda x: getattr(x, "name", x))
def test_blank_required_cell(book, sheet, field):
    _, found = _findings_at(book, sheet, field.name, None)
    assert any("未填写" in f.message for f in found), f"{sheet}!{field.name}"


@pytest.mark.parametrize("sheet,name", [("附件2", "ind1_actual"), ("附件2", "ind4_target"), ("附件2", "ind16_weight")])
def test_text_in_an_indicator_row(book, sheet, name):
    _, found = _findings_at(book, sheet, name, "约九成")
    assert found


def test_wrong_totals_are_found_at_the_total():
    book = OpenpyxlBook.open(EXAMPLE)
    tset = identify(book)
    totals = [(sheet, chk) for sheet, form in forms_in(book, tset) for chk in form.checks
              if book.get(sheet, chk.total) not in (None, "")
              and any(book.get(sheet, p) not in (None, "") for p in chk.parts)]  # itemised totals only
    assert len(totals) >= 10
    for sheet, chk in totals:
        _, found = _findings_at(book, sheet, chk.total, float(book.get(sheet, chk.total)) + 1)
        assert any(f.code == "sum_mismatch" for f in found), f"{sheet}!{chk.total}"


def test_the_seed_typo_is_caught(book):
    a, found = _findings_at(book, "附件1", "public_final", 64.73)
    assert [f.message for f in found] == ["公用经费（本年决算数）：合计64.73，各分项之和64.70，相差0.03"]
    cell = book.address("附件1", "public_final")
    assert str(found[0]) == f"附件1!{cell}（合计与分项不符）：公用经费（本年决算数）：合计64.73，各分项之和64.70，相差0.03"


def test_rule_checks(book):
    _, found = _findings_at(book, "附件2", "ind10_reason", None)  # judged 8 without its reason
    assert [f.code for f in found] == ["adjusted_without_reason"]
    a, _ = _findings_at(book, "附件2", "ind7_weight", 15)  # 产出 weights no longer 50
    assert any(f.code == "level1_weight" and "“产出指标”各行分值合计55，按指标体系应为50" in f.message
               for f in a.findings)
    a, found = _findings_at(book, "附件2", "score_total", 99)  # a typed-over total
    assert [f.code for f in found] == ["total_mismatch"]
    a, found = _findings_at(book, "附件2", "grade", "良")
    assert [f.code for f in found] == ["grade_mismatch"]
    a, _ = _findings_at(book, "附件2", "ind25_level", "部分达成")  # qualitative without a ratio in band
    assert any(f.code == "cannot_score" for f in a.findings)
    a, found = _findings_at(book, "附件2", "unit_name", "另一个单位")
    assert any(f.code == "cross_sheet" for f in found)


def test_low_execution_needs_a_reason(book):
    original = book.raw("附件2", "budget_spent")
    book.set("附件2", "budget_spent", 1100)
    book.set("附件2", "expense_project", 513.08)
    a = assess(book)
    book.set("附件2", "budget_spent", original)
    book.set("附件2", "expense_project", 736.36)
    assert any(f.code == "low_execution_without_reason" for f in a.findings)
    assert float(a.main.parts["预算执行"]) == 8.31  # 1100 / 1323.28 × 10


def test_cli_never_modifies_the_input_and_never_shows_a_traceback(tmp_path):
    book = OpenpyxlBook.open(EXAMPLE)
    book.set("附件2", "ind1_actual", "约九成")
    bad = tmp_path / "bad.xlsx"
    book.wb.save(bad)
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    for cmd in ("validate", "score"):
        proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", cmd, str(bad), "-o", str(tmp_path / "out.xlsx")],
                              capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        cell = book.address("附件2", "ind1_actual")
        assert f"附件2!{cell}（无法计分）：“租金收缴金额”：实际完成值“约九成”无法识别为数值" in proc.stdout
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before
    out = OpenpyxlBook.open(tmp_path / "out.xlsx")
    assert "校验结果" in out.sheets()
    ws = out.wb["校验结果"]
    links = [c.hyperlink.location or c.hyperlink.target for row in ws.iter_rows() for c in row if c.hyperlink]
    assert any(book.address("附件2", "ind1_actual") in str(link) for link in links)


def test_unreadable_file_exits_2(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "validate", str(junk)], capture_output=True, text=True)
    assert proc.returncode == 2 and "不是Excel工作簿" in proc.stderr and "Traceback" not in proc.stderr


def test_new_project_sheet_is_validated(tmp_path, example):
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "new-project", str(example),
                           "-o", str(tmp_path / "two.xlsx")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert assess(OpenpyxlBook.open(tmp_path / "two.xlsx")).findings == []  # a blank project: no errors
    book = OpenpyxlBook.open(tmp_path / "two.xlsx")
    assert book.sheets()[:4] == ["附件1", "附件2", "附件3_1", "附件3_2"]
    book.set("附件3_2", "project_name", "公租房维修")
    book.set("附件3_2", "fund_total_full", "一百万")
    found = [f for f in assess(book).findings if f.sheet == "附件3_2"]
    assert any(f.cell == book.address("附件3_2", "fund_total_full") and "无法识别为数值" in f.message for f in found)
