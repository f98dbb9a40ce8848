"""Print whole: row heights from the text they hold, and page breaks that keep merged blocks.

Excel grows a row to fit wrapped text as it is typed, except where the text sits in merged
cells; LibreOffice does not autofit rows when it opens a file; a protected export cannot be
resized by its reader. So every file we write gets heights computed here, from the text, the
font size and the merged width (template rows with unmerged inputs are left to Excel):

- width is in Excel's column units (the width of "0" in the 11-point default font): a CJK or
  full-width character takes about 2 units, any other character 1, both scaled by size / 11;
- a wrapped text needs one line per ``ceil(units / usable width)`` of each paragraph, a line
  being ``size × LINE`` points, plus the cell's top and bottom padding.

``fit_heights(ws)`` sets the rows of any openpyxl sheet; ``cut_texts(ws)`` lists the texts that
would still be cut (the tests' measure); ``keep_blocks(ws)`` puts a manual page break before
any merged block that would straddle a printed page; a form a little taller than a page is
shrunk onto one page rather than leave a few rows for a second one.

A file whose text is final (an export) is paginated fully: every page end is a manual break,
so that a program whose columns come out wider (LibreOffice without the Calibri-metric Carlito
font shrinks more to fit the width) ends its pages at the same rows instead of placing breaks
of its own through merged blocks; and a page is not left half empty for a block that would fit
the next one: the block is cut at an inner row and its label repeated on the next page.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break, RowBreak

DEFAULT_WIDTH = 8.43  # Excel's default column width, in character units
DEFAULT_HEIGHT = 15.0  # points: Excel's default row under the workbook's default font (11 pt)
DEFAULT_SIZE = 11.0
# Line height / font size. 宋体 in Excel needs about 1.3 (14.25 pt rows for 11 pt); the CJK
# fonts that stand in for it elsewhere (Noto CJK in LibreOffice, WPS's own) need up to 1.5:
# the larger figure leaves some air in Excel and cuts nothing anywhere.
LINE = 1.5
PADDING = 1.0  # points above and below the text inside a cell
SIDE = 0.8  # character units lost to the cell's left and right margins
PAGES = {9: (595.0, 842.0), 8: (842.0, 1191.0), 1: (612.0, 792.0)}  # A4, A3, Letter in points
SHRINK = 0.8  # a form that fits one page at 80 % of the width-fitting size goes on one page
FILL = 0.6  # a final page is not ended for a block before it is 60 % full


def char_units(ch: str) -> int:
    """2 for CJK, full-width and wide symbols (①, ≥ in 宋体), 1 for the rest."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_units(text: str) -> float:
    return sum(char_units(ch) for ch in text)


def lines_needed(text: str, width: float, size: float = DEFAULT_SIZE) -> int:
    """Lines a wrapped text takes in a cell ``width`` units wide at ``size`` points."""
    usable = max(width - SIDE, 1.0) * DEFAULT_SIZE / size
    return sum(max(1, math.ceil(text_units(para) / usable)) for para in str(text).split("\n"))


def height_needed(text: str, width: float, size: float = DEFAULT_SIZE, wrap: bool = True) -> float:
    """Points a cell needs to show ``text`` whole (one line when it does not wrap)."""
    lines = lines_needed(text, width, size) if wrap else str(text).count("\n") + 1
    return round(lines * size * LINE + 2 * PADDING, 1)


def width_needed(text: str, size: float = DEFAULT_SIZE) -> float:
    """Units an unwrapped text needs: its longest line."""
    return max(text_units(line) for line in str(text).split("\n")) * size / DEFAULT_SIZE + SIDE


# ----------------------------------------------------------------------------- a sheet's cells
@dataclass(frozen=True)
class Box:
    """A cell with text, with the rows and the width it spans (merged or not)."""

    row: int
    col: int
    last_row: int
    width: float
    text: str
    size: float
    wrap: bool

    @property
    def merged(self) -> bool:
        return self.last_row > self.row or self.width != _NO_WIDTH


_NO_WIDTH = -1.0


def col_width(ws, col: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(col))
    if dim is not None and dim.width:
        return float(dim.width)
    return float(ws.sheet_format.defaultColWidth or DEFAULT_WIDTH)


def row_height(ws, row: int) -> float | None:
    """The row's set height (0 when hidden), or None when Excel autofits it."""
    dim = ws.row_dimensions.get(row)
    if dim is not None and dim.hidden:
        return 0.0
    return float(dim.height) if dim is not None and dim.height else None


def boxes(ws) -> list[Box]:
    """Every cell holding text (formulas excluded: their results are short numbers)."""
    spans = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    out = []
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            if v is None or (isinstance(v, str) and (not v.strip() or v.startswith("="))):
                continue
            if not isinstance(v, str) and cell.data_type != "s":
                v = str(v)
            m = spans.get((cell.row, cell.column))
            if m is not None:
                width = sum(col_width(ws, c) for c in range(m.min_col, m.max_col + 1))
                last, merged_width = m.max_row, width
            else:
                last, merged_width = cell.row, _NO_WIDTH
            size = float(cell.font.sz or DEFAULT_SIZE) if cell.font is not None else DEFAULT_SIZE
            wrap = bool(cell.alignment is not None and cell.alignment.wrap_text)
            out.append(Box(cell.row, cell.column, last, merged_width, str(v), size, wrap))
    return out


def _width(ws, box: Box) -> float:
    return box.width if box.width != _NO_WIDTH else col_width(ws, box.col)


def _autofit(ws, row: int, row_boxes: list[Box]) -> float:
    """What Excel makes of a row without a set height: room for its unmerged cells only."""
    own = [height_needed(b.text, _width(ws, b), b.size, b.wrap) for b in row_boxes if not b.merged]
    return max([DEFAULT_HEIGHT, *own])


def shown_height(ws, first: int, last: int, by_row: dict[int, list[Box]]) -> float:
    total = 0.0
    for r in range(first, last + 1):
        h = row_height(ws, r)
        total += h if h is not None else _autofit(ws, r, by_row.get(r, []))
    return total


def _by_row(found: list[Box]) -> dict[int, list[Box]]:
    out: dict[int, list[Box]] = {}
    for b in found:
        out.setdefault(b.row, []).append(b)
    return out


def fit_heights(ws, minimum: dict[int, float] | None = None, autofit: set[int] | frozenset = frozenset()) -> None:
    """Set each row's height so that every text shows whole.

    Every row with text gets a height (LibreOffice does not autofit rows on opening, and a
    protected export cannot be resized), except ``autofit`` rows holding nothing taller than a
    line: rows of a template whose unmerged input cells Excel should grow as the accountant
    types. ``minimum`` reserves room,
    e.g. for text to be typed into a merged cell. A row never gets lower than it was.
    """
    minimum = minimum or {}
    found = boxes(ws)
    by_row = _by_row(found)
    for r in sorted(set(by_row) | set(minimum)):
        single = [b for b in by_row.get(r, []) if b.last_row == r]
        need = max([minimum.get(r, 0.0), row_height(ws, r) or 0.0, DEFAULT_HEIGHT,
                    *(height_needed(b.text, _width(ws, b), b.size, b.wrap) for b in single)])
        if r in autofit and need <= DEFAULT_HEIGHT and not any(b.merged for b in single):
            continue  # nothing printed needs more than a line: Excel grows it with the typing
        ws.row_dimensions[r].height = need
    for b in found:  # a block merged over rows: grow its last row by what is missing
        if b.last_row > b.row:
            missing = height_needed(b.text, _width(ws, b), b.size, b.wrap) - shown_height(ws, b.row, b.last_row, by_row)
            if missing > 0.5:
                ws.row_dimensions[b.last_row].height = (row_height(ws, b.last_row) or DEFAULT_HEIGHT) + missing


@dataclass(frozen=True)
class Cut:
    sheet: str
    cell: str
    text: str
    needed: float
    shown: float
    what: str  # 高度 / 宽度

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}：{self.what}需要{self.needed:.0f}，只有{self.shown:.0f}（“{self.text[:20]}…”）"


def cut_texts(ws) -> list[Cut]:
    """Texts that would not show whole: too little height for their lines, or, unwrapped, too
    little width (an unmerged left-aligned text may run into empty neighbours: not counted)."""
    found = [b for b in boxes(ws) if row_height(ws, b.row) != 0.0]  # a hidden row prints nothing
    by_row = _by_row(found)
    out = []
    for b in found:
        coord = f"{get_column_letter(b.col)}{b.row}"
        width = _width(ws, b)
        need = height_needed(b.text, width, b.size, b.wrap)
        have = shown_height(ws, b.row, b.last_row, by_row)
        if need > have + 0.5:
            out.append(Cut(ws.title, coord, b.text, need, have, "高度"))
        if not b.wrap and b.merged and width_needed(b.text, b.size) > width + 0.5:
            out.append(Cut(ws.title, coord, b.text, width_needed(b.text, b.size), width, "宽度"))
    return out


# ----------------------------------------------------------------------------- page breaks
def _points(width_units: float) -> float:
    """A column width in points: Excel pads each column by 5 pixels of 0.75 point. LibreOffice
    draws columns somewhat wider, so it shrinks more to fit the width and more rows fit on its
    pages: a break placed for the estimate here comes early, never too late."""
    return (width_units * 7 + 5) * 0.75


def print_scale(ws) -> int:
    """The zoom that fits the printed columns to the paper's width, in percent (10–100)."""
    paper = PAGES.get(int(ws.page_setup.paperSize or 9), PAGES[9])
    page_w = paper[1] if ws.page_setup.orientation == "landscape" else paper[0]
    margins = (ws.page_margins.left + ws.page_margins.right) * 72
    last_col = _print_cols(ws)
    width = sum(_points(col_width(ws, c)) for c in range(1, last_col + 1))
    return max(10, min(100, math.floor((page_w - margins) / width * 100)))


def _print_cols(ws) -> int:
    from openpyxl.utils import range_boundaries

    area = ws.print_area
    if area:
        ref = area.split(",")[0].split("!")[-1].replace("$", "")
        return range_boundaries(ref)[2]
    return ws.max_column


def page_height(ws) -> float:
    """A printed page's height in the sheet's own points (before the zoom that fits the width)."""
    paper = PAGES.get(int(ws.page_setup.paperSize or 9), PAGES[9])
    page_h = paper[0] if ws.page_setup.orientation == "landscape" else paper[1]
    usable = page_h - (ws.page_margins.top + ws.page_margins.bottom) * 72
    return usable * 100 / print_scale(ws)


def title_height(ws, by_row: dict[int, list[Box]]) -> float:
    """The rows repeated at the top of every printed page."""
    if not ws.print_title_rows:
        return 0.0
    first, last = (int(x.strip("$")) for x in ws.print_title_rows.split("!")[-1].split(":"))
    return shown_height(ws, first, last, by_row)


def keep_blocks(ws, final: bool = False) -> list[int]:
    """Fit the printed columns to the paper's width (any number of pages tall) and break before
    any merged block that would otherwise straddle two pages; a block taller than a page is
    let through, its inner blocks kept. Returns the rows after which a page ends (estimated).
    A template gets manual breaks only before blocks (its heights grow as it is filled); a
    ``final`` sheet gets every break and cut blocks (module docstring)."""
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.row_breaks = RowBreak()
    by_row = _by_row(boxes(ws))
    heights = {r: shown_height(ws, r, r, by_row) for r in range(1, ws.max_row + 1)}
    page, titles = page_height(ws), title_height(ws, by_row)
    if page < sum(heights.values()) <= page / SHRINK:  # a page and a few rows: one page
        ws.page_setup.fitToHeight = 1
        return []
    ends: dict[int, list[int]] = {}
    for m in ws.merged_cells.ranges:
        if m.max_row > m.min_row:
            ends.setdefault(m.min_row, []).append(m.max_row)
    breaks, before_blocks = _page_ends(heights, ends, page, titles, FILL if final else 0.0)
    for b in breaks:
        if final or b in before_blocks:  # a plain row: the page ends there by itself
            ws.row_breaks.append(Break(id=b))
    if final:
        _cut_blocks(ws, breaks)
    return breaks


def _page_ends(heights: dict[int, float], ends: dict[int, list[int]], page: float, titles: float,
               fill: float) -> tuple[list[int], set[int]]:
    """Greedy pages: a block (a merged range fitting a page) goes whole onto the next page
    when it does not fit the rest of this one, unless this page is less than ``fill`` full:
    then the page takes the largest block starting on that row which fits the rest (or the
    row alone), and the bigger blocks are cut at the page end. Returns the page ends and
    those of them that come before a block."""
    breaks: list[int] = []
    before_blocks: set[int] = set()
    used, hold = 0.0, 0
    for r in sorted(heights):
        room = page - (titles if breaks else 0.0)
        fitting = [e for e in ends.get(r, []) if sum(heights[x] for x in range(r, e + 1)) <= page - titles]
        end = max(fitting, default=r)
        if r > hold and used > 0 and used + _span(heights, r, end) > room:
            smaller = [e for e in [r, *fitting] if used + _span(heights, r, e) <= room]
            if used < fill * room and smaller:
                end = max(smaller)
            else:
                breaks.append(r - 1)
                if end > r:
                    before_blocks.add(r - 1)
                used = 0.0
        hold = max(hold, end)
        used += heights[r]
    return breaks, before_blocks


def _span(heights: dict[int, float], first: int, last: int) -> float:
    return sum(heights[x] for x in range(first, last + 1))


def _cut_blocks(ws, breaks: list[int]) -> None:
    """Cut each merged block a page end passes through into one block per page, the label
    repeated at the top of each (a continued table's heading, as in the printed forms)."""
    from copy import copy

    for m in [m for m in ws.merged_cells.ranges if any(m.min_row <= b < m.max_row for b in breaks)]:
        top = ws.cell(m.min_row, m.min_col)
        value, style = top.value, copy(top._style)
        cuts = [b for b in breaks if m.min_row <= b < m.max_row]
        ws.unmerge_cells(m.coord)
        for first, last in zip([m.min_row, *(b + 1 for b in cuts)], [*cuts, m.max_row]):
            cell = ws.cell(first, m.min_col)
            cell._style = copy(style)
            cell.value = value if isinstance(value, str) else cell.value
            if last > first or m.max_col > m.min_col:
                ws.merge_cells(start_row=first, start_column=m.min_col, end_row=last, end_column=m.max_col)


def print_whole(ws, minimum: dict[int, float] | None = None, autofit: set[int] | frozenset = frozenset(),
                final: bool = False) -> None:
    """Heights from the text, then page breaks that keep merged blocks: for any sheet we write
    (templates, the example, exports). Very hidden sheets (the carried edition) are left alone.
    ``final`` (an export: no more typing) sets every row from its text alone, also lower than
    the template had it (room reserved for typing), and paginates fully (keep_blocks)."""
    if ws.sheet_state != "visible":
        return
    if final:
        for dim in ws.row_dimensions.values():
            dim.height = None
    fit_heights(ws, minimum, autofit)
    keep_blocks(ws, final)
