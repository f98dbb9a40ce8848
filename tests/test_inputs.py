"""Inputs as accountants type them (issue 9): one percent rule, dates and deadlines, money in
any unit, rates derived from the unit's own tables, impossible scores, bounds, project sheets."""
import datetime as dt
import re
from collections import Counter
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess, forms_in, identify
from perfeval_xl.checks.catalogue import CATALOGUE
from perfeval_xl.checks.checker import NUMERIC
from perfeval_xl.engine import scheme
from perfeval_xl.engine.parse import ParseError, as_typed_in_percent_cell, read_rate
from perfeval_xl.formulas.udfs import PE_INDICATOR_SCORE, PE_QUAL_SCORE, PE_QUANT_SCORE, PE_ROW_SCORE
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook
from tests.conftest import EXAMPLE
from tests.seeds.fill import fill, seed_data

Q, I, QL = PE_QUANT_SCORE, PE_INDICATOR_SCORE, PE_QUAL_SCORE
DEPT, PROJ, LST = "hunan-dept-2020", "hunan-project-2020", "lengshuitan-dept-2021"

# (call, args, expected): a score computed by hand from the rule text, or "错误：" + a fragment
# of the Chinese message. Never another number.
CASES = [
    # ---- percent forms against ≥90% (forward: actual/target × 分值)
    (Q, (10, "≥90%", 85), 9.44),                 # bare 85 = 85%: 85/90 × 10 = 9.444
    (Q, (10, "≥90%", "85%"), 9.44),
    (Q, (10, "≥90%", "85 %"), 9.44),
    (Q, (10, "≥90%", "８５％"), 9.44),            # full width
    (Q, (10, "≥90%", 0.85), 9.44),               # an Excel percent cell's fraction
    (Q, (10, "≥90%", "85.0"), 9.44),
    (Q, (10, "≥90%", "0.85"), 9.44),
    (Q, (10, "≥90%", 95), 10),                   # over target: full
    (Q, (10, "≥90%", 1.5), "错误：请带%号"),       # 150% or 1.5%? ask
    (Q, (10, "≥90%", "约九成"), "错误：无法识别"),
    (Q, (10, "90", "85%"), 9.44),                # bare target beside a percentage actual
    (Q, (10, "≥90%", "85分"), "错误：单位不一致"),  # a unit that is no rate
    (Q, (10, "≤5%", 10), 5),                     # reverse A: 5/10 × 10
    (Q, (10, "≤5%", "4%"), 10),
    # ---- library indicators, bare numbers as typed into General cells
    (I, ("社会公众或服务对象满意度", 80, DEPT), 1),     # 75%（含）-85% → 1
    (I, ("社会公众或服务对象满意度", "95%", DEPT), 5),  # 95%（含）以上
    (I, ("社会公众或服务对象满意度", 0.949, DEPT), 3),
    (I, ("财政供养人员控制率", 100, DEPT), 5),          # ≦100% → 5
    (I, ("财政供养人员控制率", 108.7, DEPT), 0.65),     # 5 − 8.7 × 0.5
    (I, ("财政供养人员控制率", "113.29%", DEPT), 0),    # 5 − 13.29 × 0.5 < 0
    (I, ("财政供养人员控制率", 1.13, DEPT), "错误：请带%号"),
    (I, ("重点支出安排率", 85, DEPT), 4),               # 80%（含）-90% → 4
    (I, ("重点支出安排率", "59%", DEPT), 0),
    (I, ("政府采购执行率", 98, DEPT), 2.6),             # 3 − 2 × 0.2
    (I, ("政府采购执行率", 98, LST), 6),                # ±5% steps: 2% is no whole step
    (I, ("政府采购执行率", 90, LST), 2),                # 10% below: two 5% steps, 6 − 2 × 2
    (I, ("“三公经费”变动率", -5, DEPT), 5),             # −5% ≦ 0
    (I, ("“三公经费”变动率", "3.4%", DEPT), 3.3),       # 5 − 3.4 × 0.5
    (I, ("预算调整率", 0, DEPT), 3),
    (I, ("预算调整率", 25, DEPT), 0.5),                 # 20-30%（含）
    (I, ("公务卡刷卡率", 65, DEPT), 2),                 # 3 − 5 × 0.2
    (I, ("到位率", "36.8%", PROJ), 1.10),              # 0.368 × 3
    (I, ("到位率", 5057 / 13742, PROJ), 1.10),         # the fraction a formula gives
    (I, ("产出成本", 110, PROJ), 2.7),                 # 超支10%: 3 − 10 × 0.03
    (I, ("满意度", 90, PROJ), 8),                       # 90%（含）以上
    (I, ("满意度", "八成", PROJ), "错误：无法识别为比率"),
    (I, ("新建楼堂馆所面积控制率", "无", LST), 5),       # 没有项目按满分
    (I, ("新建楼堂馆所面积控制率", 112, LST), 1),        # two whole 5% steps: 5 − 4
    (I, ("财政供养人员控制率", dt.date(2023, 12, 31), DEPT), "错误：不是比率"),
    # ---- 得分比例 of qualitative rows
    (QL, (10, "达成", 85), 8.5),                 # bare 85 = 85%
    (QL, (10, "达成", "85%"), 8.5),
    (QL, (10, "达成", 0.85), 8.5),
    (QL, (10, "部分达成", 85), "错误：得分比例应在"),
    (QL, (10, "达成", 1.5), "错误：请带%号"),
    # ---- dates and deadlines (on or before: full marks; later, also next year: 0)
    (Q, (5, "2023年12月31日", "2023年12月20日"), 5),
    (Q, (5, "2023年12月31日", "2024年1月15日"), 0),     # next year is late
    (Q, (5, "2023-12-31", "2023/12/31"), 5),
    (Q, (5, "2023/12/31", "2024-01-15"), 0),
    (Q, (5, "2023.12.31", "2023年11月30日"), 5),
    (Q, (5, "2023年12月31日", dt.datetime(2023, 12, 30)), 5),   # an Excel date cell
    (Q, (5, "2023年12月31日", dt.datetime(2024, 1, 2)), 0),
    (Q, (5, "2023年12月31日", dt.date(2023, 6, 1)), 5),
    (Q, (5, "2023年12月31日", 45291), 5),                # serial 45291 = 2023-12-31
    (Q, (5, "2023年12月31日", 45292), 0),                # 2024-01-01
    (Q, (5, dt.datetime(2023, 12, 31), "2023年12月1日"), 5),
    (Q, (5, "12月31日前", "12月20日"), 5),               # both without a year: same year
    (Q, (5, "12月31日前", "2024年1月15日"), "错误：未写年份"),  # a bare UDF cannot know the year
    (Q, (5, "年底前", "2023-12-31"), "错误：未写年份"),
    (Q, (5, "12月底", "11月30日"), 5),
    (Q, (5, "6月底", "7月1日"), 0),
    (Q, (5, "12月31日前", "已按期完成"), "错误：无法识别为数值"),
    (Q, (5, "2023年2月30日", "2023年2月1日"), "错误：不是有效日期"),
    (Q, (5, "2023年12月31日", 85), "错误：一个是日期一个不是"),
    # ---- the report year: PE_ROW_SCORE has none; the engine takes it from the workbook
    (PE_ROW_SCORE, (5, "12月31日前", "2024-01-15"), "错误：未写年份"),
    # ---- money in 元 / 万元 / 亿元 with separators, and unit mismatches
    (Q, (10, "≥670万元", "6,700,000元"), 10),
    (Q, (10, "≥670万元", "335万元"), 5),
    (Q, (10, "≥1亿元", "5,000万元"), 5),
    (Q, (10, "≤68.4万元", "684,000元"), 10),
    (Q, (10, "≤68.4万元", "136.8万元"), 5),              # reverse A: 68.4/136.8 × 10
    (Q, (10, "≥1,323.28万元", "1323.28万元"), 10),
    (Q, (10, "≥670万元", "670户"), "错误：单位不一致"),
    (Q, (10, "完成20个", "完成20户"), "错误：单位不一致"),
    (Q, (10, "完成20个", "10个"), 5),
    # ---- 分值 itself
    (Q, (1e308, "≥90%", 85), "错误：分值"),
    (Q, (-1, "≥90%", 85), "错误：分值"),
]


@pytest.mark.parametrize("call,args,expected", CASES, ids=[f"{i}-{c[0].__name__}" for i, c in enumerate(CASES)])
def test_input_as_typed(call, args, expected):
    got = call(*args)
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith("错误：") and expected[3:] in got, got
    else:
        assert isinstance(got, float) and D(str(got)) == D(str(expected)), got


def test_at_least_sixty_cases():
    assert len(CASES) >= 60


def test_the_engine_takes_the_year_of_the_report():
    quant = scheme.load().row_rules.quantitative
    assert quant.score(("12月31日前", "2024年1月15日", None, 2023), D(5)) == 0
    assert quant.score(("12月31日前", "2024年1月15日", None, 2024), D(5)) == 5
    assert quant.score(("年底前", dt.datetime(2023, 12, 31), None, 2023), D(5)) == 5


def test_echo_of_a_bare_rate():
    assert read_rate(85).echo == "按85%计"
    assert read_rate("85%").echo == "" and read_rate(0.85).echo == ""
    with pytest.raises(ParseError, match="请带%号"):
        read_rate(1.2)


# ---------------------------------------------------------------------------- property
RATE_INDICATORS = [(sid, ind) for sid in scheme.scheme_ids() for ind in scheme.load(sid).indicators
                   if ind.input_kind == "rate"]


def _outcome(ind, value):
    try:
        return ind.score(value)
    except Exception as exc:  # a message is allowed; anything but a ScoreError is a failure
        assert type(exc).__name__ == "ScoreError", exc
        return "message"


@settings(max_examples=300, deadline=None, database=None)
@given(i=st.integers(0, len(RATE_INDICATORS) - 1),
       x=st.decimals(min_value=-2, max_value=3, places=4, allow_nan=False, allow_infinity=False))
def test_every_form_of_a_rate_gives_the_same_score(i, x):
    """x (a percent cell's fraction), "x×100%" and a bare x×100 (when ≥ 2) give the same score,
    or a message. A bare x itself reads as a fraction only while |x| ≤ 1 (the rule)."""
    _, ind = RATE_INDICATORS[i]
    forms = [f"{x * 100}%", as_typed_in_percent_cell(x)] + ([x] if abs(x) <= 1 else []) \
        + ([x * 100] if x * 100 >= 2 else [])
    outcomes = {_outcome(ind, v) for v in forms} - {"message"}
    assert len(outcomes) <= 1, (ind.name, forms, outcomes)


def test_every_rate_indicator_is_declared():
    """Threshold, bands and ratio rules of rates carry input_kind: rate in every edition."""
    assert len(RATE_INDICATORS) >= 29
    assert {sid for sid, _ in RATE_INDICATORS} == set(scheme.scheme_ids())


# ---------------------------------------------------------------------------- seed 004
def test_seed_004_scores_from_its_own_tables():
    a = assess(fill())
    totals = {f.sheet: f.total for f in a.forms}
    assert totals["附件3-1"] == D("93.00") and totals["附件3-2"] == D("97.10")
    assert not a.errors, [str(f) for f in a.errors]


def test_seed_004_typed_rates_are_caught_naming_the_source_cells():
    book = fill(typed_rates=True)
    errors = {(f.sheet, f.cell): f.message for f in assess(book).errors if f.code == "derived_mismatch"}
    rate_31 = ("附件3-1", book.address("附件3-1", "sc1_value"))
    rate_32 = ("附件3-2", book.address("附件3-2", "sc6_value"))
    assert set(errors) == {rate_31, rate_32}
    for (sheet, name) in [("附件2-1", "staff_actual"), ("附件2-1", "staff_quota")]:
        assert f"{sheet}!{book.address(sheet, name)}" in errors[rate_31]
    for (sheet, name) in [("附件2-2", "arrived_total"), ("附件2-2", "plan_total")]:
        assert f"{sheet}!{book.address(sheet, name)}" in errors[rate_32]
    assert "113.3%" in errors[rate_31] and "实际到位/计划到位*100%" in errors[rate_32]


def test_seed_004_fill_is_complete_for_the_2020_layout():
    data = seed_data()["values"]
    tset = template_sets()["2020"]
    for form in tset.forms:
        inputs = {f.name for f in form.fields() if not f.computed and f.value is None}
        # 评分表 reasons and adjusted scores are ours (helper columns), and so are the adaptations the
        # 参考样表 allows (分值 pre-filled, 不适用, rows the unit adds): the seed adapts nothing
        inputs = {n for n in inputs if not n.endswith(("_reason", "_adjusted", "_weight", "_na"))
                  and not n.startswith("add")}
        # a judged row's score is typed into 自评得分: the fill gives it as the row's value
        inputs = {n for n in inputs if not (n.endswith("_score") and n.replace("_score", "_value") in data[form.sheet])}
        # unused unit rows (4, 5) of 附件2-1 stay blank: the seed has three rows
        inputs = {n for n in inputs if not re.search(r"_[34]$", n)}
        missing = inputs - set(data[form.sheet])
        assert not missing, (form.sheet, sorted(missing))


def test_derived_rates_are_native_formulas():
    book = fill()
    for sheet, name in [("附件3-1", "sc1_value"), ("附件3-1", "sc6_value"), ("附件3-2", "sc6_value")]:
        formula = book.raw(sheet, name)
        assert formula.startswith("=") and "PE_" not in formula, formula
    assert abs(book.get("附件3-1", "sc1_value") - 162 / 143) < 1e-6  # rounded to 0.0001 %


# ---------------------------------------------------------------------------- impossible scores
def test_a_score_no_input_can_give_is_an_error_even_with_a_reason():
    book = fill()
    book.set("附件3-1", "sc8_adjusted", 2.5)  # 管理制度健全性: ①②③ × 1 point: 0/1/2/3
    book.set("附件3-1", "sc8_reason", "酌情扣分")
    found = [f for f in assess(book).errors if f.code == "score_unreachable"]
    assert [f.cell for f in found] == [book.address("附件3-1", "sc8_adjusted")]
    assert "0、1、2、3" in found[0].message


def test_reachable_scores_of_discrete_rules():
    dept = scheme.load(DEPT)
    assert dept.find("重点支出安排率").rule.reachable(D(5)) == {D(n) for n in (0, 2, 3, 4, 5)}
    assert dept.find("支付进度").rule.reachable(D(3)) == {D(n) / 2 for n in range(7)}
    assert dept.find("资金结余").rule.reachable(D(3)) == {D(0), D(2), D(3)}


# ---------------------------------------------------------------------------- bounds and project sheets
def test_bounds(example):
    book = OpenpyxlBook.open(example)
    book.set("附件1", "staff_quota", -1)
    book.set("附件1", "sangong_prev", 1e308)
    book.set("附件2", "ind1_weight", 1e308)
    book.set("附件2", "ind1_ratio", 1.5)
    codes = {(f.cell, f.code) for f in assess(book).findings}
    assert (book.address("附件1", "staff_quota"), "negative") in codes
    assert (book.address("附件1", "sangong_prev"), "out_of_scale") in codes
    assert (book.address("附件2", "ind1_weight"), "weight_out_of_range") in codes


def test_project_sheet_with_blank_name_is_checked_and_a_blank_one_ignored(example):
    book = OpenpyxlBook.open(example)
    book.set("附件3_1", "project_name", None)
    book.set("附件3_1", "fund_total_full", "一百万")
    found = {(f.cell, f.code) for f in assess(book).findings if f.sheet == "附件3_1"}
    assert (book.address("附件3_1", "project_name"), "required") in found
    assert (book.address("附件3_1", "fund_total_full"), "not_number") in found
    blank = OpenpyxlBook(build_workbook(template_sets()["2023"]))
    assert not [f for f in assess(blank).findings if f.sheet == "附件3_1"]


# ---------------------------------------------------------------------------- corruption census
CORRUPTIONS = {"text": "约九成", "blank": None, "negative": -1, "huge": 1e308, "date": dt.datetime(2023, 12, 31)}


def _census_books():
    from tests.seeds import seed002
    from tests.test_forms import fill as fill_seed

    return {"2023": lambda: OpenpyxlBook.open(EXAMPLE), "2020": fill,
            "2021-lengshuitan": lambda: fill_seed(seed002, seed002.ADJUSTED)}


@pytest.mark.parametrize("tid", ["2023", "2020", "2021-lengshuitan"])
def test_corruption_census(capsys, tid):
    """Every named numeric input of a filled book of each set × each corruption: no crash,
    findings at cells; a blank or “/” in a required scored input is an error at that cell."""
    book = _census_books()[tid]()
    tset = identify(book)
    assert tset.id == tid
    inputs = [(sheet, f) for sheet, form in forms_in(book, tset) for f in form.fields()
              if f.kind in NUMERIC and not f.computed and f.value is None]
    cases, codes, silent = 0, Counter(), []
    for sheet, f in inputs:
        original = book.raw(sheet, f.name)
        for value in [*CORRUPTIONS.values(), "/"]:
            book.set(sheet, f.name, value)
            a = assess(book)  # must not raise
            cases += 1
            for found in a.findings:
                assert re.fullmatch(r"[A-Z]{1,3}\d+", found.cell) and found.sheet in book.sheets(), found
                assert found.code in CATALOGUE
                codes[found.code] += 1
            at = {(x.sheet, x.cell) for x in a.errors}
            adjusted = book.address(sheet, f.name.rsplit("_", 1)[0] + "_adjusted")  # a score given by hand
            typed = adjusted and book.get(sheet, f.name.rsplit("_", 1)[0] + "_adjusted") is not None
            if value in (None, "/") and f.required and not typed and (sheet, book.address(sheet, f.name)) not in at:
                silent.append((sheet, f.name, value))
        book.set(sheet, f.name, original)
    with capsys.disabled():
        print(f"\ncorruption census {tid}: {len(inputs)} inputs × {len(CORRUPTIONS) + 1} = {cases} cases; "
              "findings by code: " + ", ".join(f"{k} {v}" for k, v in codes.most_common()))
    assert silent == []
    assert cases == len(inputs) * (len(CORRUPTIONS) + 1) and cases >= 200
