"""What every check of a package from outside stands on: the limits (data), the refusals, and
safe reading of its XML parts (no DTD, UTF-8 only). package.py is the gate built on it;
sheets.py scans the worksheets."""
from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, fields, replace
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
    max_cells: int = 500_000         # cells of one sheet, and rows × columns of its grid
    max_book_cells: int = 500_000    # the same summed over every sheet (a reader holds them all)
    max_shared_strings: int = 200_000  # entries of the shared string table
    max_text_chars: int = 20_000_000  # shared strings as the cells repeat them, summed (expanded text)
    max_merged: int = 10_000         # merged ranges of one sheet
    max_merged_cells: int = 200_000  # cells inside merged ranges, summed over the workbook
    max_meta_mb: float = 10          # one XML part other than a sheet or the shared strings (styles.xml…)
    file_seconds: float = 10         # one reading command, or one file of collect, in its worker
    worker_mb: int = 500             # address space that reading one file may add in its worker


LIMIT_TEXT = {
    "max_file_mb": "文件大小（MB）", "max_total_mb": "解压后总大小（MB）", "max_part_mb": "单个部件解压后大小（MB）",
    "max_ratio": "压缩比", "max_parts": "压缩包内部件数", "max_rows": "工作表行数", "max_columns": "工作表列数",
    "max_cells": "工作表单元格数", "max_book_cells": "全部工作表单元格数", "max_shared_strings": "共享字符串条数",
    "max_text_chars": "共享字符串展开后总字数", "max_merged": "工作表合并区域数", "max_merged_cells": "合并区域内单元格总数",
    "max_meta_mb": "单个元数据部件大小（MB）", "file_seconds": "单个文件读取时间（秒）", "worker_mb": "读取进程内存（MB）",
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


def _refuse_by_header(data: bytes) -> None:
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise PackageRefused("not_workbook", "不是Excel工作簿（可能是PDF）")
    if head.startswith(OLE_MAGIC):
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


def _expat(part: str, namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses any DTD (no entity can be declared, none fetched); with
    ``namespaces``, tags arrive as "namespace-URI local-name"."""
    p = expat.ParserCreate(namespace_separator=" " if namespaces else None)
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
    """Parse a part only up to its root element: enough to see a DOCTYPE (entities, XXE) and
    the encoding."""
    try:
        with z.open(info) as fh:
            _utf8_only(info.filename, fh.read(256))
    except PackageRefused:
        raise
    except Exception as exc:
        raise _cannot_decompress(info.filename, exc) from None
    p = _expat(info.filename)

    def start(*_):
        raise _Stop

    p.StartElementHandler = start
    _feed(z, info, p, chunk=4096)


_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x2b\x2f\x76")  # UTF-16/32, UTF-7


def _utf8_only(name: str, head: bytes) -> None:
    """Every reader must see the same characters: a part is UTF-8 (what Excel, WPS, LibreOffice
    and openpyxl write) or it is refused. Expat guesses UTF-16 from a leading "<\\0" where a
    regular expression over bytes sees nothing; a declared encoding is a second way in."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    decl = _DECLARATION.match(head)
    enc = _ENCODING.search(decl.group()) if decl else None
    if (head.startswith(_BOMS) or b"\x00" in head[:4]
            or (enc and enc.group(1).lower() not in (b"utf-8", b"utf8"))):
        raise PackageRefused("not_utf8", f"文件中的 {name} 不是UTF-8编码（Excel、WPS、LibreOffice 均不会这样保存），"
                                         "可能是恶意构造的文件，不予读取")


_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")


# ----------------------------------------------------------------------------- metadata
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}


METADATA_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/custom.xml",
                  "[Content_Types].xml")


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
    _utf8_only(name, data[:256])
    try:
        _expat(name).Parse(data, True)
        return ET.fromstring(data)
    except (expat.ExpatError, ET.ParseError):
        raise PackageRefused("bad_xml", f"文件已损坏：{name} 不是有效的XML") from None
