"""Lock and export for the finance bureau, with tamper evidence.

The export is a new macro-free .xlsx: every formula replaced by its value (so Excel without the
add-in, WPS and LibreOffice show the same numbers), every sheet and the workbook structure
protected, and a stamp in custom document properties: tool version, indicator system,
validation time, counts of findings and a SHA-256 over a canonical form of all sheet values.
``verify`` recomputes that hash. A hash shows *that* values changed, not which cell: say so.
The stamp is tamper evidence, not a signature: whoever has this tool can stamp a file anew.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

import openpyxl
from openpyxl.packaging.custom import BoolProperty, IntProperty, StringProperty
from openpyxl.styles import Protection
from openpyxl.workbook.protection import WorkbookProtection
from pydantic import BaseModel

from perfeval_xl import __version__
from perfeval_xl.checks.assess import Assessment, assess
from perfeval_xl.book import BookError, OpenpyxlBook, split_ref
from perfeval_xl.excel import native
from perfeval_xl.files import atomic_save
from perfeval_xl.checks.findings import write_result_sheet

DEFAULT_PASSWORD = "perfeval"  # documented in the README; change with --password
STAMP_PREFIX = "perfeval."
HASH_PROP = "perfeval.sha256"


class ExportRefused(Exception):
    """Validation found errors and --force was not given; nothing was written."""

    def __init__(self, assessment: Assessment):
        self.assessment = assessment
        super().__init__(f"校验发现{len(assessment.errors)}项错误，未导出")


# ----------------------------------------------------------------------------- canonical hash
def canonical_value(v: object) -> str | None:
    """One cell's value as text that openpyxl and calamine readings agree on (None: skip)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "b:1" if v else "b:0"
    if isinstance(v, (int, float)):
        return "n:" + format(float(v), ".15g")
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return "d:" + v.isoformat()
    return "s:" + str(v)


def canonical_hash(sheets: list[tuple[str, list[tuple[int, int, object]]]]) -> str:
    """SHA-256 over every sheet name and every non-empty cell (row, column, value), in order."""
    h = hashlib.sha256()
    for name, cells in sheets:
        h.update(f"\x1dsheet:{name}\n".encode())
        for r, c, v in cells:
            text = canonical_value(v)
            if text is not None:
                h.update(f"{r},{c}={text}\n".encode())
    return h.hexdigest()


def _openpyxl_cells(ws) -> list[tuple[int, int, object]]:
    return [(cell.row, cell.column, cell.value) for row in ws.iter_rows() for cell in row if cell.value is not None]


def workbook_hash(wb) -> str:
    return canonical_hash([(ws.title, _openpyxl_cells(ws)) for ws in wb.worksheets])


# ----------------------------------------------------------------------------- export
class ExportResult(BaseModel):
    path: Path
    pdf: Path | None = None
    assessment: Assessment
    sha256: str
    forced: bool = False


def default_name(a: Assessment) -> str:
    """The finance bureau's convention: 2023年度_单位_部门整体支出绩效自评.xlsx."""
    unit = "".join(ch for ch in (a.unit or "未填写单位") if ch not in '\\/:*?"<>|').strip()
    return f"{a.year}年度_{unit}_{a.label}.xlsx"


def _freeze_values(book: OpenpyxlBook, wb) -> None:
    """Replace every formula by the value it computes (UDF-free for any spreadsheet program).
    The hidden helper cells of the native formulas (excel/native.py) are emptied: a frozen score
    needs no reading of its inputs."""
    for ws in wb.worksheets:
        for name, dn in list(ws.defined_names.items()):
            if native.is_helper(name):
                ws[split_ref(dn.attr_text)[1]].value = None
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    value = book.cell_value(ws.title, cell.coordinate)
                    cell.value = value if value != "" else None
                    if isinstance(value, str):
                        cell.data_type = "s"  # a text result is text, even if it starts with "="


def _protect(wb, password: str) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.protection.locked is False:
                    cell.protection = Protection(locked=True)
        ws.protection.sheet = True
        ws.protection.password = password
        ws.protection.formatCells = ws.protection.formatColumns = ws.protection.formatRows = True
    wb.security = WorkbookProtection(workbookPassword=password, lockStructure=True)


def _stamp(wb, a: Assessment, digest: str, forced: bool, reason: str) -> None:
    props = {p.name: p for p in wb.custom_doc_props}
    main = a.main
    values = {
        "perfeval.version": __version__,
        "perfeval.scheme": main.scheme if main else "",
        "perfeval.unit": a.unit,
        "perfeval.year": str(a.year),
        "perfeval.total": f"{main.total:f}" if main and main.total is not None else "",
        "perfeval.grade": (main.grade or "") if main else "",
        "perfeval.validated_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "perfeval.errors": len(a.errors),
        "perfeval.warnings": len(a.warnings),
        "perfeval.forced": forced,
        "perfeval.force_reason": reason,
        HASH_PROP: digest,
    }
    for name, value in values.items():
        if name in props:
            wb.custom_doc_props.props.remove(props[name])
        if isinstance(value, bool):
            wb.custom_doc_props.append(BoolProperty(name=name, value=value))
        elif isinstance(value, int):
            wb.custom_doc_props.append(IntProperty(name=name, value=value))
        else:
            wb.custom_doc_props.append(StringProperty(name=name, value=value))


def export(src: Path, out: Path | None = None, *, force: bool = False, reason: str = "",
           password: str = DEFAULT_PASSWORD, pdf: bool = False) -> ExportResult:
    src = Path(src)
    book = OpenpyxlBook.open(src)
    a = assess(book)
    if a.errors and not force:
        raise ExportRefused(a)
    if force and a.errors and not reason.strip():
        raise BookError("使用 --force 强制导出时，必须用 --reason 说明原因")
    out = Path(out) if out else src.parent / default_name(a)
    if out.suffix.lower() != ".xlsx":
        out = out.with_suffix(".xlsx")
    if out.resolve() == src.resolve():
        raise BookError("导出文件不能覆盖原文件")
    # A fresh load without VBA: the export is a plain .xlsx even when the input was .xlsm.
    wb = openpyxl.load_workbook(src, keep_vba=False)
    _freeze_values(book, wb)
    stamp_text = f"导出于{_dt.datetime.now():%Y-%m-%d %H:%M}" + ("；强制导出：" + reason if force and a.errors else "")
    write_result_sheet(wb, a, stamp_text)
    _protect(wb, password)
    digest = workbook_hash(wb)
    _stamp(wb, a, digest, bool(force and a.errors), reason if force else "")
    atomic_save(wb, out)
    pdf_path = None
    if pdf:
        from perfeval_xl.office import OfficeMissing, convert

        try:
            pdf_path = convert(out, "pdf", out.parent)
        except OfficeMissing:
            pdf_path = None
    return ExportResult(path=out, pdf=pdf_path, assessment=a, sha256=digest, forced=bool(force and a.errors))


# ----------------------------------------------------------------------------- verify
class Verification(BaseModel):
    status: str  # 通过 / 已被修改 / 未盖章
    ok: bool
    stamp: dict[str, object]
    expected: str | None
    actual: str


def read_stamp(wb) -> dict[str, object]:
    return {p.name: p.value for p in wb.custom_doc_props if p.name.startswith(STAMP_PREFIX)}


def verify_workbook(wb) -> Verification:
    stamp = read_stamp(wb)
    actual = workbook_hash(wb)
    expected = stamp.get(HASH_PROP)
    if not expected:
        return Verification(status="未盖章", ok=False, stamp=stamp, expected=None, actual=actual)
    ok = expected == actual
    return Verification(status="通过" if ok else "已被修改", ok=ok, stamp=stamp, expected=str(expected), actual=actual)


def verify(path: Path) -> Verification:
    try:
        wb = openpyxl.load_workbook(Path(path))
    except FileNotFoundError:
        raise BookError(f"文件不存在：{path}") from None
    except Exception as exc:
        raise BookError(f"无法作为Excel工作簿打开：{Path(path).name}（{type(exc).__name__}）") from None
    return verify_workbook(wb)
