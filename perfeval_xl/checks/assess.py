"""Score and validate a workbook: read fields by name, recompute through the engine, and report
findings (severity, sheet, cell, code, Chinese message), schema → validate → report.

The cells show what the formulas compute; this module recomputes the same results from the
inputs with the engine and reports every place where the two differ or an input is unusable.
This module identifies the book's template set and forms and runs the checks on each form: the
fields (fields.py), the indicator rows (rows.py) and the totals (totals.py).
"""
from __future__ import annotations

import functools
import re
from decimal import Decimal

from pydantic import BaseModel

from perfeval_xl.book import Book, BookError
from perfeval_xl.checks.checker import TOLERANCE, Finding, _Checker, _is_formula, blank, number
from perfeval_xl.checks.fields import check_fields, check_sums
from perfeval_xl.checks.rows import check_open_rows, check_scheme_rows
from perfeval_xl.checks.totals import check_budget, check_totals, rescale, round_total
from perfeval_xl.forms.layout import REPORT_YEAR, F, Form, TemplateSet
from perfeval_xl.forms.edition import EDITION_SHEET, carried, edition_set, recorded_key
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.engine.parse import normalize
from perfeval_xl.engine.scheme import load as load_scheme


class FormResult(BaseModel):
    sheet: str
    scheme: str
    total: Decimal | None = None
    grade: str | None = None
    parts: dict[str, Decimal] = {}  # 一级指标 → points
    rates: dict[str, Decimal] = {}  # computed rates shown on the sheet: 控制率, 执行率…
    # 按百分制折算 (rows marked 不适用, or 分值 not adding to the total): the points before it
    score_sum: Decimal | None = None
    applicable: Decimal | None = None


class Assessment(BaseModel):
    template: str
    year: int
    label: str
    unit: str = ""
    main: FormResult | None = None
    forms: list[FormResult] = []
    findings: list[Finding] = []
    edition_sha256: str = ""  # the full hash of an edition carried by the workbook

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def identify(book: Book) -> TemplateSet:
    sets = template_sets()
    tid = book.template_id()
    if tid in sets:
        return sets[tid]
    if (ed := carried(book)) is not None:  # an edition from outside the package, in the book
        return edition_set(ed.key)
    for tset in sets.values():  # a file whose properties were lost: recognise it by its sheets
        if all(f.sheet in book.sheets() for f in tset.forms if f.key not in project_keys(tset)):
            return tset
    raise BookError("未知的表格布局：不是由本工具模板生成的工作簿")


def project_keys(tset: TemplateSet) -> set[str]:
    return {f.key for f in _project_forms(tset.project, 1)} if tset.project else set()


def project_copies(tset: TemplateSet, sheets: list[str]) -> dict[str, Form]:
    """The forms of projects 2, 3, … present in the book, by sheet (附件3_2, 附件2-2_2 + 附件3-2_2…)."""
    out: dict[str, Form] = {}
    if tset.project is None:
        return out
    # only the numbers the sheet names carry: building a project's forms writes every native formula
    numbers = {int(m.group(1)) for sheet in sheets if (m := re.search(r"_(\d+)$", sheet)) and int(m.group(1)) >= 2}
    for n in sorted(numbers):
        out.update({f.sheet: f for f in _project_forms(tset.project, n) if f.sheet in sheets})
    return out


@functools.lru_cache(maxsize=256)
def _project_forms(project, n: int) -> list[Form]:
    """The n-th project's forms, built once per process (collect reads thousands of books)."""
    return project(n)


def forms_in(book: Book, tset: TemplateSet) -> list[tuple[str, Form]]:
    """Each sheet with its layout; the copies of the project forms included."""
    layouts = {f.sheet: f for f in tset.forms}
    layouts.update(project_copies(tset, book.sheets()))
    return [(sheet, layouts[sheet]) for sheet in book.sheets() if sheet in layouts]


def report_year(book: Book, tset: TemplateSet) -> int:
    """The workbook's report_year input; the set's own year for files made before it existed."""
    for form in tset.forms:
        if form.sheet in book.sheets() and book.address(form.sheet, REPORT_YEAR):
            year = number(book.get(form.sheet, REPORT_YEAR))
            if year is not None and year == year.to_integral_value() and 1900 < year < 2200:
                return int(year)
    return tset.year


def untouched(book: Book, sheet: str, form: Form) -> bool:
    """No input differs from the template (blank, "/" as seed 001 strikes out 附件3, the
    pre-filled default, or a derived input still holding its formula)."""
    raw = getattr(book, "raw", lambda *a: None)

    def as_template(f: F) -> bool:
        v = book.get(sheet, f.name)
        return blank(v) or v == f.default or (_is_formula(f.default) and _is_formula(raw(sheet, f.name)))

    return all(as_template(f) for f in form.fields() if not f.computed and f.value is None)


def assess_form(book: Book, sheet: str, form: Form, out: list[Finding], tset: TemplateSet | None = None,
                year: int | None = None) -> FormResult | None:
    c = _Checker(book, sheet, out, year)
    c.form = form
    check_fields(c, form)
    check_sums(c, form.checks)
    rates = {f.label: number(c.get(f.name)) for f in form.fields() if f.computed and f.kind == "percent"}
    rates = {k: v for k, v in rates.items() if v is not None}
    spec = form.indicators
    if spec is None:
        return FormResult(sheet=sheet, scheme="", rates=rates)
    scheme = load_scheme(spec.scheme)
    if spec.slots:
        parts = check_open_rows(c, spec, scheme)
        exec_points = check_budget(c, spec, parts)
        parts = {"预算执行": exec_points or Decimal(0), **parts}
        total = round_total(sum(parts.values(), Decimal(0)))
        label = check_totals(c, scheme, total)
        return FormResult(sheet=sheet, scheme=scheme.id, total=total, grade=label, parts=parts, rates=rates)
    tally = check_scheme_rows(c, spec, scheme)
    points = sum(tally.parts.values(), Decimal(0))
    total = rescale(points, tally.applicable, scheme.total)
    rescaled = tally.applicable != scheme.total
    how = (f"按百分制折算应为（得分合计{points:f} ÷ 适用指标分值合计{tally.applicable:f} × {scheme.total:f}）"
           if rescaled else "")
    label = check_totals(c, scheme, total, tally.weights, how)
    return FormResult(sheet=sheet, scheme=scheme.id, total=total, grade=label, parts=tally.parts, rates=rates,
                      score_sum=points if rescaled else None, applicable=tally.applicable if rescaled else None)


def check_same(book: Book, tset: TemplateSet, out: list[Finding]) -> None:
    for (s1, n1), (s2, n2), what in tset.same:
        if s1 not in book.sheets() or s2 not in book.sheets():
            continue
        a, b = book.get(s1, n1), book.get(s2, n2)
        if blank(a) or blank(b):
            continue
        da, db = number(a), number(b)
        differ = abs(da - db) > TOLERANCE if da is not None and db is not None else normalize(str(a)) != normalize(str(b))
        if differ:
            out.append(Finding(severity="error", sheet=s2, cell=book.address(s2, n2) or n2, code="cross_sheet",
                               message=f"{what}“{b}”与{s1}!{book.address(s1, n1)}的“{a}”不一致"))


def _used(book: Book, tset: TemplateSet, sheets: list[tuple[str, Form]]) -> list[tuple[str, Form]]:
    """Project sheets are optional: a project whose sheets are all as in the template is left
    out (a unit without projects, or one with fewer than the template holds)."""
    keys = project_keys(tset)
    groups: dict[str, list[tuple[str, Form]]] = {}  # project → its sheets; "" the unit's own
    for sheet, form in sheets:
        groups.setdefault(_project_of(sheet) if form.key in keys else "", []).append((sheet, form))
    unused = {g for g, members in groups.items() if g and all(untouched(book, s, f) for s, f in members)}
    return [(s, f) for s, f in sheets if not (f.key in keys and _project_of(s) in unused)]


def _project_of(sheet: str) -> str:
    """Which project a sheet belongs to: 附件2-2, 附件3-2 and 附件3_1 → "1"; 附件3-2_2 → "2"."""
    _, sep, n = sheet.rpartition("_")
    return n if sep and n.isdigit() else "1"


def check_carried(book: Book, out: list[Finding]) -> str:
    """The hash of the edition the book carries ("" if built-in), and an error when its text
    is not the one the template was built with."""
    ed = carried(book)
    if ed is None:
        return ""
    if not ed.intact:
        out.append(Finding(severity="error", sheet=EDITION_SHEET, cell="A1", code="edition_changed",
                           message=f"工作簿所带指标体系已被改动：模板生成时为“{recorded_key(book)}”，"
                                   f"现为“{ed.key}”（SHA-256 {ed.sha256}），评分按现有内容计算，请核对"))
    return ed.sha256


def assess(book: Book) -> Assessment:
    tset = identify(book)
    out: list[Finding] = []
    sha = check_carried(book, out)
    results = []
    sheets = forms_in(book, tset)
    year = report_year(book, tset)
    for sheet, form in _used(book, tset, sheets):
        result = assess_form(book, sheet, form, out, tset, year)
        if result is not None:
            results.append(result)
    check_same(book, tset, out)
    unit = next((str(book.get(s, "unit_name")) for s, _ in sheets if not blank(book.get(s, "unit_name"))), "")
    main = next((r for r in results if r.sheet == tset.main), None)
    return Assessment(template=tset.id, year=report_year(book, tset), label=tset.label, unit=unit, main=main,
                      forms=results, findings=out, edition_sha256=sha)
