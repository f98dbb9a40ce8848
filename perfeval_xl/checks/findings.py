"""Present an assessment: text for the terminal and message boxes, JSON for machines, and the
校验结果 sheet (one row per finding, each with a hyperlink to its cell)."""
from __future__ import annotations

import json
import re

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname

from perfeval_xl.checks.assess import Assessment
from perfeval_xl.engine.parse import pct
from perfeval_xl.forms.printing import print_whole

RESULT_SHEET = "校验结果"
SEVERITY = {"error": "错误", "warning": "提示"}
HEADER = ["严重程度", "工作表", "单元格", "问题", "说明"]
WIDTHS = (9, 10, 9, 20, 66)  # landscape A4 at full size: 114 units are about 620 points


def edition_title(scheme_id: str) -> str:
    """The 评分表's printed name for an edition id, without the year the edition was issued for
    (a 2022 report keeps the 2021 edition): lengshuitan-project-2021 → 财政专项（项目）资金绩效评价表."""
    from perfeval_xl.engine.rules import ScoreError
    from perfeval_xl.engine.scheme import load

    try:
        title = load(scheme_id).title
    except ScoreError:  # an edition carried by a workbook and not loaded in this process
        return "工作簿自带指标体系"
    return re.sub(r"^\d{4}年度", "", title)


def set_title(template_id: str) -> str:
    """A template set's title (预算单位整体支出绩效自评（2023样表）) for its id."""
    from perfeval_xl.forms.sets import template_sets

    tset = template_sets().get(template_id)
    return tset.title if tset else "工作簿自带指标体系的模板"


def summary_lines(a: Assessment, titles: bool = False) -> list[str]:
    """The headline: unit, each form's total and parts, counts. ``titles`` names each 评分表's
    edition by its printed title (the 校验结果 sheet) instead of its id (terminal, JSON users)."""
    template = set_title(a.template) if titles else a.template
    lines = [f"单位：{a.unit or '（未填写）'}    年度：{a.year}    模板：{template}"]
    if a.edition_sha256:
        lines.append(f"指标体系：工作簿自带（非内置），SHA-256 {a.edition_sha256}，请与发布的指标体系文件核对")
    for form in a.forms:
        rates = "，".join(f"{k} {pct(v)}" for k, v in form.rates.items())
        if form.total is None:
            if rates:
                lines.append(f"{form.sheet}：{rates}")
            continue
        parts = "，".join(f"{k} {v:f}" for k, v in form.parts.items())
        scaled = (f"（按百分制折算：得分合计 {form.score_sum:f} ÷ 适用指标分值 {form.applicable:f}）"
                  if form.applicable is not None else "")
        scheme = edition_title(form.scheme) if titles else form.scheme
        lines.append(f"{form.sheet}（{scheme}）：总分 {form.total:f}{scaled}，等次 {form.grade}；{parts}"
                     + (f"；{rates}" if rates else ""))
    lines.append(f"校验：错误 {len(a.errors)} 项，提示 {len(a.warnings)} 项")
    return lines


def as_text(a: Assessment, findings: bool = True) -> str:
    lines = summary_lines(a)
    if findings:
        lines += [f"  [{SEVERITY[f.severity]}] {f}" for f in a.findings]
    return "\n".join(lines)


def as_json(a: Assessment) -> str:
    data = a.model_dump(mode="json")
    data["errors"], data["warnings"] = len(a.errors), len(a.warnings)
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_result_sheet(wb, a: Assessment, stamp: str = "", notes: list[str] = ()) -> None:
    """Replace the 校验结果 sheet of an openpyxl workbook with this assessment: a title, the
    headline lines and ``notes`` each merged across the table and wrapped (they print whole),
    then one bordered row per finding, on a landscape A4 page at a readable size."""
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    ws = wb.create_sheet(RESULT_SHEET)
    last = get_column_letter(len(HEADER))
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    for text in ["校验结果" + (f"（{stamp}）" if stamp else ""), *summary_lines(a, titles=True), *notes]:
        ws.append([text])
        ws.merge_cells(f"A{ws.max_row}:{last}{ws.max_row}")
        ws.cell(ws.max_row, 1).alignment = left
        ws.cell(ws.max_row, 1).font = Font(name="宋体", size=10)
    ws["A1"].font = Font(name="黑体", size=14, bold=True)
    ws.append([])
    ws.append(HEADER)
    head_row = ws.max_row
    for f in a.findings:
        ws.append([SEVERITY[f.severity], f.sheet, f.cell, f.title, f.message])
        link = ws.cell(ws.max_row, 3)
        if f.sheet in wb.sheetnames:
            link.hyperlink = f"#{quote_sheetname(f.sheet)}!{f.cell}"
            link.font = Font(name="宋体", size=10, color="0563C1", underline="single")
        if f.severity == "error":
            ws.cell(ws.max_row, 1).font = Font(name="宋体", size=10, color="C00000", bold=True)
    if not a.findings:
        ws.append(["", "", "", "", "未发现问题"])
    _table_style(ws, head_row)


def _table_style(ws, head_row: int) -> None:
    thin = Side(style="thin", color="000000")
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row in ws.iter_rows(min_row=head_row, max_col=len(HEADER)):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(horizontal="left" if cell.column >= 4 else "center", vertical="center",
                                       wrap_text=True)
            if cell.row == head_row:
                cell.font, cell.fill = Font(name="宋体", size=10, bold=True), PatternFill("solid", fgColor="DDEBF7")
            elif not cell.font or cell.font.name != "宋体":
                cell.font = Font(name="宋体", size=10)
    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.print_area = f"A1:{get_column_letter(len(HEADER))}{ws.max_row}"
    ws.page_setup.paperSize, ws.page_setup.orientation = ws.PAPERSIZE_A4, "landscape"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    print_whole(ws)  # the wrapped lines get their heights in any file that carries the sheet
