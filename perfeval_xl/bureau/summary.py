"""The bureau's 汇总 workbook, written with xlsxwriter from the plain data model collect.py
produces (collect never imports this module; the command line and the ribbon call it).

Sheets: 汇总 (every file and form, whether it counts and why not), 平均分 (one average per year,
edition and kind of form, with the files that make it), 图表, 等次分布, 问题清单, 未计入,
未读取文件, and 未报送 when a roster was given. Printed landscape, one page wide, header rows
repeated and frozen. Every text from a file is written with write_string: "=…" stays text.
Charts: one bar per unit up to CHART_UNITS units; beyond, the distribution of 总分 and the top
and bottom units, so the chart does not grow with the department.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from perfeval_xl.bureau.collect import WEIGHTING_TEXT, Collection
from perfeval_xl.files import atomic_write

CHART_UNITS = 40
TOP = 10
GRADES = ["优", "良", "中", "差"]


class _Formats:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_name": "黑体"})
        self.warn = wb.add_format({"bold": True, "font_size": 14, "font_name": "黑体", "font_color": "#C00000"})
        self.head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "font_name": "宋体", "valign": "vcenter"})
        self.cell = wb.add_format({"border": 1, "font_name": "宋体"})
        self.wrap = wb.add_format({"border": 1, "font_name": "宋体", "text_wrap": True})
        self.num = wb.add_format({"border": 1, "num_format": "0.00", "font_name": "宋体"})
        self.int = wb.add_format({"border": 1, "num_format": "0", "font_name": "宋体"})


def _sheet(wb, f: _Formats, name: str, title: str, header: list[str], widths: list[int], head_row: int = 2):
    """A printable list: title, header row frozen and repeated on every page, landscape."""
    ws = wb.add_worksheet(name)
    ws.write_string(0, 0, title, f.title)
    for c, h in enumerate(header):
        ws.write_string(head_row, c, h, f.head)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.freeze_panes(head_row + 1, 0)
    ws.repeat_rows(head_row)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    return ws


def _write(ws, f: _Formats, row: int, values: list, numeric: set[int] = frozenset()) -> None:
    for c, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            ws.write_blank(row, c, None, f.cell)
        elif c in numeric and isinstance(v, (int, float)):
            ws.write_number(row, c, float(v), f.num if isinstance(v, float) else f.int)
        else:
            ws.write_string(row, c, str(v), f.wrap)


def _charts(wb, f: _Formats, col: Collection, df: pd.DataFrame) -> None:
    """图表: for the largest group, one bar per unit, or a distribution with top and bottom units."""
    ws = wb.add_worksheet("图表")
    data = wb.add_worksheet("图表数据")
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    groups = col.groups(df)
    if not groups:
        ws.write_string(0, 0, "没有计入平均的文件，无图表。", f.title)
        return
    g = max(groups, key=lambda x: len(x.files))
    rows = df[(df["计入平均"] == "是") & (df["年度"] == g.year) & (df["模板"] == g.template) & (df["表类"] == g.kind)]
    rows = rows.sort_values("总分", ascending=False)
    ws.write_string(0, 0, f"{g.title}（{len(rows)}个）", f.title)
    low = max(0, math.floor((rows["总分"].min() - 5) / 10) * 10)  # the axis starts near the data, not at 0
    if len(rows) <= CHART_UNITS:
        _bar(wb, ws, data, f, "各单位总分", list(zip(rows["名称"], rows["总分"])), 0, 2, low)
        return
    bins = list(range(int(low), 100, 5))
    counts = [int(((rows["总分"] >= b) & ((rows["总分"] < b + 5) | (b + 5 >= 100))).sum()) for b in bins]
    labels = [f"{b}–{b + 5 if b + 5 < 100 else 100}" for b in bins]
    data.write_string(0, 0, "分数段", f.head)
    data.write_string(0, 1, "单位数", f.head)
    for r, (lab, n) in enumerate(zip(labels, counts), start=1):
        data.write_string(r, 0, lab, f.cell)
        data.write_number(r, 1, n, f.cell)
    hist = wb.add_chart({"type": "column"})
    hist.add_series({"name": "单位数", "categories": ["图表数据", 1, 0, len(bins), 0],
                     "values": ["图表数据", 1, 1, len(bins), 1], "data_labels": {"value": True}})
    hist.set_title({"name": "总分分布"})
    hist.set_legend({"none": True})
    hist.set_size({"width": 720, "height": 320})
    ws.insert_chart(2, 0, hist)
    top = list(zip(rows["名称"], rows["总分"]))
    _bar(wb, ws, data, f, f"总分最高的{TOP}个单位", top[:TOP], 3, 20, low)
    _bar(wb, ws, data, f, f"总分最低的{TOP}个单位", top[-TOP:], 6, 38, low)


def _bar(wb, ws, data, f, title: str, items: list[tuple[str, float]], data_col: int, at_row: int, low: float) -> None:
    data.write_string(0, data_col, "名称", f.head)
    data.write_string(0, data_col + 1, "总分", f.head)
    for r, (name, total) in enumerate(items, start=1):
        data.write_string(r, data_col, str(name), f.cell)
        data.write_number(r, data_col + 1, float(total), f.num)
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"name": "总分", "categories": ["图表数据", 1, data_col, len(items), data_col],
                      "values": ["图表数据", 1, data_col + 1, len(items), data_col + 1],
                      "data_labels": {"value": True, "num_format": "0.00"}})
    chart.set_title({"name": title})
    chart.set_x_axis({"min": low, "max": 100})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 60 + 22 * len(items)})
    ws.insert_chart(at_row, 0, chart)


def write_summary(col: Collection, out: Path) -> Path:
    import xlsxwriter

    df = col.table()
    groups = col.groups(df)
    findings = col.findings()
    counted = int((df["计入平均"] == "是").sum()) if not df.empty else 0

    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        f = _Formats(wb)
        columns = list(df.columns)
        score_cols = set(col.score_columns(df)) | {"全年预算数"}
        numeric = {i for i, c in enumerate(columns) if c in score_cols or c in ("错误数", "提示数", "年度")}
        title = "预算绩效自评汇总表" + (f"——{col.origin}" if col.origin else "")
        ws = _sheet(wb, f, "汇总", title, columns, [28, 24, 6, 10, 9, 24, 18] + [9] * len(columns), 3)
        if col.origin:  # the first line a reader sees says that nothing proves origin
            ws.write_string(0, 0, title, f.warn)
        ws.write_string(1, 0, f"共读取 {len(col.units)} 个文件（{counted} 行计入平均），未读取 {len(col.skipped)} 个；"
                              f"{WEIGHTING_TEXT[col.weighting]}；只计入印章核验通过、各表单位与印章一致、印章所记与重新校验一致"
                              "且无错误的文件（给出登记表时须用该单位登记的公钥签名，给出名单时须在名单内），"
                              "同一单位同一年度只计最新的一份。")
        for r, record in enumerate(df.itertuples(index=False), start=4):
            _write(ws, f, r, [None if isinstance(v, float) and pd.isna(v) else v for v in record], numeric)

        avg_cols = [c for c in columns if c in score_cols and c != "全年预算数"]
        av = _sheet(wb, f, "平均分", "平均分（按年度、模板和表类分别计算，从不混合）",
                    ["年度", "模板", "表类", "指标体系", "计入文件数", *avg_cols, "计入的文件"],
                    [6, 10, 9, 20, 9] + [9] * len(avg_cols) + [80])
        for r, g in enumerate(groups, start=3):
            _write(av, f, r, [g.year, g.template, g.kind, g.scheme, len(g.files),
                              *[g.average.get(c) for c in avg_cols], "、".join(g.files)],
                   set(range(5 + len(avg_cols))) - {1, 2, 3})
        av.write_string(1, 0, WEIGHTING_TEXT[col.weighting] + "；四舍五入到0.01。")

        _charts(wb, f, col, df)
        gr = _sheet(wb, f, "等次分布", "评价等次分布（计入平均的文件）", ["年度", "模板", "表类", *GRADES], [6, 10, 9, 8, 8, 8, 8], 1)
        for r, g in enumerate(groups, start=2):
            sub = df[(df["计入平均"] == "是") & (df["年度"] == g.year) & (df["模板"] == g.template) & (df["表类"] == g.kind)]
            counts = sub["等次"].value_counts()
            _write(gr, f, r, [g.year, g.template, g.kind, *[int(counts.get(x, 0)) for x in GRADES]], {0, 3, 4, 5, 6})

        fs = _sheet(wb, f, "问题清单", "问题清单（“错误数”“提示数”按此表计数）", list(findings.columns), [28, 24, 8, 10, 8, 20, 80], 1)
        for r, record in enumerate(findings.itertuples(index=False), start=2):
            _write(fs, f, r, list(record))

        nc = _sheet(wb, f, "未计入", "已读取但未计入平均的文件", ["文件", "单位", "年度", "印章", "签名", "原因"], [28, 24, 6, 10, 14, 70], 1)
        for r, u in enumerate(col.not_counted(), start=2):
            _write(nc, f, r, [u.file, u.unit, u.year, u.stamp, u.signature, u.status], {2})

        sk = _sheet(wb, f, "未读取文件", "未能读取的文件", ["文件", "原因", "代码"], [36, 80, 16], 1)
        for r, s in enumerate(col.skipped, start=2):
            _write(sk, f, r, [s.file, s.reason, s.code])

        if col.roster is not None:
            ms = _sheet(wb, f, "未报送", f"未报送单位（名单共{len(col.roster)}个）", ["单位", "说明"], [30, 90], 1)
            for r, (name, why) in enumerate(col.missing(), start=2):
                _write(ms, f, r, [name, why])
        wb.close()

    return atomic_write(Path(out), write)
