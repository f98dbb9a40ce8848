"""部门汇总: nine signed unit exports (invented figures), a draft, an altered export and one of
another year; the department's tables checked against sums computed here by hand."""
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau import signing
from perfeval_xl.bureau.collect import read_exported
from perfeval_xl.bureau.export import export

from .conftest import EXAMPLE

D = Decimal
BENJI = "某县住房和城乡建设局"
NAMES = [BENJI, "某县住房保障服务中心", "某县建设工程质量安全监督站", "某县城市排水管理所", "某县公共租赁住房运营中心",
         "某县建筑业服务中心", "某县村镇建设服务中心", "某县人防工程管理所", "某县房产交易中心"]
# the 本级 is not listed first; 某县往年单位 reports, signed, under another year
ROSTER = [NAMES[3], f"{BENJI}（本级）", *NAMES[1:3], *NAMES[4:], "某县未报送单位", "某县往年单位"]
SANGONG = ["car_run", "car_buy", "reception", "abroad"]


def figures(i: int) -> dict:
    """Invented figures of unit i, consistent within the unit (its own totals add up)."""
    full = D(1000 + 137 * i) + D("0.25")
    spent = full - D(12 * i)
    sangong = {"car_run": (D("2.5") + i, D("1.8") + i), "car_buy": (D(20 if i == 2 else 0), D(18 if i == 2 else 0)),
               "reception": (D("1.2"), D("0.9") + D(i) / 10), "abroad": (D(0), D(0))}
    items = [(f"老旧小区改造（第{i + 1}批）", D(30 + i)), ("公租房维修", D("20.5"))]
    transfer = [("农村危房改造补助", D(40))] if i % 2 == 0 else []
    lines = [("业务工作经费", D(100 + i)), ("运行维护经费", D(50 + 2 * i)), *items, *transfer]
    return dict(full=full, spent=spent, sangong=sangong, items=items, transfer=transfer, lines=lines,
                project=sum((a for _, a in lines), D(0)), quota=20 + i, actual=18 + i, public=D("64.70"))


def fill(book: OpenpyxlBook, name: str, f: dict, lines_blank: bool = False) -> None:
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", name)
    s = lambda k, v: book.set("附件1", k, float(v) if v is not None else None)  # noqa: E731
    s("staff_quota", f["quota"])
    s("staff_actual", f["actual"])
    for col, j in (("budget", 0), ("final", 1)):
        for k in SANGONG:
            s(f"{k}_{col}", None if lines_blank else f["sangong"][k][j])
        car = f["sangong"]["car_run"][j] + f["sangong"]["car_buy"][j]
        s(f"car_{col}", None if lines_blank else car)
        s(f"sangong_{col}", car + f["sangong"]["reception"][j] + f["sangong"]["abroad"][j])
    s("proj_business_final", f["lines"][0][1])
    s("proj_ops_final", f["lines"][1][1])
    for key, items in (("proj_district", f["items"]), ("proj_transfer", f["transfer"])):
        for k in range(1, 5):  # every line, so that one book serves unit after unit
            item, amount = items[k - 1] if k <= len(items) else (None, None)
            book.set("附件1", f"{key}{k}_item", item)
            s(f"{key}{k}_final", amount)
        s(f"{key}_final", sum((a for _, a in items), D(0)))
    s("project_final", f["project"])
    a2 = lambda k, v: book.set("附件2", k, float(v))  # noqa: E731
    a2("budget_full", f["full"])
    a2("budget_spent", f["spent"])
    a2("income_other", f["full"] - D("1208.74"))
    a2("expense_project", f["project"])
    a2("expense_basic", f["spent"] - f["project"])
    book.set("附件2", "exec_reason", "部分项目跨年度实施")


def source(tmp, book: OpenpyxlBook, name: str, f: dict, year: int = 2023, **kw):
    """The example (one book, refilled for each unit) with unit ``name``'s figures, saved."""
    fill(book, name, f, **kw)
    book.set("附件1", "report_year", year)
    path = tmp / "src" / f"{name}.xlsx"
    path.parent.mkdir(exist_ok=True)
    book.wb.save(path)
    return path


@pytest.fixture(scope="module")
def department(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("department")
    inbox = tmp / "各单位"
    registry = tmp / "公钥登记表.json"
    book = OpenpyxlBook.open(EXAMPLE)
    for i, name in enumerate(NAMES):
        key, _ = signing.issue(name, tmp / "keys", registry)
        # unit 8 fills its 三公 totals and leaves the lines blank: its lines disagree with its totals
        export(source(tmp, book, name, figures(i), lines_blank=i == 8), inbox / f"{name}.xlsx", key=key)
    draft = source(tmp, book, "某县草稿单位", figures(9))
    (inbox / "草稿.xlsx").write_bytes(draft.read_bytes())
    altered = export(source(tmp, book, "某县改动单位", figures(10)), tmp / "改动.xlsx", sign=False).path
    wb = openpyxl.load_workbook(altered)
    wb["附件2"][OpenpyxlBook(wb).address("附件2", "budget_full")] = 99999
    wb.save(inbox / "改动.xlsx")
    key, _ = signing.issue("某县往年单位", tmp / "keys", registry)
    export(source(tmp, book, "某县往年单位", figures(11), year=2022), inbox / "往年.xlsx", key=key)
    roster = tmp / "名单.txt"
    roster.write_text("\n".join(ROSTER), encoding="utf-8")
    out = tmp / "部门汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "department", str(inbox), "--roster", str(roster),
                           "--registry", str(registry), "-o", str(out), "--workers", "0"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {"out": out, "inbox": inbox, "stdout": proc.stdout, "tmp": tmp}


ORDER = [BENJI, NAMES[3], *NAMES[1:3], *NAMES[4:]]  # 本级 first, then the roster's order
SHOWN = [f"{BENJI}（本级）", *ORDER[1:]]


def rows(ws, first: int, width: int) -> list[tuple]:
    return [r[:width] for r in ws.iter_rows(min_row=first, values_only=True) if r[0] is not None]


def money(v) -> float:
    return float(D(v).quantize(D("0.01")))


def test_score_table(department):
    wb = openpyxl.load_workbook(department["out"])
    assert wb.sheetnames == ["单位得分表", "三公经费", "项目支出", "部门合计", "报送情况", "校验结果", "来源"]
    ws = wb["单位得分表"]
    got = rows(ws, 3, 8)
    assert got[0][:2] == ("序号", "单位名称") and got[0][2:] == ("预算执行", "产出指标", "效益指标", "满意度指标", "总分", "评价等次")
    body, avg = got[1:10], got[10]
    assert [r[1] for r in body] == SHOWN and [r[0] for r in body] == list(range(1, 10))
    mains = {NAMES[i]: read_exported(department["inbox"] / f"{NAMES[i]}.xlsx").main for i in range(9)}
    for r, name in zip(body, ORDER):
        m = mains[name]
        assert r[2:7] == (m.parts["预算执行"], m.parts["产出指标"], m.parts["效益指标"], m.parts["满意度指标"], m.total)
    assert avg[0] == "部门平均分"
    for c in range(2, 7):  # the plain mean, half-up to 0.01
        mean = sum(D(str(r[c])) for r in body) / 9
        assert avg[c] == float(mean.quantize(D("0.01"), ROUND_HALF_UP))
    notes = [r[0] for r in ws.iter_rows(min_row=14, values_only=True) if r[0]]
    assert "算术平均" in notes[0] and "加权" not in notes[0]


def test_sangong_table(department):
    ws = openpyxl.load_workbook(department["out"], data_only=True)["三公经费"]
    got = rows(ws, 5, 12)
    body, last = got[:9], got[9]
    assert [r[1] for r in body] == SHOWN
    by_hand = [D(0)] * 10
    for r, name in zip(body, ORDER):
        i = NAMES.index(name)
        f = figures(i)
        lines = [None] * 8 if i == 8 else [float(v) for k in SANGONG for v in f["sangong"][k]]
        totals = [sum(f["sangong"][k][j] for k in SANGONG) for j in (0, 1)]
        assert list(r[2:4]) == [float(t) for t in totals] and list(r[4:]) == lines
        by_hand = [a + (D(str(b)) if b is not None else 0) for a, b in zip(by_hand, r[2:])]
    assert last[0] == "合计" and list(last[2:]) == [money(v) for v in by_hand]
    note = next(r[0] for r in ws.iter_rows(min_row=15, values_only=True) if r[0])
    budget, final = by_hand[0], by_hand[1]
    assert note == (f"部门“三公”经费预算{budget:,.2f}万元，实际支出{final:,.2f}万元，"
                    f"比预算下降{((budget - final) / budget * 100).quantize(D('0.01'), ROUND_HALF_UP).normalize():f}%。")


def test_project_table(department):
    ws = openpyxl.load_workbook(department["out"], data_only=True)["项目支出"]
    got = rows(ws, 4, 5)
    expected = [(name, item, float(amount)) for name in ORDER for item, amount in figures(NAMES.index(name))["lines"]]
    last = next(r for r in got if r[0] == "合计")
    body = got[:got.index(last)]
    assert [r[0] for r in body] == list(range(1, len(expected) + 1))
    assert [(r[2], r[3]) for r in body] == [(e[1], e[2]) for e in expected]
    names = [r[1] for r in ws.iter_rows(min_row=4, max_row=3 + len(body), values_only=True)]
    assert [n for n in names if n] == SHOWN  # merged over each unit's projects
    total = sum(D(str(e[2])) for e in expected)
    assert last[0] == "合计" and last[3] == money(total)
    note = next(r[0] for r in ws.iter_rows(min_row=5 + len(body), values_only=True) if r[0])
    assert note == f"部门项目支出共{len(expected)}个项目，支出金额合计{total:,.2f}万元。"


def test_totals_table(department):
    ws = openpyxl.load_workbook(department["out"], data_only=True)["部门合计"]
    got = rows(ws, 3, 11)
    assert got[0][2:] == ("全年预算数", "全年执行数", "执行率", "基本支出", "其中：人员经费", "其中：公用经费", "项目支出", "编制数", "实有人数")
    body, last = got[1:10], got[10]
    sums = [D(0)] * 11
    for r, name, shown in zip(body, ORDER, SHOWN):
        f = figures(NAMES.index(name))
        basic = f["spent"] - f["project"]
        want = [f["full"], f["spent"], None, basic, basic - f["public"], f["public"], f["project"], f["quota"], f["actual"]]
        assert r[1] == shown and r[4] == pytest.approx(float(f["spent"] / f["full"]))
        assert [r[c] for c in (2, 3, 5, 6, 7, 8, 9, 10)] == pytest.approx([float(w) for w in want if w is not None])
        sums = [s + D(str(v)) if isinstance(v, (int, float)) else s for s, v in zip(sums, r)]
    assert last[0] == "合计"
    assert [last[c] for c in (2, 3, 5, 6, 7, 8, 9, 10)] == pytest.approx([float(sums[c]) for c in (2, 3, 5, 6, 7, 8, 9, 10)])
    assert last[4] == pytest.approx(float(sums[3] / sums[2]))  # the department's own rate, not the mean


def test_submissions_and_checks(department):
    wb = openpyxl.load_workbook(department["out"])
    sub = {r[0] or r[1]: r for r in wb["报送情况"].iter_rows(min_row=3, values_only=True)}
    assert sub["草稿.xlsx"][4] == "未计入" and "草稿" in sub["草稿.xlsx"][5]
    assert sub["改动.xlsx"][4] == "未计入" and "改动" in sub["改动.xlsx"][5]
    assert sub["某县未报送单位"][4] == "未报送"
    assert sub["往年.xlsx"][4] == "计入"  # counted by collect, but not the department's year:
    checks = {(r[5], r[1]) for r in wb["校验结果"].iter_rows(min_row=3, values_only=True)}
    assert ("dept_other_edition", "某县往年单位") in checks
    assert ("dept_lines_mismatch", NAMES[8]) in checks  # 三公 totals without lines
    assert ("dept_totals_mismatch", None) in checks  # so the department's 三公 lines fall short of its totals
    assert len([c for c in checks if c[0] == "dept_lines_mismatch"]) == 1
    sources = list(wb["来源"].iter_rows(min_row=3, values_only=True))
    assert any(r[2] == SHOWN[0] and r[3] == "全年预算数" and r[5].startswith(f"{BENJI}.xlsx 附件2!") for r in sources)
    assert "草稿.xlsx" in department["stdout"] and "未报送 某县未报送单位" in department["stdout"]


def test_draft_and_libreoffice(department):
    """The 部门汇总 recalculated by LibreOffice has no error cell and its 合计 formulas keep their
    values; the department draft renders, and its figures are the roll-up's."""
    from .lo_engine import LibreOffice

    out, tmp = department["out"], department["tmp"]
    docx = tmp / "部门自评报告.docx"
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "report", str(out), "-o", str(docx)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out, data_only=True)
    office = LibreOffice()
    try:
        cells = office.scan(out)
        pdfs = [office.pdf(out, tmp / "部门汇总.pdf"), office.pdf(docx, tmp / "部门自评报告.pdf")]
    finally:
        office.close()
    assert cells and not [c for c in cells if isinstance(c[2], dict)]  # no error cell
    assert [c[2] for c in cells] == pytest.approx([wb[c[0]][c[1]].value for c in cells])
    for name in ("单位得分表", "三公经费", "项目支出", "部门合计"):
        ps = wb[name].page_setup
        assert ps.paperSize == 9 and wb[name].sheet_properties.pageSetUpPr.fitToPage and ps.fitToHeight == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdfs[1]), "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    totals = wb["部门合计"]
    last = next(r for r in totals.iter_rows(min_row=4, values_only=True) if r[0] == "合计")
    assert f"全年预算数{last[2]:,.2f}万元，全年执行数{last[3]:,.2f}万元，部门预算执行率" in flat
    rate = (D(str(last[3])) / D(str(last[2])) * 100).quantize(D("0.01"), ROUND_HALF_UP).normalize()
    assert f"部门预算执行率{rate:f}%" in flat and "各单位执行率的算术平均为" in flat
    avg = next(r for r in wb["单位得分表"].iter_rows(min_row=4, values_only=True) if r[0] == "部门平均分")
    assert f"部门平均分{avg[6]:.2f}分（各单位得分的算术平均）" in flat and "加权" not in flat
    project_total = next(r for r in wb["项目支出"].iter_rows(min_row=4, values_only=True) if r[0] == "合计")[3]
    assert f"支出金额合计{project_total:,.2f}万元" in flat and "【请填写：存在的问题及原因】" in flat


def test_ribbon_button(department, tmp_path):
    """部门汇总 from the ribbon: the folder picked, its 名单.txt used, both files written."""
    import shutil

    from perfeval_xl.excel.ribbon import ExcelUI, on_button

    from .fake_xlwings import FakeApp

    folder = tmp_path / "所属单位"
    folder.mkdir()
    for name in NAMES[:2]:
        shutil.copy(department["inbox"] / f"{name}.xlsx", folder)
    (folder / "名单.txt").write_text(f"{NAMES[1]}\n*{BENJI}\n", encoding="utf-8")
    app = FakeApp()
    book = app.books.open(EXAMPLE)
    app.folder_to_pick = folder
    on_button("department", book, ExcelUI(app))
    assert "已列入 2 个单位（名单：名单.txt）" in app.alerts[-1]
    assert app.books.list[-1].fullname == str(folder / "部门汇总.xlsx")
    ws = openpyxl.load_workbook(folder / "部门汇总.xlsx")["单位得分表"]
    assert [ws.cell(r, 2).value for r in (4, 5)] == [f"{BENJI}（本级）", NAMES[1]]
    assert (folder / "部门汇总_部门自评报告（初稿）.docx").exists()
    on_button("department", book, ExcelUI(app))  # again: its own 部门汇总 and 名单 are not units' files
    states = [r[4] for r in openpyxl.load_workbook(folder / "部门汇总.xlsx")["报送情况"].iter_rows(min_row=3, values_only=True)]
    assert states == ["计入", "计入"]


def test_roster_syntax(tmp_path):
    from perfeval_xl.book import BookError
    from perfeval_xl.bureau.department import read_roster

    txt = tmp_path / "名单.txt"
    txt.write_bytes("单位名称\n乙 中心\n甲局(本级)\n丙所\n乙中心\n".encode("gb18030"))
    assert read_roster(txt) == (["乙中心", "甲局", "丙所"], "甲局")  # GBK, spaces, half-width brackets, a repeat
    txt.write_text("＊甲局\n乙中心\n", encoding="utf-8")
    assert read_roster(txt) == (["甲局", "乙中心"], "甲局")
    txt.write_text("甲局*\n乙中心（本级）\n", encoding="utf-8")
    with pytest.raises(BookError, match="本级的单位不止一个"):
        read_roster(txt)
    wb = openpyxl.Workbook()
    for row in (["单位名称", "本级"], ["乙中心", None], ["甲局", "√"], ["丙所", "否"]):
        wb.active.append(row)
    wb.save(tmp_path / "名单.xlsx")
    assert read_roster(tmp_path / "名单.xlsx") == (["乙中心", "甲局", "丙所"], "甲局")
