"""The Word draft of the 自评报告 (perfeval_xl/report/) and report text against the tables
(perfeval_xl.report.narrative.py), on the example (seed 001) and on seeds 004 and 000 typed into
the 2020 form."""
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal

import docx
import pytest
from docx.shared import Pt

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess, identify
from perfeval_xl.report.narrative import check_report, check_text, claims
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook
from perfeval_xl.office import convert
from perfeval_xl.report import draft, report_file, word
from perfeval_xl.report.figures import Figures
from perfeval_xl.scoring import assess_with_texts

from .conftest import EXAMPLE
from .seeds import seed000

# Seed 004 (华容县住房和城乡建设局, 2020), 附件2-1 as printed: the 汇总 row of each table.
SEED_004 = {
    "unit_name": "华容县住房和城乡建设局", "budget_code": "303001", "contact": "黄可夫", "phone": "4231757",
    "staff_quota": 143, "staff_actual": 162, "duties": "贯彻执行有关住房和城乡建设的法律法规。",
    "inc_name_0": "局机关及二级机构汇总", "inc_total_0": 29201, "inc_carry_0": 0, "inc_general_0": 20353.71,
    "inc_fund_0": 8847.29, "inc_special_0": 0, "inc_other_0": 0,
    "exp_name_0": "局机关及二级机构汇总", "exp_total_0": 29201, "exp_basic_0": 1767.43, "exp_staff_0": 1242.09,
    "exp_public_0": 525.34, "exp_project_0": 27433.57, "exp_balance_0": 0, "exp_cum_balance_0": 0,
    "sg_name_0": "局机关及二级机构汇总", "sg_total_0": 3.49, "sg_reception_0": 1.21, "sg_car_run_0": 2.28,
    "sg_car_buy_0": 0, "sg_abroad_0": 0,
    "fa_name_0": "局机关及二级机构汇总", "fa_total_0": 174.31, "fa_in_use_0": 174.31, "fa_rented_0": 0, "fa_other_0": 0,
}
# Seed 004's own 综述 (五、评价报告综述, verbatim excerpts): its figures agree with its tables.
SEED_004_SUMMARY = (
    "2020年度财政拨款收入29201万元，其中：一般公共预算财政拨款收入20353.71万元，占本年收入合计的69.7%，"
    "政府性基金本年收入8847.29万元,占本年收入合计的30.3%。\n2020年支出合计29201万元，其中：人员支出1242.09万元，"
    "占本年支出合计的4.25%，公用经费支出525.34万元，占本年支出合计的1.8%，项目支出27433.57万元，占本年支出合计的93.95%\n"
    "基本支出1767.43万元，占6.05%，2020年度财政拨款基本支出1767.43万元，其中:人员经费1242.09万元，主要包括基本工资；"
    "公用经费525.34万元，主要包括办公费。\n1、本年预算配置控制较好，财政供养人员控制在预算编制以内， “三公”经费支出总额较上年有减少。"
)
# Seed 000 (岳阳县住房保障服务中心, 2021): its 附件2-1 tables (tests/seeds/seed000.py), and its 综述
# (verbatim excerpts), which says 一般公共预算财政拨款 970.31 and 基本支出 307.88 where its tables say
# 970.37 and 781.01.
SEED_000 = {k: v for k, v in seed000.VALUES["附件2-1"].items() if k != "summary"}
SEED_000_SUMMARY = (
    "（二）、部门（单位）整体支出规模、使用方向和主要同容、涉及范围等\n"
    "2021年度资金整体规模为4479.65万元，其中：本年度财政拨款收入为1039.29万元，即一般公共预算财政拨款为970.31万元，"
    "其他收入68.98万元。另外年初结转结余为3440.36万元。\n"
    "2021年县住房保障中心整体支出4479.65万元，包括基本支出307.88万元，主要用于人员经费支出和日常公用经费支出；"
    "项目支出3886.58万元，主要用于棚户区配套设施建设以及公租房建设工程等。\n2021年末资金结余285.19万元。\n"
    "（一）、基本支出\n2021年度住房保障中心基本出为307.88万元，包括人员经费即职工工资福利费及对个人与家庭补助开支为307.88万元。\n"
    "需要说明的是公用经费支出中“三公经费”支出为1.03万元，主要用于项目协调公务接待开支等。"
)


def book_2020(values: dict, summary: str | None = None) -> OpenpyxlBook:
    book = OpenpyxlBook(build_workbook(template_sets()["2020"]))
    for name, value in values.items():
        book.set("附件2-1", name, value)
    if summary:
        book.set("附件2-1", "summary", summary)
    return book


def draft_of(book) -> draft.Draft:
    return draft.build(book, assess(book))


def untyped_example() -> OpenpyxlBook:
    """The example with its 附件4 sections blank: the draft writes its own paragraphs."""
    book = OpenpyxlBook.open(EXAMPLE)
    for i in range(1, 10):
        book.set("附件4", f"section{i}", None)
    return book


@pytest.fixture(scope="module")
def example_draft():
    return draft_of(untyped_example())


def paragraph_with(d: draft.Draft, *words: str) -> str:
    found = [b.text for b in d.blocks if all(w in b.text for w in words)]
    assert found, f"no paragraph holds {words}"
    return found[0]


# ----------------------------------------------------------------------------- the draft
def test_example_draft_holds_the_figures(example_draft):
    text = example_draft.text()
    assert text.startswith("2023年度岳阳楼区岳阳市公共租赁房屋运营服务中心整体支出绩效自评报告")
    assert "核定编制40名，2023年实际在职人数35人，在职人员控制率87.5%" in text
    assert "资金总额（全部资金）：全年预算数1,323.28万元（年初预算数1,023.19万元），全年执行数1,323.28万元，预算执行率100%" in text
    assert "按支出性质分（全部资金）：基本支出586.92万元，占全年执行数的44.35%；项目支出736.36万元，占全年执行数的55.65%" in text
    assert "自评总分98分，评价等次为“优”" in text
    lost = paragraph_with(example_draft, "公用经费使用情况")
    assert lost == ("1.成本指标“公用经费使用情况”年度指标值68.4万元，实际完成值64.7万元，分值10分，得分8分，扣2分。"
                    "原因：预算指标编制欠合理。")
    assert "公用经费预算68.40万元，决算64.70万元，公用经费控制率94.59%" in text
    # no rate over the 年初 project budget (736.36 ÷ 350 = 210.39%): the 附件1 figure stands alone
    assert "附件1所列项目支出预算数350.00万元。" in text and "210.39%" not in text
    # the outline of seed 001's 附件4, in order
    headings = [b.text for b in example_draft.blocks if b.kind == "heading"]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "附："]
    assert "【请填写：年度主要工作和取得的成绩】" in text  # what only the unit knows


def test_score_table_and_chart(example_draft):
    table = next(b for b in example_draft.blocks if b.kind == "table")
    assert table.rows == [["一级指标", "分值", "得分", "扣分"], ["预算执行", "10", "10", "0"], ["产出指标", "50", "48", "2"],
                          ["效益指标", "30", "30", "0"], ["满意度指标", "10", "10", "0"], ["合计", "100", "98", "2"]]
    chart = next(b for b in example_draft.blocks if b.kind == "chart").chart
    assert chart.series[1] == ("得分", [Decimal(10), Decimal(48), Decimal(30), Decimal(10)])


def test_seed_004_shares():
    """Seed 004's 综述 percentages are shares of 收入合计 and 支出合计 in its 附件2-1."""
    text = draft_of(book_2020(SEED_004)).text()
    assert "一般公共预算财政拨款收入20,353.71万元，占收入合计的69.7%" in text
    assert "政府性基金拨款收入8,847.29万元，占收入合计的30.3%" in text
    assert "人员支出1,242.09万元，占支出合计的4.25%" in text
    assert "公用经费支出525.34万元，占支出合计的1.8%" in text
    assert "项目支出27,433.57万元，占支出合计的93.95%" in text
    assert "上年结转" not in text  # a zero item is left out of the list
    assert "财政支出绩效评价自评报告" not in text  # no project report without a 附件2-2 project


def test_same_workbook_same_document(tmp_path):
    first = report_file(EXAMPLE, tmp_path / "a.docx")
    second = report_file(EXAMPLE, tmp_path / "b.docx")
    assert first[1].text() == second[1].text()
    assert [p.text for p in docx.Document(first[0]).paragraphs] == [p.text for p in docx.Document(second[0]).paragraphs]
    assert first[0].read_bytes() == second[0].read_bytes()


def test_word_layout(tmp_path):
    path, d, _ = report_file(EXAMPLE, tmp_path / "报告.docx", book=untyped_example())
    doc = docx.Document(path)
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16)
    east_asia = {name: doc.styles[name].element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia"))
                 for name in ("Normal", "Title", "Heading 1", "Heading 2")}
    assert east_asia == {"Normal": "仿宋_GB2312", "Title": "方正小标宋简体", "Heading 1": "黑体", "Heading 2": "楷体_GB2312"}
    assert doc.styles["Title"].font.size == Pt(22)
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == d.blocks[0].text
    assert len(doc.tables) == 2 and len(doc.inline_shapes) == 1  # the score table, the trace
    highlighted = [r.text for p in doc.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert highlighted and all(t.startswith("【请填写：") for t in highlighted)
    with zipfile.ZipFile(path) as z:
        assert "docProps/thumbnail.jpeg" not in z.namelist()
        fonts = z.read("word/fontTable.xml").decode("utf-8")
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/><w:charset w:val="86"/>' in fonts


def test_libreoffice_renders_the_draft(tmp_path, soffice):
    path, _, _ = report_file(EXAMPLE, tmp_path / "报告.docx", book=untyped_example())
    pdf = convert(path, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for figure in ("岳阳市公共租赁房屋运营服务中心", "586.92", "1,323.28", "87.5%", "预算指标编制欠合理"):
        assert figure in flat
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_report_command(tmp_path):
    src = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, src)
    before = src.read_bytes()
    r = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "report", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "2023年度_岳阳市公共租赁房屋运营服务中心_绩效自评报告（初稿）.docx"
    assert f"已生成报告初稿：{out}" in r.stdout and out.exists()
    assert src.read_bytes() == before
    bad = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "report", str(src), "-o", str(tmp_path / "x.txt")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "应以 .docx 结尾" in bad.stderr


# ----------------------------------------------------------------------------- narrative
def test_seed_000_summary_contradicts_its_tables():
    book = book_2020(SEED_000, SEED_000_SUMMARY)
    found = [f for f in assess_with_texts(book).findings if f.code == "narrative_mismatch"]
    cell = book.address("附件2-1", "summary")
    assert all(f.sheet == "附件2-1" and f.cell == cell and f.severity == "warning" for f in found)
    messages = "\n".join(f.message for f in found)
    general = book.address("附件2-1", "inc_general_0")
    basic = book.address("附件2-1", "exp_basic_0")
    assert f"评价报告综述中“一般公共预算财政拨款为970.31万元”与表中公共财政拨款970.37万元（附件2-1!{general}）不符" in messages
    assert f"“基本支出307.88万元”与表中基本支出781.01万元（附件2-1!{basic}）不符" in messages
    # the same text also says 项目支出 3886.58 (table 3413.45) and 财政拨款收入 1039.29 (table 970.37)
    assert sorted(re.findall(r"中“([^”]+)”", messages)) == sorted([
        "财政拨款收入为1039.29万元", "一般公共预算财政拨款为970.31万元", "基本支出307.88万元", "项目支出3886.58万元"])
    # 4479.65, 68.98, 3440.36, 285.19 and 1.03 agree with the tables: no finding for them
    assert not re.search(r"4479\.65|68\.98|3440\.36|285\.19|1\.03万元", messages)


def test_seed_004_summary_agrees_with_its_tables():
    book = book_2020(SEED_004, SEED_004_SUMMARY)
    assert [f for f in assess_with_texts(book).findings if f.code == "narrative_mismatch"] == []


def _figures(book):
    a = assess(book)
    return Figures(book, identify(book), a.forms, a.unit)


@pytest.mark.parametrize("text,flagged", [
    ("公用经费执行率95%，原因是预算编制结构欠合理。", False),  # 94.59% at the stated precision
    ("公用经费执行率96%。", True),
    ("公用经费执行率94.6%。", False),
    ("公用经费执行率94.5%。", True),
    ("已完成租金收缴约690余万元。", False),
    ("核定事业编制为40名，目前在岗在编人员35名。", False),
    ("核定事业编制为42名。", True),
    ("基本支出5869200元。", False),  # stated in 元
    ("基本支出 586.92 万元，项目支出736.36万元。", False),
    ("项目支出 763.36 万元。", True),
    ("本单位2023年度部门整体支出绩效自评得分98分。", False),
    ("本单位2023年度部门整体支出绩效自评得分95分。", True),
    ("2023年基本支出和项目支出1323.28万元。", False),  # a joint figure: neither 基本支出 nor 项目支出 alone
    ("2023年基本支出为项目支出736.36万元。", False),  # another label between: not read as 基本支出
])
def test_stated_precision_and_units(text, flagged):
    book = OpenpyxlBook.open(EXAMPLE)
    labels = draft.wording("2023")["labels"]["部门"]
    found = check_text(text, labels, _figures(book), "一、单位基本情况", "附件4", "B6")
    assert bool(found) == flagged, found


def test_claims_reads_thousands_and_fullwidth():
    labels = {"资金规模": "x"}
    assert [c[2] for c in claims("资金规模为１，３２３．２８万元", labels)] == []  # fullwidth comma ends the clause
    assert [c[2] for c in claims("资金规模为1,323.28万元", labels)] == [Decimal("1323.28")]
    assert [c[2] for c in claims("资金规模为１３２３．２８万元", labels)] == [Decimal("1323.28")]


def test_own_draft_is_consistent_and_an_edit_is_caught(tmp_path):
    book = untyped_example()
    a = assess(book)
    path, _, _ = report_file(EXAMPLE, tmp_path / "报告.docx", book=book)
    found = check_report(path, book, identify(book), a.forms, a.unit)
    assert [f.code for f in found] == ["report_placeholder"]
    doc = docx.Document(path)
    p = next(p for p in doc.paragraphs if "本单位基本支出586.92万元" in p.text)
    for run in p.runs:
        run.text = run.text.replace("586.92", "568.92")
    doc.save(path)
    r = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "validate", str(EXAMPLE), "--report", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # warnings only
    assert "报告.docx!第" in r.stdout and "“基本支出568.92万元”与表中基本支出586.92万元（附件2!" in r.stdout
    assert "仍有待填写" in r.stdout


def test_unreadable_report_is_a_sentence(tmp_path):
    bad = tmp_path / "报告.docx"
    bad.write_bytes(b"not a zip")
    r = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "validate", str(EXAMPLE), "--report", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "无法作为Word文档打开" in r.stderr and "Traceback" not in r.stderr


def test_every_set_drafts_and_uses_defined_figures(tmp_path):
    for tid, tset in template_sets().items():
        book = OpenpyxlBook(build_workbook(tset))
        d = draft_of(book)
        assert d.blocks[0].kind == "title"
        word.write(d, tmp_path / f"{tid}.docx")
        data = draft.wording(tid)
        figures = _figures(book)
        for group in data["labels"].values():
            for names in group.values():
                for name in names if isinstance(names, list) else [names] if names else []:
                    assert name in figures, f"{tid}: label for undefined figure {name}"
        for sources in data.get("scopes", {}).values():
            assert all(name in figures for name in sources), f"{tid}: scope of undefined figures {sources}"
        for name, spec in data["figures"].items():  # every cell a figure names is in the set's forms
            sheet, _, field = spec.get("cell", "!").partition("!")
            assert not field or book.address(sheet, field), f"{tid}: {name} names no cell ({spec['cell']})"
