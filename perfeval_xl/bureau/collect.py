"""汇总: read many exported workbooks, verify their stamps, re-validate, and roll them up.

Files are read as data only: the zip is inspected first (not a workbook, truncated, encrypted,
macro-enabled files are skipped with a reason), values come from python-calamine, document
properties and defined names straight from the package XML. Nothing in a file is executed.
The roll-up itself is a pandas DataFrame, so the bureau can load it into its own analysis.
"""
from __future__ import annotations

import html
import re
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Literal

import pandas as pd
import python_calamine
from pydantic import BaseModel

from perfeval_xl.checks.assess import Assessment, assess
from perfeval_xl.book import BookError, OpenpyxlBook, ValuesBook, split_ref
from perfeval_xl.bureau.export import HASH_PROP, canonical_hash
from perfeval_xl.forms.sets import template_sets

Weighting = Literal["equal", "budget"]
WEIGHTING_TEXT = {"equal": "部门平均按各单位等权平均计算", "budget": "部门平均按各单位全年预算数加权计算"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".et")
BASE_COLUMNS = ["文件", "单位", "年度", "模板", "指标体系"]
TAIL_COLUMNS = ["总分", "等次", "印章", "错误数", "提示数", "全年预算数"]


class UnitResult(BaseModel):
    file: str
    assessment: Assessment
    stamp: str  # 通过 / 已被修改 / 未盖章
    budget: float | None = None


class Skipped(BaseModel):
    file: str
    reason: str


# ----------------------------------------------------------------------------- one file
_CUSTOM_PROP = re.compile(r'<property [^>]*name="([^"]+)"[^>]*>\s*<vt:\w+[^>]*>([^<]*)</vt:\w+>', re.S)
_DEFINED = re.compile(r'<definedName ([^>]*)>([^<]*)</definedName>')


def _inspect_package(path: Path) -> tuple[zipfile.ZipFile | None, str | None]:
    """Open the zip, or say in Chinese why this is not a readable exported workbook."""
    head = path.open("rb").read(8)
    if head.startswith(b"%PDF"):
        return None, "不是Excel工作簿（是PDF文件，可能被改了扩展名）"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return None, "文件已加密（设有打开密码）或为旧版.xls格式，无法读取"
    if not head.startswith(b"PK"):
        return None, "不是Excel工作簿（文件内容不是xlsx格式）"
    try:
        z = zipfile.ZipFile(path)
        bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError):
        return None, "文件已损坏（压缩包结构不完整，可能未传输完整）"
    if bad is not None:
        return None, f"文件已损坏（{bad} 校验失败）"
    names = set(z.namelist())
    if "xl/workbook.xml" not in names:
        return None, "不是Excel工作簿（缺少 xl/workbook.xml）"
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return None, "包含宏代码（.xlsm），不是锁定导出的文件；为安全起见不予读取，请要求单位重新“锁定导出”"
    return z, None


def _stamp(z: zipfile.ZipFile) -> dict[str, str]:
    try:
        xml = z.read("docProps/custom.xml").decode("utf-8")
    except KeyError:
        return {}
    return {name: html.unescape(value) for name, value in _CUSTOM_PROP.findall(xml)}


def _defined_names(z: zipfile.ZipFile, sheets: list[str]) -> dict[str, dict[str, str]]:
    xml = z.read("xl/workbook.xml").decode("utf-8")
    names: dict[str, dict[str, str]] = {s: {} for s in sheets}
    for attrs, ref in _DEFINED.findall(xml):
        m = re.search(r'\bname="([^"]+)"', attrs)
        local = re.search(r'localSheetId="(\d+)"', attrs)
        if not m or "!" not in ref:
            continue
        try:
            sheet, coord = split_ref(html.unescape(ref))
        except BookError:
            continue
        if local is None or sheets[int(local.group(1))] == sheet:
            names.setdefault(sheet, {})[m.group(1)] = coord
    return names


def read_exported(path: Path) -> UnitResult | Skipped:
    """One file → its unit result, or the reason it was skipped. Never raises."""
    path = Path(path)
    try:
        z, reason = _inspect_package(path)
        if reason:
            return Skipped(file=path.name, reason=reason)
        stamp = _stamp(z)
        if stamp.get("perfeval.template") not in template_sets():
            return Skipped(file=path.name, reason="未知的表格布局（不是本工具模板生成的工作簿）")
        cal = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = list(cal.sheet_names)
        grids = {s: cal.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in sheets}
        if HASH_PROP in stamp:
            cells = [(s, [(r + 1, c + 1, v) for r, row in enumerate(grids[s]) for c, v in enumerate(row)])
                     for s in sheets]
            status = "通过" if canonical_hash(cells) == stamp[HASH_PROP] else "已被修改"
            book = ValuesBook(grids, _defined_names(z, sheets), stamp["perfeval.template"], path)
        else:  # never exported: formulas without cached values, so evaluate them (openpyxl path)
            status = "未盖章"
            book = OpenpyxlBook.open(path)
        a = assess(book)
        tset = template_sets()[a.template]
        budget = None
        if tset.budget is not None:
            try:
                budget = float(book.get(*tset.budget))
            except (TypeError, ValueError):
                budget = None
        return UnitResult(file=path.name, assessment=a, stamp=status, budget=budget)
    except Exception as exc:  # a hostile or broken file must not stop the run
        return Skipped(file=path.name, reason=f"读取失败：{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------- many files
def find_files(inputs: Iterable[Path]) -> list[Path]:
    files = []
    for p in map(Path, inputs):
        if p.is_dir():  # workbook-looking names only; a named file is always read
            files += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in WORKBOOK_SUFFIXES
                            and not q.name.startswith((".", "~$")))
        else:
            files.append(p)
    return files


def _progress(done: int, total: int) -> None:
    if not sys.stderr.isatty() or total == 0:
        return
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r汇总中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def read_all(files: list[Path], workers: int = 0, progress=_progress) -> list[UnitResult | Skipped]:
    """Read every file, in parallel processes when there are many (2 cores here)."""
    results = []
    if workers <= 1 or len(files) < 50:
        for i, f in enumerate(files, start=1):
            results.append(read_exported(f))
            progress(i, len(files))
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, r in enumerate(pool.map(read_exported, files, chunksize=16), start=1):
            results.append(r)
            progress(i, len(files))
    return results


class Collection(BaseModel):
    units: list[UnitResult]
    skipped: list[Skipped]
    weighting: Weighting = "equal"

    def table(self) -> pd.DataFrame:
        """One row per unit: the roll-up's input, for pandas users too."""
        rows = []
        for u in self.units:
            a, main = u.assessment, u.assessment.main
            row = {"文件": u.file, "单位": a.unit, "年度": a.year, "模板": a.template,
                   "指标体系": main.scheme if main else ""}
            row.update({k: float(v) for k, v in (main.parts if main else {}).items()})
            row.update({"总分": float(main.total) if main and main.total is not None else None,
                        "等次": main.grade if main else None, "印章": u.stamp,
                        "错误数": len(a.errors), "提示数": len(a.warnings), "全年预算数": u.budget})
            rows.append(row)
        df = pd.DataFrame(rows)
        if df.empty:
            return pd.DataFrame(columns=BASE_COLUMNS + TAIL_COLUMNS)
        parts = [c for c in df.columns if c not in BASE_COLUMNS + TAIL_COLUMNS]
        return df[BASE_COLUMNS + parts + TAIL_COLUMNS].sort_values(["单位", "文件"], ignore_index=True)

    def score_columns(self, df: pd.DataFrame) -> list[str]:
        return [c for c in df.columns if c not in BASE_COLUMNS + TAIL_COLUMNS] + ["总分"]

    def average(self, df: pd.DataFrame | None = None) -> dict[str, float]:
        """部门加权平均分 of every score column, rounded half-up to 0.01."""
        df = self.table() if df is None else df
        cols = self.score_columns(df)
        if df.empty:
            return {}
        if self.weighting == "budget":
            if df["全年预算数"].isna().any() or (df["全年预算数"] <= 0).any():
                raise BookError("有单位缺少全年预算数，无法按预算加权；请改用等权平均")
            w = df["全年预算数"]
        else:
            w = pd.Series(1.0, index=df.index)
        out = {}
        for c in cols:
            mask = df[c].notna()
            total_w = w[mask].sum()
            value = (df.loc[mask, c] * w[mask]).sum() / total_w if total_w else float("nan")
            out[c] = float(Decimal(str(value)).quantize(Decimal("0.01"), "ROUND_HALF_UP")) if total_w else None
        return out

    def findings(self) -> pd.DataFrame:
        rows = [{"文件": u.file, "单位": u.assessment.unit, "严重程度": "错误" if f.severity == "error" else "提示",
                 "工作表": f.sheet, "单元格": f.cell, "代码": f.code, "说明": f.message}
                for u in self.units for f in u.assessment.findings]
        rows += [{"文件": u.file, "单位": u.assessment.unit, "严重程度": "错误", "工作表": "", "单元格": "",
                  "代码": "stamp_" + ("altered" if u.stamp == "已被修改" else "missing"),
                  "说明": "导出后文件被改动，印章核验未通过" if u.stamp == "已被修改" else "文件未经锁定导出，没有印章"}
                 for u in self.units if u.stamp != "通过"]
        return pd.DataFrame(rows, columns=["文件", "单位", "严重程度", "工作表", "单元格", "代码", "说明"])


def collect(inputs: Iterable[Path], weighting: Weighting = "equal", workers: int = 2, progress=_progress) -> Collection:
    results = read_all(find_files(inputs), workers, progress)
    return Collection(units=[r for r in results if isinstance(r, UnitResult)],
                      skipped=[r for r in results if isinstance(r, Skipped)], weighting=weighting)


def rollup_book(book) -> Collection:
    """Inside one workbook: every scored sheet (a unit's or a project's) is one row."""
    a = assess(book)
    units = []
    for form in a.forms:
        if form.total is None:
            continue
        one = a.model_copy(update={"main": form, "unit": _sheet_unit(book, form.sheet) or form.sheet,
                                   "findings": [f for f in a.findings if f.sheet == form.sheet]})
        units.append(UnitResult(file=form.sheet, assessment=one, stamp="未盖章"))
    return Collection(units=units, skipped=[])


def _sheet_unit(book, sheet: str) -> str:
    for name in ("project_name", "unit_name"):
        v = book.get(sheet, name)
        if v not in (None, "", "/"):
            return str(v)
    return ""


# ----------------------------------------------------------------------------- summary workbook
def write_summary(col: Collection, out: Path) -> Path:
    """The bureau's 汇总 workbook: units, department average, findings, skipped files, charts.
    Every text from a file is written with write_string: "=..." in a unit name stays text."""
    import xlsxwriter

    from perfeval_xl.files import atomic_write

    df = col.table()
    avg = col.average(df) if not df.empty else {}
    findings = col.findings()

    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        title = wb.add_format({"bold": True, "font_size": 14, "font_name": "黑体"})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "font_name": "宋体"})
        cell = wb.add_format({"border": 1, "font_name": "宋体"})
        num = wb.add_format({"border": 1, "num_format": "0.00", "font_name": "宋体"})
        bold_num = wb.add_format({"border": 1, "num_format": "0.00", "bold": True, "bg_color": "#FFF2CC"})
        bold = wb.add_format({"border": 1, "bold": True, "bg_color": "#FFF2CC"})

        ws = wb.add_worksheet("汇总")
        ws.write_string(0, 0, "预算绩效自评汇总表", title)
        ws.write_string(1, 0, f"共读取 {len(col.units)} 个文件，跳过 {len(col.skipped)} 个；{WEIGHTING_TEXT[col.weighting]}。")
        columns = list(df.columns)
        for c, name in enumerate(columns):
            ws.write_string(3, c, name, head)
        score_cols = set(col.score_columns(df)) | {"全年预算数"}
        for r, record in enumerate(df.itertuples(index=False), start=4):
            for c, (name, value) in enumerate(zip(columns, record)):
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    ws.write_blank(r, c, None, cell)
                elif name in score_cols or name in ("错误数", "提示数", "年度"):
                    ws.write_number(r, c, float(value), num if name in score_cols else cell)
                else:
                    ws.write_string(r, c, str(value), cell)
        avg_row = 4 + len(df)
        ws.write_string(avg_row, 1, "部门平均（等权）" if col.weighting == "equal" else "部门平均（按预算加权）", bold)
        for c, name in enumerate(columns):
            if name in avg and avg[name] is not None:
                ws.write_number(avg_row, c, avg[name], bold_num)
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 30)
        ws.set_column(2, len(columns), 11)
        if not df.empty:
            total_col = columns.index("总分")
            chart = wb.add_chart({"type": "bar"})
            chart.add_series({"name": "总分", "categories": ["汇总", 4, 1, avg_row - 1, 1],
                              "values": ["汇总", 4, total_col, avg_row - 1, total_col], "data_labels": {"value": True}})
            chart.set_title({"name": "各单位总分"})
            chart.set_x_axis({"min": 0, "max": 100})
            chart.set_legend({"none": True})
            chart.set_size({"width": 640, "height": max(300, 22 * len(df))})
            ws.insert_chart(avg_row + 2, 1, chart)

        grades = wb.add_worksheet("等次分布")
        counts = df["等次"].value_counts() if not df.empty else pd.Series(dtype=int)
        grades.write_string(0, 0, "评价等次", head)
        grades.write_string(0, 1, "单位数", head)
        for r, g in enumerate(["优", "良", "中", "差"], start=1):
            grades.write_string(r, 0, g, cell)
            grades.write_number(r, 1, int(counts.get(g, 0)), cell)
        pie = wb.add_chart({"type": "column"})
        pie.add_series({"name": "单位数", "categories": ["等次分布", 1, 0, 4, 0], "values": ["等次分布", 1, 1, 4, 1],
                        "data_labels": {"value": True}})
        pie.set_title({"name": "评价等次分布"})
        pie.set_legend({"none": True})
        grades.insert_chart(1, 3, pie)

        fs = wb.add_worksheet("问题清单")
        for c, name in enumerate(findings.columns):
            fs.write_string(0, c, name, head)
        for r, record in enumerate(findings.itertuples(index=False), start=1):
            for c, value in enumerate(record):
                fs.write_string(r, c, str(value), cell)
        fs.set_column(0, 1, 30)
        fs.set_column(6, 6, 80)

        sk = wb.add_worksheet("未读取文件")
        sk.write_string(0, 0, "文件", head)
        sk.write_string(0, 1, "原因", head)
        for r, s in enumerate(col.skipped, start=1):
            sk.write_string(r, 0, s.file, cell)
            sk.write_string(r, 1, s.reason, cell)
        sk.set_column(0, 0, 40)
        sk.set_column(1, 1, 80)
        wb.close()

    return atomic_write(Path(out), write)


def as_json(col: Collection) -> str:
    import json

    df = col.table()
    data = {"weighting": col.weighting, "weighting_text": WEIGHTING_TEXT[col.weighting],
            "units": json.loads(df.to_json(orient="records", force_ascii=False)),
            "average": col.average(df) if not df.empty else {},
            "skipped": [s.model_dump() for s in col.skipped],
            "findings": json.loads(col.findings().to_json(orient="records", force_ascii=False))}
    return json.dumps(data, ensure_ascii=False, indent=2)
