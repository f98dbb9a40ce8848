"""A faithful fake of the xlwings objects perfeval_xl.ribbon uses, backed by openpyxl.

It behaves as Excel does for what the handlers touch: formulas show computed values (through
the same headless evaluator, as Excel with the add-in would), numbers read back as floats,
empty cells as None, a 2-D list written at one cell fills the block, sheet-scoped names read
"Sheet!name", Sheet.copy brings the sheet's local names along, Book.save writes the file.

It also counts object-model calls (``FakeApp.calls``): every property read or assignment and
every method call on an Excel object is one cross-process COM call for the UDF server, so the
count is a lower bound of what Excel would serve. ``book_map`` answers as the add-in's VBA
function PE_BookMap does (a test runs that VBA under pyOpenVBA and compares).
"""
from __future__ import annotations

from copy import copy
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import coordinate_from_string, column_index_from_string, range_boundaries
from openpyxl.workbook.defined_name import DefinedName

from perfeval_xl.book import OpenpyxlBook


def _count(obj) -> None:
    obj._app().calls += 1


class FakeRange:
    def __init__(self, sheet: "FakeSheet", address: str, ndim: int | None = None):
        self.sheet, self._address, self._ndim = sheet, address.replace("$", ""), ndim

    def _app(self):
        return self.sheet.book.app

    @property
    def address(self) -> str:
        _count(self)
        return ":".join(f"${c}${r}" for c, r in map(coordinate_from_string, self._address.split(":")))

    def options(self, ndim=None):  # xlwings: conversion options, no call into Excel
        return FakeRange(self.sheet, self._address, ndim)

    def _cell(self, coord: str):
        v = self.sheet.book._evaluated().cell_value(self.sheet.ws.title, coord)
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)):
            return float(v)
        return None if v == "" else v

    @property
    def value(self):
        """One cell → a scalar; a block → rows (a single row or column flattens unless ndim=2)."""
        _count(self)
        if ":" not in self._address and self._ndim != 2:
            return self._cell(self._address)
        c0, r0, c1, r1 = range_boundaries(self._address)
        rows = [[self._cell(f"{get_column_letter(c)}{r}") for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        if self._ndim == 2:
            return rows
        return rows[0] if len(rows) == 1 else [r[0] for r in rows] if c0 == c1 else rows

    @value.setter
    def value(self, v):
        _count(self)
        ws = self.sheet.ws
        col, row = coordinate_from_string(self._address)
        c0 = column_index_from_string(col)
        rows = v if isinstance(v, list) and v and isinstance(v[0], list) else [[v]]
        for r, values in enumerate(rows):
            for c, x in enumerate(values):
                cell = ws.cell(row + r, c0 + c)
                cell.value = x
                if isinstance(x, str) and not x.startswith("="):
                    cell.data_type = "s"
        self.sheet.book._dirty()

    def add_hyperlink(self, address: str, text_to_display: str | None = None):
        _count(self)
        cell = self.sheet.ws[self._address]
        cell.hyperlink = address
        if text_to_display is not None:
            cell.value = text_to_display

    def select(self):
        _count(self)
        self.sheet.book.app.selection = (self.sheet.ws.title, self._address)


class FakeName:
    def __init__(self, sheet: "FakeSheet", name: str, ref: str, book_level: bool = False):
        self._sheet, self._name, self._ref, self._book_level = sheet, name, ref, book_level

    def _app(self):
        return self._sheet.book.app

    @property
    def name(self) -> str:
        _count(self)
        return self._name if self._book_level else f"{quote_sheetname(self._sheet.ws.title)}!{self._name}"

    @property
    def refers_to_range(self) -> FakeRange:
        _count(self)
        return FakeRange(self._sheet, self._ref.split("!")[-1])


class FakeSheet:
    def __init__(self, book: "FakeBook", ws):
        self.book, self.ws = book, ws

    def _app(self):
        return self.book.app

    @property
    def name(self) -> str:
        _count(self)
        return self.ws.title

    def _index(self) -> int:  # 1-based, as in Excel
        return self.book.wb.sheetnames.index(self.ws.title) + 1

    @property
    def index(self) -> int:
        _count(self)
        return self._index()

    @property
    def names(self) -> list[FakeName]:
        _count(self)
        return [FakeName(self, n, dn.attr_text) for n, dn in self.ws.defined_names.items()]

    def range(self, address: str) -> FakeRange:
        _count(self)
        return FakeRange(self, address)

    @property
    def used_range(self) -> FakeRange:
        """From the first to the last cell holding something (Excel's UsedRange)."""
        _count(self)
        cells = [c.coordinate for row in self.ws.iter_rows() for c in row if c.value is not None]
        if not cells:
            return FakeRange(self, "A1")
        c0, r0, c1, r1 = range_boundaries(self.ws.dimensions)
        return FakeRange(self, f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}")

    def delete(self):
        _count(self)
        del self.book.wb[self.ws.title]
        self.book._dirty()

    def activate(self):
        _count(self)
        self.book.app.active_sheet = self.ws.title

    def copy(self, before=None, after=None, name=None):
        """Excel's Sheet.Copy: contents, styles, merges, widths, validations and local names."""
        _count(self)
        target_book = (after or before).book
        wb = target_book.wb
        new = wb.create_sheet(name or self.ws.title, index=after._index() if after else before._index() - 1)
        for row in self.ws.iter_rows():
            for cell in row:
                if cell.__class__.__name__ == "MergedCell":
                    continue
                c = new.cell(cell.row, cell.column, cell.value)
                if cell.has_style:
                    c.font, c.fill, c.border = copy(cell.font), copy(cell.fill), copy(cell.border)
                    c.number_format, c.alignment, c.protection = cell.number_format, copy(cell.alignment), copy(cell.protection)
        for rng in self.ws.merged_cells.ranges:
            new.merge_cells(str(rng))
        for key, dim in self.ws.column_dimensions.items():
            new.column_dimensions[key].width = dim.width
        for dv in self.ws.data_validations.dataValidation:
            new.add_data_validation(copy(dv))
        for n, dn in self.ws.defined_names.items():
            ref = dn.attr_text.split("!")[-1]
            new.defined_names[n] = DefinedName(n, attr_text=f"'{new.title}'!{ref}")
        target_book._dirty()


class FakeSheets:
    def __init__(self, book: "FakeBook"):
        self.book = book

    def _app(self):
        return self.book.app

    def __iter__(self):  # Count, then one Item per sheet
        _count(self)
        for ws in list(self.book.wb.worksheets):
            _count(self)
            yield FakeSheet(self.book, ws)

    def __len__(self):
        _count(self)
        return len(self.book.wb.worksheets)

    def __getitem__(self, key):
        _count(self)
        ws = self.book.wb.worksheets[key] if isinstance(key, int) else self.book.wb[key]
        return FakeSheet(self.book, ws)

    def add(self, name=None, before=None, after=None):
        _count(self)
        index = after._index() if after else (before._index() - 1 if before else 0)
        ws = self.book.wb.create_sheet(name, index=index)
        self.book._dirty()
        return FakeSheet(self.book, ws)


class _Prop:
    def __init__(self, value):
        self.Value = value


class _BookApi:
    def __init__(self, book):
        self.book = book

    def CustomDocumentProperties(self, name):
        self.book.app.calls += 2  # the property, then its Value
        for p in self.book.wb.custom_doc_props:
            if p.name == name:
                return _Prop(p.value)
        raise KeyError(name)  # COM raises when the property is missing


class FakeBook:
    def __init__(self, app: "FakeApp", path: Path):
        self.app, self.fullname = app, str(path)
        self.wb = openpyxl.load_workbook(path)
        self.api = _BookApi(self)
        self._book = None
        self.closed = False

    def _evaluated(self) -> OpenpyxlBook:
        if self._book is None:
            self._book = OpenpyxlBook(self.wb, Path(self.fullname))
        return self._book

    def _dirty(self):
        self._book = None

    @property
    def sheets(self) -> FakeSheets:  # xlwings builds the collection without calling Excel
        return FakeSheets(self)

    @property
    def names(self) -> list[FakeName]:
        """Book.names: workbook-level names read plain ("report_year"), sheet-scoped "Sheet!name"."""
        out = []
        for n, dn in self.wb.defined_names.items():
            sheet, ref = dn.attr_text.split("!")
            out.append(FakeName(FakeSheet(self, self.wb[sheet.strip("'")]), n, ref.replace("$", ""), book_level=True))
        return out

    def save(self, path=None):
        self.app.calls += 1
        self.wb.save(path or self.fullname)

    def close(self):
        self.app.calls += 1
        self.closed = True
        self.app.books.list.remove(self)


class _Dialog:
    def __init__(self, folder):
        self.folder, self.Title = folder, ""

    def Show(self):
        return -1 if self.folder else 0

    def SelectedItems(self, i):
        return str(self.folder)


class _AppApi:
    def __init__(self, app):
        self.app = app

    def FileDialog(self, kind):
        assert kind == 4  # msoFileDialogFolderPicker
        return _Dialog(self.app.folder_to_pick)


class FakeBooks:
    def __init__(self, app):
        self.app, self.list = app, []

    def open(self, path):
        self.app.calls += 1
        book = FakeBook(self.app, Path(path))
        self.list.append(book)
        return book


class FakeApp:
    def __init__(self):
        self.books = FakeBooks(self)
        self.status_bar = False
        self.status_history: list = []
        self.alerts: list[str] = []
        self.calculations = 0
        self.selection = None
        self.active_sheet = None
        self.folder_to_pick = None
        self.api = _AppApi(self)
        self.calls = 0

    def __setattr__(self, key, value):
        if key == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
            self.calls += 1
        object.__setattr__(self, key, value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.calls += 1
        self.alerts.append(prompt)

    def calculate(self):
        self.calls += 1
        self.calculations += 1


def _absolute(coord: str) -> str:
    return ":".join(f"${c}${r}" for c, r in map(coordinate_from_string, coord.replace("$", "").split(":")))


def book_map(book: FakeBook) -> list[tuple[str, str, str]]:
    """What VBA's PE_BookMap(ActiveWorkbook) hands to Python: a row per sheet (name, UsedRange
    address) then a row per name (Name.Name, Name.RefersTo), as Excel spells them."""
    rows = []
    for ws in book.wb.worksheets:
        c0, r0, c1, r1 = range_boundaries(ws.dimensions)
        used = f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}" if (c0, r0) != (c1, r1) else f"{get_column_letter(c0)}{r0}"
        rows.append(("sheet", ws.title, _absolute(used)))
    for ws in book.wb.worksheets:
        for n, dn in ws.defined_names.items():
            sheet = quote_sheetname(ws.title)
            rows.append(("name", f"{sheet}!{n}", f"={sheet}!{_absolute(dn.attr_text.split('!')[-1])}"))
    for n, dn in book.wb.defined_names.items():  # workbook-level (report_year): Excel spells them plain
        sheet, ref = dn.attr_text.split("!")
        rows.append(("name", n, f"={sheet}!{_absolute(ref)}"))
    return rows
