"""Write a Draft as a Word file laid out in 公文 practice (GB/T 9704-2012).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 22 lines of 28 characters, so
body lines are exactly 28.95 pt apart. Title 方正小标宋简体 二号 (22 pt); 一级标题 黑体 三号;
二级标题 楷体_GB2312 三号; body 仿宋_GB2312 三号 (16 pt) indented two characters; page numbers
“— 1 —” in 宋体 四号, odd pages right, even pages left. The Chinese fonts are set as w:eastAsia
(Latin letters and digits in Times New Roman), and the font table names an installed alternative
for each (w:altName: 仿宋, 楷体, 宋体…) that Word uses where the GB2312 fonts are missing.
Placeholders 【请填写：…】 are highlighted yellow. (Named word.py, not docx.py, so that
``import docx`` always means python-docx.)
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from perfeval_xl.files import write_zip
from perfeval_xl.report.draft import PLACEHOLDER, Block, Draft

LATIN = "Times New Roman"
TITLE, HEADING, SUB, BODY, PAGE_NO = "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体"
# font → (installed alternative Word substitutes when it is missing, family for other programs)
ALT_NAMES = {TITLE: ("华文中宋", "roman"), HEADING: ("SimHei", "swiss"), SUB: ("楷体", "roman"),
             BODY: ("仿宋", "roman"), PAGE_NO: ("SimSun", "roman")}
LINE = 28.95  # pt: 225 mm of text height / 22 lines
_PLACEHOLDER = re.compile(f"({re.escape(PLACEHOLDER)}[^】]*】)")


def _fonts(element, east_asia: str, size: float | None = None, bold: bool = False) -> None:
    """Fonts of a style or run: Chinese in ``east_asia``, Latin in Times New Roman, no theme fonts."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]  # theme fonts would override the names below
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:cs"), LATIN)
    fonts.set(qn("w:eastAsia"), east_asia)
    for tag in ("w:color", "w:b", "w:bCs", "w:i"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    if bold:
        rpr.append(rpr.makeelement(qn("w:b"), {}))
    if size:
        rpr.get_or_add_sz().set(qn("w:val"), str(int(size * 2)))  # half-points
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")  # lets Word and LibreOffice pick Simplified Chinese glyphs


def _style(doc, name: str, font: str, size: float, *, align=None, indent: bool = True, exact: bool = True,
           before: float = 0, after: float = 0):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    style = doc.styles[name]
    _fonts(style.element, font, size)
    pf = style.paragraph_format
    pf.alignment = align
    pf.first_line_indent = Pt(size * 2) if indent else Pt(0)
    pf.left_indent = pf.right_indent = Pt(0)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.keep_with_next = name.startswith("Heading") or name == "Title"
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(LINE)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return style


def _setup(doc) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    s = doc.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    s.header_distance, s.footer_distance = Mm(15), Mm(28) - Mm(21)  # page number 7 mm below the text
    _style(doc, "Normal", BODY, 16)
    _style(doc, "Title", TITLE, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, exact=False, after=LINE)
    _drop_border(doc.styles["Title"])
    _style(doc, "Subtitle", SUB, 16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _style(doc, "Heading 1", HEADING, 16)
    _style(doc, "Heading 2", SUB, 16)
    _style(doc, "Caption", BODY, 14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, exact=False)
    _page_numbers(doc)
    _font_table(doc)


def _font_table(doc) -> None:
    """Declare the Chinese fonts in word/fontTable.xml with their alternatives (w:altName),
    GB2312 charset and family, so a machine without 仿宋_GB2312 shows 仿宋, not a default face."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
        for name, (alt, family) in ALT_NAMES.items())
    part._blob = part.blob.replace(b"</w:fonts>", entries.encode("utf-8") + b"</w:fonts>")


def _drop_border(style) -> None:
    from docx.oxml.ns import qn

    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:pBdr")):
        ppr.remove(old)


def _page_numbers(doc) -> None:
    """“— 1 —” in 宋体 四号: odd pages right, even pages left, one character in from the edge."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    s = doc.sections[0]
    for footer, align in ((s.footer, WD_ALIGN_PARAGRAPH.RIGHT), (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        pf = p.paragraph_format
        pf.first_line_indent = Pt(0)
        pf.left_indent = pf.right_indent = Pt(14)
        for text in ("— ", None, " —"):
            if text is None:
                p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
                _fonts(p._p[-1][0], PAGE_NO, 14)
            else:
                _fonts(p.add_run(text)._r, PAGE_NO, 14)


def _runs(paragraph, text: str) -> None:
    """Text with its placeholders highlighted, so the unit finds what is left to write."""
    from docx.enum.text import WD_COLOR_INDEX

    for piece in _PLACEHOLDER.split(text):
        if piece:
            run = paragraph.add_run(piece)
            if piece.startswith(PLACEHOLDER):
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _table(doc, rows: list[list[str]], widths: list[float] | None = None) -> None:
    """A centred grid; ``widths`` in mm per column (Word's equal columns otherwise)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, width in enumerate(widths or []):  # the grid (LibreOffice) and each cell (Word)
        table.autofit = False
        table.columns[c].width = Mm(width)
        for cell in table.columns[c].cells:
            cell.width = Mm(width)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            p = table.cell(r, c).paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            pf = p.paragraph_format
            pf.first_line_indent = Pt(0)
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
            pf.space_before = pf.space_after = Pt(3)
            run = p.add_run(value)
            _fonts(run._r, HEADING if r == 0 else BODY, 14)


def _chart(doc, block: Block) -> None:
    from docx.shared import Mm, Pt

    from perfeval_xl.report.chart import render

    png = render(block.chart)
    if png is None:
        doc.add_paragraph(f"（本机未找到中文字体，未生成“{block.chart.title}”图。）")
        return
    p = doc.add_paragraph(style="Caption")
    p.paragraph_format.space_before = Pt(6)
    p.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    doc.add_paragraph(f"图  {block.chart.title}", style="Caption")


def document(draft: Draft):
    """The python-docx Document of a draft."""
    import docx
    from docx.enum.text import WD_BREAK

    doc = docx.Document()
    _setup(doc)
    doc.core_properties.author = "perfeval-xl"
    doc.core_properties.comments = "由工作簿数字生成的自评报告初稿，【请填写：…】处由单位填写"
    doc.core_properties.title = next((b.text for b in draft.blocks if b.kind == "title"), "")
    styles = {"title": "Title", "line": "Subtitle", "heading": "Heading 1", "sub": "Heading 2", "para": "Normal"}
    for block in draft.blocks:
        if block.kind == "table":
            _table(doc, block.rows, block.widths)
        elif block.kind == "chart":
            _chart(doc, block)
        elif block.kind == "page_break":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            _runs(doc.add_paragraph(style=styles[block.kind]), block.text)
    return doc


def _reproducible(entries: dict[str, bytes]) -> dict[str, bytes]:
    """No thumbnail of python-docx's own template; nothing else changes between two runs."""
    entries.pop("docProps/thumbnail.jpeg", None)
    entries["_rels/.rels"] = re.sub(rb"<Relationship [^>]*thumbnail\.jpeg\"/>", b"", entries["_rels/.rels"])
    return entries


def write(draft: Draft, path: Path) -> Path:
    """Write the draft to ``path`` atomically; the same draft gives the same bytes."""
    buf = io.BytesIO()
    document(draft).save(buf)
    with zipfile.ZipFile(buf) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    return write_zip(Path(path), _reproducible(entries))
