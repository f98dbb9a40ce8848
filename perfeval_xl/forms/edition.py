"""Editions from outside the package: a bureau's YAML file becomes a template that carries it.

The edition's text is stored line by line in a very hidden sheet (not printed, not shown in
Excel's 取消隐藏 list) so that score, validate and export of a filled book need no other file.
It is content-addressed: its key ``id@<first 12 hex of its SHA-256>`` is written into the
template id and into every formula, and the full hash into a document property. A book whose
carried text no longer matches the key it was built with gets an ``edition_changed`` error,
and the hash is shown wherever the result is shown, for the bureau to compare with the hash
``perfeval-xl schemes --check`` printed for the file it issued. Built-in ids cannot be carried.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from openpyxl.packaging.custom import StringProperty

from perfeval_xl.engine import scheme as editions
from perfeval_xl.files import save_reproducible
from perfeval_xl.forms.layout import Form, TemplateSet

EDITION_SHEET = "指标体系"
EDITION_PROP = "perfeval.edition_sha256"
TEMPLATE_PREFIX = "edition:"
MAX_LINES = 20_000


@dataclasses.dataclass(frozen=True)
class Carried:
    """The edition a workbook carries: its registered key, full hash, and whether it still
    matches the key recorded when the template was built."""

    key: str
    sha256: str
    intact: bool


def embed(wb, text: str) -> None:
    """Write the edition's text into a very hidden sheet, one line per row of column A."""
    ws = wb.create_sheet(EDITION_SHEET)
    ws.sheet_state = "veryHidden"
    for r, line in enumerate(editions.canonical_text(text).split("\n")[:-1], start=1):
        if line:
            cell = ws.cell(r, 1, line)
            cell.data_type = "s"  # a line starting with "=" is text, never a formula
    ws.column_dimensions["A"].width = 120
    wb.custom_doc_props.append(StringProperty(name=EDITION_PROP, value=editions.edition_hash(text)))


def carried_text(book) -> str | None:
    """The edition text a book carries, or None when it carries none."""
    if EDITION_SHEET not in book.sheets():
        return None
    lines = book.lines(EDITION_SHEET)[:MAX_LINES]
    return "\n".join("" if v is None else str(v) for v in lines)


def carried(book) -> Carried | None:
    """Register the book's edition (so its formulas and checks can load it) and say whether it
    is the one the template was built with."""
    text = carried_text(book)
    tid = book.template_id() or ""
    if text is None or not tid.startswith(TEMPLATE_PREFIX):
        return None
    key = editions.register(text)
    return Carried(key, editions.edition_hash(text), intact=tid == TEMPLATE_PREFIX + key)


def recorded_key(book) -> str:
    """The key the template was built with (from its template id)."""
    return (book.template_id() or "").removeprefix(TEMPLATE_PREFIX)


def _replaces(form: Form, kind: str) -> bool:
    spec = form.indicators
    return spec is not None and not spec.slots and editions.load(spec.scheme).kind == kind


def edition_set(key: str) -> TemplateSet:
    """The template set of a registered edition: its 评分表 alone, or a built-in set (the
    edition's ``template``) with the 评分表 of the same kind replaced."""
    from perfeval_xl.forms.builders import score_sheet
    from perfeval_xl.forms.sets import template_sets

    s = editions.load(key)
    if s.open_rows:
        raise editions.EditionError("按单位自填指标行的自评表体系（open_rows）暂不能由文件生成模板，请使用内置模板")
    name = s.title if str(s.year) in s.title else f"{s.year}_{s.title}"
    filename = re.sub(r'[\\/:*?"<>|\s]', "", name) + ".xlsx"
    tid = TEMPLATE_PREFIX + key
    if not s.template:
        sheet = "评分表"
        return TemplateSet(tid, filename, s.title, s.year, s.title, sheet, [score_sheet(sheet, key, s.title)])
    sets = template_sets()
    if s.template not in sets:
        raise editions.EditionError(f"template“{s.template}”不是内置模板，可用：{'、'.join(sets)}")
    base = sets[s.template]
    forms = [score_sheet(f.sheet, key, s.title) if _replaces(f, s.kind) else f for f in base.forms]
    if all(a is b for a, b in zip(forms, base.forms)):
        kind = {"dept": "部门整体", "project": "项目"}[s.kind]
        raise editions.EditionError(f"内置模板“{s.template}”中没有{kind}评分表可替换")
    return dataclasses.replace(base, id=tid, filename=filename, title=s.title, year=s.year, forms=forms)


def build_edition_template(path: Path, out_dir: Path) -> tuple[Path, list[str]]:
    """``templates --scheme FILE``: the workbook of an edition file, and the file's problems."""
    from perfeval_xl.forms.template import build_workbook

    text = editions.read_edition_file(path)
    problems = editions.check_edition(text)
    key = editions.register(text)  # raises with every reason when the file cannot be read
    tset = edition_set(key)
    wb = build_workbook(tset)
    embed(wb, text)
    out = save_reproducible(wb, Path(out_dir) / tset.filename)
    return out, problems
