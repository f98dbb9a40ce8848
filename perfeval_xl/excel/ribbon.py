"""What the 绩效自评 ribbon buttons do, reached from VBA through xlwings' RunPython.

``on_button(id)`` is the single entry point (VBA's PE_OnAction passes ``control.ID``). Each
handler is a thin adapter over the functions the CLI uses, working through the book interface
(XlwingsBook here, OpenpyxlBook in the CLI) and a tiny UI (message box, status bar, folder
picker). Only the xlwings public API is used, plus ``.api`` where xlwings has no API (document
properties, the folder dialog); tests drive these handlers with a faithful fake of those objects.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from perfeval_xl.book import BookError, ValuesBook, grid_index, sheet_ref, split_ref
from perfeval_xl.checks.assess import Assessment
from perfeval_xl.checks.findings import HEADER, RESULT_SHEET, SEVERITY, as_text, summary_lines
from perfeval_xl.forms.template import TEMPLATE_PROP

HANDLERS: dict[str, Callable] = {}
TITLE = "绩效自评"
HELP_TEXT = (
    "使用步骤：\n"
    "1. 在黄色单元格填写数据，灰色单元格自动计算；\n"
    "2. 点“评分”计算得分和等次，点“校验”检查问题，结果在“校验结果”工作表；\n"
    "3. 无错误后点“锁定导出”，在原文件旁生成报送财政局的锁定文件；\n"
    "4. 财政局用“汇总”选择存放各单位文件的文件夹，生成汇总表；\n"
    "5. 主管部门用“部门汇总”选择存放所属单位导出文件的文件夹（可放“名单.txt”，本级加“（本级）”），"
    "生成部门汇总表和部门自评报告初稿。\n"
    "评分标准见各评分表的批注和“评分标准”列；详细说明见 docs/ 目录。"
)


def handler(button_id: str):
    """Register ``f(book, ui)`` for a ribbon control id: book is the xlwings Book, ui the
    message boxes and status bar; ``XlwingsBook(book)`` is the book interface over it."""
    def register(f):
        HANDLERS[button_id] = f
        return f
    return register


# ----------------------------------------------------------------------------- the live workbook
# Every property read or method call on an Excel object is a cross-process COM call (the UDF
# server is another process), so a press reads each sheet once as a block and the defined names
# once as a table, and writes the 校验结果 sheet in one block.

#: Set by VBA (PE_OnAction, through the UDF server) just before a button runs: what
#: PE_BookMap gathers inside Excel in one call, rows (kind, name, address) -- ("sheet",
#: sheet name, used-range address) and ("name", Name.Name, Name.RefersTo). on_button clears it.
BOOK_MAP = None


def parse_book_map(rows) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """PE_BookMap rows → (sheet → used range, sheet → local name → A1 address).

    Excel spells sheet-scoped names ``附件2!x`` or ``'附件3_1'!x`` and refers to ``=附件2!$F$12``;
    a workbook-scoped name (report_year) is listed on the sheet it points to, unless that sheet
    has a field of the same name. #REF! and ranges of more than one cell are not fields: skipped."""
    used: dict[str, str] = {}
    names: dict[str, dict[str, str]] = {}
    for kind, name, ref in rows or ():
        if kind == "sheet":
            used[str(name)] = str(ref).replace("$", "")
            continue
        try:
            sheet, coord = split_ref(str(ref).lstrip("="))
        except BookError:
            continue
        if "!" in str(name):
            names.setdefault(sheet, {})[str(name).rsplit("!", 1)[-1]] = coord
        else:
            names.setdefault(sheet, {}).setdefault(str(name), coord)
    return used, names


class XlwingsBook:
    """The book interface over an open xlwings Book (Excel computes the formulas itself).

    Reads come from one snapshot per press: each sheet's used range as one block and every
    field's address from ``book_map`` (PE_BookMap's rows); called from Python alone, without a
    map, the sheets and their names are asked one by one."""

    def __init__(self, book, book_map=None):
        self.book = book
        self._map = BOOK_MAP if book_map is None else book_map
        self._snapshot: ValuesBook | None = None

    @property
    def path(self) -> Path | None:
        return Path(self.book.fullname) if self.book.fullname else None

    def template_id(self) -> str | None:
        try:  # xlwings has no API for document properties: COM through .api
            return str(self.book.api.CustomDocumentProperties(TEMPLATE_PROP).Value)
        except Exception:
            return None

    def sheets(self) -> list[str]:
        return self.snapshot().sheets()

    def _layout(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        if self._map is not None:
            return parse_book_map(self._map)
        rows = []
        for s in self.book.sheets:
            sheet = s.name
            rows.append(("sheet", sheet, s.used_range.address))
            rows += [("name", n.name, "=" + sheet_ref(sheet, n.refers_to_range.address)) for n in s.names]
        rows += [("name", n.name, "=" + sheet_ref(n.refers_to_range.sheet.name, n.refers_to_range.address))
                 for n in self.book.names if "!" not in n.name]  # workbook-level: report_year
        return parse_book_map(rows)

    def snapshot(self) -> ValuesBook:
        """Every sheet's values from A1 (one block read per sheet) and every field's address."""
        if self._snapshot is None:
            used, names = self._layout()
            grids = {}
            for sheet, block in used.items():
                top, left = _top_left(block)
                rows = self.book.sheets[sheet].range(block).options(ndim=2).value
                grids[sheet] = [[None] * left + list(r) for r in ([[]] * top + rows)]
            self._snapshot = ValuesBook(grids, names, None, self.path)
        return self._snapshot

    def address(self, sheet: str, name: str) -> str | None:
        return self.snapshot().address(sheet, name)

    def get(self, sheet: str, name: str) -> object:
        return self.snapshot().get(sheet, name)

    def lines(self, sheet: str) -> list[object]:
        """Column A of a (very hidden) sheet: the edition the workbook carries."""
        rng = self.book.sheets[sheet].used_range
        values = self.book.sheets[sheet].range((1, 1), (rng.last_cell.row, 1)).options(ndim=1).value
        return list(values)

    def set(self, sheet: str, name: str, value: object) -> None:
        coord = self.address(sheet, name)
        if coord is None:
            raise BookError(f"{sheet}中没有名称{name}")
        self.book.sheets[sheet].range(coord).value = value
        self._snapshot = None

    def write_result_sheet(self, a: Assessment) -> None:
        """校验结果 in the open workbook, in one block: summary, then one row per finding whose
        cell column is a HYPERLINK formula back to the cell (no call per finding)."""
        others = [n for n in self.sheets() if n != RESULT_SHEET]
        if len(others) < len(self.sheets()):
            self.book.sheets[RESULT_SHEET].delete()
        ws = self.book.sheets.add(RESULT_SHEET, after=self.book.sheets[others[-1]])
        rows = [["校验结果"]] + [[line] for line in summary_lines(a, titles=True)] + [[], HEADER]
        rows += [[SEVERITY[f.severity], f.sheet, _link(f.sheet, f.cell), f.title, f.message]
                 for f in a.findings]
        width = len(HEADER)
        ws.range("A1").value = [r + [None] * (width - len(r)) for r in rows]
        self._snapshot = self._map = None  # the sheets changed: the map handed over is stale


def _top_left(address: str) -> tuple[int, int]:
    """Rows and columns above and left of a block: ``B3:K40`` → (2, 1)."""
    return grid_index(address.split(":")[0].replace("$", ""))


def _link(sheet: str, cell: str) -> str:
    """A cell in 校验结果 that jumps to the finding's cell (the formula is written with the block)."""
    target = sheet_ref(sheet, cell).replace('"', '""')
    return f'=HYPERLINK("#{target}","{cell}")' if cell else ""


class ExcelUI:
    """Message boxes, the status bar and dialogs of the running Excel."""

    def __init__(self, app):
        self.app = app

    def alert(self, text: str) -> None:
        self.app.alert(text, title=TITLE)

    def status(self, text: str | None) -> None:
        self.app.status_bar = text if text else False

    def select(self, book, sheet: str, cell: str) -> None:
        book.sheets[sheet].activate()
        book.sheets[sheet].range(cell).select()

    def pick_folder(self) -> Path | None:
        dialog = self.app.api.FileDialog(4)  # msoFileDialogFolderPicker
        dialog.Title = "选择存放各单位导出文件的文件夹"
        return Path(dialog.SelectedItems(1)) if dialog.Show() == -1 else None

    def open(self, path: Path):
        return self.app.books.open(str(path))


def on_button(button_id: str, book=None, ui=None) -> None:
    """The ribbon's single callback (run inside the UDF server: no imports after the first
    press). Every failure ends in a Chinese message box."""
    global BOOK_MAP
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    ui = ui or ExcelUI(book.app)
    try:
        f = HANDLERS.get(button_id)
        if f is None:
            ui.alert(f"未知的按钮：{button_id}")
            return
        f(book, ui)
    except BookError as exc:
        ui.alert(str(exc))
    except Exception as exc:  # never a traceback in front of the accountant
        ui.alert(f"操作未完成：{type(exc).__name__}: {exc}")
    finally:
        BOOK_MAP = None  # this press's map only: never a stale table next time
        ui.status(None)


def _assess_live(book, ui) -> tuple[XlwingsBook, Assessment]:
    ui.status("正在计算……")
    book.app.calculate()
    live = XlwingsBook(book)
    ui.status("正在评分和校验……")
    from perfeval_xl.scoring import assess_with_texts

    return live, assess_with_texts(live)


# ----------------------------------------------------------------------------- the buttons
@handler("score")
def score(book, ui) -> Assessment:
    live, a = _assess_live(book, ui)
    live.write_result_sheet(a)
    ui.alert(as_text(a, findings=False))
    return a


@handler("validate")
def validate(book, ui) -> Assessment:
    live, a = _assess_live(book, ui)
    live.write_result_sheet(a)
    if a.errors:
        first = a.errors[0]
        ui.select(book, first.sheet, first.cell)
        ui.alert(f"发现错误 {len(a.errors)} 项、提示 {len(a.warnings)} 项，已定位到第一个错误：\n{first}\n"
                 f"全部问题见“{RESULT_SHEET}”工作表。")
    else:
        ui.alert(f"未发现错误（提示 {len(a.warnings)} 项）。可以“锁定导出”。")
    return a


@handler("export")
def export_locked(book, ui) -> Path | None:
    from perfeval_xl.bureau.export import ExportRefused, export

    if not book.fullname or not Path(book.fullname).exists():
        ui.alert("请先保存工作簿，再锁定导出。")
        return None
    book.save()  # export reads the file on disk; the user's file itself is not changed
    ui.status("正在校验并导出……")
    try:
        from perfeval_xl.scoring import assess_with_texts

        r = export(Path(book.fullname), assessor=assess_with_texts)
    except ExportRefused as exc:
        first = exc.assessment.errors[0]
        ui.select(book, first.sheet, first.cell)
        ui.alert(f"校验发现 {len(exc.assessment.errors)} 项错误，未导出。请先点“校验”查看并修正。\n第一个错误：{first}")
        return None
    ui.alert(f"已导出：{r.path}\n总分 {r.assessment.main.total:f}，评价等次 {r.assessment.main.grade}\n"
             f"此文件已去除公式并保护，可直接报送财政局；原文件未改动。")
    return r.path


@handler("report")
def draft_report(book, ui) -> Path | None:
    """The Word draft of the 自评报告 beside the workbook, from the figures Excel shows now."""
    from perfeval_xl.report import report_file

    if not book.fullname or not Path(book.fullname).exists():
        ui.alert("请先保存工作簿，再生成报告。")
        return None
    ui.status("正在生成报告初稿……")
    book.app.calculate()
    out, _, _ = report_file(Path(book.fullname), book=XlwingsBook(book))
    ui.alert(f"已生成报告初稿：{out}\n数字均取自本工作簿；黄色【请填写：…】处请补充后再报送。")
    return out


@handler("new_project")
def new_project(book, ui) -> list[str]:
    """Build the next project's sheets in a scratch workbook, then copy them in (names come along)."""
    from openpyxl import Workbook

    from perfeval_xl.files import atomic_save
    from perfeval_xl.forms.template import addresses, write_form
    from perfeval_xl.scoring import last_project_sheet, next_project

    live = XlwingsBook(book)
    forms = next_project(live)
    wb = Workbook()
    wb.remove(wb.active)
    for form in forms:
        write_form(wb, form, {f.sheet: addresses(f) for f in forms})
    scratch = Path(tempfile.mkdtemp(prefix="perfeval-")) / "项目.xlsx"
    atomic_save(wb, scratch)
    src = ui.open(scratch)
    try:
        after = book.sheets[last_project_sheet(live)]
        for form in forms:
            src.sheets[form.sheet].copy(after=after)
            after = book.sheets[form.sheet]
    finally:
        src.close()
        shutil.rmtree(scratch.parent, ignore_errors=True)
    sheets = "”“".join(f.sheet for f in forms)
    ui.alert(f"已新增工作表“{sheets}”（项目支出表）。")
    return [f.sheet for f in forms]


@handler("open_template")
def open_template(book, ui) -> Path:
    """A fresh copy of the 2023 template beside the current workbook (the template stays clean)."""
    from perfeval_xl.forms.sets import template_sets
    from perfeval_xl.forms.template import build_workbook
    from perfeval_xl.files import atomic_save

    tset = template_sets()["2023"]
    folder = Path(book.fullname).parent if book.fullname and Path(book.fullname).exists() else Path.home()
    target = folder / tset.filename
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{Path(tset.filename).stem}（{n}）.xlsx"
    atomic_save(build_workbook(tset), target)
    ui.open(target)
    return target


@handler("collect")
def collect_folder(book, ui) -> Path | None:
    from perfeval_xl.bureau.collect import collect
    from perfeval_xl.bureau.summary import write_summary

    folder = ui.pick_folder()
    if folder is None:
        return None
    # One process: a worker pool started from inside Excel's Python is not worth the risk.
    col = collect([folder], workers=1, progress=lambda done, total: ui.status(f"汇总中 {done}/{total}"))
    out = folder / "汇总.xlsx"
    write_summary(col, out)
    ui.open(out)
    ui.alert(f"已汇总 {len(col.units)} 个文件，跳过 {len(col.skipped)} 个。汇总表：{out}")
    return out


ROSTER_NAMES = ("名单.txt", "名单.xlsx", "单位名单.txt", "单位名单.xlsx")


@handler("department")
def department_folder(book, ui) -> Path | None:
    """部门汇总 of a folder of unit exports: 名单.txt / 名单.xlsx and 公钥登记表.json there are used
    when present; writes 部门汇总.xlsx and the department's report draft beside them."""
    from perfeval_xl.bureau import department, department_book
    from perfeval_xl.bureau.collect import find_files
    from perfeval_xl.report.department import report_department

    folder = ui.pick_folder()
    if folder is None:
        return None
    roster = next((folder / n for n in ROSTER_NAMES if (folder / n).exists()), None)
    registry = folder / "公钥登记表.json"
    out = folder / "部门汇总.xlsx"
    ours = {out.name, "汇总.xlsx", *ROSTER_NAMES}  # what this tool wrote or reads there is no unit's file
    files = [p for p in find_files([folder]) if p.name not in ours]
    dep = department.build(files, roster, registry=registry if registry.exists() else None, workers=0,
                           progress=lambda done, total: ui.status(f"部门汇总中 {done}/{total}"))
    department_book.write(dep, out)
    draft, _ = report_department(out, *department_book.read(out))
    ui.open(out)
    errors = sum(i.severity == "error" for i in dep.issues)
    ui.alert(f"已列入 {len(dep.units)} 个单位（{'名单：' + roster.name if roster else '未找到名单文件，按单位名称排序'}）；"
             f"未计入 {len(dep.collection.not_counted())} 个文件，未报送 {len(dep.collection.missing())} 个单位；"
             f"校验发现错误 {errors} 项。\n部门汇总：{out}\n报告初稿：{draft}")
    return out


@handler("help")
def show_help(book, ui) -> None:
    ui.alert(HELP_TEXT)
