"""汇总: a department of units with chosen sub-scores, and a folder of good and bad files."""
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.collect import collect, read_exported, rollup_book
from perfeval_xl.bureau.export import export

from .conftest import EXAMPLE


PROJECT = dict(project_name="公租房维修", fund_total_initial=100, fund_total_full=100, fund_total_spent=90,
               fund_current_initial=100, fund_current_full=100, fund_current_spent=90, exec_reason="",
               ind1_name="维修户数", ind1_target="≥100户", ind1_actual="80户", ind1_weight=50,
               ind1_reason="部分住户不配合", ind16_name="住户满意", ind16_target="达成", ind16_weight=30,
               ind16_level="达成", ind16_ratio=0.9, ind25_name="满意度", ind25_target="≥90%", ind25_actual="95%",
               ind25_weight=10)


def make_unit(tmp_path, name, budget_full, adjust, unit_name=None):
    """The example with another name, another budget and some judged scores (each with a reason)."""
    book = OpenpyxlBook.open(EXAMPLE)
    unit = unit_name or name
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", unit)
    book.set("附件2", "budget_full", budget_full)
    book.set("附件2", "income_other", round(budget_full - 1208.74, 2))
    book.set("附件2", "exec_reason", "部分项目跨年度实施")
    for row, points in adjust.items():
        book.set("附件2", f"{row}_adjusted", points)
        book.set("附件2", f"{row}_reason", "按完成情况酌情扣分")
    src = tmp_path / "src" / f"{name}.xlsx"
    src.parent.mkdir(exist_ok=True)
    book.wb.save(src)
    return export(src, tmp_path / "in" / f"{name}.xlsx").path


@pytest.fixture(scope="module")
def department(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dept")
    # 预算执行 = 1323.28 / 全年预算数 × 10; 产出 = 20 + 10 + 10 + ind10 (8 in the example)
    units = {
        "甲单位": (1323.28, {}),                                   # 10, 48, 30, 10 → 98
        "乙单位": (1654.10, {"ind1": 15, "ind25": 6}),             # 8, 43, 30, 6 → 87
        "丙单位": (2646.56, {"ind16": 12, "ind22": 5, "ind10": 4}),  # 5, 44, 17, 10 → 76
    }
    paths = [make_unit(tmp, name, budget, adjust) for name, (budget, adjust) in units.items()]
    return tmp, paths


def test_each_unit_scores_as_chosen(department):
    _, paths = department
    got = {r.unit: r.main for r in map(read_exported, paths)}
    assert {k: v.total for k, v in got.items()} == {"甲单位": 98, "乙单位": 87, "丙单位": 76}
    assert {k: v.parts["预算执行"] for k, v in got.items()} == {"甲单位": 10, "乙单位": 8, "丙单位": 5}


def test_equal_and_budget_weighted_averages(department):
    tmp, _ = department
    col = collect([tmp / "in"], workers=1)
    assert not col.skipped and len(col.units) == 3
    [group] = col.groups()
    avg = group.average
    # by hand: (10+8+5)/3 = 7.67; (48+43+44)/3 = 45; (30+30+17)/3 = 25.67; (10+6+10)/3 = 8.67; (98+87+76)/3 = 87
    assert avg == {"预算执行": 7.67, "产出指标": 45.0, "效益指标": 25.67, "满意度指标": 8.67, "总分": 87.0}
    col.weighting = "budget"
    w = [1323.28, 1654.10, 2646.56]
    by_hand = sum(Decimal(str(x)) * Decimal(str(y)) for x, y in zip(w, [98, 87, 76])) / sum(Decimal(str(x)) for x in w)
    assert col.groups()[0].average["总分"] == float(by_hand.quantize(Decimal("0.01"), "ROUND_HALF_UP")) == 84.41


def test_summary_workbook(department, tmp_path):
    tmp, _ = department
    out = tmp_path / "汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "collect", str(tmp / "in"), "-o", str(out),
                           "--weights", "budget"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "平均分", "图表", "图表数据", "等次分布", "问题清单", "未计入", "未读取文件"]
    ws = wb["汇总"]
    assert "按各单位全年预算数加权" in ws["A2"].value
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header, units = rows[0], rows[1:4]
    assert [r[header.index("单位")] for r in units] == ["丙单位", "乙单位", "甲单位"]
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0 and ws.page_setup.fitToWidth in (None, 1)  # one page wide
    avg = list(wb["平均分"].iter_rows(min_row=3, values_only=True))
    head = avg[0]
    assert len(avg) == 2 and avg[1][head.index("总分")] == 84.41 and avg[1][head.index("计入文件数")] == 3
    charts = wb["图表"]._charts
    assert len(charts) == 1 and charts[0].y_axis.scaling.min == 70  # 总分 76–98: the axis starts near the data
    grades = list(wb["等次分布"].iter_rows(min_row=3, values_only=True))
    assert grades == [(2023, "2023", "部门整体", 1, 1, 1, 0)]


def test_mixed_folder(department, tmp_path):
    _, paths = department
    d = tmp_path / "mixed"
    d.mkdir()
    for p in paths:
        shutil.copy(p, d / p.name)
    (d / "报告.xlsx").write_bytes(b"%PDF-1.4\n% a renamed pdf\n")
    data = paths[0].read_bytes()
    (d / "截断.xlsx").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(paths[1]) as src, zipfile.ZipFile(d / "宏.xlsm", "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really vba")
    wb = openpyxl.load_workbook(paths[2])
    ws = wb["附件2"]
    ws[OpenpyxlBook(wb).address("附件2", "score_total")] = 99
    wb.calculation.fullCalcOnLoad = None  # as Excel saves it (openpyxl's default would be refused as such)
    wb.save(d / "改过.xlsx")
    col = collect([d], workers=1)
    reasons = {s.file: s.reason for s in col.skipped}
    assert set(reasons) == {"报告.xlsx", "截断.xlsx", "宏.xlsm"}
    assert "PDF" in reasons["报告.xlsx"] and "文件不完整" in reasons["截断.xlsx"] and "宏" in reasons["宏.xlsm"]
    stamps = {u.file: u.stamp for u in col.units}
    assert stamps == {"甲单位.xlsx": "通过", "乙单位.xlsx": "通过", "丙单位.xlsx": "通过", "改过.xlsx": "已被修改"}
    assert {u.file for u in col.not_counted()} == {"改过.xlsx"}
    altered = col.findings().query("文件 == '改过.xlsx'")
    assert set(altered["代码"]) >= {"stamp_altered", "total_mismatch"}


def test_text_stays_text(tmp_path):
    path = make_unit(tmp_path, "公式单位", 1323.28, {}, unit_name="=1+1")
    col = collect([path], workers=1)
    out = tmp_path / "s.xlsx"
    from perfeval_xl.bureau.summary import write_summary

    write_summary(col, out)
    ws = openpyxl.load_workbook(out)["汇总"]
    names = [r[1] for r in ws.iter_rows(min_row=5, max_row=5, values_only=True)]
    assert names == ["=1+1"]
    assert ws.cell(5, 2).data_type == "s"


def test_rollup_inside_one_workbook(tmp_path):
    from perfeval_xl.scoring import add_project_sheet

    book = OpenpyxlBook.open(EXAMPLE)
    [sheet] = add_project_sheet(book)
    for k, v in PROJECT.items():
        book.set(sheet, k, v)
    col = rollup_book(book)
    totals = {u.unit: u.forms[0].total for u in col.units}
    # project: 9 (执行) + 40 (80/100 × 50) + 27 (0.9 × 30) + 10 = 86
    assert totals == {"岳阳市公共租赁房屋运营服务中心": 98, "公租房维修": 86}
    # 部门 and 项目 forms are never averaged together
    assert {g.kind: g.average["总分"] for g in col.groups()} == {"部门整体": 98, "项目": 86}


def test_a_draft_saved_without_results_is_said_blank_never_none(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "草稿.xlsx")  # written by openpyxl: no cached formula results
    [u] = collect([tmp_path], workers=0).units
    messages = [f.message for f in u.findings]
    assert any("得分单元格为空白" in m for m in messages) and "评价等次为空白，总分98.00应为“优”" in messages
    assert [m for m in messages if "None" in m] == []
