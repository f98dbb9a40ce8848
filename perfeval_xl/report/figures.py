"""The figures a report speaks of, read from the workbook through the book interface.

One YAML file per template set (report/texts/<set>.yaml) names every figure once: where it is
(``附件2!budget_full``, a defined name), or how it follows from others (a sum, a ratio, a score
of the assessment). The Word draft (draft.py) writes these figures into its wording, and the
narrative check (report/narrative.py) compares what a report text states with the same figures:
one list, so the draft and the check can never disagree about what 基本支出 means.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from typing import Literal

from perfeval_xl.book import Book
from perfeval_xl.checks.assess import FormResult, blank, forms_in, number, report_year
from perfeval_xl.engine.scheme import load as load_scheme, read_package_yaml
from perfeval_xl.forms.layout import Form, TemplateSet

Kind = Literal["money", "percent", "count", "score", "text"]
TEXTS = resources.files(__package__) / "texts"


@functools.lru_cache(maxsize=None)
def wording(template_id: str) -> dict:
    """The data file of one template set: figures, labels, text cells and report outlines.
    A set without one (an edition built from a bureau's file) has no outline and no text checks."""
    path = TEXTS / f"{template_id}.yaml"
    if not path.is_file():
        return {"figures": {}, "reports": [], "texts": []}
    return read_package_yaml(path)


@dataclass
class Figure:
    name: str
    value: Decimal | str | None
    kind: Kind
    cells: list[str] = field(default_factory=list)  # where it comes from: 附件2!F5, …
    how: str = ""  # the trace: 附件2!F5, or 全年执行数（附件2!G6）÷ 全年预算数（附件2!F6）

    @property
    def source(self) -> str:
        return self.how or "、".join(self.cells)

    @property
    def missing(self) -> bool:
        return self.value is None or self.value == ""

    def text(self) -> str:
        """As a report writes it: 1,323.28 (万元), 87.5%, 40 (人), 98 (分)."""
        v = self.value
        if self.missing:
            return f"【请填写：{self.name}】"
        if self.kind == "text":
            return str(v)
        if self.kind == "money":
            return f"{v:,.2f}" if (v := _rounded(v, 2)) is not None else f"{self.value:g}"
        if self.kind == "percent":
            return f"{_plain(v * 100, 2)}%"
        return _plain(v, 2)


    def shown(self) -> str:
        """The text with its unit: 1,323.28万元, 40人, 98分, 87.5%."""
        unit = {"money": "万元", "count": "人", "score": "分"}.get(self.kind, "") if not self.missing else ""
        return self.text() + unit


def _plain(v: Decimal, places: int) -> str:
    """Rounded half-up to ``places`` decimals, trailing zeros dropped: 69.70 → 69.7, 98.00 → 98."""
    r = _rounded(v, places)
    if r is None:
        return f"{v:g}"
    s = f"{r:f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def _rounded(v: Decimal, places: int) -> Decimal | None:
    """Half-up to ``places`` decimals; None beyond Decimal's precision (1e308 typed into a cell)."""
    try:
        return v.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    except InvalidOperation:
        return None


@dataclass
class Row:
    """One scored indicator row of a sheet."""

    l1: str
    l2: str
    name: str
    target: str
    actual: str
    weight: Decimal
    score: Decimal | None
    reason: str

    @property
    def lost(self) -> Decimal:
        return self.weight - self.score if self.score is not None else Decimal(0)


def _s(v: object) -> str:
    return "" if blank(v) else str(v).strip()


def scored_rows(book: Book, sheet: str, form: Form) -> list[Row]:
    """The rows that carry points: 预算执行 and the unit's own rows (2023), or a 评分表's rows."""
    spec = form.indicators
    if spec is None:
        return []
    get = lambda name: book.get(sheet, name)  # noqa: E731
    rows = []
    if spec.slots:
        rate = number(get("exec_rate"))
        rows.append(Row("预算执行", "预算执行", "预算执行率", "100%", Figure("", rate, "percent").text() if rate is not None else "",
                        number(get("exec_weight")) or Decimal(10), number(get("exec_score")), _s(get("exec_reason"))))
        for i, (l1, l2) in enumerate(spec.slots, start=1):
            p = f"{spec.prefix}{i}_"
            weight = number(get(p + "weight"))
            if blank(get(p + "name")) or weight is None:
                continue
            rows.append(Row(l1, l2, _s(get(p + "name")), _s(get(p + "target")), _s(get(p + "actual")), weight,
                            number(get(p + "score")), _s(get(p + "reason"))))
        return rows
    for i, ind in enumerate(load_scheme(spec.scheme).indicators, start=1):
        p = f"{spec.prefix}{i}_"
        rows.append(Row(ind.l1, ind.l2, ind.name, "", _s(get(p + "value")), ind.weight,
                        number(get(p + "score")), _s(get(p + "reason"))))
    return rows


def level1_weights(form: Form) -> dict[str, Decimal]:
    return dict(load_scheme(form.indicators.scheme).level1) if form.indicators else {}


def _traced(f: Figure) -> str:
    return f"{f.name}（{f.source or '未填写'}）"


_PLACE = re.compile(r"^.{2,8}?[县区]")


def book_region(book: Book, tset: TemplateSet, unit: str) -> str:
    """The 地区（县市区） typed on the report sheet (2020 附件2-1, 2023 附件4); without one, the
    place the unit's name starts with (冷水滩区保障性住房服务中心 → 冷水滩区), else nothing."""
    for form in tset.forms:
        if form.sheet in book.sheets() and book.address(form.sheet, "region"):
            if not blank(value := book.get(form.sheet, "region")):
                return str(value).strip()
    m = _PLACE.match(unit)
    return m.group(0) if m else ""


class Figures:
    """Figures by name for one workbook, computed on first use."""

    def __init__(self, book: Book, tset: TemplateSet, results: list[FormResult], unit: str = ""):
        self.book, self.tset = book, tset
        self.results = {r.sheet: r for r in results}
        self.forms = dict(forms_in(book, tset))
        self.data: dict = wording(tset.id)
        self.spec: dict = self.data["figures"]
        region = book_region(book, tset, unit)
        full = unit if unit.startswith(region) else region + unit
        self.builtin = {"年度": Figure("年度", str(report_year(book, tset)), "text"), "单位": Figure("单位", unit, "text"),
                        "地区": Figure("地区", region, "text"), "单位全称": Figure("单位全称", full, "text")}
        self._cache: dict[str, Figure] = {}
        self.used: list[str] = []  # the figures a draft wrote, in order (its trace)

    def __getitem__(self, name: str) -> Figure:
        if name not in self._cache:
            self._cache[name] = self.builtin.get(name) or self._compute(name)
        return self._cache[name]

    def write(self, name: str) -> str:
        """A figure as the draft writes it, remembered for the trace."""
        if name not in self.used and name not in self.builtin:
            self.used.append(name)
        return self[name].text()

    def __contains__(self, name: str) -> bool:
        return name in self.builtin or name in self.spec

    def _compute(self, name: str) -> Figure:
        spec = self.spec.get(name)
        if spec is None:
            raise KeyError(f"报告措辞中使用了未定义的数字“{name}”")
        kind = spec.get("kind", "money")
        if "cell" in spec:
            sheet, _, field_name = spec["cell"].partition("!")
            if sheet not in self.forms:
                return Figure(name, None, kind)
            raw = self.book.get(sheet, field_name)
            value = _s(raw) if kind == "text" else number(raw)
            cell = self.book.address(sheet, field_name)
            return Figure(name, value, kind, [f"{sheet}!{cell}"] if cell else [])
        if "sum" in spec:
            parts = [self[p] for p in spec["sum"]]
            how = " ＋ ".join(_traced(p) for p in parts)
            if all(p.missing for p in parts):
                return Figure(name, None, kind, [], how)
            value = sum((p.value for p in parts if not p.missing), Decimal(0))
            return Figure(name, value, kind, [c for p in parts for c in p.cells], how)
        if "ratio" in spec:
            top, bottom = (self[p] for p in spec["ratio"])
            ok = not top.missing and not bottom.missing and bottom.value != 0
            return Figure(name, top.value / bottom.value if ok else None, "percent", top.cells + bottom.cells,
                          f"{_traced(top)} ÷ {_traced(bottom)}")
        if "score" in spec:
            return self._score(name, spec["score"], spec.get("sheet", self.tset.main))
        raise KeyError(f"数字“{name}”的定义无法识别：{spec}")

    def _score(self, name: str, what: str, sheet: str) -> Figure:
        r = self.results.get(sheet)
        cell = self.book.address(sheet, "grade" if what == "grade" else "score_total") if r else None
        cells = [f"{sheet}!{cell}"] if cell else []
        if r is None:
            return Figure(name, None, "text" if what == "grade" else "score")
        if what == "grade":
            return Figure(name, r.grade, "text", cells)
        if what == "total":
            return Figure(name, r.total, "score", cells)
        return Figure(name, r.parts.get(what), "score", cells)

    def same_funds(self, a: str, b: str) -> bool:
        """Two fund scopes are the same money in this workbook when the sources one has and the
        other lacks are all zero (``scopes`` of the set's text file: fund scope → its sources)."""
        sources = self.data.get("scopes", {})
        if a not in sources or b not in sources:
            return False
        return all(self[n].missing or self[n].value == 0 for n in set(sources[a]) ^ set(sources[b]))

    def unit_rows(self) -> tuple[str, ...]:
        """The names of the units below the department in its tables (2020 附件2-1 rows 1…)."""
        names = []
        for ref in self.data.get("unit_rows", []):
            sheet, _, name = ref.partition("!")
            if sheet in self.forms and not blank(v := self.book.get(sheet, name)):
                names.append(re.sub(r"^\d+[、.．]\s*", "", str(v).strip()))
        return tuple(n for n in names if n)

    def rows(self, sheet: str | None = None) -> list[Row]:
        sheet = sheet or self.tset.main
        return scored_rows(self.book, sheet, self.forms[sheet]) if sheet in self.forms else []

    def parts(self, sheet: str | None = None) -> list[tuple[str, Decimal, Decimal | None]]:
        """(一级指标, 分值, 得分) of a scored sheet."""
        sheet = sheet or self.tset.main
        r, form = self.results.get(sheet), self.forms.get(sheet)
        if form is None:
            return []
        return [(l1, w, r.parts.get(l1) if r else None) for l1, w in level1_weights(form).items()]
