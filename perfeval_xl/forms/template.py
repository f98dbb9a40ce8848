"""Build template workbooks from the layout data in forms.py (never edited by hand).

Placement works like an HTML table: cells flow left to right, skipping columns still covered by
a cell above that spans rows. Each field gets a sheet-scoped defined name, its style (yellow
input, grey computed), number format, an input message saying what to type (and a drop-down
list for choices) and, for scored cells, the 评分标准 as a comment. Print setup: A4, scaled to
the paper's width, title rows repeated, rows as tall as their text, no merged block split
across pages (forms/printing.py).
"""
from __future__ import annotations

import datetime
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from perfeval_xl import __version__
from perfeval_xl.files import save_reproducible
from perfeval_xl.forms.guidance import input_message
from perfeval_xl.forms.layout import BOOK_NAMES, NOT_APPLICABLE, REPORT_YEAR, TEMPLATE_PROP, F, Form, T, TemplateSet
from perfeval_xl.forms.printing import print_whole
from perfeval_xl.formulas.native import blank

VERSION_PROP = "perfeval.version"

FONT = "宋体"
TITLE_FONT = "黑体"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # yellow: the accountant types here
COMPUTED_FILL = PatternFill("solid", fgColor="E7E6E6")  # grey: computed or fixed
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.00%", "int": "0", "score": "0.00", "number": "General"}


def place(form: Form) -> dict[int, list[tuple[int, int, object]]]:
    """Row number → [(column, row, cell)]: where each layout cell starts (1-based)."""
    covered: set[tuple[int, int]] = set()
    placed: dict[int, list] = {}
    for r, row in enumerate(form.rows, start=1):
        col = 1
        for cell in row:
            while (r, col) in covered:
                col += 1
            placed.setdefault(r, []).append((col, r, cell))
            for dr in range(cell.rows):
                for dc in range(cell.span):
                    covered.add((r + dr, col + dc))
            col += cell.span
    return placed


def addresses(form: Form) -> dict[str, str]:
    """Field name → absolute A1 address of its (top-left) cell."""
    return {cell.name: f"${get_column_letter(c)}${r}"
            for cells in place(form).values() for c, r, cell in cells if isinstance(cell, F)}


def _resolve(formula: str, book_addresses: dict[str, dict[str, str]]) -> str:
    """``{附件3-1!score_total}`` in a formula becomes ``'附件3-1'!$G$40``: the one cross-sheet link."""
    def sub(m: re.Match) -> str:
        sheet, name = m.group(1), m.group(2)
        return f"{quote_sheetname(sheet)}!{book_addresses[sheet][name]}"
    return re.sub(r"\{([^!{}]+)!(\w+)\}", sub, formula)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PLACEHOLDER_NAMES = {"year": REPORT_YEAR, "prev": f"({REPORT_YEAR}-1)"}


def heading(text: str) -> str:
    """Fixed text as written to its cell: ``{year}年度…`` becomes ``=report_year&"年度…"``."""
    parts = _PLACEHOLDER.split(text)
    if len(parts) == 1:
        return text
    terms = [_PLACEHOLDER_NAMES.get(p, p) if odd else '"' + p.replace('"', '""') + '"'
             for odd, p in ((i % 2 == 1, p) for i, p in enumerate(parts)) if odd or p]
    return "=" + "&".join(terms)


def _style(c, item) -> None:
    wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if isinstance(item, T):
        c.value = heading(item.text) or None
        if item.style == "title":
            c.font = Font(name=TITLE_FONT, size=16, bold=True)
            c.alignment = Alignment(horizontal="center", vertical="center")
            return
        c.font = Font(name=FONT, size=10, bold=item.style == "head")
        if item.style == "note":
            c.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        else:
            c.alignment = wrap
        if item.style == "head":
            c.fill = HEAD_FILL
        return
    c.font = Font(name=FONT, size=10)
    c.number_format = NUMBER_FORMATS.get(item.kind, "General")
    # A computed cell may show a message (需加载项计算, 有得分未算出) wider than its column: it
    # shrinks to fit, in Excel, WPS and LibreOffice alike, rather than spill or be cut.
    c.alignment = Alignment(horizontal="left" if item.kind == "text" else "center", vertical="center",
                            wrap_text=item.kind == "text", shrink_to_fit=item.computed and item.kind != "text")
    if item.computed or item.value is not None:
        c.fill = COMPUTED_FILL
        c.value = item.value
    else:
        c.fill = INPUT_FILL
        c.protection = Protection(locked=False)
        c.value = item.default
    if item.note:
        comment = Comment(f"评分标准：\n{item.note}", "perfeval-xl")
        comment.width, comment.height = 360, 200
        c.comment = comment


def _reserved_heights(form: Form, placed: dict[int, list]) -> dict[int, float]:
    """Room for text the accountant will type into wide merged cells, which Excel cannot
    autofit: a report section (the two-column 附件4) gets a tall row, other wide ones three lines.
    Files the tool writes get heights from their actual text (printing.print_whole)."""
    out = {}
    for r, cells in placed.items():
        for col, _, item in cells:
            width = sum(form.widths[col - 1: col - 1 + item.span])
            if isinstance(item, F) and item.kind == "text" and item.span >= 2 and width >= 40 and not item.computed:
                out[r] = max(out.get(r, 0.0), 160.0 if len(form.widths) <= 2 else 45.0)
    return out


def _typed_rows(placed: dict[int, list]) -> set[int]:
    """Rows with an unmerged text input: left without a set height so that Excel grows them."""
    return {r for r, cells in placed.items()
            if any(isinstance(i, F) and i.kind == "text" and i.span == i.rows == 1 and not i.computed
                   for _, _, i in cells)}


def _input_messages(ws, form: Form, placed: dict[int, list]) -> None:
    """One data validation per distinct message: the input message says what to type and the
    allowed range (forms/guidance.py); choice cells also get their drop-down list."""
    validations: dict[tuple, DataValidation] = {}
    for r, cells in placed.items():
        for col, _, item in cells:
            if not isinstance(item, F):
                continue
            message = input_message(item)  # None on computed cells, which keep only their list
            if message is None and not item.choices:
                continue
            key = (item.choices, message)
            if key not in validations:
                dv = DataValidation(allow_blank=True)
                if message is not None:
                    dv.showInputMessage, (dv.promptTitle, dv.prompt) = True, message
                if item.choices:
                    dv.type, dv.formula1 = "list", '"' + ",".join(item.choices) + '"'
                    dv.showErrorMessage, dv.errorTitle = True, "请选择"
                    dv.error = "请从下拉列表中选择：" + "、".join(item.choices)
                ws.add_data_validation(dv)
                validations[key] = dv
            validations[key].add(ws.cell(r, col).coordinate)


def helper_columns(form: Form) -> dict[str, str]:
    """Helper name → absolute address: each field's hidden helpers to the right of the form's
    columns, on the field's row (one column gap, then one column per helper)."""
    first = len(form.widths) + 2
    out = {}
    for cells in place(form).values():
        col = first
        for _, r, item in cells:
            for name, _ in getattr(item, "helpers", ()):
                out[name] = f"${get_column_letter(col)}${r}"
                col += 1
    return out


def write_helpers(ws, form: Form) -> None:
    """The hidden helper cells (native reading of typed values, formulas/native.py), named, grey, and
    in hidden columns outside the print area; hidden, not protected, so that a curious
    accountant can unhide them and see how a value was read."""
    where = helper_columns(form)
    if not where:
        return
    formulas = {name: formula for f in form.fields() for name, formula in f.helpers}
    for name, address in where.items():
        ws.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(form.sheet)}!{address}")
        cell = ws[address.replace("$", "")]
        cell.value = "=" + formulas[name]
        cell.fill = COMPUTED_FILL
    first = len(form.widths) + 2
    last = max(ws[a.replace("$", "")].column for a in where.values())
    ws.column_dimensions.group(get_column_letter(first), get_column_letter(last), hidden=True)


WARN_FILL = PatternFill("solid", fgColor="F8CBAD")  # orange: something to explain or fix


def live_checks(form: Form) -> list[tuple[str, str]]:
    """(field to colour, condition): the problems shown while the accountant types, in any
    spreadsheet program (conditional formatting, no add-in): a lost point without 偏差原因,
    执行率 under 90 % without a reason, an adjusted or typed score outside [0, 分值]."""
    names = {f.name for f in form.fields()}
    out = _blank_inputs(form)
    if {"exec_rate", "exec_reason"} <= names:
        out.append(("exec_reason", 'AND(ISNUMBER(exec_rate),exec_rate<0.9,TRIM(exec_reason)="")'))
    if form.indicators:
        for i in range(1, form.indicators.count + 1):
            p = f"{form.indicators.prefix}{i}_"
            out.append((p + "reason", f'AND(ISNUMBER({p}score),ISNUMBER({p}weight),{p}score<{p}weight,'
                                      f'TRIM({p}reason)="")'))
            out.append((p + "adjusted", _outside(p + "adjusted", p + "weight")))
        for f in form.fields():  # a typed 自评得分 (judged and added rows) counts through a helper
            if any(name.endswith("score__counted") for name, _ in f.helpers):
                out.append((f.name, _outside(f.name, f.name.removesuffix("score") + "weight")))
    return [(n, c) for n, c in out if n in names]


def _blank_inputs(form: Form) -> list[tuple[str, str]]:
    """No silent zero: a required scored input left blank (or "/") on a row that counts, with no
    调整后得分, scores nothing (checks/rows reports it at the cell): orange once the unit has
    begun to fill the sheet. 2023 rows: a named 定量 row without 年度指标值, or without 实际完成值."""
    spec = form.indicators
    if spec is None:
        return []
    if spec.slots:
        out = []
        for i in range(1, spec.count + 1):
            p = f"{spec.prefix}{i}_"
            row = f'TRIM({p}name)<>"",{blank(p + "level")}'  # as assess: required even beside a 调整后得分
            out += [(p + "target", f"AND({row},{blank(p + 'target')})"),
                    (p + "actual", f"AND({row},NOT({blank(p + 'target')}),{blank(p + 'actual')})")]
        return out
    inputs = [f for f in form.fields() if f.required and re.fullmatch(r"sc\d+_(value|part1)", f.name)]
    started = "OR(" + ",".join(f"NOT({blank(f.name)})" for f in inputs) + ")"
    out = []
    for f in inputs:
        p = f.name.rsplit("_", 1)[0] + "_"
        out.append((f.name, f'AND({started},{blank(f.name)},{blank(p + "adjusted")},{p}na<>"{NOT_APPLICABLE}")'))
    return out


def _outside(score: str, weight: str) -> str:
    return f"AND(ISNUMBER({score}),OR({score}<0,AND(ISNUMBER({weight}),{score}>{weight})))"


def write_live_checks(ws, form: Form) -> None:
    """Conditional formats from live_checks, with each name replaced by its cell address."""
    where = addresses(form)
    for name, condition in live_checks(form):
        formula = re.sub(r"\b[a-z][a-z0-9_]*\b", lambda m: where.get(m.group(), m.group()), condition)
        ws.conditional_formatting.add(where[name].replace("$", ""), FormulaRule(formula=[formula], fill=WARN_FILL))


def write_form(wb: Workbook, form: Form, book_addresses: dict[str, dict[str, str]]) -> None:
    ws = wb.create_sheet(form.sheet)
    for i, w in enumerate(form.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    print_cols = form.print_cols or len(form.widths)
    placed = place(form)
    for r, cells in placed.items():
        for col, _, item in cells:
            in_table = not (isinstance(item, T) and item.style == "title") and r > 1
            for dr in range(item.rows):
                for dc in range(item.span):
                    if in_table:
                        ws.cell(r + dr, col + dc).border = BORDER
            if item.rows > 1 or item.span > 1:
                ws.merge_cells(start_row=r, start_column=col, end_row=r + item.rows - 1,
                               end_column=col + item.span - 1)
            c = ws.cell(r, col)
            _style(c, item)
            if isinstance(item, F):
                ref = f"{quote_sheetname(form.sheet)}!${get_column_letter(col)}${r}"
                names = wb.defined_names if item.name in BOOK_NAMES else ws.defined_names
                names[item.name] = DefinedName(item.name, attr_text=ref)
                if item.formula:
                    c.value = _resolve(item.formula, book_addresses)
                elif isinstance(item.default, str) and item.default.startswith("="):
                    c.value = _resolve(item.default, book_addresses)  # an input computed by default
    _input_messages(ws, form, placed)
    write_helpers(ws, form)
    write_live_checks(ws, form)
    last_row = max(placed)
    ws.print_area = f"A1:{get_column_letter(print_cols)}{last_row}"
    if form.repeat_rows:
        ws.print_title_rows = f"1:{form.repeat_rows}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if form.landscape else "portrait"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    ws.sheet_view.zoomScale = 100
    print_whole(ws, _reserved_heights(form, placed), _typed_rows(placed))


def build_workbook(tset: TemplateSet) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    book_addresses = {form.sheet: addresses(form) for form in tset.forms}
    for form in tset.forms:
        write_form(wb, form, book_addresses)
    wb.custom_doc_props.append(StringProperty(name=TEMPLATE_PROP, value=tset.id))
    wb.custom_doc_props.append(StringProperty(name=VERSION_PROP, value=__version__))
    wb.properties.title = tset.title
    wb.properties.creator = "perfeval-xl"
    # Fixed timestamps keep the committed templates byte-stable across rebuilds.
    wb.properties.created = wb.properties.modified = datetime.datetime(2024, 1, 1)
    return wb


def build_templates(out_dir: Path) -> list[Path]:
    from perfeval_xl.forms.sets import template_sets

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for tset in template_sets().values():
        path = out_dir / tset.filename
        save_reproducible(build_workbook(tset), path)
        paths.append(path)
    return paths
