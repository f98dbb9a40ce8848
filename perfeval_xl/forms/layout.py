"""The vocabulary of form layouts: fixed text, fields and checks, placed on a grid of rows.

A form is a list of rows; a row is a list of cells, each spanning columns (``span``) and rows
(``rows``) like an HTML table. Every field becomes a sheet-scoped defined name: templates,
readers, validators and formulas all find cells through those names, never through addresses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Literal

REPORT_YEAR = "report_year"  # the year the report is about (an input on the first sheet)
# Facts of the whole workbook: named at workbook level, so every sheet's headings can use them.
BOOK_NAMES = (REPORT_YEAR, "region")
NOT_APPLICABLE = "不适用"  # a 评分表 row the unit marks so (its …_na cell): not scored, rescaled total
TEMPLATE_PROP = "perfeval.template"  # the custom document property naming a workbook's template set

FieldKind = Literal["text", "number", "money", "percent", "int", "score", "choice", "date"]


@dataclass(frozen=True)
class T:
    """Fixed text: a title, a row or column heading, a printed note.

    ``{year}`` and ``{prev}`` in the text stand for the report year and the year before it, and
    ``{name}`` for a field of the workbook: such a heading becomes a formula
    (``=report_year&"年度…"``), so the printed years follow the ``report_year`` input.
    """

    text: str
    span: int = 1
    rows: int = 1
    style: Literal["title", "head", "label", "note"] = "label"


@dataclass(frozen=True)
class F:
    """A field: a yellow input cell, or a grey computed cell when it has a ``formula``.

    Formulas are Excel text that may refer to other fields of the same sheet by name.
    """

    name: str
    label: str
    kind: FieldKind = "number"
    required: bool = False
    formula: str | None = None
    choices: tuple[str, ...] = ()
    span: int = 1
    rows: int = 1
    note: str = ""  # shown as a cell comment: the 评分标准 of a scored cell
    helper: bool = False  # outside the printed form (our extra columns)
    value: object = None  # a fixed value printed in the official form, e.g. 分值 10
    default: object = None  # an editable input pre-filled in the template
    hint: str = ""  # the input message, when the kind alone does not say it (forms/guidance.py)
    # Hidden cells the formula reads, (name, formula) placed right of the form on the same row:
    # the native reading of typed values (formulas/native.py), never edited by hand.
    helpers: tuple[tuple[str, str], ...] = ()

    @property
    def computed(self) -> bool:
        return self.formula is not None


Cell = T | F


@dataclass(frozen=True)
class SumCheck:
    """total = Σ parts (to 0.01), reported at the total's cell."""

    total: str
    parts: tuple[str, ...]
    what: str


@dataclass(frozen=True)
class IndicatorRows:
    """Where a form keeps a table of indicators, and which scheme scores them.

    ``rows`` scheme-driven tables (评分表) put indicator i of the scheme on row i. Open tables
    (2023 自评表) hold the unit's own rows: ``slots`` gives the 一级/二级 heading of each row.
    """

    scheme: str
    prefix: str
    count: int
    slots: tuple[tuple[str, str], ...] = ()
    budget: tuple[str, str] | None = None  # names of 全年预算数 and 全年执行数 (预算执行 row)
    derived: tuple["Derived", ...] = ()  # 评分表 inputs the official texts define from other figures
    added: int = 0  # rows add1_… for indicators the unit adds to a 评分表 (judged, score typed)


@dataclass
class Form:
    sheet: str
    title: str
    widths: list[float]
    rows: list[list[Cell]]
    checks: list[SumCheck] = field(default_factory=list)
    indicators: IndicatorRows | None = None
    print_cols: int = 0  # printed columns; 0 = all columns of ``widths``
    repeat_rows: int = 0  # title rows repeated on every printed page
    landscape: bool = False
    key: str = ""  # stable id of the layout (a sheet may be renamed, e.g. 附件3_2)

    def fields(self) -> tuple[F, ...]:
        return self._fields

    @cached_property  # a form is built once and never changed; validation asks for this often
    def _fields(self) -> tuple[F, ...]:
        return tuple(c for row in self.rows for c in row if isinstance(c, F))

    def field(self, name: str) -> F:
        return next(f for f in self.fields() if f.name == name)


@dataclass(frozen=True)
class Derived:
    """A 评分表 input that an official formula defines from figures the workbook holds.

    The template pre-fills the value cell with a native formula (plain arithmetic, so that it
    computes in WPS and LibreOffice too); the accountant may type over it, and the validator
    reports a typed value that differs. ``kind``: "ratio" is of / per (控制率, 到位率);
    "change" is (of − per) / per (变动率); "balance" picks the 资金结余 case from 结余 (of)
    and 上年结转 (per).
    """

    indicator: str  # the scheme's indicator id
    of: tuple[str, str]  # (sheet, field)
    per: tuple[str, str]  # (sheet, field)
    kind: Literal["ratio", "change", "balance"] = "ratio"
    text: str = ""  # the formula in words, when the scheme prints none


@dataclass
class TemplateSet:
    """One workbook: the forms of one edition, in sheet order."""

    id: str
    filename: str
    title: str
    year: int
    label: str  # what the bureau calls the report: 部门整体支出绩效自评
    main: str  # the sheet whose 总分 and 等次 are the workbook's result
    forms: list[Form]
    # Figures that must agree across sheets: ((sheet, name), (sheet, name), what)
    same: list[tuple[tuple[str, str], tuple[str, str], str]] = field(default_factory=list)
    # The forms of the n-th project (n = 1, 2, …): optional sheets, as many copies as projects.
    project: Callable[[int], list[Form]] | None = None
    budget: tuple[str, str] | None = None  # (sheet, name) of the unit's budget, for budget weights
