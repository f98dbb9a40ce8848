"""The small book interface every command works through, and its openpyxl implementation.

Fields are found by their sheet-scoped defined names. ``get`` returns what Excel would show:
for formula cells the value is computed headless by formulas/evaluator.py with the PE_* UDFs bound.
The xlwings implementation (addin.py) answers the same calls from the open workbook in Excel.
"""
from __future__ import annotations

import re
import io
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import openpyxl
from openpyxl.utils import column_index_from_string, quote_sheetname, range_boundaries
from openpyxl.utils.cell import coordinate_from_string

from perfeval_xl.book.package import BookError, open_package
from perfeval_xl.formulas.evaluator import Evaluator, FormulaError
from perfeval_xl.forms.layout import TEMPLATE_PROP

class Book(Protocol):
    path: Path | None

    def template_id(self) -> str | None: ...
    def sheets(self) -> list[str]: ...
    def address(self, sheet: str, name: str) -> str | None: ...
    def get(self, sheet: str, name: str) -> object: ...
    def set(self, sheet: str, name: str, value: object) -> None: ...
    def lines(self, sheet: str) -> list[object]: ...


_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]{1,3})\$?(\d+)$")


@lru_cache(maxsize=16384)  # the same few thousand names in every book of a 汇总
def split_ref(ref: str) -> tuple[str, str]:
    """``'附件1'!$B$5`` → (附件1, B5)."""
    m = _REF.match(ref)
    if not m:
        raise BookError(f"无法识别的引用：{ref}")
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    return sheet, f"{m.group(3)}{m.group(4)}"


class OpenpyxlBook:
    """A workbook file read (and written) with openpyxl; formulas evaluated on demand.

    Computed values are kept until an input they read changes: ``set`` forgets only the cells
    that depend on the cell set (found while evaluating), as a spreadsheet recalculates. Sheets
    and names are looked up once; a change of the workbook's structure (a sheet or name added or
    removed) other than through ``set`` is followed by ``invalidate()``."""

    def __init__(self, wb: openpyxl.Workbook, path: Path | None = None):
        self.wb = wb
        self.path = path
        self.invalidate()

    @classmethod
    def open(cls, path: Path, keep_vba: bool | None = None, keep_links: bool = True) -> "OpenpyxlBook":
        """Open a workbook after the package gate (book/package.py: size, bombs, far cells,
        XML entities, encrypted or PDF files are refused with a Chinese reason)."""
        path = Path(path)
        data = open_package(path).data  # read once: openpyxl parses the bytes the gate checked
        if keep_vba is None:
            keep_vba = path.suffix.lower() in (".xlsm", ".xlam")
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, keep_links=keep_links)
        except Exception as exc:  # zip errors, XML errors, not a workbook at all
            raise BookError(f"无法作为Excel工作簿打开：{path.name}（{type(exc).__name__}）") from None
        return cls(wb, path)

    def template_id(self) -> str | None:
        for prop in self.wb.custom_doc_props:
            if prop.name == TEMPLATE_PROP:
                return str(prop.value)
        return None

    def sheets(self) -> list[str]:
        return self.wb.sheetnames

    def _ws(self, sheet: str):
        ws = self._sheets.get(sheet)
        if ws is None:  # openpyxl's wb[sheet] walks every sheet: the checks ask millions of times
            ws = self._sheets[sheet] = self.wb[sheet]
        return ws

    def address(self, sheet: str, name: str) -> str | None:
        """A sheet-scoped name, or a workbook-level one (report_year) that points into ``sheet``."""
        key = (sheet, name)
        if key not in self._addresses:
            dn = self._ws(sheet).defined_names.get(name)
            if dn is not None:
                coord = split_ref(dn.attr_text)[1]
            else:
                target = self._book_name(name)
                coord = target[1] if target and target[0] == sheet else None
            self._addresses[key] = coord
        return self._addresses[key]

    def _book_name(self, name: str) -> tuple[str, str] | None:
        dn = self.wb.defined_names.get(name)
        try:
            return split_ref(dn.attr_text) if dn is not None and dn.attr_text else None
        except BookError:
            return None

    def raw(self, sheet: str, name: str) -> object:
        """The cell's content as stored: a value, or formula text starting with '='."""
        coord = self.address(sheet, name)
        return None if coord is None else self._ws(sheet)[coord].value

    def get(self, sheet: str, name: str) -> object:
        coord = self.address(sheet, name)
        return None if coord is None else self.cell_value(sheet, coord)

    def number_format(self, sheet: str, name: str) -> str | None:
        """The cell's number format ("0.00%"): a number in a percent cell is a fraction."""
        coord = self.address(sheet, name)
        return None if coord is None else self._ws(sheet)[coord].number_format

    def set(self, sheet: str, name: str, value: object) -> None:
        coord = self.address(sheet, name)
        if coord is None:
            raise BookError(f"{sheet}中没有名称{name}")
        cell = self._ws(sheet)[coord]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # data, never a formula: a name like "=1+1" stays text
        self._forget((sheet, coord))

    def lines(self, sheet: str) -> list[object]:
        """Column A of a sheet as stored (the edition a workbook carries, forms/edition.py)."""
        return [row[0] for row in self.wb[sheet].iter_rows(min_col=1, max_col=1, values_only=True)]

    def invalidate(self) -> None:
        """Forget computed values, sheets and names after the workbook was changed other than
        through ``set``."""
        self._cache: dict[tuple[str, str], object] = {}
        self._dependents: dict[tuple[str, str], set[tuple[str, str]]] = {}  # cell → formulas reading it
        self._evaluating: list[tuple[str, str]] = []
        self._sheets: dict[str, object] = {}
        self._addresses: dict[tuple[str, str], str | None] = {}

    def _forget(self, key: tuple[str, str]) -> None:
        """Forget a cell's value and, transitively, every computed value that read it."""
        stack = [key]
        while stack:
            k = stack.pop()
            self._cache.pop(k, None)
            stack.extend(self._dependents.pop(k, ()))

    # -- headless recalculation -------------------------------------------------------------
    def cell_value(self, sheet: str, coord: str) -> object:
        key = (sheet, coord)
        if self._evaluating:  # read by the formula being evaluated: it depends on this cell
            self._dependents.setdefault(key, set()).add(self._evaluating[-1])
        if key not in self._cache:
            self._cache[key] = None  # a circular reference reads as blank instead of recursing
            cell = self._ws(sheet)[coord]
            value = cell.value
            if cell.data_type == "f" and isinstance(value, str):
                self._evaluating.append(key)
                try:
                    value = Evaluator(lambda kind, text: self._resolve(sheet, kind, text)).evaluate(value)
                except FormulaError as exc:
                    value = str(exc) if str(exc).startswith("#") else f"#公式错误：{exc}"
                except (ZeroDivisionError, TypeError, ValueError):
                    value = "#VALUE!"
                finally:
                    self._evaluating.pop()
            self._cache[key] = value
        return self._cache[key]

    def _resolve(self, sheet: str, kind: str, text: str):
        if kind == "name":
            coord = self.address(sheet, text)
            if coord is not None:
                return self.cell_value(sheet, coord)
            target = self._book_name(text)
            if target is None:
                raise FormulaError("#NAME?")
            return self.cell_value(*target)
        if "!" in text:
            target_sheet, _, ref = text.rpartition("!")
            sheet = target_sheet.strip("'").replace("''", "'")
            text = ref
        text = text.replace("$", "")
        if ":" in text:
            min_col, min_row, max_col, max_row = range_boundaries(text)
            ws = self._ws(sheet)
            return [self.cell_value(sheet, ws.cell(r, c).coordinate)
                    for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]
        coordinate_from_string(text)  # validates
        return self.cell_value(sheet, text)


def sheet_ref(sheet: str, coord: str) -> str:
    return f"{quote_sheetname(sheet)}!{coord}"


@lru_cache(maxsize=16384)
def grid_index(coord: str) -> tuple[int, int]:
    """``B5`` → (4, 1): zero-based row and column."""
    col, row = coordinate_from_string(coord)
    return row - 1, column_index_from_string(col) - 1


def grid_positions(names: dict[str, dict[str, str]]) -> dict[str, dict[str, tuple[int, int]]]:
    """sheet → name → A1 as sheet → name → zero-based (row, column)."""
    return {sheet: {name: grid_index(coord) for name, coord in cells.items()} for sheet, cells in names.items()}


class ValuesBook:
    """A read-only book over plain cell values (an exported file read by calamine): no formulas,
    nothing executed. ``grids`` maps sheet → rows from A1; ``names`` maps sheet → name → A1."""

    path: Path | None

    def __init__(self, grids: dict[str, list[list]], names: dict[str, dict[str, str]],
                 template: str | None, path: Path | None = None,
                 positions: dict[str, dict[str, tuple[int, int]]] | None = None):
        """``positions``: the names' zero-based (row, column), when the caller has them already."""
        self.grids, self.names, self._template, self.path = grids, names, template, path
        self.positions = positions if positions is not None else grid_positions(names)

    def template_id(self) -> str | None:
        return self._template

    def sheets(self) -> list[str]:
        return list(self.grids)

    def address(self, sheet: str, name: str) -> str | None:
        return self.names.get(sheet, {}).get(name)

    def get(self, sheet: str, name: str) -> object:
        at = self.positions.get(sheet, {}).get(name)  # a 汇总 calls this a million times
        if at is None:
            return None
        r, c = at
        grid = self.grids[sheet]
        value = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
        return None if value == "" else value

    def set(self, sheet: str, name: str, value: object) -> None:
        raise BookError("只读工作簿")

    def lines(self, sheet: str) -> list[object]:
        return [row[0] if row else None for row in self.grids.get(sheet, [])]
