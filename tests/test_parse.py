from decimal import Decimal as D

import pytest

from perfeval_xl.engine.parse import ParseError, parse_number, parse_value

# Every target / actual string written in the seeds' indicator tables, and the issue's examples.
CASES = [
    ("670万元", None, "670", "万元", "number"),          # seed 001 附件2
    ("703万元", None, "703", "万元", "number"),
    ("100%", None, "1", "%", "percent"),
    ("12月31日", None, "365", "日期", "date"),
    ("68.4万元", None, "68.4", "万元", "number"),
    ("64.7万元", None, "64.7", "万元", "number"),
    ("≥90%", ">=", "0.9", "%", "percent"),
    ("98%", None, "0.98", "%", "percent"),               # seed 000 满意度
    ("完成20个", None, "20", "个", "number"),             # seed 004 附件2-2
    ("2481户", None, "2481", "户", "number"),             # seed 000
    ("≤68.4万元", "<=", "68.4", "万元", "number"),
    ("≥ 90 %", ">=", "0.9", "%", "percent"),
    ("９０％", None, "0.9", "%", "percent"),
    ("＞５", ">", "5", "", "number"),
    ("≦100%", "<=", "1", "%", "percent"),                # seed 002 writes ≦
    ("＜3天", "<", "3", "天", "number"),
    ("不低于95%", ">=", "0.95", "%", "percent"),
    ("90%以上", ">=", "0.9", "%", "percent"),
    ("=0", "=", "0", "", "number"),
    ("2023年12月31日", None, "365", "日期", "date"),
    ("1,323.28万元", None, "1323.28", "万元", "number"),  # thousands separators
    (0.9, None, "0.9", "", "number"),                    # an Excel percent cell
    (35, None, "35", "", "number"),
]
TEXT = ["优化", "严格预算执行", "符合质量标准", "已按期完成", "优秀", "约九成",
        "完成兴园社区公租房549套。", "2021年1月-2021年12月", "群众对老旧小区改造十分满意"]


@pytest.mark.parametrize("raw,comparator,number,unit,kind", CASES)
def test_parse(raw, comparator, number, unit, kind):
    v = parse_value(raw)
    assert (v.comparator, v.number, v.unit, v.kind) == (comparator, D(number), unit, kind)


@pytest.mark.parametrize("raw", TEXT)
def test_qualitative_text(raw):
    v = parse_value(raw)
    assert v.kind == "text" and v.number is None


def test_number_errors_are_chinese_and_name_the_value():
    with pytest.raises(ParseError, match="实际完成值“约九成”无法识别为数值"):
        parse_number("约九成", "实际完成值")
    with pytest.raises(ParseError, match="分母未填写"):
        parse_number("  ", "分母")
    with pytest.raises(ParseError, match="无法识别为数值"):
        parse_number("12月31日")
    with pytest.raises(ParseError, match="不是有效日期"):
        parse_value("2月30日")


def test_percent_strings_and_fractions_agree():
    assert parse_number("108.7%") == parse_number(1.087)
