"""The package gate's two sheet scans agree. Plain sheets are scanned with regular expressions
(book/package.py says why that is exact for them); every other sheet goes through expat. Here
both scan the same XML: where the fast scan accepts a sheet, it finds what expat finds; where a
sheet is unusual (comments, CDATA, prefixes, reordered or quoted attributes, entities, other
encodings, a fake cell inside an attribute value), the fast scan declines and expat decides."""
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from perfeval_xl.book import package as pk
from perfeval_xl.book import sheets
from perfeval_xl.book import parts


# Excel declares the prefixes it uses (x14ac) on the root; a namespace-aware reader needs them
NS = (b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"')
PART = "xl/worksheets/sheet1.xml"


def sheet_xml(body: bytes, decl: bytes = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n') -> bytes:
    return decl + b"<worksheet " + NS + b"><sheetData>" + body + b"</sheetData></worksheet>"


def streamed(data: bytes, lim: pk.Limits):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(PART, data)
    sheet = pk.SheetInfo("表", "visible", PART)
    with zipfile.ZipFile(buf) as z:
        sheets._scan_streamed(z, z.getinfo(PART), sheet, lim)
    return sheet


def fast(data: bytes, lim: pk.Limits):
    sheet = pk.SheetInfo("表", "visible", PART)
    return sheet if sheets._scan_plain(data, sheet, lim) else None


def outcome(scan, data: bytes, lim: pk.Limits | None = None):
    """What a scan concludes: (farthest row, column, cell count, styles), or the refusal code."""
    try:
        s = scan(data, lim or pk.Limits())
    except pk.PackageRefused as exc:
        return exc.code
    return s if s is None else (s.max_row, s.max_col, s.cells, s.styles, s.formulas, s.shared_cells, s.merged,
                                s.merged_cells)


PLAIN = {
    "openpyxl": b'<row r="1"><c r="A1" s="1" t="inlineStr"><is><t>x</t></is></c><c r="B1" t="n"><v>1</v></c></row>'
                b'<row r="3"><c r="C3" s="12"/></row>',
    "Excel": b'<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" s="3" t="s"><v>0</v></c>'
             b'<c r="AB1" s="4"><v>0.85</v></c><c r="C1" t="str" cm="1"><f>A1</f><v>x</v></c></row>',
    "LibreOffice": b'<row r="2" customFormat="false" ht="12.8" hidden="false"><c r="A2" s="0" t="n"><v>1</v></c></row>',
    "no cells": b'<row r="5"/>',
    "shared strings and a formula": b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><f>A2</f><v>1</v></c></row>',
    "text that looks like a tag": b'<row r="1"><c r="A1" t="inlineStr"><is><t>a &lt;c r="Z9" s="5"/&gt; b</t></is></c></row>',
}


@pytest.mark.parametrize("name", PLAIN)
def test_plain_sheets_scan_alike(name):
    data = sheet_xml(PLAIN[name])
    assert outcome(fast, data) == outcome(streamed, data) != "bad_xml"
    assert outcome(fast, data) is not None


UNUSUAL = {
    "comment hiding a cell": b'<row r="1"><c r="A1" s="2"><v>1</v></c><!--<c r="A1" s="9"/>--></row>',
    "CDATA": b'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c r="XFD1" s="1"/>]]></t></is></c></row>',
    "processing instruction": b'<row r="1"><?pi <c r="A1" s="3"/>?><c r="A1"><v>1</v></c></row>',
    "prefixed cells": b'<row r="1"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="A1" s="2"/></row>',
    "style after type": b'<row r="1"><c r="A1" t="n" s="7"><v>1</v></c></row>',
    "cell without r": b'<row r="4"><c s="7"><v>1</v></c><c><v>2</v></c></row>',
    "entity in style": b'<row r="1"><c r="A1" s="&#55;"><v>1</v></c></row>',
    "single quotes": b"<row r='1'><c r='B2' s='3'><v>1</v></c></row>",
    "lower-case column": b'<row r="1"><c r="b2" s="3"><v>1</v></c></row>',
    "unknown attribute": b'<row r="1"><c r="A1" s="3" foo="1"><v>1</v></c></row>',
    "two cells at one place": b'<row r="1"><c r="A1" s="3"><v>1</v></c><c r="A1" s="4"><v>2</v></c></row>',
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_sheets_go_to_expat(name):
    assert outcome(fast, sheet_xml(UNUSUAL[name])) is None


def test_other_encodings_go_to_expat():
    text = sheet_xml(PLAIN["openpyxl"], b'<?xml version="1.0" encoding="UTF-16"?>').decode()
    assert outcome(fast, text.encode("utf-16")) is None
    assert outcome(streamed, text.encode("utf-16")) == outcome(fast, sheet_xml(PLAIN["openpyxl"]))
    latin = sheet_xml(PLAIN["openpyxl"], b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert outcome(fast, latin) is None


def test_a_fake_cell_in_an_attribute_value_cannot_lend_its_style():
    """Malformed XML that a lenient reader may accept: the fake shares the real cell's place."""
    forged = b'<row r="1"><c r="B5" s="8"><v>1</v></c></row><row r="2" x="a>b<c r="B5" s="7"/>"/>'
    assert outcome(fast, sheet_xml(forged)) is None
    assert outcome(streamed, sheet_xml(forged)) == "bad_xml"


def test_a_far_fake_cell_is_refused_not_ignored():
    forged = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2" x="a>b<c r="XFD1048576"/>"/>'
    assert outcome(fast, sheet_xml(forged)) == "too_large"


@pytest.mark.parametrize("body", [
    b'<row r="60000"><c r="A60000"><v>1</v></c></row>',
    b'<row r="1"><c r="ALM1"><v>1</v></c></row>',
    b'<row r="1"><c r="A1"/><c r="AZ50000"/></row>',
])
def test_limits_refuse_in_both_scans(body):
    data = sheet_xml(body)
    assert outcome(fast, data) == outcome(streamed, data) == "too_large"


def test_a_declared_dimension_is_bounded_in_both_scans():
    data = sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>').replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    assert outcome(fast, data) == outcome(streamed, data) == "too_large"


_cell = st.tuples(st.integers(1, 300), st.integers(1, 800), st.one_of(st.none(), st.integers(0, 40)),
                  st.sampled_from([b"", b' t="n"', b' t="s"', b' t="inlineStr"']))


@settings(max_examples=300, deadline=None)
@given(st.lists(_cell, max_size=40), st.integers(1, 3))
def test_random_plain_sheets_scan_alike(cells, cells_limit):
    """Any set of cells written as Excel, WPS, LibreOffice or openpyxl write them, with limits
    tight enough that some sheets are refused: both scans conclude the same."""
    body = b"".join(b'<row r="%d"><c r="%s%d"%s%s><v>1</v></c></row>'
                    % (r, get_column_letter(c).encode(), r, b' s="%d"' % s if s is not None else b"", t)
                    for r, c, s, t in dict(((r, c), (r, c, s, t)) for r, c, s, t in cells).values())
    lim = pk.Limits(max_rows=250, max_columns=700, max_cells=cells_limit * 60_000)
    data = sheet_xml(body)
    assert outcome(fast, data, lim) == outcome(streamed, data, lim)


def test_exports_are_plain(example_export):
    """What this tool exports takes the fast scan: the speed figures are about real files."""
    out = example_export.path
    with zipfile.ZipFile(out) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert names and all(sheets._plain_cells(z.read(n)) is not None for n in names)


def test_merged_ranges_are_counted_alike_and_bounded():
    merges = b'<mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="C3:C9"/></mergeCells>'
    data = sheet_xml(PLAIN["openpyxl"]).replace(b"</worksheet>", merges + b"</worksheet>")
    assert outcome(fast, data) == outcome(streamed, data) and outcome(fast, data)[-2:] == (2, 4 + 7)
    huge = data.replace(b"C3:C9", b"A60:ALL50000")
    assert outcome(fast, huge) == outcome(streamed, huge) == "too_large"


@pytest.mark.parametrize("body", [
    b'<row r="1"><c xmlns="urn:x-other" r="A1"><v>1</v></c></row>',
    b'<row r="1"><c r="A1"><v xmlns="urn:x-other">1</v></c></row>',
    b'<row xmlns="urn:x-other" r="1"><c r="A1"><v>1</v></c></row>',
    b'<row r="1"><x:c xmlns:x="urn:x-other" r="A1"><x:v>1</x:v></x:c></row>',
    b'<row r="1"><c r="A1"><x14ac:v>1</x14ac:v></c></row>',  # a prefix the root declares, not the main one
])
def test_cells_outside_the_main_namespace_are_refused(body):
    data = sheet_xml(body)
    assert outcome(fast, data) is None and outcome(streamed, data) == "foreign_namespace"


@pytest.mark.parametrize("head", [b"\xff\xfe", b"", b"\xef\xbb\xbf"])
def test_parts_that_are_not_utf8_are_refused(head):
    text = sheet_xml(PLAIN["openpyxl"], b'<?xml version="1.0" encoding="UTF-16"?>').decode()
    for data in (head + text.encode("utf-16-le"), head + text.encode("utf-8")):
        with pytest.raises(pk.PackageRefused) as refused:
            parts._utf8_only(PART, data[:256])
        assert refused.value.code == "not_utf8"
    parts._utf8_only(PART, head.replace(b"\xff\xfe", b"") + sheet_xml(b""))  # UTF-8, with or without a BOM
