"""The gate every workbook from outside passes before anything parses it.

A workbook is a zip of XML parts. Before openpyxl or calamine see a file, this module checks,
from the zip's central directory and by scanning the sheets' tags (no tree in memory): that it
is a zip at all (a PDF, an encrypted or old binary file, a truncated copy each
get their own Chinese reason), how many parts it has, how large they are uncompressed, how far
they were compressed (zip bombs), how large each sheet is (declared ``<dimension>``, the farthest
cell, the number of cells: one cell at XFD1048576 makes a reader allocate the whole grid), and
that no part declares XML entities (billion laughs, XXE). Macros and external links are
reported; whether they are refused depends on the command (an export never contains them).

The package metadata the bureau relies on (custom document properties, sheet names and states,
defined names) is read here too, as XML trees once expat has refused any DTD, never with
regular expressions: the XML may use any namespace prefix (openpyxl with lxml writes
``<vt:lpwstr xmlns:vt=…>``).

Limits are data (``LIMITS`` below, documented in docs/security.md) and can be overridden with
the environment variable ``PERFEVAL_LIMITS="max_rows=50000,max_total_mb=400"`` or the CLI
option ``--limit NAME=VALUE`` of every reading command.
"""
from __future__ import annotations

import os
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from xml.parsers import expat


class BookError(Exception):
    """A file that cannot be read as a workbook at all (exit code 2)."""


# ----------------------------------------------------------------------------- limits (data)
@dataclass(frozen=True)
class Limits:
    """What a workbook may be before we parse it. An official form is a few hundred rows of a
    dozen columns in a package of well under 1 MB; every limit leaves a wide margin."""

    max_file_mb: float = 50          # the file on disk
    max_total_mb: float = 200        # all parts, uncompressed
    max_part_mb: float = 100         # one part, uncompressed
    max_ratio: float = 200           # uncompressed / compressed, for parts above 1 MB
    max_parts: int = 2000            # entries in the zip
    max_rows: int = 50_000           # farthest row of a sheet
    max_columns: int = 1_000         # farthest column of a sheet
    max_cells: int = 2_000_000       # cells of one sheet, and rows × columns of its grid
    file_seconds: float = 30         # collect: one file's time in a worker
    worker_mb: int = 1536            # collect: address space of one worker process


LIMIT_TEXT = {
    "max_file_mb": "文件大小（MB）", "max_total_mb": "解压后总大小（MB）", "max_part_mb": "单个部件解压后大小（MB）",
    "max_ratio": "压缩比", "max_parts": "压缩包内部件数", "max_rows": "工作表行数", "max_columns": "工作表列数",
    "max_cells": "工作表单元格数", "file_seconds": "单个文件读取时间（秒）", "worker_mb": "读取进程内存（MB）",
}
ENV = "PERFEVAL_LIMITS"


def limits(overrides: str | None = None) -> Limits:
    """The limits in force: defaults, then ``PERFEVAL_LIMITS``, then ``overrides`` (same syntax)."""
    out = Limits()
    names = {f.name: f.type for f in fields(Limits)}
    for text in (os.environ.get(ENV, ""), overrides or ""):
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = item.partition("=")
            key = key.strip()
            if key not in names:
                raise BookError(f"未知的限制项：{key}（可用：{'、'.join(names)}）")
            try:
                out = replace(out, **{key: int(value) if names[key] == "int" else float(value)})
            except ValueError:
                raise BookError(f"限制项 {key} 的值“{value}”不是数字") from None
    return out


# ----------------------------------------------------------------------------- refusals
class PackageRefused(BookError):
    """The file is not read: ``code`` is a catalogue code, the message says why in Chinese."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE compound file with these streams (names stored in UTF-16).
_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))

MB = 1024 * 1024


def _refuse_by_header(path: Path, head: bytes, lim: Limits) -> None:
    if head.startswith(b"%PDF"):
        raise PackageRefused("not_workbook", "不是Excel工作簿（可能是PDF）")
    if head.startswith(OLE_MAGIC):
        with path.open("rb") as fh:
            data = fh.read(int(lim.max_file_mb * MB))
        if any(m in data for m in _ENCRYPTED_MARKERS):
            raise PackageRefused("encrypted", "文件已加密，请另存为未加密的工作簿")
        raise PackageRefused("old_format", "旧版Excel格式（.xls/.et），请在Excel或WPS中另存为.xlsx工作簿")
    if not head.startswith(b"PK"):
        if not head:
            raise PackageRefused("truncated", "文件不完整（文件为空）")
        raise PackageRefused("not_workbook", "不是Excel工作簿（文件内容不是xlsx格式）")


# ----------------------------------------------------------------------------- XML safety
class _Stop(Exception):
    pass


def _expat(part: str) -> expat.XMLParserType:
    """An expat parser that refuses any DTD (no entity can be declared, none fetched)."""
    p = expat.ParserCreate()
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*_):
        raise PackageRefused("xml_entities", f"文件中的 {part} 含有XML文档类型声明（可能是恶意构造的文件），不予读取")

    p.StartDoctypeDeclHandler = doctype
    p.EntityDeclHandler = doctype
    p.ExternalEntityRefHandler = doctype
    return p


def _feed(z: zipfile.ZipFile, info: zipfile.ZipInfo, parser, chunk: int = 1 << 16) -> None:
    """Stream one part into ``parser`` until it ends or a handler stops it."""
    try:
        with z.open(info) as fh:
            while True:
                data = fh.read(chunk)
                parser.Parse(data, not data)
                if not data:
                    break
    except _Stop:
        pass
    except expat.ExpatError as exc:
        raise PackageRefused("bad_xml", f"文件已损坏：{info.filename} 不是有效的XML（{expat.ErrorString(exc.code)}）") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:  # CRC error, truncated data
        raise _cannot_decompress(info.filename, exc) from None
    except Exception as exc:  # zlib.error and the like
        if isinstance(exc, PackageRefused):
            raise
        raise _cannot_decompress(info.filename) from None


def _cannot_decompress(name: str, exc: Exception | None = None) -> PackageRefused:
    why = f"：{type(exc).__name__}" if exc is not None else ""
    return PackageRefused("truncated", f"文件不完整（{name} 无法解压{why}）")


def _check_prolog(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Parse a part only up to its root element: enough to see a DOCTYPE (entities, XXE)."""
    p = _expat(info.filename)

    def start(*_):
        raise _Stop

    p.StartElementHandler = start
    _feed(z, info, p, chunk=4096)


# ----------------------------------------------------------------------------- sheets
_COL = re.compile(r"([A-Za-z]{1,3})(\d+)$")  # a cell reference such as XFD1048576 (not metadata)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(ref: str) -> tuple[int, int]:
    """``B12`` → (12, 2)."""
    m = _COL.match(ref.replace("$", ""))
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), _col_index(m.group(1))


@dataclass
class SheetInfo:
    name: str
    state: str  # visible / hidden / veryHidden
    part: str
    max_row: int = 0
    max_col: int = 0
    cells: int = 0
    styles: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) → xf index


def _too_big(sheet: SheetInfo, what: str) -> PackageRefused:
    return PackageRefused("too_large", f"工作表“{sheet.name}”过大（{what}），超出读取限制，不予读取；"
                                       f"确属正常文件时可用 --limit 调整限制")


def _bound(sheet: SheetInfo, lim: Limits, row: int, col: int) -> None:
    if row > lim.max_rows:
        raise _too_big(sheet, f"第{row}行，限制{lim.max_rows}行")
    if col > lim.max_columns:
        raise _too_big(sheet, f"第{col}列，限制{lim.max_columns}列")
    if row * col > lim.max_cells:
        raise _too_big(sheet, f"{row}行×{col}列")


def _bound_dimension(sheet: SheetInfo, lim: Limits, ref: str) -> None:
    last = ref.split(":")[-1].replace("$", "")
    if _COL.match(last):  # an unreadable one is not trusted: the cells decide
        _bound(sheet, lim, *parse_ref(last))


def _scan_sheet(z: zipfile.ZipFile, sheet: SheetInfo, lim: Limits) -> None:
    """A worksheet's declared dimension, farthest cell, cell count and cell styles, refused as
    soon as a limit passes. Plain sheets (every file Excel, WPS, LibreOffice or openpyxl writes)
    are read whole and scanned with regular expressions in C; any other sheet is streamed
    through expat with a callback per tag, ten times slower."""
    info = z.getinfo(sheet.part)
    if info.file_size <= PLAIN_PART_BYTES and _scan_plain(_read(z, sheet.part), sheet, lim):
        return
    _scan_streamed(z, info, sheet, lim)


# A plain sheet: UTF-8, with no DTD, comment, CDATA section or processing instruction after the
# XML declaration, no prefixed cell tags, and every cell tag in the one shape below. Any "<" there
# opens a tag for a reader as for a regular expression, except one inside a quoted attribute
# value of a malformed file, which a lenient reader skips: so the cells found are all those a
# reader sees, with their true position and style, plus at most such fakes; a fake that shares a
# cell's position could lend it its style, so two cells at one position make the sheet not plain.
PLAIN_PART_BYTES = 8 * MB
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_MARKUP = re.compile(rb"<[!?]")  # DTD, comment, CDATA, processing instruction
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # (two searches: an alternation is three times slower)
_ANY_CELL = re.compile(rb"<c[\s/>]")
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,9})")?(?: t="[a-zA-Z]{1,9}")?'
                         rb'(?: (?:cm|vm)="[0-9]{1,9}"| ph="[01]")* ?/?>')
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^<]*?\bref\s*=\s*["\']([^"\']*)')


class _Columns(dict):
    """b"AB" → 28, computed once per process for each column met."""

    def __missing__(self, letters: bytes) -> int:
        self[letters] = n = _col_index(letters.decode())
        return n


_COLUMNS = _Columns()


def _plain_cells(data: bytes) -> list[tuple[bytes, bytes, bytes]] | None:
    """(column letters, row, style) of every cell of a plain sheet; None when it is not plain."""
    decl = _DECLARATION.match(data)
    if decl:
        enc = _ENCODING.search(decl.group())
        if enc and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
    elif not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None  # UTF-16 and other encodings
    if _MARKUP.search(data, decl.end() if decl else 0) or _PREFIXED_CELL.search(data):
        return None
    cells = _PLAIN_CELL.findall(data)
    if len(cells) != len(_ANY_CELL.findall(data)):  # a cell without "r", attributes in another order…
        return None
    if len({(letters, row) for letters, row, _ in cells}) != len(cells):
        return None
    return cells


def _scan_plain(data: bytes, sheet: SheetInfo, lim: Limits) -> bool:
    """Scan a plain sheet; False when it is not one."""
    cells = _plain_cells(data)
    if cells is None:
        return False
    if len(cells) > lim.max_cells:
        raise _too_big(sheet, f"超过{lim.max_cells}个单元格")
    dimension = _DIMENSION.search(data)
    if dimension:
        _bound_dimension(sheet, lim, dimension.group(1).decode("ascii", "replace"))
    max_row = max_col = 0
    styles = sheet.styles
    for letters, row, style in cells:
        col, row = _COLUMNS[letters], int(row)
        if row > max_row:
            max_row = row
        if col > max_col:
            max_col = col
        if style:
            styles[(row, col)] = int(style)
    _bound(sheet, lim, max_row, max_col)
    sheet.max_row, sheet.max_col, sheet.cells = max_row, max_col, len(cells)
    return True


def _scan_streamed(z: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: SheetInfo, lim: Limits) -> None:
    """Stream a worksheet's tags through expat: any encoding, prefix or attribute order;
    refuses as soon as a limit is passed, long before the part is read to its end."""
    p = _expat(sheet.part)
    pos = {"row": 0, "col": 0}

    def start(tag: str, attrs: dict) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                row, col = cell_position(ref)
            else:  # position implied by the previous cell
                row, col = pos["row"] or 1, pos["col"] + 1
            pos["row"], pos["col"] = row, col
            if row > sheet.max_row or col > sheet.max_col:
                sheet.max_row, sheet.max_col = max(row, sheet.max_row), max(col, sheet.max_col)
                _bound(sheet, lim, sheet.max_row, sheet.max_col)
            sheet.cells += 1
            if sheet.cells > lim.max_cells:
                raise _too_big(sheet, f"超过{lim.max_cells}个单元格")
            s = attrs.get("s")
            if s:
                sheet.styles[(row, col)] = int(s)
        elif tag == "row":  # bounds its cells without "r"; a row without cells costs a reader nothing
            r = attrs.get("r")
            pos["row"], pos["col"] = (int(r) if r else pos["row"] + 1), 0
        elif tag == "dimension":
            _bound_dimension(sheet, lim, attrs.get("ref", "A1"))

    def cell_position(ref: str) -> tuple[int, int]:
        m = _COL.match(ref)
        if not m:
            raise PackageRefused("bad_xml", f"文件已损坏：工作表“{sheet.name}”中有无法识别的单元格地址“{ref[:20]}”")
        letters = m.group(1)
        col = ord(letters.upper()) - 64 if len(letters) == 1 else _col_index(letters)
        return int(m.group(2)), col

    p.StartElementHandler = start
    p.buffer_text = True
    _feed(z, info, p)


# ----------------------------------------------------------------------------- metadata
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}


METADATA_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/custom.xml")


def _read(z: zipfile.ZipFile, name: str) -> bytes | None:
    """A part's bytes, None when there is no such part."""
    try:
        return z.read(name)
    except KeyError:
        return None
    except Exception as exc:  # CRC error, truncated data, zlib.error
        raise _cannot_decompress(name, exc) from None


def _tree(name: str, data: bytes) -> ET.Element:
    """A metadata part as an element tree. Any DTD is refused first by expat (in C, with a
    handler for the declaration only); without a DTD no entity can be declared, so the tree is
    then built by ElementTree's C parser rather than defusedxml's Python one."""
    try:
        _expat(name).Parse(data, True)
        return ET.fromstring(data)
    except (expat.ExpatError, ET.ParseError):
        raise PackageRefused("bad_xml", f"文件已损坏：{name} 不是有效的XML") from None


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
                                                                 tuple[DefinedName, ...]]:
    """(sheet name, state, part) of each sheet, and the defined names."""
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
    return tuple(sheets), tuple(names)


def _workbook(z: zipfile.ZipFile) -> tuple[list[SheetInfo], tuple[DefinedName, ...]]:
    data = _read(z, "xl/workbook.xml")
    if data is None:
        raise PackageRefused("not_workbook", "不是Excel工作簿（缺少 xl/workbook.xml）")
    sheets, names = _parse_workbook(data, _read(z, "xl/_rels/workbook.xml.rels"))
    return [SheetInfo(name, state, part) for name, state, part in sheets], names


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


def _open_zip(path: Path, lim: Limits) -> zipfile.ZipFile:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BookError(f"文件不存在：{path}") from None
    except OSError as exc:
        raise PackageRefused("unreadable", f"无法读取文件：{exc.strerror or exc}") from None
    if size > lim.max_file_mb * MB:
        raise PackageRefused("too_large", f"文件过大（{size / MB:.1f} MB，限制 {lim.max_file_mb:g} MB）")
    with path.open("rb") as fh:
        head = fh.read(8)
    _refuse_by_header(path, head, lim)
    try:
        return zipfile.ZipFile(path)
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
    if total > lim.max_total_mb * MB:
        raise PackageRefused("zip_bomb", f"文件解压后过大（{total / MB:.0f} MB，限制 {lim.max_total_mb:g} MB），不予读取")


def open_package(path: Path, lim: Limits | None = None) -> Package:
    """Check ``path`` and read its metadata; raise PackageRefused (a BookError) with the reason."""
    path = Path(path)
    lim = lim or limits()
    z = _open_zip(path, lim)
    with z:
        _check_directory(z, lim)
        parts = {i.filename: i for i in z.infolist()}
        for name, info in parts.items():
            if (name.endswith((".xml", ".rels", ".vml")) and not name.startswith("xl/worksheets/")
                    and name not in METADATA_PARTS):  # those are parsed whole below, DTDs refused
                _check_prolog(z, info)
        sheets, names = _workbook(z)
        for sheet in sheets:
            if sheet.part in parts:
                _scan_sheet(z, sheet, lim)
        return Package(path=path, sheets=sheets, names=names, properties=custom_properties(z),
                       number_formats=_number_formats(z),
                       macros=any(n.lower().endswith("vbaproject.bin") for n in parts),
                       external_links=any(n.startswith("xl/externalLinks/") for n in parts))


def refuse_active_content(pkg: Package) -> None:
    """An exported workbook never carries macros or links: a file that does is not one of ours."""
    if pkg.macros:
        raise PackageRefused("macros", "包含宏代码（vbaProject），不是锁定导出的文件；为安全起见不予读取，请要求单位重新“锁定导出”")
    if pkg.external_links:
        raise PackageRefused("external_links", "包含外部链接，不是锁定导出的文件；不予读取，请要求单位重新“锁定导出”")
