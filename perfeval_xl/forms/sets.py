"""The template sets (template_sets()), built from every official form as layout data (see
layout.py): the 2023 set's forms in set_2023.py, the 2020 set's in set_2020.py, the 冷水滩 2021
set's here; the builders they share (cells, 自评报告, 评分表) in builders.py.

Sheets mirror the seed forms: same headings, same order, same merged cells. Our additions (the
完成等级 / 得分比例 / 计算得分 / 调整得分 helpers) sit to the right of the printed area.
"""
from __future__ import annotations

import functools

from perfeval_xl.forms.builders import project_sheet, report_form, score_sheet, standard, year_field
from perfeval_xl.forms.layout import F, Form, T, TemplateSet
from perfeval_xl.forms.set_2020 import DERIVED_DEPT_2020, attachment2_1_2020, project_2020
from perfeval_xl.forms.set_2023 import attachment1_2023, attachment2_2023, attachment3_2023, attachment4_2023


# --------------------------------------------------------------------------- 冷水滩 2021
LST_PROJECT_SECTIONS = [
    "一、项目概况", "二、项目资金使用及管理情况", "三、项目绩效指标完成情况",
    "四、绩效目标未完成原因和下一步改进措施", "五、绩效自评得分等级结果及拟应用和公开情况",
    "六、绩效自评工作的经验、问题和建议", "七、其他需要说明的问题",
]
LST_DEPT_SECTIONS = [
    "一、部门概况", "二、一般公共预算支出情况", "三、政府性基金预算支出情况", "四、国有资本经营预算支出情况",
    "五、社会保险基金预算支出情况", "六、部门整体支出绩效情况", "七、绩效自评得分情况及绩效等级",
    "八、存在的问题及原因分析", "九、改进措施和有关建议", "十、其他需要说明的情况",
]


def _unit_and_date(label: str, signed: bool = False) -> list[list]:
    """The unit named under the title, and the unit and date signed at the end (seed 002)."""
    return [[T(label), F("unit_name", label, "text", required=True)],
            *([[T("落款单位"), F("signed_by", "落款单位", "text")]] if signed else []),
            [T("报告日期"), F("report_date", "报告日期", "text")]]


def lengshuitan_project(n: int, year: int | None = None) -> list[Form]:
    """One 专项（项目） of 冷水滩: its 自评报告 (附件1) and its 评价表 (附件2). The first carries
    the workbook's report year."""
    head = _unit_and_date("单位名称") + ([[T("报告年度"), year_field(year)]] if year else [])
    return [report_form(project_sheet("附件1", n), "lst_project_report", "{year}年度专项（项目）资金绩效自评报告",
                        LST_PROJECT_SECTIONS, head, required=(1, 2, 3)),
            score_sheet(project_sheet("附件2", n), "lengshuitan-project-2021", "{year}年度财政专项（项目）资金绩效评价表",
                        [("指标解释", lambda ind: ind.explain), ("指标说明", standard)])]


# --------------------------------------------------------------------------- template sets
@functools.cache  # built once per process (collect reads thousands of files); callers only read it
def template_sets() -> dict[str, TemplateSet]:
    """Each set's ``forms`` are the sheets of its template, the first project's included."""
    p2020 = project_2020(1)
    lst = lengshuitan_project(1, year=2021)
    return {s.id: s for s in [
        TemplateSet(
            "2023", "2023_部门整体支出绩效自评.xlsx", "预算单位整体支出绩效自评（2023样表）", 2023,
            "部门整体支出绩效自评", "附件2",
            [attachment1_2023(2023), attachment2_2023(), attachment3_2023(1), attachment4_2023()],
            same=[(("附件1", "unit_name"), ("附件2", "unit_name"), "预算单位名称"),
                  (("附件1", "project_final"), ("附件2", "expense_project"), "项目支出决算数"),
                  (("附件2", "unit_name"), ("附件4", "unit_name"), "单位名称")],
            project=lambda n: [attachment3_2023(n)], budget=("附件2", "budget_full")),
        TemplateSet(
            "2020", "2020_部门整体支出绩效评价自评报告.xlsx", "部门整体支出绩效评价自评报告（湖南2020样表）", 2020,
            "部门整体支出绩效评价自评", "附件3-1",
            [attachment2_1_2020(2020), p2020[0],
             score_sheet("附件3-1", "hunan-dept-2020", "部门整体支出绩效评价评分表（参考样表）",
                         derived=DERIVED_DEPT_2020), p2020[1]],
            project=project_2020, budget=("附件2-1", "inc_total_0")),
        TemplateSet(
            "2021-lengshuitan", "2021_冷水滩区绩效评价表.xlsx", "专项资金及部门整体支出绩效评价表（冷水滩2021）", 2021,
            "部门整体支出绩效评价", "附件4",
            [*lst,
             report_form("附件3", "lst_dept_report", "{year}年度部门整体支出绩效自评报告", LST_DEPT_SECTIONS,
                         _unit_and_date("部门（单位）名称", signed=True), required=(1, 2, 6)),
             score_sheet("附件4", "lengshuitan-dept-2021", "{year}年度部门整体支出绩效评价表",
                         [("评价标准", lambda ind: ind.standard), ("指标说明", lambda ind: ind.formula)], split=True)],
            same=[(("附件3", "unit_name"), ("附件1", "unit_name"), "单位名称")],
            project=lengshuitan_project),
    ]}
