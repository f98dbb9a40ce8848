"""Present an assessment: text for the terminal and message boxes, JSON for machines, and the
校验结果 sheet (one row per finding, each with a hyperlink to its cell)."""
from __future__ import annotations

import json

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import quote_sheetname

from perfeval_xl.checks.assess import Assessment
from perfeval_xl.engine.parse import pct

RESULT_SHEET = "校验结果"
SEVERITY = {"error": "错误", "warning": "提示"}
HEADER = ["严重程度", "工作表", "单元格", "问题", "说明", "代码"]


def summary_lines(a: Assessment) -> list[str]:
    lines = [f"单位：{a.unit or '（未填写）'}    年度：{a.year}    模板：{a.template}"]
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
        lines.append(f"{form.sheet}（{form.scheme}）：总分 {form.total:f}{scaled}，等次 {form.grade}；{parts}"
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


def write_result_sheet(wb, a: Assessment, stamp: str = "") -> None:
    """Replace the 校验结果 sheet of an openpyxl workbook with this assessment."""
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    ws = wb.create_sheet(RESULT_SHEET)
    ws.append(["校验结果" + (f"（{stamp}）" if stamp else "")])
    ws["A1"].font = Font(name="黑体", size=14, bold=True)
    for line in summary_lines(a):
        ws.append([line])
    ws.append([])
    ws.append(HEADER)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(name="宋体", bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for f in a.findings:
        ws.append([SEVERITY[f.severity], f.sheet, f.cell, f.title, f.message, f.code])
        link = ws.cell(ws.max_row, 3)
        if f.sheet in wb.sheetnames:
            link.hyperlink = f"#{quote_sheetname(f.sheet)}!{f.cell}"
            link.font = Font(color="0563C1", underline="single")
        if f.severity == "error":
            ws.cell(ws.max_row, 1).font = Font(color="C00000", bold=True)
    if not a.findings:
        ws.append(["", "", "", "", "未发现问题"])
    for col, width in zip("ABCDEF", (10, 12, 10, 22, 90, 24)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=head_row + 1):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
