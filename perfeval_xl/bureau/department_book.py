"""The 部门汇总 workbook (xlsxwriter): the department's four tables as official tables, then
报送情况, 校验结果 and 来源.

Each table sheet: a title, a line naming the department and the unit (万元), one or two header
rows, a row per unit (or project), the 合计 row (SUM formulas, so the sheet stays a sum of what
it shows) or the 部门平均分 row, and notes (weighting, the totals in words). Sheet-scoped names
表头 / 表体 / 表注 mark the parts, so ``read`` gives the tables back for the report draft
(report/department.py).
Every figure's file and cell is listed in 来源. Fonts 宋体 (tables) and 仿宋 (notes), A4, one
page wide, header rows repeated, row heights set for every text to print whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from perfeval_xl.book import BookError
from perfeval_xl.bureau.collect import COUNTED
from perfeval_xl.bureau.department import SANGONG_LINES, Department, UnitFigures, total
from perfeval_xl.files import atomic_write
from perfeval_xl.forms.printing import height_needed
from perfeval_xl.report import department as rd

SIZE = 11
NOTE_SIZE = 12
TITLE_SIZE = 16


@dataclass
class Table:
    sheet: str
    title: str
    heads: list[tuple[str, str]]  # (group, label) per column; group "" for a single header cell
    kinds: list[str]  # index / text / money / score / percent / int
    widths: list[float]
    rows: list[list] = field(default_factory=list)
    sources: list[list[str]] = field(default_factory=list)
    last: list | None = None  # 合计 / 平均分 row: values, "sum", or ("ratio", num col, den col)
    notes: list[str] = field(default_factory=list)
    landscape: bool = False
    merge: int | None = None  # a column whose equal neighbours are merged (a unit's projects)

    def add(self, values: list, sources: list[str] | None = None) -> None:
        self.rows.append(values)
        self.sources.append(sources or [""] * len(values))


def label(uf: UnitFigures) -> str:
    return uf.name + ("（本级）" if uf.benji else "")


def _v(value) -> Decimal | None:
    return value.value if value is not None else None


def _src(value) -> str:
    return value.source if value is not None else ""


def _percent(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return a / b if a is not None and b else None


# ----------------------------------------------------------------------------- the tables
def score_table(dep: Department) -> Table:
    average = rd.AVERAGE_LABEL[dep.weighting]
    t = Table(rd.SCORES, f"{dep.year}年度部门所属单位整体支出绩效自评得分表",
              [("", rd.INDEX), ("", rd.UNIT), *[("", p) for p in dep.parts], ("", rd.TOTAL_SCORE), ("", rd.GRADE)],
              ["index", "text", *["score"] * len(dep.parts), "score", "text"],
              [6, 30, *[10] * len(dep.parts), 10, 9], landscape=len(dep.parts) > 5)
    for i, uf in enumerate(dep.units, start=1):
        main = uf.result.main
        src = f"{uf.result.file} {main.sheet}"
        t.add([i, label(uf), *[Decimal(str(main.parts[p])) for p in dep.parts],
               Decimal(str(main.total)), main.grade], ["", src, *[src] * (len(dep.parts) + 2)])
    t.last = [average, "", *[Decimal(str(v)) if v is not None else None for v in
                          (dep.average.get(p) for p in [*dep.parts, "总分"])], ""]
    t.notes = [rd.weighting_note(dep.weighting, len(dep.units))]
    return t


def sangong_table(dep: Department) -> Table:
    groups = [("合计", "sangong"), *[(label, key) for key, label in SANGONG_LINES]]
    t = Table(rd.SANGONG, f"{dep.year}年度部门“三公”经费预算与决算情况表",
              [("", rd.INDEX), ("", rd.UNIT), *[(g, c) for g, _ in groups for c in rd.BUDGET_FINAL]],
              ["index", "text", *["money"] * (2 * len(groups))], [5, 28, *[9.5] * (2 * len(groups))], landscape=True)
    for i, uf in enumerate(_with_figures(dep), start=1):
        cells = [(uf.totals.get("sangong_budget"), uf.totals.get("sangong_final"))]
        cells += [uf.sangong[key] for key, _ in SANGONG_LINES]
        flat = [v for pair in cells for v in pair]
        t.add([i, label(uf), *[_v(v) for v in flat]], ["", uf.result.file, *[_src(v) for v in flat]])
    t.last = ["合计", "", *["sum"] * (2 * len(groups))]
    budget, final = (_column_sum(t, 2), _column_sum(t, 3))
    t.notes = [rd.sangong_words(budget, final)]
    return t


def project_table(dep: Department) -> Table:
    t = Table(rd.PROJECTS, f"{dep.year}年度部门项目支出情况表",
              [("", rd.INDEX), ("", rd.UNIT), ("", rd.PROJECT), ("", rd.AMOUNT), ("", rd.NOTE)],
              ["index", "text", "text", "money", "text"], [6, 30, 32, 13, 22], merge=1)
    for uf in _with_figures(dep):
        for p in uf.projects:
            t.add([len(t.rows) + 1, label(uf), p.name, p.amount.value, p.note], ["", "", "", p.amount.source, ""])
    t.last = ["合计", "", "", "sum", ""]
    t.notes = [rd.project_words(len(t.rows), _column_sum(t, 3))]
    return t


def totals_table(dep: Department) -> Table:
    keys = ["budget_full", "budget_spent", None, "expense_basic", "staff", "public", "expense_project",
            "staff_quota", "staff_actual"]
    t = Table(rd.TOTALS, f"{dep.year}年度部门预算执行及人员情况表",
              [("", rd.INDEX), ("", rd.UNIT), *[("", c) for c in rd.TOTAL_COLUMNS]],
              ["index", "text", "money", "money", "percent", "money", "money", "money", "money", "int", "int"],
              [5, 28, 11, 11, 9, 11, 11, 11, 11, 8, 8], landscape=True)
    for i, uf in enumerate(_with_figures(dep), start=1):
        values, sources = [], []
        for key in keys:
            if key is None:  # 执行率
                values.append(_percent(uf.get("budget_spent"), uf.get("budget_full")))
                sources.append("计算：全年执行数÷全年预算数")
            elif key == "staff":  # 人员经费 = 基本支出 − 公用经费
                basic, public = uf.get("expense_basic"), uf.get("public")
                values.append(basic - public if basic is not None and public is not None else None)
                sources.append(f"计算：基本支出（{_src(uf.totals.get('expense_basic'))}）−公用经费（{_src(uf.totals.get('public'))}）")
            else:
                values.append(uf.get(key))
                sources.append(_src(uf.totals.get(key)))
        t.add([i, label(uf), *values], ["", uf.result.file, *sources])
    t.last = ["合计", "", "sum", "sum", ("ratio", 3, 2), *["sum"] * 6]
    t.notes = [rd.TOTALS_NOTE, rd.totals_words({c: _column_sum(t, j) for j, c in enumerate(rd.TOTAL_COLUMNS, start=2)
                                                if c != rd.RATE})]
    return t


def _with_figures(dep: Department) -> list[UnitFigures]:
    return [uf for uf in dep.units if uf.totals]


def _column_sum(t: Table, col: int) -> Decimal | None:
    return total(r[col] for r in t.rows)


def last_values(t: Table) -> list:
    """The 合计 row's values, as its formulas compute them."""
    out = []
    for j, spec in enumerate(t.last or []):
        if spec == "sum":
            out.append(_column_sum(t, j) or Decimal(0))
        elif isinstance(spec, tuple):
            num, den = (_column_sum(t, c) for c in spec[1:])
            out.append(num / den if num is not None and den else None)
        else:
            out.append(spec)
    return out


def tables(dep: Department) -> list[Table]:
    out = [score_table(dep)]
    if dep.has_figures:
        out += [sangong_table(dep), project_table(dep), totals_table(dep)]
    return out


# ----------------------------------------------------------------------------- writing
class _Formats:
    def __init__(self, wb):
        base = {"font_name": "宋体", "font_size": SIZE, "border": 1, "valign": "vcenter", "text_wrap": True}
        self.title = wb.add_format({"font_name": "宋体", "font_size": TITLE_SIZE, "bold": True, "align": "center",
                                    "valign": "vcenter", "text_wrap": True})
        self.line = wb.add_format({"font_name": "仿宋", "font_size": NOTE_SIZE, "valign": "vcenter", "text_wrap": True})
        self.note = wb.add_format({"font_name": "仿宋", "font_size": NOTE_SIZE, "valign": "top", "text_wrap": True})
        self.head = wb.add_format({**base, "bold": True, "align": "center"})
        self.kinds = {"index": wb.add_format({**base, "align": "center", "num_format": "0"}),
                      "text": wb.add_format({**base, "align": "left"}),
                      "money": wb.add_format({**base, "align": "right", "num_format": "#,##0.00"}),
                      "score": wb.add_format({**base, "align": "right", "num_format": "0.00"}),
                      "percent": wb.add_format({**base, "align": "right", "num_format": "0.00%"}),
                      "int": wb.add_format({**base, "align": "right", "num_format": "0"})}
        self.bold = {k: wb.add_format({**base, **f, "bold": True}) for k, f in
                     {"index": {"align": "center"}, "text": {"align": "center"},
                      "money": {"align": "right", "num_format": "#,##0.00"},
                      "score": {"align": "right", "num_format": "0.00"},
                      "percent": {"align": "right", "num_format": "0.00%"},
                      "int": {"align": "right", "num_format": "0"}}.items()}


def _cell(ws, r: int, c: int, value, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, float(value), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _height(texts: list[tuple[str, float]], size: float = SIZE) -> float:
    return max([height_needed(text, width, size) for text, width in texts if text] or [height_needed("", 10, size)])


def _col(c: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(c)


def write_table(wb, f: _Formats, t: Table, dep: Department) -> None:
    ws = wb.add_worksheet(t.sheet)
    n = len(t.heads)
    full = sum(t.widths)
    for c, w in enumerate(t.widths):
        ws.set_column(c, c, w)
    ws.merge_range(0, 0, 0, n - 1, t.title, f.title)
    ws.set_row(0, _height([(t.title, full)], TITLE_SIZE))
    line = f"编制单位：{dep.name or '（部门名称）'}" + ("" if set(t.kinds) <= {"index", "text", "score"} else "        单位：万元")
    ws.merge_range(1, 0, 1, n - 1, line, f.line)
    ws.set_row(1, _height([(line, full)], NOTE_SIZE))
    two = any(g for g, _ in t.heads)
    r = 2
    for c, (group, label) in enumerate(t.heads):
        if not group:
            (ws.merge_range(r, c, r + 1, c, label, f.head) if two else ws.write_string(r, c, label, f.head))
    if two:
        c = 0
        while c < n:
            group = t.heads[c][0]
            span = sum(1 for g, _ in t.heads[c:] if g == group) if group else 0
            if group:
                ws.merge_range(r, c, r, c + span - 1, group, f.head)
                for k in range(span):
                    ws.write_string(r + 1, c + k, t.heads[c + k][1], f.head)
                c += span
            else:
                c += 1
        ws.set_row(r + 1, _height([(label, t.widths[c]) for c, (_, label) in enumerate(t.heads)]))
    ws.set_row(r, _height([(g or label, t.widths[c]) for c, (g, label) in enumerate(t.heads)]) if not two
               else _height([(g, t.widths[c] * 2) for c, (g, _) in enumerate(t.heads) if g]))
    first = r + (2 if two else 1)
    wb.define_name(f"'{t.sheet}'!表头", f"='{t.sheet}'!$A${r + 1}:${_col(n - 1)}${first}")
    for i, row in enumerate(t.rows):
        for c, value in enumerate(row):
            _cell(ws, first + i, c, value, f.kinds[t.kinds[c]])
        shared = t.merge is not None and any(0 <= j < len(t.rows) and t.rows[j][t.merge] == row[t.merge]
                                             for j in (i - 1, i + 1))
        ws.set_row(first + i, _height([(str(v), t.widths[c]) for c, v in enumerate(row)
                                       if isinstance(v, str) and not (shared and c == t.merge)]))
    if t.merge is not None:
        _merge_runs(ws, f, t, first)
    end = first + len(t.rows)
    if t.last is not None:
        values = last_values(t)
        for c, spec in enumerate(t.last):
            fmt = f.bold[t.kinds[c]]
            if spec == "sum":
                ws.write_formula(end, c, f"=SUM({_col(c)}{first + 1}:{_col(c)}{max(end, first + 1)})", fmt,
                                 float(values[c]))
            elif isinstance(spec, tuple):
                num, den = (f"{_col(k)}{end + 1}" for k in spec[1:])
                ws.write_formula(end, c, f'=IF(N({den})=0,"",{num}/{den})', fmt,
                                 float(values[c]) if values[c] is not None else "")
            else:
                _cell(ws, end, c, spec, fmt)
        ws.merge_range(end, 0, end, 1, t.last[0], f.bold["text"])
        ws.set_row(end, _height([(str(t.last[0]), t.widths[0] + t.widths[1])]))
        end += 1
    wb.define_name(f"'{t.sheet}'!表体", f"='{t.sheet}'!$A${first + 1}:${_col(n - 1)}${max(end, first + 1)}")
    for k, note in enumerate(t.notes):
        ws.merge_range(end + k, 0, end + k, n - 1, note, f.note)
        ws.set_row(end + k, _height([(note, full)], NOTE_SIZE))
    if t.notes:
        wb.define_name(f"'{t.sheet}'!表注", f"='{t.sheet}'!$A${end + 1}:$A${end + len(t.notes)}")
    _page(ws, t.landscape, first - 1)


def _merge_runs(ws, f: _Formats, t: Table, first: int) -> None:
    c, i = t.merge, 0
    while i < len(t.rows):
        j = i
        while j + 1 < len(t.rows) and t.rows[j + 1][c] == t.rows[i][c]:
            j += 1
        if j > i:
            ws.merge_range(first + i, c, first + j, c, t.rows[i][c], f.kinds[t.kinds[c]])
        i = j + 1


def _page(ws, landscape: bool, head_last: int) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2, head_last)
    ws.center_horizontally()
    ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _list_sheet(wb, f: _Formats, name: str, title: str, heads: list[str], widths: list[float],
                rows: list[list], landscape: bool = True) -> None:
    ws = wb.add_worksheet(name)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.merge_range(0, 0, 0, len(heads) - 1, title, f.title)
    ws.set_row(0, _height([(title, sum(widths))], TITLE_SIZE))
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f.head)
    for i, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            _cell(ws, i, c, value, f.kinds["int" if isinstance(value, int) else "text"])
        ws.set_row(i, _height([(str(v), widths[c]) for c, v in enumerate(row) if v is not None]))
    if not rows:
        ws.merge_range(2, 0, 2, len(heads) - 1, "无", f.kinds["text"])
    _page(ws, landscape, 1)


def _submissions(dep: Department) -> list[list]:
    col = dep.collection
    rows = [[u.file, u.unit, u.stamp, u.signature, "计入" if u.status == COUNTED else "未计入",
             "" if u.status == COUNTED else u.status] for u in sorted(col.units, key=lambda u: (u.status != COUNTED, u.file))]
    rows += [[s.file, "", "", "", "未读取", s.reason] for s in col.skipped]
    rows += [["", name, "", "", "未报送", why] for name, why in col.missing()]
    return rows


def _source_rows(ts: list[Table]) -> list[list]:
    rows = []
    for t in ts:
        for row, sources in zip(t.rows, t.sources):
            for c, (value, source) in enumerate(zip(row, sources)):
                if source and isinstance(value, (Decimal, int, float)) and c > 0:
                    head = "".join(filter(None, t.heads[c]))
                    rows.append([t.sheet, row[0], row[1], head, f"{value:.4f}".rstrip("0").rstrip("."), source])
    return rows


def write(dep: Department, out: Path) -> Path:
    import xlsxwriter

    ts = tables(dep)

    def body(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        wb.set_properties({"title": f"{dep.year}年度{dep.name}部门整体支出绩效自评汇总", "author": "perfeval-xl"})
        for key, value in rd.properties(dep.name, dep.year, dep.template, dep.weighting, len(dep.units)).items():
            wb.set_custom_property(key, value)
        f = _Formats(wb)
        for t in ts:
            write_table(wb, f, t, dep)
        _list_sheet(wb, f, rd.SUBMISSIONS, f"报送情况（名单：{dep.roster_file or '未提供'}）",
                    ["文件", "单位", "印章", "签名", "状态", "原因"], [30, 24, 9, 12, 8, 50], _submissions(dep))
        _list_sheet(wb, f, rd.CHECKS, "校验结果（各单位之间及部门合计的一致性）",
                    ["严重程度", "单位", "文件", "问题", "说明", "代码"], [9, 22, 26, 20, 60, 22],
                    [["错误" if i.severity == "error" else "提示", i.unit, i.file, i.title, i.message, i.code]
                     for i in dep.issues])
        _list_sheet(wb, f, rd.SOURCES, "数字来源（每个数字取自哪个文件的哪个单元格）",
                    ["表", "序号", "单位", "栏目", "数值", "来源（文件 工作表!单元格，或计算方法）"],
                    [12, 6, 24, 18, 12, 70], _source_rows(ts))
        wb.close()

    return atomic_write(Path(out), body)


# ----------------------------------------------------------------------------- reading back
def _bounds(ref: str) -> tuple[int, int, int, int]:
    """``'项目支出'!$A$4:$E$45`` → (min col, min row, max col, max row)."""
    from openpyxl.utils import range_boundaries

    return range_boundaries(ref.split("!")[-1].replace("$", ""))


def _grid(ws, ref: str) -> list[list]:
    """A range's values; a merged cell's value in each cell it covers."""
    c1, r1, c2, r2 = _bounds(ref)
    merged = {}
    for m in ws.merged_cells.ranges:
        top = ws.cell(m.min_row, m.min_col).value
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                merged[(r, c)] = top
    return [[merged.get((r, c), ws.cell(r, c).value) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]


def read(path: Path) -> tuple[dict[str, object], dict[str, rd.Table]]:
    """A 部门汇总's properties and its tables, values as the cells hold them (after the gate)."""
    import openpyxl

    from perfeval_xl.book.package import open_package

    open_package(Path(path))
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:
        raise BookError(f"无法作为Excel工作簿打开：{Path(path).name}（{type(exc).__name__}）") from None
    props = {p.name: p.value for p in wb.custom_doc_props}
    out = {}
    for ws in wb.worksheets:
        names = ws.defined_names
        if "表头" not in names or "表体" not in names:
            continue
        head = _grid(ws, names["表头"].attr_text)
        heads = ["\n".join(dict.fromkeys(str(r[c]) for r in head if r[c] not in (None, ""))) for c in range(len(head[0]))]
        body = _grid(ws, names["表体"].attr_text)
        col, row = _bounds(names["表体"].attr_text)[:2]
        formats = [ws.cell(row, col + c).number_format for c in range(len(heads))]
        has_last = bool(body) and isinstance(body[-1][0], str)  # 合计 / 部门平均分, not a 序号
        notes = [r[0] for r in _grid(ws, names["表注"].attr_text)] if "表注" in names else []
        out[ws.title] = rd.Table(heads, formats, [r for r in body if isinstance(r[0], (int, float))],
                                 body[-1] if has_last else None, [str(n) for n in notes if n])
    return props, out
