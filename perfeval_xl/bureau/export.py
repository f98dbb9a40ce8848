"""Lock and export for the finance bureau, with tamper evidence and an optional SM2 signature.

The export is a new macro-free, link-free .xlsx with no hidden sheets: every formula replaced by
its value (so Excel without the add-in, WPS and LibreOffice show the same numbers), no user text
turned into a formula, every sheet and the workbook structure protected, and a stamp in custom
document properties: tool version, edition, unit, year, validation time, counts of findings,
forced export and its reason, and a SHA-256 over the canonical form of the workbook (stamp.py
says what it covers). With the unit's key the canonical form is also signed (signing.py).
The stamp alone is tamper evidence against accidents, not proof of origin: whoever has this
tool can stamp a file anew. docs/security.md states what each proves.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

from openpyxl.packaging.custom import BoolProperty, IntProperty, StringProperty
from openpyxl.styles import PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from pydantic import BaseModel, ConfigDict

from perfeval_xl import __version__
from perfeval_xl.book import BookError, OpenpyxlBook, split_ref
from perfeval_xl.bureau import stamp as st
from perfeval_xl.bureau.stamp import HASH_PROP, KEY_ID_PROP, SIGNATURE_PROP, STAMP_PREFIX, Verification, verify
from perfeval_xl.checks.assess import Assessment, assess, blank, forms_in, identify
from perfeval_xl.formulas import native
from perfeval_xl.checks.findings import write_result_sheet
from perfeval_xl.files import atomic_write, rewrite_zip
from perfeval_xl.forms.layout import Form
from perfeval_xl.forms.printing import print_whole
from perfeval_xl.forms.template import COMPUTED_FILL, INPUT_FILL

DEFAULT_PASSWORD = "perfeval"  # documented in the README; change with --password
__all__ = ["export", "verify", "Verification", "ExportRefused", "HASH_PROP", "STAMP_PREFIX"]


class ExportRefused(Exception):
    """Validation found errors and --force was not given; nothing was written."""

    def __init__(self, assessment: Assessment):
        self.assessment = assessment
        super().__init__(f"校验发现{len(assessment.errors)}项错误，未导出")


class ExportExists(BookError):
    """The output exists (an earlier export): it is replaced only when asked to."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"“{path}”已存在（此前导出的文件），未导出：为免覆盖，请先移走或改名，或另指定输出文件")


def lock_file(src: Path) -> Path | None:
    """The lock file Excel / WPS (~$name.xlsx, the first two letters of a long name dropped) or
    LibreOffice (.~lock.name.xlsx#) keeps beside a book it has open, if there is one."""
    src = Path(src)
    names = [f"~${src.name}", f"~${src.name[2:]}", f".~lock.{src.name}#"]
    return next((src.parent / n for n in names if (src.parent / n).is_file()), None)


# ----------------------------------------------------------------------------- export
class ExportResult(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    path: Path
    pdf: Path | None = None
    assessment: Assessment
    sha256: str
    forced: bool = False
    signed_by: str | None = None  # key id, or None: 未签名


def default_name(a: Assessment) -> str:
    """The finance bureau's convention: 2023年度_单位_部门整体支出绩效自评.xlsx."""
    unit = "".join(ch for ch in (a.unit or "未填写单位") if ch not in '\\/:*?"<>|').strip()
    return f"{a.year}年度_{unit}_{a.label}.xlsx"


def _freeze_values(book: OpenpyxlBook, wb) -> None:
    """Replace every formula by the value it computes (UDF-free for any spreadsheet program).
    All values are computed first, so no formula ever sees a half-frozen workbook. The hidden
    helper cells of the native formulas (formulas/native.py) leave the export with their names and
    columns, never computed (nearly all the formulas are theirs): a frozen score needs no reading of
    its inputs, and every reader of the export (the bureau's gate, stamp and 汇总) then handles a
    third of the cells and a fifth of the names."""
    helpers = {ws.title: _helper_cells(ws) for ws in wb.worksheets}
    formulas = [(ws.title, cell) for ws in wb.worksheets for row in ws.iter_rows() for cell in row
                if cell.data_type == "f" and isinstance(cell.value, str) and cell.coordinate not in helpers[ws.title]]
    values = [book.cell_value(sheet, cell.coordinate) for sheet, cell in formulas]
    for (_, cell), value in zip(formulas, values):
        cell.value = value if value != "" else None
    for ws in wb.worksheets:
        _drop_helpers(ws, helpers[ws.title])


def _helper_cells(ws) -> dict[str, str]:
    """The native formulas' helper cells of a sheet: A1 → name."""
    return {split_ref(dn.attr_text)[1]: name for name, dn in ws.defined_names.items() if native.is_helper(name)}


def _drop_helpers(ws, helpers: dict[str, str]) -> None:
    columns = set()
    for coord, name in helpers.items():
        cell = ws[coord]
        columns.add(cell.column)
        del ws._cells[(cell.row, cell.column)], ws.defined_names[name]
    if columns:  # the hidden group of helper columns, now empty
        first = min(columns)
        for key, dim in list(ws.column_dimensions.items()):
            if dim.min is not None and dim.min >= first and dim.hidden:
                del ws.column_dimensions[key]


def _as_printed(book: OpenpyxlBook, wb, a: Assessment) -> list[str]:
    """The export prints as the official forms: a project form left blank is not exported (an
    export hides no sheet), the unused rows for indicators a unit may add are hidden, and the
    yellow and grey input aids (fills, live warnings) are gone. Returns the sheets left out."""
    used = {r.sheet for r in a.forms}
    left_out = []
    for sheet, form in forms_in(book, identify(book)):
        if sheet not in used:
            del wb[sheet]
            left_out.append(sheet)
        else:
            _hide_unused_added_rows(book, wb[sheet], form)
    aids = {fill.fgColor.rgb for fill in (INPUT_FILL, COMPUTED_FILL)}
    for ws in wb.worksheets:
        ws.conditional_formatting = type(ws.conditional_formatting)()
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill.fgColor.rgb in aids:
                    cell.fill = PatternFill(fill_type=None)
    return left_out


def _hide_unused_added_rows(book: OpenpyxlBook, ws, form: Form) -> None:
    """Rows add1_… of a 评分表 with no input typed are hidden, and their heading with them."""
    spec = form.indicators
    if spec is None or not spec.added:
        return
    rows = []
    for i in range(1, spec.added + 1):
        inputs = [f for f in form.fields() if f.name.startswith(f"add{i}_") and not f.computed]
        if all(blank(book.get(ws.title, f.name)) for f in inputs):
            rows.append(ws[split_ref(ws.defined_names[inputs[0].name].attr_text)[1]].row)
    if len(rows) == spec.added:
        rows.append(min(rows) - 1)  # 本单位增加的指标（可选…）
    for r in rows:
        ws.row_dimensions[r].hidden = True


def _only_data(wb) -> None:
    """No formula, link, macro, recalculation on open or hidden sheet leaves in an export. A text that openpyxl took for
    a formula (any string starting with "=", in any sheet we wrote) is stored as text."""
    for ws in wb.worksheets:
        ws.sheet_state = "visible"
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    wb._external_links = []
    wb.vba_archive = None
    wb.calculation.fullCalcOnLoad = None  # openpyxl's default asks Excel to recalculate on open


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


def _stamp_fields(wb, a: Assessment, forced: bool, reason: str) -> None:
    """The stamp's own fields; they are part of the canonical form the digest covers."""
    main = a.main
    values = {
        "perfeval.version": __version__,
        "perfeval.scheme": main.scheme if main else "",
        "perfeval.label": a.label,
        "perfeval.unit": a.unit,
        "perfeval.year": str(a.year),
        "perfeval.total": f"{main.total:f}" if main and main.total is not None else "",
        "perfeval.grade": (main.grade or "") if main else "",
        "perfeval.validated_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "perfeval.errors": len(a.errors),
        "perfeval.warnings": len(a.warnings),
        "perfeval.forced": forced,
        "perfeval.force_reason": reason,
    }
    keep = [p for p in wb.custom_doc_props if p.name not in values and p.name not in st.NOT_COVERED]
    wb.custom_doc_props.props = keep
    for name, value in values.items():
        kind = BoolProperty if isinstance(value, bool) else IntProperty if isinstance(value, int) else StringProperty
        wb.custom_doc_props.append(kind(name=name, value=value))


def _add_seal(path: Path, seal: dict[str, str]) -> None:
    """Append the digest and signature to docProps/custom.xml of a saved package."""
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as SafeET

    cp, vt = st.pk.NS["cp"], st.pk.NS["vt"]
    ET.register_namespace("", cp)
    ET.register_namespace("vt", vt)

    def edit(entries: dict[str, bytes]) -> dict[str, bytes]:
        root = SafeET.fromstring(entries["docProps/custom.xml"])
        pid = max((int(p.get("pid", "1")) for p in root), default=1)
        for name, value in seal.items():
            pid += 1
            prop = ET.SubElement(root, f"{{{cp}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                                 pid=str(pid), name=name)
            ET.SubElement(prop, f"{{{vt}}}lpwstr").text = value
        entries["docProps/custom.xml"] = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return entries

    rewrite_zip(path, edit)


def _signing_key(a: Assessment, key: Path | None, sign: bool):
    from perfeval_xl.bureau import signing
    from perfeval_xl.bureau.units import normalise

    if not sign:
        return None
    k = signing.load_key(key) if key else signing.installed_key(a.unit)
    if k is not None and normalise(k.unit) != normalise(a.unit):
        raise BookError(f"密钥属于“{k.unit}”，与工作簿中的单位“{a.unit}”不符，未导出")
    return k


def export(src: Path, out: Path | None = None, *, force: bool = False, reason: str = "",
           password: str = DEFAULT_PASSWORD, pdf: bool = False, key: Path | None = None,
           sign: bool = True, assessor=assess, overwrite: bool = False) -> ExportResult:
    """Validate, freeze, protect, stamp and (with the unit's key) sign a copy of ``src``; an
    existing file at the output is replaced only with ``overwrite``. ``assessor(book)`` validates:
    the command layer passes one that adds the report text checks."""
    from perfeval_xl.bureau import signing

    src = Path(src)
    # One load, without VBA or external links: the export is a plain .xlsx even from an .xlsm.
    book = OpenpyxlBook.open(src, keep_vba=False, keep_links=False)
    a = assessor(book)
    if a.errors and not force:
        raise ExportRefused(a)
    forced = bool(force and a.errors)
    if forced and not reason.strip():
        raise BookError("使用 --force 强制导出时，必须用 --reason 说明原因")
    unit_key = _signing_key(a, key, sign)
    out = Path(out) if out else src.parent / default_name(a)
    if out.suffix.lower() != ".xlsx":
        out = out.with_suffix(".xlsx")
    if out.resolve() == src.resolve():
        raise BookError("导出文件不能覆盖原文件")
    if out.exists() and not overwrite:
        raise ExportExists(out)
    wb = book.wb
    _freeze_values(book, wb)
    book.invalidate()  # the helper cells and their names are gone
    stamp_text = f"导出于{_dt.datetime.now():%Y-%m-%d %H:%M}" + ("；强制导出：" + reason if forced else "")
    left_out = _as_printed(book, wb, a)
    notes = [f"未导出的空白项目表（未填写任何内容）：{'、'.join(left_out)}"] if left_out else []
    write_result_sheet(wb, a, stamp_text, notes)
    _only_data(wb)
    for ws in wb.worksheets:  # heights from the text typed in, so that nothing prints cut
        print_whole(ws, final=True)
    _protect(wb, password)
    _stamp_fields(wb, a, forced, reason if forced else "")
    digest = ""

    def write(tmp: Path) -> None:
        nonlocal digest
        wb.save(tmp)
        canonical = st.read(tmp).canonical()  # read back through the same gate the bureau uses
        digest = hashlib.sha256(canonical).hexdigest()
        seal = {HASH_PROP: digest}
        if unit_key is not None:
            seal[SIGNATURE_PROP] = signing.sign(unit_key.private_hex, unit_key.public_hex, canonical)
            seal[KEY_ID_PROP] = signing.key_id(unit_key.public_hex)
        _add_seal(tmp, seal)

    atomic_write(out, write)
    pdf_path = None
    if pdf:
        from perfeval_xl.office import OfficeMissing, convert

        try:
            pdf_path = convert(out, "pdf", out.parent)
        except OfficeMissing:
            pdf_path = None
    return ExportResult(path=out, pdf=pdf_path, assessment=a, sha256=digest, forced=forced,
                        signed_by=signing.key_id(unit_key.public_hex) if unit_key else None)
