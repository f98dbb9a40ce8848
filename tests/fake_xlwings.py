"""A faithful fake of the xlwings objects perfeval_xl.ribbon uses, backed by openpyxl.

It behaves as Excel does for what the handlers touch: formulas show computed values (through
the same headless evaluator, as Excel with the add-in would), numbers read back as floats,
empty cells as None, a 2-D list written at one cell fills the block, sheet-scoped names read
"Sheet!name", Sheet.copy brings the sheet's local names along, Book.save writes the file.
"""
from __future__ import annotations

from copy import copy
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
from openpyxl.workbook.defined_name import DefinedName

from perfeval_xl.book import OpenpyxlBook


class FakeRange:
    def __init__(self, sheet: "FakeSheet", address: str):
        self.sheet, self._address = sheet, address.replace("$", "")

    @property
    def address(self) -> str:
        col, row = coordinate_from_string(self._address)
        return f"${col}${row}"

    @property
    def value(self):
        v = self.sheet.book._evaluated().cell_value(self.sheet.name, self._address)
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)):
            return float(v)
        return None if v == "" else v

    @value.setter
    def value(self, v):
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
        cell = self.sheet.ws[self._address]
        cell.hyperlink = address
        if text_to_display is not None:
            cell.value = text_to_display

    def select(self):
        self.sheet.book.app.selection = (self.sheet.name, self._address)


class FakeName:
    def __init__(self, sheet: "FakeSheet", name: str, ref: str):
        self.name = f"{sheet.name}!{name}"
        self.refers_to_range = FakeRange(sheet, ref.split("!")[-1])


class FakeSheet:
    def __init__(self, book: "FakeBook", ws):
        self.book, self.ws = book, ws

    @property
    def name(self) -> str:
        return self.ws.title

    @property
    def index(self) -> int:  # 1-based, as in Excel
        return self.book.wb.sheetnames.index(self.name) + 1

    @property
    def names(self) -> list[FakeName]:
        return [FakeName(self, n, dn.attr_text) for n, dn in self.ws.defined_names.items()]

    def range(self, address: str) -> FakeRange:
        return FakeRange(self, address)

    def delete(self):
        del self.book.wb[self.name]
        self.book._dirty()

    def activate(self):
        self.book.app.active_sheet = self.name

    def copy(self, before=None, after=None, name=None):
        """Excel's Sheet.Copy: contents, styles, merges, widths, validations and local names."""
        target_book = (after or before).book
        wb = target_book.wb
        new = wb.create_sheet(name or self.name, index=after.index if after else before.index - 1)
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

    def __iter__(self):
        return iter([FakeSheet(self.book, ws) for ws in self.book.wb.worksheets])

    def __len__(self):
        return len(self.book.wb.worksheets)

    def __getitem__(self, key):
        ws = self.book.wb.worksheets[key] if isinstance(key, int) else self.book.wb[key]
        return FakeSheet(self.book, ws)

    def add(self, name=None, before=None, after=None):
        index = after.index if after else (before.index - 1 if before else 0)
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
    def sheets(self) -> FakeSheets:
        return FakeSheets(self)

    @property
    def names(self) -> list[FakeName]:
        """Book.names: workbook-level names read plain ("report_year"), sheet-scoped "Sheet!name"."""
        out = []
        for n, dn in self.wb.defined_names.items():
            sheet, ref = dn.attr_text.split("!")
            name = FakeName(FakeSheet(self, self.wb[sheet.strip("'")]), n, ref.replace("$", ""))
            name.name = n
            out.append(name)
        return out

    def save(self, path=None):
        self.wb.save(path or self.fullname)

    def close(self):
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

    def __setattr__(self, key, value):
        if key == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
        object.__setattr__(self, key, value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append(prompt)

    def calculate(self):
        self.calculations += 1
