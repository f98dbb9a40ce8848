"""The gate every workbook from outside passes before anything parses it.

A workbook is a zip of XML parts. Before openpyxl or calamine see a file, this module checks,
from the zip's central directory and by scanning the sheets' tags (no tree in memory): that it
is a zip at all (a PDF, an encrypted or old binary file, a truncated copy each
get their own Chinese reason), how many parts it has, how large they are uncompressed, how far
they were compressed (zip bombs), how large each sheet is (declared ``<dimension>``, the farthest
cell, the number of cells: one cell at XFD1048576 makes a reader allocate the whole grid), and
that no part declares XML entities (billion laughs, XXE) or is in an encoding other than UTF-8,
and the limits beyond the sheets (merged ranges, shared strings, metadata sizes, cells of the
whole workbook). The file is read once; ``Package.data`` is what every reader then parses.
Macros, links, data connections, formulas and recalculation on open are reported; whether
they are refused depends on the command (an export never contains them).

The package metadata the bureau relies on (custom document properties, sheet names and states,
defined names) is read here too, as XML trees once expat has refused any DTD, never with
regular expressions: the XML may use any namespace prefix (openpyxl with lxml writes
``<vt:lpwstr xmlns:vt=…>``).

Limits are data (``Limits`` in parts.py, documented in docs/security.md) and can be
overridden with the environment variable ``PERFEVAL_LIMITS="max_rows=50000,max_total_mb=400"``
or the CLI option ``--limit NAME=VALUE`` of every reading command. The sheets are scanned by
sheets.py.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from perfeval_xl.files import os_message
# The gate's parts, importable from here as before (the command line, the tests):
from perfeval_xl.book.parts import (ENV, MB, METADATA_PARTS, NS, BookError, Limits, PackageRefused,  # noqa: F401
                                    _check_prolog, _read, _refuse_by_header, _tree, limits)
from perfeval_xl.book.sheets import SheetInfo, _scan_sheet, _shared_text


# ----------------------------------------------------------------------------- metadata
def _typed(el) -> object:
    """A custom property's value by its vt: type (vt:bool, vt:i4, vt:lpwstr…)."""
    kind = el.tag.rpartition("}")[2]
    text = el.text or ""
    if kind == "bool":
        return text.strip().lower() in ("true", "1")
    if kind in ("i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint"):
        try:
            return int(text)
        except ValueError:
            return text
    return text


def custom_properties(z: zipfile.ZipFile) -> dict[str, object]:
    data = _read(z, "docProps/custom.xml")
    out: dict[str, object] = {}
    if data is None:
        return out
    root = _tree("docProps/custom.xml", data)
    for prop in root.findall("cp:property", NS):
        name = prop.get("name")
        if name is not None and len(prop):
            out[name] = _typed(prop[0])
    return out


class DefinedName(NamedTuple):  # a tuple: a tuple of them hashes in C (stamp.py caches by it)
    name: str
    scope: str  # the sheet a local name belongs to; "" for a workbook-level name
    target: str  # as written: 'Sheet'!$B$5


# workbook.xml (with its defined names, a few hundred in an export) and styles.xml are the same
# in every export of one template: each distinct content is parsed once per process.
@lru_cache(maxsize=16)
def _parse_workbook(workbook: bytes, rels: bytes | None) -> tuple[tuple[tuple[str, str, str], ...],
                                                                 tuple[DefinedName, ...], bool]:
    """(sheet name, state, part) of each sheet, the defined names, and whether the workbook
    asks to be recalculated when opened (calcPr fullCalcOnLoad or forceFullCalc)."""
    root = _tree("xl/workbook.xml", workbook)
    targets = {}
    if rels is not None:
        targets = {r.get("Id"): r.get("Target", "") for r in _tree("xl/_rels/workbook.xml.rels", rels)}
    sheets = []
    for el in root.findall("m:sheets/m:sheet", NS):
        target = targets.get(el.get(f"{{{NS['r']}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheets.append((el.get("name", ""), el.get("state", "visible"), part))
    names = []
    for d in root.findall("m:definedNames/m:definedName", NS):
        local = d.get("localSheetId")
        scope = ""
        if local is not None and local.isdigit() and int(local) < len(sheets):
            scope = sheets[int(local)][0]
        names.append(DefinedName(name=d.get("name", ""), scope=scope, target=(d.text or "").strip()))
    calc = root.find("m:calcPr", NS)
    recalc = calc is not None and any(calc.get(a, "").strip().lower() in ("1", "true")
                                      for a in ("fullCalcOnLoad", "forceFullCalc"))
    return tuple(sheets), tuple(names), recalc


def _workbook(z: zipfile.ZipFile) -> tuple[list[SheetInfo], tuple[DefinedName, ...], bool]:
    data = _read(z, "xl/workbook.xml")
    if data is None and (_read(z, "mimetype") or b"").startswith(b"application/vnd.oasis.opendocument"):
        raise PackageRefused("not_workbook", "此文件是OpenDocument表格（.ods，LibreOffice或WPS的格式），不是Excel工作簿："
                                             "请在LibreOffice或WPS中用“文件 → 另存为”，文件类型选“Excel 2007-365 (.xlsx)”，再读取另存的文件")
    if data is None:
        raise PackageRefused("not_workbook", "不是Excel工作簿（缺少 xl/workbook.xml）")
    sheets, names, recalc = _parse_workbook(data, _read(z, "xl/_rels/workbook.xml.rels"))
    return [SheetInfo(name, state, part) for name, state, part in sheets], names, recalc


@lru_cache(maxsize=16)
def _parse_number_formats(styles: bytes) -> tuple[str, ...]:
    """The number format code of each cell style (xf index), builtin ids by their code."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    root = _tree("xl/styles.xml", styles)
    custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in root.findall("m:numFmts/m:numFmt", NS)}
    return tuple(custom.get(fid) or BUILTIN_FORMATS.get(fid, "General")
                 for fid in (int(xf.get("numFmtId", "0")) for xf in root.findall("m:cellXfs/m:xf", NS)))


def _number_formats(z: zipfile.ZipFile) -> tuple[str, ...]:
    data = _read(z, "xl/styles.xml")
    return () if data is None else _parse_number_formats(data)


# ----------------------------------------------------------------------------- the package
@dataclass
class Package:
    path: Path
    sheets: list[SheetInfo]
    names: tuple[DefinedName, ...]
    properties: dict[str, object]
    number_formats: tuple[str, ...]
    macros: bool
    external_links: bool
    data: bytes = field(default=b"", repr=False)  # the file as checked: every reader parses these bytes
    formulas: bool = False  # a sheet has a formula cell
    recalc: bool = False  # calcPr asks to recalculate on open
    connections: bool = False  # data connections or query tables


def _read_file(path: Path, lim: Limits) -> bytes:
    """The whole file, read once (at most max_file_mb): what was checked is what is parsed,
    even if the file on disk is swapped meanwhile."""
    try:
        with path.open("rb") as fh:
            data = fh.read(int(lim.max_file_mb * MB) + 1)
    except OSError as exc:  # said as one sentence naming the file (files.os_message)
        raise BookError(os_message(exc)) from None
    if len(data) > lim.max_file_mb * MB:
        raise PackageRefused("too_large", f"文件过大（超过 {lim.max_file_mb:g} MB）")
    return data


def _open_zip(data: bytes) -> zipfile.ZipFile:
    _refuse_by_header(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise PackageRefused("truncated", "文件不完整（压缩包结构损坏，可能未传输完整）") from None


def _check_directory(z: zipfile.ZipFile, lim: Limits) -> None:
    infos = z.infolist()
    if len(infos) > lim.max_parts:
        raise PackageRefused("too_large", f"压缩包内部件过多（{len(infos)}个，限制{lim.max_parts}个）")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise PackageRefused("encrypted", "文件已加密，请另存为未加密的工作簿")
        total += info.file_size
        if info.file_size > lim.max_part_mb * MB:
            raise PackageRefused("zip_bomb", f"文件中的 {info.filename} 解压后过大（{info.file_size / MB:.0f} MB），"
                                             "可能是恶意构造的文件，不予读取")
        if info.file_size > MB and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise PackageRefused("zip_bomb", f"文件中的 {info.filename} 压缩比异常"
                                             f"（{info.file_size // max(info.compress_size, 1)}倍），可能是恶意构造的文件，不予读取")
        if (_is_xml(info.filename) and not info.filename.startswith("xl/worksheets/")
                and info.file_size > lim.max_meta_mb * MB):
            raise PackageRefused("too_large", f"文件中的 {info.filename} 过大（{info.file_size / MB:.1f} MB，"
                                              f"限制 {lim.max_meta_mb:g} MB），不予读取；确属正常文件时可用 --limit 调整限制")
    if total > lim.max_total_mb * MB:
        raise PackageRefused("zip_bomb", f"文件解压后过大（{total / MB:.0f} MB，限制 {lim.max_total_mb:g} MB），不予读取")


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels", ".vml"))


def _bound_book(sheets: list[SheetInfo], lim: Limits) -> None:
    cells = sum(s.area for s in sheets)
    if cells > lim.max_book_cells:
        raise PackageRefused("too_large", f"工作簿过大（各工作表共{cells}个单元格，限制{lim.max_book_cells}个），不予读取；"
                                          "确属正常文件时可用 --limit 调整限制")
    merged = sum(s.merged_cells for s in sheets)
    if merged > lim.max_merged_cells:
        raise PackageRefused("too_large", f"工作簿过大（合并区域共{merged}个单元格，限制{lim.max_merged_cells}个），不予读取")


def open_package(path: Path, lim: Limits | None = None) -> Package:
    """Check ``path`` and read its metadata; raise PackageRefused (a BookError) with the reason.
    The file is read once; ``Package.data`` holds the bytes every later reader must use."""
    path = Path(path)
    lim = lim or limits()
    data = _read_file(path, lim)
    z = _open_zip(data)
    with z:
        _check_directory(z, lim)
        parts = {i.filename: i for i in z.infolist()}
        for name, info in parts.items():
            if (_is_xml(name) and not name.startswith("xl/worksheets/")
                    and name not in METADATA_PARTS):  # those are parsed whole below, DTDs refused
                _check_prolog(z, info)
        sheets, names, recalc = _workbook(z)
        for sheet in sheets:
            if sheet.part in parts:
                _scan_sheet(z, sheet, lim)
                _bound_book(sheets, lim)
        _shared_text(z, parts, sheets, lim)
        lower = [n.lower() for n in parts]
        return Package(path=path, sheets=sheets, names=names, properties=custom_properties(z),
                       number_formats=_number_formats(z), data=data,
                       macros=any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in lower),
                       external_links=any(n.startswith("xl/externallinks/") for n in lower),
                       formulas=any(s.formulas for s in sheets), recalc=recalc,
                       connections=any(n == "xl/connections.xml" or n.startswith("xl/querytables/") for n in lower))


_ACTIVE = [  # (attribute, code, why): an export carries none of these
    ("macros", "macros", "包含宏代码（vbaProject 或宏表）"),
    ("external_links", "external_links", "包含外部链接"),
    ("connections", "data_connections", "包含数据连接或查询表（打开时可能从别处取数）"),
]
_LIVE = [
    ("formulas", "formulas", "包含公式（打开时显示的是公式算出的值，而核验和汇总读到的是文件中保存的值）"),
    ("recalc", "recalc_on_open", "设置了打开时重新计算（fullCalcOnLoad）"),
]


def _refuse(pkg: Package, rules: list[tuple[str, str, str]]) -> None:
    for attr, code, why in rules:
        if getattr(pkg, attr):
            raise PackageRefused(code, f"{why}，不是锁定导出的文件；为安全起见不予读取，"
                                       "请要求单位用当前版本重新“锁定导出”")


def refuse_active_content(pkg: Package) -> None:
    """An exported workbook carries no macros, links or data connections: a file that does is
    not one of ours, and is not read at all."""
    _refuse(pkg, _ACTIVE)


def refuse_live_content(pkg: Package) -> None:
    """A sealed export holds values only: formulas or a forced recalculation would show in Excel
    what the formulas compute while the seal covers the stored values. (A draft may have both;
    it is listed as a draft and counts nowhere.)"""
    _refuse(pkg, _LIVE)
