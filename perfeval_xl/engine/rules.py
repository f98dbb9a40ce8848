"""Rule kinds: every 评分标准 in the seeds is one of these, with its parameters as data.

Each rule turns one input (a rate, a count, a list of items met, a (target, actual) pair…) into
points. ``finish`` clamps to [0, 分值] and rounds half-up to 0.01: the only rounding there is.
All arithmetic is Decimal so that 5 − 8.7 × 0.5 is 0.65, not 0.6499999.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from perfeval_xl.engine.parse import (MONEY_SCALE, SERIALS, ParseError, Value, excel_date, normalize, parse_number,
                                     parse_value, pct, read_rate)

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)


MAX_WEIGHT = Decimal(1000)  # 分值 beyond any official form (Decimal's precision stays safe)


class ScoreError(ValueError):
    """Input that a rule cannot score; the message is Chinese and meant for the user."""


def finish(points: Decimal, weight: Decimal) -> Decimal:
    """Clamp to [0, 分值] and round half-up to 0.01."""
    points = min(max(points, ZERO), Decimal(weight))
    return points.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: object, what: str = "指标值") -> Decimal:
    try:
        return parse_number(value, what)
    except ParseError as exc:
        raise ScoreError(str(exc)) from None


def rate(value: object, what: str = "比率") -> Decimal:
    """A rate read by the one percent rule (parse.read_rate), as a fraction."""
    try:
        return read_rate(value, what).fraction
    except ParseError as exc:
        raise ScoreError(str(exc)) from None


def _reachable(points: set[Decimal], weight: Decimal) -> set[Decimal]:
    return {finish(p, weight) for p in points}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Full marks stated by the text, when it states any ("计8分"); compared with 分值 on load.
    full: Decimal | None = None

    def full_marks(self, weight: Decimal) -> Decimal:
        return self.full if self.full is not None else weight

    def blank_input(self, value: object) -> bool:
        """An input the rule scores without reading it (没有楼堂馆所项目: blank is full marks)."""
        return False


# What a unit writes where it has no such project (没有楼堂馆所项目的部门按满分计算): the native
# formulas test the same words (excel/native.py).
NO_PROJECT = ("", "/", "无", "不适用")


class Threshold(_Rule):
    """Full marks within a limit, minus ``per`` for each ``step`` beyond it, floor at zero.

    ``better``: "lower" (≤limit full: 控制率, 变动率), "higher" (≥limit full: 完成率, 刷卡率) or
    "target" (deviation either way: 每超过（降低）5%扣2分). ``count``: "proportional" deducts
    for fractions of a step (每超过一个百分点扣0.5分: 8.7 points → 4.35); "full" counts whole
    steps only (每低于5%扣2分: 7% below → one step); "started" counts a begun step as whole.
    """

    kind: Literal["threshold"]
    better: Literal["lower", "higher", "target"]
    limit: Decimal
    per: Decimal
    step: Decimal = Decimal("0.01")
    count: Literal["proportional", "full", "started"] = "proportional"
    blank_full: bool = False  # 没有楼堂馆所项目的部门按满分计算

    def blank_input(self, value: object) -> bool:
        return self.blank_full and (value is None or normalize(str(value)) in NO_PROJECT)

    def score(self, value: object, weight: Decimal) -> Decimal:
        full = self.full_marks(weight)
        if self.blank_input(value):
            return full
        x = _number(value)
        over = {"lower": x - self.limit, "higher": self.limit - x, "target": abs(x - self.limit)}[self.better]
        if over <= 0:
            return full
        steps = over / self.step
        if self.count == "full":
            steps = Decimal(math.floor(steps))
        elif self.count == "started":
            steps = Decimal(math.ceil(steps))
        return full - steps * self.per


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: Decimal
    min: Decimal | None = None  # inclusive lower end: 90%（含）以上
    max: Decimal | None = None  # inclusive upper end: 0-10%（含）


class Bands(_Rule):
    """The first band whose inclusive end the value reaches; ``otherwise`` below all bands."""

    kind: Literal["bands"]
    bands: list[Band]
    otherwise: Decimal = ZERO

    def full_marks(self, weight: Decimal) -> Decimal:
        return max(b.points for b in self.bands)

    def score(self, value: object, weight: Decimal) -> Decimal:
        x = _number(value)
        for band in self.bands:
            if (band.min is not None and x >= band.min) or (band.max is not None and x <= band.max):
                return band.points
        return self.otherwise

    def reachable(self, weight: Decimal) -> set[Decimal]:
        """Every score the text can give: a self-assessed score outside this set is impossible."""
        return _reachable({b.points for b in self.bands} | {self.otherwise}, weight)


class Ratio(_Rule):
    """score = min(value / full_at, 1) × 分值: 到位率, 执行率 × 10, 同比例扣减, 考核得分/350×8."""

    kind: Literal["ratio"]
    full_at: Decimal = ONE

    def score(self, value: object, weight: Decimal) -> Decimal:
        x = max(_number(value), ZERO)
        return min(x / self.full_at, ONE) * weight


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    points: Decimal


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def item_numbers(value: object, n: int) -> set[int]:
    """Which items of a checklist are met: "①②④", "1,2,4", "全部", "无" or a count."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ScoreError("请填写符合的条目编号，如“①②④”或“全部”")
    text = str(value or "")
    for i, c in enumerate(_CIRCLED, start=1):  # before NFKC, which would turn ①③ into "13"
        text = text.replace(c, f",{i},")
    text = normalize(text).strip(",")
    if text in ("全部", "全部符合", "都符合", "是"):
        return set(range(1, n + 1))
    if text in ("", "无", "均不符合", "否", "0"):
        return set()
    found = {int(d) for d in re.findall(r"\d+", text)}
    rest = re.sub(r"[\d,、;.]", "", text)
    if rest or not found:
        raise ScoreError(f"条目“{value}”无法识别，请填写如“①②④”、“1,2,4”或“全部”")
    if bad := sorted(i for i in found if not 1 <= i <= n):
        raise ScoreError(f"没有第{bad[0]}项（共{n}项）")
    return found


class Checklist(_Rule):
    """①②③ items, each worth its points; the input names the items met."""

    kind: Literal["checklist"]
    items: list[Item]

    def full_marks(self, weight: Decimal) -> Decimal:
        return sum((i.points for i in self.items), ZERO)

    def score(self, value: object, weight: Decimal) -> Decimal:
        met = item_numbers(value, len(self.items))
        return sum((self.items[i - 1].points for i in met), ZERO)

    def reachable(self, weight: Decimal) -> set[Decimal]:
        sums = {ZERO}
        for item in self.items:
            sums |= {s + item.points for s in sums}
        return _reachable(sums, weight)


class Failures(_Rule):
    """每出现一例不符合要求的扣``per``分，扣完为止: the input is the number of cases."""

    kind: Literal["failures"]
    per: Decimal

    def score(self, value: object, weight: Decimal) -> Decimal:
        n = _number(value, "不符合例数")
        if n < 0 or n != n.to_integral_value():
            raise ScoreError(f"不符合例数应为非负整数，而不是“{value}”")
        return self.full_marks(weight) - n * self.per

    def reachable(self, weight: Decimal) -> set[Decimal]:
        full = self.full_marks(weight)
        cases = int(full / self.per) + 1 if self.per > 0 else 0
        return _reachable({full - n * self.per for n in range(cases + 1)}, weight)


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    aliases: list[str] = []
    points: Decimal
    # For cases decided by a number (资金结余: 结余 / 上年结转), the option's inclusive upper end.
    max_ratio: Decimal | None = None


class Choice(_Rule):
    """One of a few cases, chosen by label, by its number 1/2/3, or by a ratio (资金结余)."""

    kind: Literal["choice"]
    options: list[Option]

    def full_marks(self, weight: Decimal) -> Decimal:
        return max(o.points for o in self.options)

    def pick(self, value: object) -> Option:
        text = normalize(str(value if value is not None else ""))
        for option in self.options:
            if text and text in [normalize(a) for a in [option.label, *option.aliases]]:
                return option
        number = None
        try:
            number = parse_number(value)
        except ParseError:
            pass
        if number is not None and any(o.max_ratio is not None for o in self.options):
            for option in self.options:
                if option.max_ratio is None or number <= option.max_ratio:
                    return option
        if number is not None and number == number.to_integral_value() and 1 <= number <= len(self.options):
            return self.options[int(number) - 1]
        labels = "、".join(o.label for o in self.options)
        raise ScoreError(f"“{value}”不是可选情形（{labels}）")

    def score(self, value: object, weight: Decimal) -> Decimal:
        return self.pick(value).points

    def reachable(self, weight: Decimal) -> set[Decimal]:
        return _reachable({o.points for o in self.options}, weight)


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    aliases: list[str] = []
    low: Decimal  # inclusive
    high: Decimal
    high_inclusive: bool = False


# 财预〔2020〕10号 as recalled: 100-80%（含）、80-60%（含）、60-0%. An edition may override.
DEFAULT_LEVELS = [
    Level(label="达成", aliases=["达成年度指标", "全部达成", "完成"], low=Decimal("0.8"), high=ONE, high_inclusive=True),
    Level(label="部分达成", aliases=["部分达成年度指标并具有一定效果", "部分完成", "基本达成"], low=Decimal("0.6"), high=Decimal("0.8")),
    Level(label="未达成", aliases=["未达成年度指标且效果较差", "未完成"], low=ZERO, high=Decimal("0.6")),
]


class Qualitative(_Rule):
    """达成 / 部分达成 / 未达成 → a band of the weight; the evaluator picks the ratio inside it."""

    kind: Literal["qualitative"]
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS))

    def level(self, label: object) -> Level:
        text = normalize(str(label or ""))
        for lv in self.levels:
            if text in [normalize(a) for a in [lv.label, *lv.aliases]]:
                return lv
        raise ScoreError(f"完成等级“{label}”应为：" + "、".join(lv.label for lv in self.levels))

    def score(self, value: object, weight: Decimal) -> Decimal:
        label, ratio_raw = value  # type: ignore[misc]
        lv = self.level(label)
        ratio = rate(ratio_raw, "得分比例")
        top_ok = ratio <= lv.high if lv.high_inclusive else ratio < lv.high
        if not (lv.low <= ratio and top_ok):
            top = "（含）" if lv.high_inclusive else ""
            raise ScoreError(
                f"“{lv.label}”的得分比例应在{pct(lv.low)}（含）至{pct(lv.high)}{top}之间，填写的是{pct(ratio)}"
            )
        return ratio * weight


def _dates(target: Value, actual: Value, year: int | None) -> tuple[Decimal, Decimal]:
    """Deadline and completion date as comparable numbers (year × 1000 + day of year).

    A target without a year takes the report year; without one (a bare UDF call) a dated
    actual cannot be judged, because 2024年1月15日 is late for 2023's 12月31日 but not 2024's."""
    if actual.kind == "number" and not actual.unit and SERIALS[0] <= actual.number <= SERIALS[1]:
        actual = parse_value(excel_date(actual.number))  # a date cell read as its serial
    if target.kind != actual.kind:
        raise ScoreError(f"年度指标值“{target.raw}”与实际完成值“{actual.raw}”一个是日期一个不是")
    t_year = target.year or year
    if t_year is None and actual.year is not None:
        raise ScoreError(f"年度指标值“{target.raw}”未写年份，无法判断实际完成值“{actual.raw}”是否逾期，"
                         f"请写明年份（如“{actual.year}年{target.raw}”）")
    a_year = actual.year or t_year
    return (t_year or 0) * 1000 + target.number, (a_year or 0) * 1000 + actual.number


def _as_rate(value: Value, raw: object, what: str) -> Value:
    """A bare number beside a percentage is a rate too: 85 against ≥90% is 85%."""
    return value.model_copy(update={"number": rate(raw, what), "unit": "%", "kind": "percent"})


def _comparable(target: Value, actual: Value, raws: tuple[object, object],
                year: int | None = None) -> tuple[Decimal, Decimal]:
    """Numbers of target and actual in one unit, or a ScoreError saying why they are not."""
    if not target.is_numeric:
        raise ScoreError(f"年度指标值“{target.raw}”不是数值，请按定性指标评分")
    if not actual.is_numeric:
        raise ScoreError(f"实际完成值“{actual.raw}”无法识别为数值")
    if target.kind == "date" or actual.kind == "date":
        return _dates(target, actual, year)
    if target.kind == "percent" and actual.kind == "number" and not actual.unit:
        actual = _as_rate(actual, raws[1], "实际完成值")
    elif actual.kind == "percent" and target.kind == "number" and not target.unit:
        target = _as_rate(target, raws[0], "年度指标值")
    t, a = target.number, actual.number
    if target.unit in MONEY_SCALE and actual.unit in MONEY_SCALE:
        return t * MONEY_SCALE[target.unit], a * MONEY_SCALE[actual.unit]
    if target.unit and actual.unit and target.unit != actual.unit:
        raise ScoreError(_unit_mismatch(target, actual))
    return t, a


def _unit_mismatch(target: Value, actual: Value) -> str:
    """Units that differ; when one is the other plus words (100%（已完成）), the words are named."""
    for what, value, other in (("实际完成值", actual, target), ("年度指标值", target, actual)):
        if value.unit.startswith(other.unit):
            extra = value.unit[len(other.unit):]
            raw = str(value.raw).strip()
            extra = raw[-len(extra):] if normalize(raw[-len(extra):]) == extra else extra
            return (f"{what}“{value.raw}”在数值和单位之后多了文字“{extra}”，无法计分；"
                    f"请只填写数值和单位（如“{raw[:-len(extra)].strip()}”），说明写在偏差原因栏")
    return f"单位不一致：年度指标值“{target.raw}”，实际完成值“{actual.raw}”"


DIRECTIONS = {"正向": ">=", "反向": "<=", "等于": "="}


def direction_comparator(direction: object) -> str | None:
    """指标方向 chosen in the form overrides how the target is written (成本指标 are 反向)."""
    text = normalize(str(direction or ""))
    if not text:
        return None
    if text not in DIRECTIONS:
        raise ScoreError(f"指标方向“{direction}”应为：正向、反向、等于")
    return DIRECTIONS[text]


class Quantitative(_Rule):
    """定量指标 by the direction its target is written in.

    ≥x or plain x: forward, actual/target × 分值 below target. ≤x: reverse; over target
    variant A is target/actual × 分值 (central 填表说明), variant B linear to zero at 2 × target.
    =x: forward when x > 0; x = 0 gives full marks only for actual ≤ 0. Deadlines (12月31日):
    on or before the date is full marks, later (the next year too) is zero. Negative actuals
    count as 0.
    """

    kind: Literal["quantitative"]
    reverse: Literal["A", "B"] = "A"

    def score(self, value: object, weight: Decimal) -> Decimal:
        """``value`` is (target, actual[, direction 正向/反向/等于[, report year]])."""
        target_raw, actual_raw, *rest = value  # type: ignore[misc]
        try:
            target, actual = parse_value(target_raw), parse_value(actual_raw)
        except ParseError as exc:
            raise ScoreError(str(exc)) from None
        t, a = _comparable(target, actual, (target_raw, actual_raw), rest[1] if len(rest) > 1 else None)
        a = max(a, ZERO)
        if target.kind == "date":
            return weight if a <= t else ZERO
        comparator = direction_comparator(rest[0] if rest else None) or target.comparator or ">="
        if comparator == "=" and t == 0:
            return weight if a <= 0 else ZERO
        if comparator in ("<=", "<"):
            if a <= t:
                return weight
            if t <= 0:  # over a target of zero or below: nothing (t / a would divide by an actual of 0)
                return ZERO
            return t / a * weight if self.reverse == "A" else (2 - a / t) * weight
        if t <= 0:
            return weight if a >= t else ZERO
        return min(a / t, ONE) * weight


class Judged(_Rule):
    """No formula in the text (酌情扣分, 评价要点 without points): the evaluator enters the score."""

    kind: Literal["judged"]

    def score(self, value: object, weight: Decimal) -> Decimal:
        x = _number(value, "自评得分")
        if x < 0 or x > weight:
            raise ScoreError(f"自评得分{x}超出0至{weight}分")
        return x


Rule = Annotated[
    Union[Threshold, Bands, Ratio, Checklist, Failures, Choice, Qualitative, Quantitative, Judged],
    Field(discriminator="kind"),
]


def score(rule: _Rule, weight: object, value: object) -> Decimal:
    """Points for one indicator, always in [0, 分值] and exact to 0.01, or a ScoreError."""
    w = _number(weight, "分值")
    if not ZERO <= w <= MAX_WEIGHT:
        raise ScoreError(f"分值{w:g}超出0至{MAX_WEIGHT}分")
    return finish(rule.score(value, w), w)


def execution_score(budget: object, spent: object, weight: object = 10) -> Decimal:
    """预算执行: 执行率 × 分值, capped at 分值 when spending exceeds the budget. A typed text
    ("1323.28万元") counts nothing, as in the cells' native formula (checks/totals reads it so too)."""
    for label, value in (("全年预算数", budget), ("全年执行数", spent)):
        if isinstance(value, str) and value.strip():
            raise ScoreError(f"{label}“{value.strip()}”是文字，请只填写数字（不带单位）")
    b, s = _number(budget, "全年预算数"), _number(spent, "全年执行数")
    if b <= 0:
        raise ScoreError("全年预算数为0，无法计算执行率")
    if s < 0:
        raise ScoreError("全年执行数不能为负")
    return score(Ratio(kind="ratio"), weight, s / b)


class Grade(BaseModel):
    min: Decimal | None  # None: every total below the other grades
    label: str
    aliases: list[str] = []


DEFAULT_GRADES = [
    Grade(min=Decimal(90), label="优", aliases=["优秀"]),
    Grade(min=Decimal(80), label="良", aliases=["良好"]),
    Grade(min=Decimal(60), label="中", aliases=["中等", "合格"]),
    Grade(min=None, label="差", aliases=["不合格"]),
]


def grade(total: object, grades: list[Grade] = DEFAULT_GRADES) -> Grade:
    """优 ≥ 90 (inclusive: 90.00 is 优), 良 ≥ 80, 中 ≥ 60, else 差."""
    t = _number(total, "总分")
    return next(g for g in grades if g.min is None or t >= g.min)
