"""The vocabulary of form layouts: fixed text, fields and checks, placed on a grid of rows.

A form is a list of rows; a row is a list of cells, each spanning columns (``span``) and rows
(``rows``) like an HTML table. Every field becomes a sheet-scoped defined name: templates,
readers, validators and formulas all find cells through those names, never through addresses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["text", "number", "money", "percent", "int", "score", "choice", "date"]


@dataclass(frozen=True)
class T:
    """Fixed text: a title, a row or column heading, a printed note."""

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
    # Hidden cells the formula reads, (name, formula) placed right of the form on the same row:
    # the native reading of typed values (excel/native.py), never edited by hand.
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

    def fields(self) -> list[F]:
        return [c for row in self.rows for c in row if isinstance(c, F)]

    def field(self, name: str) -> F:
        return next(f for f in self.fields() if f.name == name)


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
    repeatable: str = ""  # key of a form the user may add copies of (附件3 per project)
    budget: tuple[str, str] | None = None  # (sheet, name) of the unit's budget, for budget weights
