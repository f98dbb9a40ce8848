"""Parse indicator values as people write them in the forms.

A target or actual value such as ``≥90%``, ``≤68.4万元``, ``完成20个``, ``12月31日`` or ``优化``
becomes a :class:`Value`: comparator, number, unit and kind. Excel percent cells arrive as
fractions (0.9), so percentages are always stored as fractions here too.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

Comparator = Literal[">=", "<=", ">", "<", "="]
Kind = Literal["number", "percent", "date", "text"]


class ParseError(ValueError):
    """A value that cannot be read; the message is Chinese and meant for the user."""


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)  # parse_value's answers are shared from its cache

    raw: str
    comparator: Comparator | None = None
    number: Decimal | None = None  # a date's number is its day of a non-leap year
    unit: str = ""
    kind: Kind = "text"
    year: int | None = None  # a date written with its year (2023年12月31日, an Excel date)

    @property
    def is_numeric(self) -> bool:
        return self.kind != "text"


# Words and symbols people use for comparators, longest first so "大于等于" wins over "大于".
_COMPARATOR_WORDS = [
    ("大于等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="), ("至少", ">="),
    ("以上", ">="),
    ("小于等于", "<="), ("不高于", "<="), ("不超过", "<="), ("不大于", "<="), ("不多于", "<="),
    ("以内", "<="), ("以下", "<="),
    ("≥", ">="), ("≧", ">="), (">=", ">="), ("≤", "<="), ("≦", "<="), ("<=", "<="),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), (">", ">"),
    ("小于", "<"), ("低于", "<"), ("<", "<"),
    ("等于", "="), ("==", "="), ("=", "="),
]
# Leading verbs that carry no meaning for scoring: "完成20个" is 20 个.
_VERBS = ("完成", "达到", "实现", "累计", "共计", "合计", "全年", "总计", "控制在", "保持")
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(.*)$")
_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日?$|^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MONTH_END = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:底|末)$")
_YEAR_END = ("年底", "年末", "年内", "本年底", "当年底")
# "12月31日前完成": words after a deadline that carry no meaning for scoring, longest first
_DEADLINE_TAIL = ("之前完成", "以前完成", "前完成", "之前", "以前", "前", "完成", "止")
# Excel's day count: serial 1 is 1900-01-01 and the phantom 1900-02-29 is serial 60.
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
SERIALS = (20000, 80000)  # serials read as dates against a deadline: 1954-10-03 … 2119-01-10
_UNIT = re.compile(r"^[^\d\s]{0,8}$")
# Money units scale to 万元 so that targets and actuals in different units compare.
MONEY_SCALE = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), drop all white space."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def _split_comparator(text: str) -> tuple[Comparator | None, str]:
    for word, comp in _COMPARATOR_WORDS:
        if text.startswith(word):
            return comp, text[len(word):]
    for word, comp in _COMPARATOR_WORDS:  # "90%以上", "5天以内"
        if word in ("以上", "以下", "以内") and text.endswith(word):
            return comp, text[: -len(word)]
    return None, text


def _finite(x: int | float | Decimal) -> bool:
    return Decimal(str(x)).is_finite()


def day_of_year(month: int, day: int) -> int:
    """A deadline as the day of a non-leap year, so that dates compare as numbers."""
    return (_dt.date(2001, month, day) - _dt.date(2001, 1, 1)).days + 1


def _date_value(raw: object, comparator: Comparator | None, year: int | None, month: int, day: int) -> Value:
    try:
        if year is not None:
            _dt.date(year, month, day)  # 2023年2月29日 is no date
        number = Decimal(day_of_year(month, day if (month, day) != (2, 29) else 28))
    except ValueError:
        raise ParseError(f"“{raw}”不是有效日期") from None
    return Value(raw=str(raw), comparator=comparator, number=number, unit="日期", kind="date", year=year)


def _month_end(year: int | None, month: int) -> int:
    if not 1 <= month <= 12:
        raise ParseError(f"没有{month}月")
    return calendar.monthrange(year or 2001, month)[1]


def _parse_date(raw: object, comparator: Comparator | None, text: str) -> Value | None:
    """Deadlines as people write them: 2023年12月31日, 2023-12-31, 12月31日前, 12月底, 年底前."""
    for tail in _DEADLINE_TAIL:
        if text.endswith(tail) and len(text) > len(tail):
            stripped = text[: -len(tail)]
            if _DATE.match(stripped) or _MONTH_END.match(stripped) or stripped in _YEAR_END:
                text, comparator = stripped, comparator or "<="
                break
    if text in _YEAR_END:
        return _date_value(raw, comparator, None, 12, 31)
    if m := _MONTH_END.match(text):
        year = int(m.group(1)) if m.group(1) else None
        month = int(m.group(2))
        return _date_value(raw, comparator, year, month, _month_end(year, month))
    if m := _DATE.match(text):
        y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5), m.group(6))
        return _date_value(raw, comparator, int(y) if y else None, int(mo), int(d))
    return None


def excel_date(serial: Decimal) -> _dt.date:
    """An Excel date serial (45291) as the date Excel shows (2023-12-31)."""
    return _EXCEL_EPOCH + _dt.timedelta(days=int(serial))


def parse_value(raw: object) -> Value:
    """Read one target or actual value. Text that is not a number is a qualitative value."""
    kind = type(raw)  # by type: 1, 1.0 and True are equal keys with other answers
    if kind is str or kind is int:
        return _cached_value(raw)
    if kind is float:  # by text: -0.0 == 0.0
        return _cached_float(repr(raw))
    return _parse_value(raw)


# A 汇总 meets the same targets, units and figures in thousands of books.
@lru_cache(maxsize=8192)
def _cached_value(raw: str | int) -> Value:
    return _parse_value(raw)


@lru_cache(maxsize=8192)
def _cached_float(text: str) -> Value:
    return _parse_value(float(text))


def _parse_value(raw: object) -> Value:
    if isinstance(raw, bool):
        raise ParseError(f"“{raw}”不是指标值")
    if isinstance(raw, (_dt.date, _dt.datetime)):  # an Excel date cell, as openpyxl reads it
        return _date_value(raw.strftime("%Y年%m月%d日"), None, raw.year, raw.month, raw.day)
    if isinstance(raw, (int, float, Decimal)):
        if not _finite(raw):
            raise ParseError(f"“{raw}”不是有效数值")
        return Value(raw=str(raw), number=Decimal(str(raw)), kind="number")
    text = normalize(str(raw or ""))
    if not text:
        raise ParseError("未填写")
    comparator, rest = _split_comparator(text)
    for verb in _VERBS:
        if rest.startswith(verb):
            rest = rest[len(verb):]
            comparator2, rest = _split_comparator(rest)
            comparator = comparator or comparator2
    rest = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", rest)  # 1,323.28万元
    if (date := _parse_date(raw, comparator, rest)) is not None:
        return date
    m = _NUMBER.match(rest)
    if not m or not _UNIT.match(m.group(2)):
        return Value(raw=str(raw), comparator=comparator, kind="text")
    number, unit = Decimal(m.group(1)), m.group(2)
    if unit in ("%", "％"):
        return Value(raw=str(raw), comparator=comparator, number=number / 100, unit="%", kind="percent")
    if unit in ("‰",):
        return Value(raw=str(raw), comparator=comparator, number=number / 1000, unit="%", kind="percent")
    return Value(raw=str(raw), comparator=comparator, number=number, unit=unit, kind="number")


def parse_number(raw: object, what: str = "数值") -> Decimal:
    """A plain number or percentage (as a fraction); anything else is a ParseError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ParseError(f"{what}未填写")
    try:
        value = parse_value(raw)
    except ParseError as exc:
        raise ParseError(f"{what}“{raw}”无法识别为数值") from exc
    if value.number is None or value.kind == "date":
        raise ParseError(f"{what}“{raw}”无法识别为数值")
    return value.number


class Rate(NamedTuple):
    fraction: Decimal
    echo: str = ""  # how a bare number was read ("按85%计"), for a 提示 beside the score


# The one rule for rates (docs/rules.md "Percent entry"). A number with % or ‰ says what it is.
# A bare number b (typed into a General cell, or passed to a UDF): |b| ≤ 1 is a fraction, as
# Excel stores a percent cell (0.85 = 85%); |b| ≥ 2 is percentage points (85 = 85%), echoed;
# 1 < |b| < 2 could be either (1.5 = 150% or 1.5%), so it is a message asking for the % sign.
BARE_FRACTION_MAX = Decimal(1)
MAX_RATE = Decimal(10)  # no rate a form asks for goes beyond ±1000 % (95 typed into a percent cell is 9500 %)
BARE_POINTS_MIN = Decimal(2)
_RATE_TEXT = re.compile(r"^([+-]?\d+(?:\.\d+)?)(%|‰)?$")


def show(x: Decimal) -> str:
    """A Decimal as people write it: 85, 85.5, 0.001 (never 8.5E+1)."""
    if not x.is_finite() or x.adjusted() > 12:
        return f"{x:.6g}"
    text = f"{x.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_rate(raw: object, what: str = "比率") -> Rate:
    """Read a rate as typed: 0.85, "85%", "85 %", "８５％", "8.5‰", bare 85 or "85.0"."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ParseError(f"{what}未填写")
    if isinstance(raw, bool) or isinstance(raw, (_dt.date, _dt.datetime)):
        raise ParseError(f"{what}“{raw}”不是比率，请填写如“85%”")
    if isinstance(raw, (int, float, Decimal)):
        if not _finite(raw):
            raise ParseError(f"{what}“{raw}”不是有效数值")
        number, sign = Decimal(str(raw)), None
    else:
        text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", normalize(str(raw)).replace("％", "%"))
        if not (m := _RATE_TEXT.match(text)):
            return _worded_rate(raw, what)
        number, sign = Decimal(m.group(1)), m.group(2)
    if sign == "%":
        return Rate(number / 100)
    if sign == "‰":
        return Rate(number / 1000)
    size = abs(number)
    if size <= BARE_FRACTION_MAX:
        return Rate(number, f"按{show(number * 100)}%计" if size == 1 else "")
    if size < BARE_POINTS_MIN:
        raise ParseError(f"{what}填写的是{show(number)}，无法判断是{show(number * 100)}%还是{show(number)}%，"
                         f"请带%号填写（如“{show(number * 100)}%”）")
    return Rate(number / 100, f"按{show(number)}%计")


def _worded_rate(raw: object, what: str) -> Rate:
    """A rate with words around it, read as parse_value reads it (and as the native formulas do):
    "90%以上", "≤0", "不低于95%" are the number written, echoed (按90%计)."""
    value = parse_value(raw)
    if value.kind not in ("percent", "number") or value.unit not in ("", "%"):
        raise ParseError(f"{what}“{raw}”无法识别为比率，请填写如“85%”")
    reading = read_rate(f"{show(value.number * 100)}%" if value.kind == "percent" else show(value.number), what)
    return Rate(reading.fraction, reading.echo or f"按{show(reading.fraction * 100)}%计")


def as_typed_in_percent_cell(value: object) -> object:
    """A number from a percent-formatted cell is a fraction (Excel's percent entry turned the
    typed 85 into 0.85): write it as the percentage the cell shows, so read_rate need not guess."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and _finite(value):
        return f"{show(Decimal(str(value)) * 100)}%"
    return value


def pct(fraction: Decimal | float, apart_from: Decimal | None = None) -> str:
    """0.875 → "87.5%" for messages: four significant digits, never in scientific notation
    (105 → "10500%"); with ``apart_from``, as many more as it takes not to show the same as that
    rate (0.899998 against 0.9 → "89.9998%", not "90%")."""
    x = Decimal(str(fraction)) * 100
    digits = 4
    while True:
        text = show(Decimal(f"{x:.{digits}g}"))
        if apart_from is None or x == apart_from * 100 or digits >= 15 or text != pct(apart_from)[:-1]:
            return text + "%"
        digits += 1


def quote(text: str) -> str:
    """Wrap in Chinese quotes unless the text brings its own (“三公经费”变动率)."""
    return text if "“" in text else f"“{text}”"
