"""What every check of a sheet stands on: a finding, how a cell is read (blank, number, a rate
by the one percent rule), and the checker that reports findings at the cells' defined names.
Below assess.py, fields.py, rows.py, totals.py and causes.py: all build on it, and it imports none of them.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from perfeval_xl.book import Book
from perfeval_xl.checks.catalogue import title
from perfeval_xl.engine.parse import (MAX_RATE, ParseError, as_typed_in_percent_cell, normalize, parse_number, pct,
                                     read_rate)
from perfeval_xl.forms.layout import Form

NUMERIC = ("number", "money", "percent", "int", "score")
TOLERANCE = Decimal("0.005")
# A typed rate agrees with the one derived from the unit's own tables when the two differ by
# less than 0.1 percentage point (113.3% for 162/143 is fine, 100% is not).
RATE_TOLERANCE = Decimal("0.001")
# Bounds (docs/rules.md): beyond these no county department's figure goes. Money is 万元, a
# "number" field holds 元 (支出明细), an "int" a head count, a "score" a 分值 or 得分.
SCALE = {"money": Decimal("1e7"), "number": Decimal("1e11"), "int": Decimal("1e6"), "score": Decimal(100)}
RATE_BOUNDS = {"得分比例": (Decimal(0), Decimal(1))}  # by the label's last words; other rates within ±MAX_RATE (1000%)


class Finding(BaseModel):
    severity: Literal["error", "warning"]
    sheet: str
    cell: str
    code: str
    message: str

    def __str__(self) -> str:
        """How a person reads it anywhere (terminal, message box, refusal): where, what kind, what."""
        return f"{self.sheet}!{self.cell}（{self.title}）：{self.message}"

    @property
    def title(self) -> str:
        """The Chinese name of the kind of problem (checks/catalogue.py)."""
        return title(self.code)


def blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() in ("", "/"))


def as_text(v: object, quote: bool = False) -> str:
    """A cell's content in a message: 空白 for an empty cell (a file saved without its formulas'
    results reads so too), never “None”."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return "空白"
    return f"“{v}”" if quote else str(v)


def number(v: object) -> Decimal | None:
    """A numeric cell's number, or None when blank or not a number (the field checks report the
    latter). Text is not a number here, "35" or "35人" included: the cells' formulas (控制率, 总分,
    调整后得分) skip text in every spreadsheet program, so the engine reads a cell as they do."""
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return None
    try:
        return parse_number(v)
    except ParseError:
        return None


class _Checker:
    """Collects findings for one sheet, naming cells by the fields' defined names."""

    form: Form | None = None  # the sheet's layout, for what the template wrote in a cell

    def __init__(self, book: Book, sheet: str, out: list[Finding], year: int | None = None):
        self.book, self.sheet, self.out, self.year = book, sheet, out, year
        self._rates: dict[str, Decimal | None] = {}

    def get(self, name: str) -> object:
        v = self.book.get(self.sheet, name)
        return v.strip() if isinstance(v, str) else v

    def typed(self, name: str, percent: bool = False) -> object:
        """The value as typed: a number in a percent cell becomes the percentage it shows.
        ``percent`` says whether the layout declares a percent cell, for books that cannot tell."""
        fmt = getattr(self.book, "number_format", None)
        in_percent_cell = "%" in (fmt(self.sheet, name) or "") if fmt else percent
        v = self.get(name)
        return as_typed_in_percent_cell(v) if in_percent_cell else v

    def rate(self, name: str, label: str) -> Decimal | None:
        """A rate input read by the one percent rule, reported once: unreadable, echoed, or
        out of bounds. None when blank or unreadable."""
        if name not in self._rates:
            self._rates[name] = self._read_rate(name, label)
        return self._rates[name]

    def _read_rate(self, name: str, label: str) -> Decimal | None:
        raw = self.typed(name, percent=True)
        if blank(raw):
            return None
        try:
            reading = read_rate(raw, label)
        except ParseError as exc:
            self.report(name, "not_number", str(exc))
            return None
        if reading.echo:
            advice = "请只填写数值，如“90%”" if "%" in normalize(str(raw)) else "请带%号填写"
            self.report(name, "read_as_percent", f"{label}填写的“{self.get(name)}”{reading.echo}；如非此意，{advice}",
                        "warning")
        low, high = next((b for key, b in RATE_BOUNDS.items() if label.endswith(key)), (-MAX_RATE, MAX_RATE))
        if not low <= reading.fraction <= high:
            self.report(name, "rate_out_of_range", f"{label}为{pct(reading.fraction)}，超出{pct(low)}至{pct(high)}")
            return None
        return reading.fraction

    def report(self, name: str, code: str, message: str, severity: str = "error") -> None:
        cell = self.book.address(self.sheet, name) or name
        self.out.append(Finding(severity=severity, sheet=self.sheet, cell=cell, code=code, message=message))


def _is_formula(content: object) -> bool:
    return isinstance(content, str) and content.startswith("=")
