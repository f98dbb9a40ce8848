"""Forms as the originals: the year is data, project sheets are optional and repeatable, and the
seeds fill the templates with every field in a place."""
import hashlib
import re
import subprocess
import sys
from decimal import Decimal

import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook, split_ref
from perfeval_xl.bureau.export import export
from perfeval_xl.checks.assess import assess
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

from .conftest import ROOT
from .seeds import seed000, seed002
from .seeds.books import fill

SETS = list(template_sets().values())


def _texts(wb) -> list[tuple[str, str, str]]:
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if isinstance(c.value, str)]


@pytest.mark.parametrize("tset", SETS, ids=lambda t: t.id)
def test_report_year_drives_every_printed_year(tset, tmp_path, lo):
    """report_year = 2026: after LibreOffice recalculates, headings say 2026, 上年 columns 2025,
    and nothing says the set's own years any more."""
    wb = openpyxl.load_workbook(ROOT / "templates" / tset.filename)
    sheet, coord = split_ref(wb.defined_names["report_year"].attr_text)
    assert sheet == wb.sheetnames[0] and wb[sheet][coord].value == tset.year
    wb[sheet][coord].value = 2026
    wb.save(tmp_path / tset.filename)
    shown = _texts(openpyxl.load_workbook(lo.convert(tmp_path / tset.filename, "xlsx", tmp_path / "lo", recalc=True),
                                          data_only=True))
    titles = [v for s, c, v in shown if re.fullmatch(r"A2", c)]
    assert len(titles) == len(wb.sheetnames)
    assert any("2026年度" in t for t in titles)
    for old in (tset.year, tset.year - 1):
        assert not [x for x in shown if str(old) in x[2]], old
    if tset.id == "2023":
        assert {"2025年决算数", "2026年预算数", "2026年决算数", "2026年实际在职人数"} <= {v for _, _, v in shown}
    # the headless evaluator agrees with LibreOffice
    book = OpenpyxlBook(wb)
    first = wb.sheetnames[0]
    assert "2026年度" in str(book.cell_value(first, "A2"))


def _blank_project_findings(book, tset):
    project = {f.sheet for f in tset.project(1)} | {f.sheet for f in tset.project(2)}
    return [f for f in assess(book).findings if f.sheet in project]


@pytest.mark.parametrize("tset", SETS, ids=lambda t: t.id)
def test_blank_project_sheets_are_optional(tset):
    book = OpenpyxlBook(build_workbook(tset))
    assert _blank_project_findings(book, tset) == []


def test_a_unit_without_projects_exports_without_force(tmp_path, example):
    book = OpenpyxlBook.open(example)
    for f in template_sets()["2023"].project(1)[0].fields():  # strike out 附件3_1 entirely
        if not f.computed and f.value is None:
            book.set("附件3_1", f.name, None)
    book.wb.save(tmp_path / "no-projects.xlsx")
    r = export(tmp_path / "no-projects.xlsx", tmp_path / "out.xlsx")
    assert r.assessment.errors == [] and not r.forced


def test_new_project_in_a_2020_book_adds_the_2020_pair(tmp_path):
    src = tmp_path / "2020.xlsx"
    build_workbook(template_sets()["2020"]).save(src)
    before = hashlib.sha256(src.read_bytes()).digest()
    run = [sys.executable, "-m", "perfeval_xl.cli", "new-project", str(src)]
    proc = subprocess.run(run, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert hashlib.sha256(src.read_bytes()).digest() == before  # never in place
    out = tmp_path / "2020_新增项目.xlsx"
    book = OpenpyxlBook.open(out)
    assert book.sheets() == ["附件2-1", "附件2-2", "附件3-1", "附件3-2", "附件2-2_2", "附件3-2_2"]
    assert "附件3-2_2" in book.raw("附件2-2_2", "score_total")  # the pair links to its own 评分表
    assert subprocess.run(run + ["-o", str(src)], capture_output=True, text=True).returncode == 2
    book.set("附件2-2_2", "project_name", "老旧小区改造")
    sheets = {f.sheet for f in assess(book).findings}
    assert {"附件2-2_2", "附件3-2_2"} <= sheets and not sheets & {"附件2-2", "附件3-2"}


# ----------------------------------------------------------------------------- seed fills


def test_seed_000_fills_the_2020_forms_and_is_stamped_2021(tmp_path):
    book = fill(seed000)
    a = assess(book)
    assert a.year == 2021 and a.unit == "岳阳县住房保障服务中心"
    errors = {(f.sheet, f.code) for f in a.errors}
    # The seed's own income row does not add up: 3440.36 + 970.37 + 68.98 = 4479.71, not 4479.65.
    assert [f.message for f in a.findings if f.sheet == "附件2-1"] == [
        "收入合计（第1行）：合计4479.65，各分项之和4479.71，相差-0.06"]
    # 附件3-1 is an image in the seed: its rows stay unfilled; the blank project pair is skipped.
    assert errors == {("附件2-1", "sum_mismatch"), ("附件3-1", "required")}
    assert "岳阳县2021年度" in book.cell_value("附件2-1", "A2")  # the title follows region and report_year
    book.wb.save(tmp_path / "seed000.xlsx")
    r = export(tmp_path / "seed000.xlsx", force=True, reason="附件3-1 评分表为图片")
    assert r.path.name == "2021年度_岳阳县住房保障服务中心_部门整体支出绩效评价自评.xlsx"
    stamp = {p.name: p.value for p in openpyxl.load_workbook(r.path).custom_doc_props}
    assert stamp["perfeval.year"] == "2021"


def test_seed_002_fills_the_lengshuitan_forms():
    book = fill(seed002, seed002.ADJUSTED)
    a = assess(book)
    totals = {r.sheet: r.total for r in a.forms if r.total is not None}
    # 附件2 reproduces the seed's 92. 附件4: the seed says 91, but its own text gives “三公经费”
    # 0 决算 of 0.4 预算 (控制率 0% ≤ 100%: 7 of 7 by the rule) where it scored 5, so 93.
    assert totals == {"附件2": Decimal(92), "附件4": Decimal(93)}
    # Two of its typed scores no input can give under their rules: 管理制度健全性 7 (①②③④ × 2)
    # and 满意度 5 (bands 6 / 4 / 2 / 0). The bureau sees them as errors.
    unreachable = {f.cell for f in a.errors if f.code == "score_unreachable"}
    assert unreachable == {book.address("附件4", "sc10_adjusted"), book.address("附件4", "sc16_adjusted")}
    assert book.get("附件4", "sc14_score") == 9  # 经济效益 5 + 社会效益 4 against one 分值 10
    assert a.year == 2021 and "冷水滩区保障性住房服务中心" in a.unit
    unscored = {book.address(s, f"sc{i}_value") for s, rows in seed002.ADJUSTED.items() for i in rows}
    for f in a.errors:  # only the rates the seed does not state, and its two unit names
        assert ((f.code == "required" and f.cell in unscored) or (f.code == "cross_sheet" and f.sheet == "附件1")
                or f.cell in unreachable), f
    assert any(f.code == "cross_sheet" for f in a.errors)
