"""The worksheets of a package from outside, scanned before any reader sees them: extent,
cells, styles, formulas, merged ranges and namespaces (plain sheets with regular expressions in
C, any other sheet streamed through expat), and the shared string table they show."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

from perfeval_xl.book.parts import (MB, NS, Limits, PackageRefused, _DECLARATION, _ENCODING, _expat, _feed,
                                      _read, _tree, _utf8_only)

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
    formulas: bool = False  # a cell carries a formula (<f>)
    shared_cells: int = 0  # cells that show a shared string (t="s")
    merged: int = 0  # merged ranges
    merged_cells: int = 0  # cells inside them
    plain: bool = False  # scanned by the fast path (its shared string cells can be read again)

    @property
    def area(self) -> int:
        """What a reader holds for this sheet: its grid from A1, or its cells if more."""
        return max(self.cells, self.max_row * self.max_col)


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


@lru_cache(maxsize=8192)  # the same few hundred ranges in every export of a template
def merge_area(ref: str) -> int:
    """Cells covered by a merged range such as ``A1:C2`` (6); 0 when unreadable (openpyxl then
    refuses the file itself)."""
    first, _, last = ref.replace("$", "").partition(":")
    if not (_COL.match(first) and _COL.match(last or first)):
        return 0
    (r1, c1), (r2, c2) = parse_ref(first), parse_ref(last or first)
    return (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)


def _bound_merges(sheet: SheetInfo, lim: Limits, refs: list[str]) -> None:
    """A merged range makes openpyxl create one object per covered cell: count them."""
    sheet.merged += len(refs)
    sheet.merged_cells += sum(map(merge_area, refs))
    if sheet.merged > lim.max_merged:
        raise _too_big(sheet, f"超过{lim.max_merged}个合并区域")
    if sheet.merged_cells > lim.max_merged_cells:
        raise _too_big(sheet, f"合并区域共{sheet.merged_cells}个单元格，限制{lim.max_merged_cells}个")


def _scan_sheet(z: zipfile.ZipFile, sheet: SheetInfo, lim: Limits) -> None:
    """A worksheet's declared dimension, farthest cell, cell count and cell styles, refused as
    soon as a limit passes. Plain sheets (every file Excel, WPS, LibreOffice or openpyxl writes)
    are read whole and scanned with regular expressions in C; any other sheet is streamed
    through expat with a callback per tag, ten times slower."""
    info = z.getinfo(sheet.part)
    if info.file_size <= PLAIN_PART_BYTES:
        data = _read(z, sheet.part)
        _utf8_only(sheet.part, data[:256])
        if _scan_plain(data, sheet, lim):
            return
    else:
        with z.open(info) as fh:
            _utf8_only(sheet.part, fh.read(256))
    _scan_streamed(z, info, sheet, lim)


# A plain sheet: UTF-8, with no DTD, comment, CDATA section or processing instruction after the
# XML declaration, no prefixed cell tags, every cell tag in the one shape below, and the main
# SpreadsheetML namespace as the root's default with no other declaration and no prefixed tag up
# to the end of the cells (so that every cell is in that namespace, as LibreOffice requires and calamine assumes).
# Any "<" there opens a tag for a reader as for a regular expression, except one inside a quoted
# attribute value of a malformed file, which a lenient reader skips: so the cells found are all
# those a reader sees, with their true position and style, plus at most such fakes; a fake that
# shares a cell's position could lend it its style, so two cells at one position make the sheet
# not plain.
PLAIN_PART_BYTES = 8 * MB
_MARKUP = re.compile(rb"<[!?]")  # DTD, comment, CDATA, processing instruction
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # (two searches: an alternation is three times slower)
_ANY_CELL = re.compile(rb"<c[\s/>]")
_PREFIXED_TAG = re.compile(rb"</?[A-Za-z_][\w.\-]*:")
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,9})")?(?: t="[a-zA-Z]{1,9}")?'
                         rb'(?: (?:cm|vm)="[0-9]{1,9}"| ph="[01]")* ?/?>')
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^<]*?\bref\s*=\s*["\']([^"\']*)')
_ROOT = re.compile(rb"\s*<worksheet\s[^>]*>")
_MAIN_DEFAULT = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]")
_ANY_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell[\s/>]")
_PLAIN_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"\s*/>')
_SHARED_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,9}")? t="s"[^>]*><v>([0-9]{1,9})</v>')


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
    root = _ROOT.match(data, decl.end() if decl else data.find(b"<"))
    if not root or _MAIN_DEFAULT not in root.group():
        return None
    end = data.find(b"</sheetData>", root.end())
    end = end if end >= 0 else len(data)
    if data.find(b"xmlns", root.end(), end) >= 0 or _PREFIXED_TAG.search(data, root.end(), end):
        return None  # a namespace declared or a prefix used among the cells: it may not be the main one
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
    end = max(data.rfind(b"</sheetData>"), 0)  # merged ranges come after the cells
    merges = _PLAIN_MERGE.findall(data, end)
    if len(merges) != len(_ANY_MERGE.findall(data, end)):
        return False
    if len(cells) > lim.max_cells:
        raise _too_big(sheet, f"超过{lim.max_cells}个单元格")
    dimension = _DIMENSION.search(data)
    if dimension:
        _bound_dimension(sheet, lim, dimension.group(1).decode("ascii", "replace"))
    _bound_merges(sheet, lim, [ref.decode("ascii") for ref in merges])
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
    sheet.formulas = _FORMULA.search(data, 0, end or len(data)) is not None
    sheet.shared_cells = data.count(b' t="s"')
    sheet.plain = True
    return True


_CELL_TAGS = frozenset(("sheetData", "row", "c"))


def _scan_streamed(z: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: SheetInfo, lim: Limits) -> None:
    """Stream a worksheet's tags through expat: any prefix or attribute order; refuses as soon
    as a limit is passed, long before the part is read to its end, and refuses a cell (or
    anything among the cells) outside the main SpreadsheetML namespace."""
    p = _expat(sheet.part, namespaces=True)
    pos = {"row": 0, "col": 0, "cells": False}

    def start(tag: str, attrs: dict) -> None:
        ns, _, tag = tag.rpartition(" ")
        if ns != NS["m"] and (pos["cells"] or tag in _CELL_TAGS):
            raise PackageRefused("foreign_namespace", f"工作表“{sheet.name}”的单元格中有非标准命名空间的内容"
                                                      "（不同软件读出的值会不同），不予读取")
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
            if attrs.get("t") == "s":
                sheet.shared_cells += 1
        elif tag == "row":  # bounds its cells without "r"; a row without cells costs a reader nothing
            r = attrs.get("r")
            pos["row"], pos["col"] = (int(r) if r else pos["row"] + 1), 0
        elif tag == "f":
            sheet.formulas = sheet.formulas or pos["cells"]
        elif tag == "sheetData":
            pos["cells"] = True
        elif tag == "dimension":
            _bound_dimension(sheet, lim, attrs.get("ref", "A1"))
        elif tag == "mergeCell":
            _bound_merges(sheet, lim, [attrs.get("ref", "")])

    def end(tag: str) -> None:
        if tag.endswith("sheetData"):
            pos["cells"] = False

    def cell_position(ref: str) -> tuple[int, int]:
        m = _COL.match(ref)
        if not m:
            raise PackageRefused("bad_xml", f"文件已损坏：工作表“{sheet.name}”中有无法识别的单元格地址“{ref[:20]}”")
        letters = m.group(1)
        col = ord(letters.upper()) - 64 if len(letters) == 1 else _col_index(letters)
        return int(m.group(2)), col

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.buffer_text = True
    _feed(z, info, p)


def _shared_text(z: zipfile.ZipFile, parts: dict, sheets: list[SheetInfo], lim: Limits) -> None:
    """The shared string table: its entries counted, and the text the cells make of it (one
    string shown in 200,000 cells is 200,000 strings to a reader) bounded. The exact sum is
    computed only when the quick bound (cells × longest string) passes the limit."""
    for info in _shared_parts(z, parts):
        _bound_shared(z, info, sheets, lim)


def _shared_parts(z: zipfile.ZipFile, parts: dict) -> list[zipfile.ZipInfo]:
    """The shared string table wherever a reader looks for it: calamine by its usual name,
    openpyxl by its content type, which may name any part."""
    types = _read(z, "[Content_Types].xml")
    names = _shared_names(types) if types is not None else ("xl/sharedStrings.xml",)
    return [parts[n] for n in names if n in parts]


@lru_cache(maxsize=16)  # the same [Content_Types].xml in every export of a template
def _shared_names(types: bytes) -> tuple[str, ...]:
    names = {"xl/sharedStrings.xml"}
    for el in _tree("[Content_Types].xml", types):
        if el.get("ContentType", "").endswith("sharedStrings+xml"):
            names.add(el.get("PartName", "").lstrip("/"))
    return tuple(sorted(names))


def _bound_shared(z: zipfile.ZipFile, info: zipfile.ZipInfo, sheets: list[SheetInfo], lim: Limits) -> None:
    data = _read(z, info.filename)
    count = sum(1 for _ in _SHARED_ENTRY.finditer(data))
    if count > lim.max_shared_strings:
        raise PackageRefused("too_large", f"共享字符串过多（{count}条，限制{lim.max_shared_strings}条），不予读取；"
                                          "确属正常文件时可用 --limit 调整限制")
    cells = sum(s.shared_cells for s in sheets)
    if not cells or cells * len(data) <= lim.max_text_chars:
        return
    lengths = [len("".join(si.itertext())) for si in _tree(info.filename, data)]
    longest = max(lengths, default=0)
    total = 0
    for sheet in sheets:
        found = _SHARED_CELL.findall(_read(z, sheet.part)) if sheet.plain and sheet.shared_cells else []
        if len(found) == sheet.shared_cells:  # every such cell seen: the exact sum
            total += sum(lengths[int(i)] if int(i) < len(lengths) else 0 for i in found)
        else:
            total += sheet.shared_cells * longest
        if total > lim.max_text_chars:
            raise PackageRefused("too_large", f"共享字符串展开后过大（超过{lim.max_text_chars}字），不予读取；"
                                              "确属正常文件时可用 --limit 调整限制")


_SHARED_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si[\s/>]")
