"""Worksheet functions (xlwings UDFs): the public API accountants type into cells.

Names and argument orders are stable. Argument names are ASCII because they end up in the VBA
wrappers, whose code page cannot hold Chinese; the Chinese meaning is in each ``doc``.
A UDF never raises into a cell: bad input returns a short message starting with “错误：”.
"""
from __future__ import annotations

import functools
import inspect
import sys
from decimal import Decimal

from perfeval_xl.engine import rules

from perfeval_xl.engine import scheme
from perfeval_xl.engine.parse import ParseError, parse_number
from perfeval_xl.engine.rules import ScoreError

ERROR_PREFIX = "错误："


class xw:  # noqa: N801 -- stands in for ``import xlwings as xw`` in the decorator lines below
    """xlwings' UDF decorators when xlwings is already loaded, else no-ops.

    Inside Excel the xlwings server has imported xlwings before this module, and the add-in build
    (addin_build.udf_wrappers) executes this file with xlwings' real decorators patched in, so both
    get the registrations. A command-line run does not import xlwings at all: it would cost
    0.4 s (numpy, pandas) for decorators that do nothing outside Excel.
    """

    @staticmethod
    def func(f):
        xlwings = sys.modules.get("xlwings")
        return xlwings.func(f) if xlwings else f

    @staticmethod
    def arg(*args, **kwargs):
        xlwings = sys.modules.get("xlwings")
        return xlwings.arg(*args, **kwargs) if xlwings else (lambda f: f)


def _cell_safe(f):
    """Turn any failure into a message in the cell; Decimal results become floats for Excel."""

    required = sum(p.default is inspect.Parameter.empty for p in inspect.signature(f).parameters.values())

    @functools.wraps(f)
    def wrapper(*args):
        if args and all(_blank(a) for a in _flat(list(args[:required]))):
            return ""  # a blank row of a fresh template shows nothing, not an error
        try:
            result = f(*args)
        except (ScoreError, ParseError) as exc:
            return ERROR_PREFIX + str(exc)
        except Exception as exc:  # a cell must never show a traceback
            return f"{ERROR_PREFIX}计算失败（{type(exc).__name__}）"
        return float(result) if isinstance(result, Decimal) else result

    return wrapper


def _flat(values) -> list:
    """A cell, a row, a column or a block of cells as one flat list."""
    if not isinstance(values, (list, tuple)):
        return [values]
    return [v for item in values for v in _flat(item)]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@xw.func
@xw.arg("numerator", doc="分子")
@xw.arg("denominator", doc="分母")
@_cell_safe
def PE_RATE(numerator, denominator):
    """比率 = 分子 / 分母（如在职人数/编制数），返回小数，单元格设为百分比格式。"""
    num, den = parse_number(numerator, "分子"), parse_number(denominator, "分母")
    if den == 0:
        raise ScoreError("分母为0")
    return num / den


@xw.func
@xw.arg("budget", doc="全年预算数")
@xw.arg("spent", doc="全年执行数")
@xw.arg("weight", doc="分值，默认10")
@_cell_safe
def PE_EXEC_SCORE(budget, spent, weight=10):
    """预算执行得分 = 执行率 × 分值，执行率超过100%按100%计。"""
    return rules.execution_score(budget, spent, 10 if _blank(weight) else weight)


@xw.func
@xw.arg("weight", doc="分值")
@xw.arg("target", doc="年度指标值，如 ≥90%、≤68.4万元、670万元、12月31日")
@xw.arg("actual", doc="实际完成值")
@xw.arg("reverse", doc="反向指标超标时的算法：A=指标值/实际值×分值（默认），B=两倍指标值时降为0")
@_cell_safe
def PE_QUANT_SCORE(weight, target, actual, reverse="A"):
    """定量指标得分：正向（≥或不写）、反向（≤）、等于（=）按年度指标值的写法判断。"""
    variant = "A" if _blank(reverse) else str(reverse).strip().upper()
    if variant not in ("A", "B"):
        raise ScoreError("反向算法应为A或B")
    return rules.score(rules.Quantitative(kind="quantitative", reverse=variant), weight, (target, actual))


@xw.func
@xw.arg("weight", doc="分值")
@xw.arg("level", doc="完成等级：达成、部分达成、未达成")
@xw.arg("ratio", doc="得分比例，须在等级对应区间内")
@_cell_safe
def PE_QUAL_SCORE(weight, level, ratio):
    """定性指标得分 = 分值 × 得分比例；达成80%-100%，部分达成60%-80%，未达成0-60%。"""
    return rules.score(rules.Qualitative(kind="qualitative"), weight, (level, ratio))


@xw.func
@xw.arg("weight", doc="分值")
@xw.arg("target", doc="年度指标值")
@xw.arg("actual", doc="实际完成值")
@xw.arg("direction", doc="指标方向：正向、反向、等于（留空按年度指标值的写法判断）")
@xw.arg("level", doc="定性指标的完成等级（定量指标留空）")
@xw.arg("ratio", doc="定性指标的得分比例（定量指标留空）")
@xw.arg("year", doc="报告年度（未写年份的期限按此年度判断，可省略）")
@_cell_safe
def PE_ROW_SCORE(weight, target, actual, direction=None, level=None, ratio=None, year=None):
    """自评表一行的得分：填了完成等级按定性评分，否则按定量评分。"""
    row_rules = scheme.load().row_rules
    if _blank(level):
        return rules.score(row_rules.quantitative, weight, (target, actual, direction, _year(year)))
    return rules.score(row_rules.qualitative, weight, (level, ratio))


def _year(year) -> int | None:
    """The report year as the workbook gives it (checks/assess.report_year), else None."""
    if isinstance(year, (int, float)) and not isinstance(year, bool) and year == int(year) and 1900 < year < 2200:
        return int(year)
    return None


def indicator_score(name, value, scheme_id=None, weight=None) -> Decimal:
    """Score of a named library indicator; without a scheme, every scheme that has it must agree."""
    # another 分值 (a unit's adapted 评分表): the same rule, scaled, rounded once
    results = {sid: ind.score(value, None if _blank(weight) else parse_number(weight, "分值"))
               for sid, ind in indicator_editions(name, scheme_id)}
    if len(set(results.values())) > 1:
        raise ScoreError(f"多个指标体系有“{name}”且得分不同，请指定体系（{'、'.join(results)}）")
    return next(iter(results.values()))


def indicator_editions(name, scheme_id=None) -> list[tuple[str, scheme.Indicator]]:
    """The editions that have an indicator of this name (only ``scheme_id`` when given), with it:
    the CLI names the one it scores by, or asks for --scheme when there are several."""
    ids = [str(scheme_id).strip()] if not _blank(scheme_id) else scheme.scheme_ids()
    found = []
    for sid in ids:
        try:
            found.append((sid, scheme.load(sid).find(str(name))))
        except ScoreError:
            if len(ids) == 1:
                raise
    if not found:
        raise ScoreError(f"没有指标“{name}”")
    return found


def indicator_echo(name, value, scheme_id=None) -> str:
    """How a rate was read when that was not obvious ("按85%计"), for the CLI's 提示."""
    for sid in [str(scheme_id).strip()] if not _blank(scheme_id) else scheme.scheme_ids():
        try:
            return scheme.load(sid).find(str(name)).read(value)[1]
        except ScoreError:
            continue
    return ""


@xw.func
@xw.arg("name", doc="三级指标名称，如 在职人员控制率")
@xw.arg("value", doc="指标值：比率（小数或“108.7%”）、符合条目（①②③）、例数或情形")
@xw.arg("scheme_id", doc="指标体系，如 hunan-dept-2020")
@xw.arg("weight", doc="分值，默认为体系中的分值")
@_cell_safe
def PE_INDICATOR_SCORE(name, value, scheme_id=None, weight=None):
    """指标库中某一指标的得分，按该体系的评分标准计算。"""
    return indicator_score(name, value, scheme_id, weight)


@xw.func
@xw.arg("total", doc="总分")
@_cell_safe
def PE_GRADE(total):
    """评价等次：优≥90，良≥80，中≥60，差<60。"""
    return rules.grade(total).label


@xw.func
@xw.arg("scores", doc="得分区域")
@xw.arg("weights", doc="权重区域（可省略，省略则等权）")
@_cell_safe
def PE_WEIGHTED_AVG(scores, weights=None):
    """加权平均分（部门加权平均分），空单元格不计入。"""
    xs = _flat(scores)
    ws = [1] * len(xs) if _blank(weights) else _flat(weights)
    if len(ws) != len(xs):
        raise ScoreError("得分区域与权重区域大小不同")
    pairs = [(parse_number(x, "得分"), parse_number(w, "权重")) for x, w in zip(xs, ws) if not _blank(x)]
    total_w = sum((w for _, w in pairs), Decimal(0))
    if not pairs or total_w == 0:
        raise ScoreError("没有可平均的得分")
    return (sum((x * w for x, w in pairs), Decimal(0)) / total_w).quantize(rules.CENT, rules.ROUND_HALF_UP)


UDFS = [PE_RATE, PE_EXEC_SCORE, PE_QUANT_SCORE, PE_QUAL_SCORE, PE_ROW_SCORE, PE_INDICATOR_SCORE,
        PE_GRADE, PE_WEIGHTED_AVG]
