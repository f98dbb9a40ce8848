"""The drafts and the narrative check on the four real reports (seeds 000, 001, 002, 004 with
their own report texts, tests/data/reports/) and on invented department texts that mix scopes.

The corpus test measures precision and recall of the narrative check: each seed's report text
becomes a .docx (built here), checked with check_report against the seed's tables; the true
findings are listed by hand below, from reading each text against its tables."""
import re

import docx
import pytest

from perfeval_xl.checks.assess import assess, identify
from perfeval_xl.report import draft
from perfeval_xl.report.narrative import check_counts, check_report, check_text
from perfeval_xl.report.figures import Figures
from perfeval_xl.scoring import assess_with_texts

from .seeds import seed000
from .seeds.books import report_texts, seed_book

SEEDS = ["000", "001", "002", "004"]
# seed → (year, unit, region) as the seed's own cover and title print them
IDENTITY = {"000": (2021, "岳阳县住房保障服务中心", "岳阳县"),
            "001": (2023, "岳阳市公共租赁房屋运营服务中心", "岳阳楼区"),
            "002": (2021, "冷水滩区保障性住房服务中心", "冷水滩区"),
            "004": (2020, "华容县住房和城乡建设局", "华容县")}


@pytest.fixture(scope="module")
def books():
    return {s: seed_book(s) for s in SEEDS}


@pytest.fixture(scope="module")
def drafts(books):
    return {s: draft.build(b, assess(b)) for s, b in books.items()}


def para_texts(d: draft.Draft) -> list[str]:
    return [b.text for b in d.blocks if b.kind in ("title", "line", "heading", "sub", "para")]


# ----------------------------------------------------------------------------- the drafts
@pytest.mark.parametrize("seed", SEEDS)
def test_seed_draft_carries_year_unit_region_and_typed_text(drafts, seed):
    d = drafts[seed]
    year, unit, region = IDENTITY[seed]
    titles = [b.text for b in d.blocks if b.kind == "title"]
    assert d.year == year and d.unit == unit
    assert all(f"{year}年度" in t and region in t + d.blocks[1].text for t in titles), titles
    assert unit in d.text().split("\n", 3)[1] + titles[0]  # the unit under (or in) the title
    lines = para_texts(d)
    for (sheet, name), text in report_texts(seed).items():  # every typed line, as typed
        for line in filter(str.strip, text.splitlines()):
            assert line.strip() in lines, f"{sheet}!{name}: {line[:30]}"
    other_years = {"2020", "2021", "2022", "2023", "2024"} - {str(year), str(year + 1)}
    assert not any(f"{y}年度" in t for t in titles for y in other_years)


@pytest.mark.parametrize("seed", SEEDS)
def test_no_dangling_sentence(drafts, seed):
    typed = {line.strip() for text in report_texts(seed).values() for line in text.splitlines()}
    for text in set(para_texts(drafts[seed])) - typed:  # the draft's own sentences
        assert not re.search(r"[：:]\s*。$|其中。|^[^，。；]{0,8}。$", text), text


def test_blank_figures_leave_their_paragraph_out(books):
    book = seed_book("001")
    for i in range(1, 10):
        book.set("附件4", f"section{i}", None)
    for name in ("income_general", "income_fund", "income_special", "income_other"):
        book.set("附件2", name, None)
    text = draft.build(book, assess(book)).text()
    assert "按收入性质分" not in text and "按支出性质分（全部资金）：基本支出586.92万元" in text
    for name in ("staff_quota", "staff_actual"):
        book.set("附件1", name, None)
    text = draft.build(book, assess(book)).text()
    assert "核定编制" not in text and "【请填写：单位性质、级别、主要职能和内设机构】" in text


@pytest.mark.parametrize("seed,sheet", [("001", "附件1"), ("000", "附件2-1"), ("002", "附件1"), ("004", "附件2-1")])
def test_draft_follows_year_unit_and_region(seed, sheet):
    book = seed_book(seed)
    book.set(sheet, "report_year", 2024)
    book.set(sheet, "unit_name", "城东区住房服务中心")
    if seed == "001":
        book.set("附件1", "unit_name", "城东区住房服务中心")  # the unit is named on 附件1, 2 and 4
        book.set("附件2", "unit_name", "城东区住房服务中心")
    if seed in ("000", "004"):
        book.set("附件2-1", "region", "城东区")
    if seed == "001":
        book.set("附件4", "region", "城东区")
    d = draft.build(book, assess(book))
    head = "".join(b.text for b in d.blocks[:3])
    assert d.year == 2024 and "2024年度" in head and "城东区" in head and "城东区住房服务中心" in head
    assert "城东区城东区" not in head  # the region is not written twice when the name starts with it
    year, unit, region = IDENTITY[seed]
    assert f"{year}年度" not in head and unit not in head
    if seed == "001":  # a region typed apart from the unit name is written before it
        book.set("附件4", "region", "岳阳楼区")
        assert draft.build(book, assess(book)).blocks[0].text == "2024年度岳阳楼区城东区住房服务中心整体支出绩效自评报告"


def test_trace_names_each_rate_numerator_and_denominator():
    book = seed_book("001")
    for i in range(1, 10):
        book.set("附件4", f"section{i}", None)
    d = draft.build(book, assess(book))
    trace = next(b for b in d.blocks[::-1] if b.kind == "table").rows
    rows = {r[0]: r for r in trace[1:]}
    rate = rows["执行率"]
    assert rate[1] == "100%"
    full, spent = book.address("附件2", "budget_full"), book.address("附件2", "budget_spent")
    assert rate[2] == f"全年执行数（附件2!{spent}） ÷ 全年预算数（附件2!{full}）"
    assert rows["公用经费控制率"][2].startswith("公用经费决算数（附件1!") and "÷ 公用经费预算数（附件1!" in rows["公用经费控制率"][2]
    assert rows["基本支出"][1:] == ["586.92万元", f"附件2!{book.address('附件2', 'expense_basic')}"]
    assert "项目支出执行率" not in rows


# ----------------------------------------------------------------------------- narrative
def test_counts_of_the_same_thing_must_agree():
    texts = [("成绩", "附件2-1", "A9", "新建公租房项目4个200套，完成农村危房改造315户。"),
             ("实际完成", "附件2-1", "F44", "新建公租房项目705套，完成农村危房改造315户，腾退住房约20余套。"),
             ("综述", "附件2-1", "A80", "腾退住房25套；新建公租房项目705套。")]
    found = check_counts(texts)
    assert [(f.cell, f.code) for f in found] == [("F44", "narrative_count")]
    assert found[0].message == "实际完成中“新建公租房项目705套”与成绩“新建公租房项目4个200套”数量不一致"
    assert check_counts(texts[1:]) == []  # 约20余套 is no count to compare


def test_lengshuitan_typed_report_is_checked_without_a_word_file(books):
    found = [f for f in assess_with_texts(books["002"]).findings if f.code == "narrative_mismatch"]
    assert [(f.sheet, f.cell) for f in found] == [("附件3", books["002"].address("附件3", "section7"))]
    assert "“自评得分91分”与表中总分93分" in found[0].message


def _figures(book):
    a = assess(book)
    return Figures(book, identify(book), a.forms, a.unit)


# (seed book, text, heading, flagged): scope-aware reading, part scores, sums
CASES = [
    ("004", "一般公共预算财政拨款支出20353.71万元，其中基本支出1500.2万元。", "", False),  # 一般公共预算 ≠ 全部资金
    ("004", "2020年度财政拨款基本支出1767.43万元。", "", False),  # 财政拨款 = 全部资金 here (no other source)
    ("004", "2020年度财政拨款基本支出1700万元。", "", True),
    ("004", "局机关人员编制120人，实有人数139人。", "", False),  # a unit below the department
    ("004", "市政公用设施建设中心基本支出162.66万元。", "", False),  # a row of the table, named
    ("004", "公务接待费预算2万元。", "", False),  # a budget, the table holds the 决算
    ("004", "公务接待费1.5万元。", "", True),
    ("004", "与上年相比，基本支出增加120.5万元。", "", False),  # a change
    ("004", "2019年基本支出1500万元。", "", False),  # another year
    ("004", "基本支出1767.43万元、项目支出27433.57万元，合计29201万元。", "", False),
    ("004", "基本支出1767.43万元、项目支出27433.57万元，合计29000万元。", "", True),
    ("004", "2020年度老旧小区改造年度计划投资13742万元，现已到位资金5075万元。", "", True),
    ("004", "现已到位资金5075万元。", "", False),  # no project named: not the project's figure
    ("001", "基本支出和项目支出合计1323.28万元。", "", False),
    ("001", "基本支出和项目支出合计1300万元。", "", True),
    ("001", "预算执行率100%，得分10分；产出指标得分48分。", "", False),
    ("001", "产出指标得分50分。", "", True),
    ("001", "公用经费使用情况指标，得分8分。", "", False),
    ("001", "公用经费使用情况指标，得分10分。", "", True),
    ("001", "基本支出500万元。", "二、一般公共预算支出情况", False),  # the heading makes it uncertain
    ("001", "全部资金口径下，基本支出500万元。", "二、一般公共预算支出情况", True),
    ("001", "项目支出年初预算350万元。", "", False),
    ("001", "项目支出年初预算400万元。", "", True),
    ("001", "三公经费预算2万元，其中公务接待费预算2万元，决算0万元。", "", False),
    ("001", "本单位编制40名，其中局机关编制30名。", "", False),
]


@pytest.mark.parametrize("seed,text,heading,flagged", CASES)
def test_scope_part_scores_and_sums(books, seed, text, heading, flagged):
    book = books[seed]
    labels = draft.wording(identify(book).id)["labels"]["部门"]
    found = check_text(text, labels, _figures(book), "报告", "报告.docx", "第1段", heading=heading, group="部门")
    assert bool(found) == flagged, found


# ----------------------------------------------------------------------------- the corpus
# The true findings of each seed's report text against its own tables, listed by hand (the
# snippet each names). Seed 000's 200套 (its 总体运行情况) against 705套 (its 实际完成) is a
# contradiction between two of its texts, with no table figure (narrative_count).
TRUE = {
    "000": {"财政拨款收入为1039.29万元", "一般公共预算财政拨款为970.31万元", "基本支出307.88万元",
            "项目支出3886.58万元", "项目支出为3886.58万元", "新建公租房项目4个200套"},
    "001": set(),
    "002": {"自评得分91分"},
    "004": {"到位资金5075万元", "资金到位率为100%"},
}
# Department-level texts that mix scopes (fund source, unit, stage, 三公 lines, other years), every
# figure right in its own scope: nothing to find.
INVENTED = {
    "004": [
        "二、一般公共预算支出情况",
        "2020年度一般公共预算财政拨款支出20353.71万元，其中：基本支出1500.2万元，项目支出18853.51万元。",
        "政府性基金预算财政拨款项目支出8847.29万元。",
        "局机关人员编制120人，实有人数139人；局机关基本支出1604.77万元，项目支出27383.57万元。",
        "“三公”经费支出3.49万元，其中公务接待费1.21万元，公务用车运行维护费2.28万元，公务用车购置费0万元。",
        "公务接待费预算2万元，年初预算项目支出20000万元，调整后预算项目支出28000万元。",
        "与上年相比，基本支出增加120.5万元，三公经费减少0.5万元。2019年基本支出1500万元。",
        "基本支出1767.43万元、项目支出27433.57万元，合计29201万元。",
        "部门整体支出绩效自评综合得分93分，评价等次为优。",
    ],
    "001": [
        "二、一般公共预算支出情况",
        "（一）基本支出情况",
        "2023年本单位一般公共预算财政拨款基本支出520.1万元，项目支出688.64万元。",
        "年初预算数1023.19万元，全年预算数1323.28万元；项目支出年初预算350万元。",
        "三公经费预算2万元，其中公务接待费预算2万元，决算0万元。",
        "本单位编制40名，其中局机关编制30名，上年在职人数33人。",
        "预算执行得分10分，产出指标得分48分，效益指标得分30分。",
        "基本支出和项目支出合计1323.28万元，一般公共预算1208.74万元，其他资金114.54万元。",
    ],
}


def report_docx(path, seed: str, book) -> None:
    """The seed's report texts as a Word file: each report's title, then its sections."""
    doc = docx.Document()
    texts = report_texts(seed)
    if seed == "000":  # its 附件2-1 text blocks, as the report prints them before the 综述
        texts = {("附件2-1", k): seed000.VALUES["附件2-1"][k] for k in ("achievements", "goal_actual")} | texts
    figures = _figures(book)
    for report in draft.reports(figures):
        doc.add_paragraph(draft.fill(report["title"], figures), style="Title")
        sheets = {s.get("typed", "").partition("!")[0] for s in report["sections"]} | {
            report.get("typed", "").partition("!")[0]}
        for (sheet, name), text in texts.items():
            if sheet in sheets:
                if name.startswith("section"):  # the section's heading, as the report prints it
                    doc.add_paragraph(figures.forms[sheet].field(name).label)
                for line in text.splitlines():
                    doc.add_paragraph(line)
    doc.save(path)


def _snippets(findings, true: set[str] = frozenset()) -> list[str]:
    """What each finding quotes from the text: the true snippet it names if any, else its first."""
    out = []
    for f in findings:
        if f.code in ("narrative_mismatch", "narrative_count"):
            quoted = re.findall(r"“([^”]+)”", f.message)
            out.append(next((q for q in quoted if q in true), quoted[0]))
    return out


def test_corpus_precision_and_recall(books, tmp_path, capsys):
    tally = {}
    for seed in SEEDS:
        book = books[seed]
        a = assess(book)
        path = tmp_path / f"seed{seed}.docx"
        report_docx(path, seed, book)
        found = _snippets(check_report(path, book, identify(book), a.forms, a.unit), TRUE[seed])
        true_found = [s for s in found if s in TRUE[seed]]
        tally[seed] = (len(true_found), len(found), len(TRUE[seed]))
    for seed, lines in INVENTED.items():
        book = books[seed]
        a = assess(book)
        doc = docx.Document()
        doc.add_paragraph("部门整体支出绩效自评报告", style="Title")
        for line in lines:
            doc.add_paragraph(line)
        path = tmp_path / f"invented{seed}.docx"
        doc.save(path)
        found = _snippets(check_report(path, book, identify(book), a.forms, a.unit))
        assert found == [], found
        tally[f"invented {seed}"] = (0, 0, 0)
    tp, fp_tp, true = (sum(t[i] for t in tally.values()) for i in range(3))
    with capsys.disabled():
        for name, (hit, found, real) in tally.items():
            print(f"\n{name}: {found} findings, {hit} true, {real} true ones in the text")
        print(f"overall: precision {tp}/{fp_tp}, recall {tp}/{true}")
    # every true finding is found, and nothing false
    assert tally["000"] == (6, 6, 6) and tally["001"] == (0, 0, 0)
    assert tally["002"] == (1, 1, 1) and tally["004"] == (2, 2, 2)
