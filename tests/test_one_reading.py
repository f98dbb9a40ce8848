"""Issue 23: one reading of every input in every engine, and no silent zero.

Each case is a book of the set where it was found, filled as a user filled it: the command line
(``perfeval-xl score --json``) gives the score and the findings the rule text implies, and
LibreOffice, recalculating the native formulas, shows the same 总分 and 等次 (no 需加载项计算).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

from perfeval_xl import cli
from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.checks.assess import assess

from .conftest import EXAMPLE
from .seeds import fill as seed004, seed002
from .test_forms import fill

# 冷水滩 附件4 filled from figures (not from the seed's 得分), in the writings people use:
# 1、2、3 lists, 例 and 分 after numbers, a rate with 以上, ≤0, "/" for 没有楼堂馆所项目.
LST_VALUES = {
    "附件4": {"sc2_value": "≤0", "sc3_value": "100%", "sc4_value": "2%", "sc5_value": "/", "sc7_value": "95%",
              "sc9_value": "100%", "sc10_value": "1、2、3、4", "sc11_value": "1例", "sc12_value": "全部",
              "sc13_value": "300分", "sc15_value": 1, "sc16_value": "90%以上"},
    "附件2": {f"sc{i}_value": "100%" for i in (4, 5, 12, 14)},
}


def lengshuitan() -> OpenpyxlBook:
    book = fill(seed002)
    for sheet, values in LST_VALUES.items():
        for name, value in values.items():
            book.set(sheet, name, value)
    return book


def example() -> OpenpyxlBook:
    return OpenpyxlBook.open(EXAMPLE)


# name → (book, changes (sheet, field, value), {sheet: (总分, 等次)}, errors expected at (sheet, field, code))
CASES = {
    # the writings, computed natively (附件4: 5+5+5+4+5+5+8+7+6+8+(6−1)+5+300/350×8+9+6+6 = 95.86;
    # 附件2: the seed's 得分 and four rates of 100 %)
    "lst-writings": (lengshuitan, [], {"附件4": ("95.86", "优"), "附件2": ("95.00", "优")}, []),
    # a blank required row scores 0 with an error at its cell; 楼堂馆所 "/" keeps its 5
    "lst-blank-rows": (lengshuitan, [("附件4", "sc3_value", None), ("附件4", "sc16_value", "/"),
                                     ("附件2", "sc4_value", None)],
                       {"附件4": ("84.86", "良"), "附件2": ("91.00", "优")},
                       [("附件4", "sc3_value", "required"), ("附件4", "sc16_value", "required"),
                        ("附件2", "sc4_value", "required")]),
    # 95 typed as a number into a percent cell is 9500 %: refused by both, the row counts nothing
    "lst-95-in-a-percent-cell": (lengshuitan, [("附件2", "sc12_value", 95)], {"附件2": ("88.00", "良")},
                                 [("附件2", "sc12_value", "rate_out_of_range")]),
    # 2020 附件3-1: 公务卡刷卡率 and 满意度 blank, 支付进度 "/": 93 − 3 − 5 − 3 with three errors
    "2020-blank-rows": (seed004.fill, [("附件3-1", "sc12_value", None), ("附件3-1", "sc22_value", None),
                                       ("附件3-1", "sc5_value", "/")], {"附件3-1": ("82.00", "良")},
                        [("附件3-1", "sc12_value", "required"), ("附件3-1", "sc22_value", "required"),
                         ("附件3-1", "sc5_value", "required")]),
    # 2023: deadlines and numbers as written, the year-less ones against the report year; "35人" in a
    # number cell (the 控制率 formula cannot divide text, so validation says so)
    "2023-writings": (example, [("附件2", "ind1_actual", "７０３万元"), ("附件2", "ind4_actual", "１００％"),
                                ("附件2", "ind7_target", "2023年12月底前"), ("附件2", "ind7_actual", dt.datetime(2023, 12, 20)),
                                ("附件2", "ind16_target", "12月31日前"), ("附件2", "ind16_actual", "2023-12-31"),
                                ("附件2", "ind22_target", "年底前"), ("附件2", "ind22_actual", "2023年12月20日"),
                                ("附件1", "staff_actual", "35人")],
                      {"附件2": ("98.00", "优")}, [("附件1", "staff_actual", "not_number")]),
    # late by the report year: 2024年1月15日 against 12月31日 of 2023 scores nothing (−10); a typed
    # score "8分" is text: refused by both (the 得分 cell says 应填数字), the row counts nothing (−8)
    "2023-late-and-8分": (example, [("附件2", "ind7_target", "12月31日"), ("附件2", "ind7_actual", "2024年1月15日"),
                                   ("附件2", "ind10_adjusted", "8分")], {"附件2": ("80.00", "良")},
                         [("附件2", "ind10_adjusted", "not_number")]),
    # 全年预算数 typed with its unit: text to the native formula and the engine, and now to the
    # add-in's PE_EXEC_SCORE too (it read 万元 and scored 10): 预算执行 counts nothing anywhere (−10)
    "2023-budget-with-unit": (example, [("附件2", "budget_full", "1323.28万元")], {"附件2": ("88.00", "良")},
                              [("附件2", "budget_full", "not_number")]),
    # 总分 rounds half-up to 0.01 before 等次: 89.995 is 90.00 and 优, 79.995 is 80.00 and 良
    "2023-89.995": (example, [("附件2", "ind1_adjusted", 11.995), ("附件2", "ind1_reason", "扣分")],
                    {"附件2": ("90.00", "优")}, []),
    "2023-79.995": (example, [("附件2", "ind1_adjusted", 1.995), ("附件2", "ind1_reason", "扣分")],
                    {"附件2": ("80.00", "良")}, []),
}


def _book(case: str) -> OpenpyxlBook:
    make, changes, *_ = CASES[case]
    book = make()
    for sheet, name, value in changes:
        book.set(sheet, name, value)
    return book


@pytest.mark.parametrize("case", CASES)
def test_the_command_line(case, tmp_path, capsys):
    book = _book(case)
    path = tmp_path / "book.xlsx"
    book.wb.save(path)
    cli.main(["score", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    totals = {f["sheet"]: (f["total"], f["grade"]) for f in out["forms"] if f["total"] is not None}
    assert {s: totals[s] for s in CASES[case][2]} == CASES[case][2]
    errors = {(f["sheet"], f["cell"], f["code"]) for f in out["findings"] if f["severity"] == "error"}
    for sheet, name, code in CASES[case][3]:
        assert (sheet, book.address(sheet, name), code) in errors
    # the cells as the engine evaluates them agree with its own reading: no 公式可能被改写
    assert not [f for f in out["findings"] if f["code"] in ("score_mismatch", "total_mismatch", "grade_mismatch")]


def test_libreoffice_shows_the_engines_totals(lo, tmp_path):
    for case, (_, _, totals, _) in CASES.items():
        book = _book(case)
        path = tmp_path / f"{case}.xlsx"
        book.wb.save(path)
        engine = {r.sheet: r for r in assess(book).forms}
        cells = [(s, book.address(s, n)) for s in totals for n in ("score_total", "grade")]
        unit = case == "2023-late-and-8分"  # the typed score's cell says why it counts nothing
        got = lo.recalc(path, cells + ([("附件2", book.address("附件2", "ind10_score"))] if unit else []))
        for k, sheet in enumerate(totals):
            assert got[2 * k: 2 * k + 2] == [pytest.approx(float(engine[sheet].total), abs=0.005),
                                             engine[sheet].grade], (case, sheet)
            assert D(str(got[2 * k])).quantize(D("0.01")) == D(totals[sheet][0]), (case, sheet)
        if unit:
            assert got[-1] == "应填数字"
