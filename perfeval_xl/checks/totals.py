"""A form's totals: 总分 rounded (or rescaled 按百分制折算) as the formulas do, 分值合计, 总分 and
等次 against the rows, and the 预算执行 row of the 2023 自评表."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from perfeval_xl.checks.checker import TOLERANCE, _Checker, as_text, blank, number
from perfeval_xl.forms.layout import IndicatorRows
from perfeval_xl.engine.parse import normalize, pct, show
from perfeval_xl.engine.rules import CENT, ScoreError, execution_score, grade
from perfeval_xl.engine.scheme import Scheme


def round_total(points: Decimal) -> Decimal:
    """总分 is the sum of the rows' scores rounded half-up to 0.01, and 等次 is judged on it:
    89.995 is 90.00 and 优 (docs/rules.md "总分 and 等次"; native.total rounds the same way)."""
    return points.quantize(CENT, ROUND_HALF_UP)


def rescale(points: Decimal, applicable: Decimal, total: Decimal) -> Decimal:
    """按百分制折算: the applicable rows' points brought to the full total, half-up to 0.01."""
    if applicable == total:
        return round_total(points)
    return (points * total / applicable).quantize(CENT, ROUND_HALF_UP) if applicable > 0 else Decimal(0)


def check_totals(c: _Checker, scheme: Scheme, expected_total: Decimal, weights: Decimal | None = None,
                 how: str = "") -> str:
    """分值合计 against the system's total, 总分 against the rows, 等次 against the 总分."""
    shown_weights = number(c.get("weight_total"))
    if weights is not None and weights != scheme.total:
        c.report("weight_total", "weight_total",
                 f"各指标分值合计为{weights:f}，应为{scheme.total:f}（调整分值或增加指标后合计仍须为总分）")
    elif shown_weights != (scheme.total if weights is None else weights):
        c.report("weight_total", "weight_total", f"分值合计为{as_text(c.get('weight_total'))}，应为{scheme.total:f}")
    shown = number(c.get("score_total"))
    if shown is None or abs(shown - expected_total) > TOLERANCE:
        total = show(shown) if shown is not None else as_text(c.get("score_total"))
        c.report("score_total", "total_mismatch", f"总分为{total}，{how or '各项得分之和为'}{expected_total:f}")
    expected_grade = grade(expected_total, scheme.grades)
    shown_grade = normalize(str(c.get("grade") or ""))
    if shown_grade not in [expected_grade.label, *expected_grade.aliases]:
        c.report("grade", "grade_mismatch", f"评价等次为{as_text(c.get('grade'), quote=True)}，总分{expected_total:f}应为“{expected_grade.label}”")
    return expected_grade.label


def check_budget(c: _Checker, spec: IndicatorRows, parts: dict[str, Decimal]) -> Decimal | None:
    """预算执行 row: the score, the 90% reason rule, and spending that lags the indicators."""
    budget_name, spent_name = spec.budget
    budget, spent = c.get(budget_name), c.get(spent_name)
    if blank(budget) or blank(spent) or number(budget) is None or number(spent) is None:
        return None
    try:
        exec_points = execution_score(budget, spent, c.get("exec_weight") or 10)
    except ScoreError as exc:
        c.report(budget_name, "cannot_score", str(exc))
        return None
    rate = number(spent) / number(budget)
    if rate < Decimal("0.9") and blank(c.get("exec_reason")):
        c.report("exec_reason", "low_execution_without_reason",
                 f"执行率{pct(rate, Decimal('0.9'))}低于90%，须说明原因", "warning")
    if rate > 1:
        c.report(spent_name, "rate_implausible", f"执行率为{pct(rate)}：全年执行数超过全年预算数，请核对；"
                                                 f"得分仍按评分标准计算（{show(exec_points)}分）", "warning")
    shown = number(c.get("exec_score"))
    if shown is None or abs(shown - exec_points) > TOLERANCE:
        c.report("exec_score", "score_mismatch", f"预算执行得分为{as_text(c.get('exec_score'))}，应为{exec_points:f}")
    indicators = sum(parts.values(), Decimal(0))
    if indicators > 0 and (indicators / 90 - exec_points / 10) / (indicators / 90) > Decimal("0.05"):
        c.report("score_total", "indicators_outrun_spending",
                 f"指标得分率{pct(indicators / 90)}明显高于预算执行得分率{pct(exec_points / 10)}，请核实", "warning")
    return exec_points
