"""Parse indicator values as people write them in the forms.

A target or actual value such as ``≥90%``, ``≤68.4万元``, ``完成20个``, ``12月31日`` or ``优化``
becomes a :class:`Value`: comparator, number, unit and kind. Excel percent cells arrive as
fractions (0.9), so percentages are always stored as fractions here too.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

Comparator = Literal[">=", "<=", ">", "<", "="]
Kind = Literal["number", "percent", "date", "text"]


class ParseError(ValueError):
    """A value that cannot be read; the message is Chinese and meant for the user."""


class Value(BaseModel):
    raw: str
    comparator: Comparator | None = None
    number: Decimal | None = None
    unit: str = ""
    kind: Kind = "text"

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
_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日?$")
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


def parse_value(raw: object) -> Value:
    """Read one target or actual value. Text that is not a number is a qualitative value."""
    if isinstance(raw, bool):
        raise ParseError(f"“{raw}”不是指标值")
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
    if m := _DATE.match(rest):
        month, day = int(m.group(2)), int(m.group(3))
        try:
            number = Decimal(day_of_year(month, day))
        except ValueError:
            raise ParseError(f"“{raw}”不是有效日期") from None
        return Value(raw=str(raw), comparator=comparator, number=number, unit="日期", kind="date")
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


def pct(fraction: Decimal | float) -> str:
    """0.875 → "87.5%" for messages."""
    return f"{float(fraction) * 100:.4g}%"


def quote(text: str) -> str:
    """Wrap in Chinese quotes unless the text brings its own (“三公经费”变动率)."""
    return text if "“" in text else f"“{text}”"
