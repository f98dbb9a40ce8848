"""The catalogue of findings: every code a check may report, with its Chinese title.

Codes are for machines (JSON, tests, the 汇总); titles are what an accountant reads in 校验结果
and the bureau reads in the 汇总. A check reports a code from this table only: a code missing
here fails the tests, so the table is the complete list of what the tool can say about a file.
Messages stay specific (sheet, cell, what was read, what is expected) and are built where the
check runs; the title names the kind of problem.
"""
from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    title: str
    about: str  # one line for docs/rules.md and for the bureau: what the check means


CATALOGUE: dict[str, Code] = {
    # inputs
    "required": Code("必填项未填写", "表中必须填写的单元格为空"),
    "fixed_changed": Code("固定值被改动", "官方表样中固定的数字（如分值10）被改动"),
    "not_number": Code("无法识别为数值", "数值单元格中的内容无法读成数字"),
    "not_integer": Code("应为整数", "人数、个数等应为整数"),
    "negative": Code("金额为负", "金额单元格为负数"),
    "bad_choice": Code("不在可选项中", "下拉选择单元格的内容不在可选项中"),
    # sums and links
    "total_missing": Code("合计未填写", "已填写分项但合计为空"),
    "sum_mismatch": Code("合计与分项不符", "合计不等于各分项之和"),
    "cross_sheet": Code("表间数据不一致", "同一数字在两张表中不同"),
    # scored rows
    "row_without_name": Code("指标行缺少名称", "已填写指标值或分值，但未填写三级指标名称"),
    "qualitative_needs_level": Code("定性指标缺少完成等级", "年度指标值不是数值，须按定性指标选择完成等级"),
    "cannot_score": Code("无法计分", "按评分标准无法由所填内容算出得分"),
    "score_out_of_range": Code("得分超出范围", "得分不在0至分值之间"),
    "adjusted_without_reason": Code("调整得分未说明原因", "自评得分与计算得分不同，须说明原因"),
    "lost_points_without_reason": Code("扣分未说明原因", "未得满分，应填写偏差原因分析及改进措施"),
    "score_mismatch": Code("得分与评分标准不符", "得分单元格与按评分标准计算的结果不同"),
    "level1_weight": Code("一级指标分值不符", "一级指标下各行分值合计与指标体系不同"),
    "weight_total": Code("分值合计不符", "分值合计与指标体系的总分不同"),
    "total_mismatch": Code("总分与各项之和不符", "总分不等于各项得分之和"),
    "grade_mismatch": Code("评价等次与总分不符", "评价等次与总分对应的等次不同"),
    # an adapted 评分表 (参考样表: units adapt the indicator system to their department)
    "weight_adapted": Code("分值已调整", "三级指标的分值与参考样表不同（提示，供核对）"),
    "weight_negative": Code("分值为负", "分值不能为负数"),
    "level1_adapted": Code("一级指标分值已调整", "一级指标下各行分值合计与参考样表不同（提示，供核对）"),
    "not_applicable_with_value": Code("不适用指标填了内容", "标为不适用的指标填写了指标值，不计分"),
    # the edition a workbook carries
    "edition_changed": Code("指标体系被改动", "工作簿所带指标体系的内容与生成模板时的校验码不同"),
    # budget execution
    "low_execution_without_reason": Code("执行率低于90%未说明原因", "预算执行率低于90%，须说明原因"),
    "indicators_outrun_spending": Code("指标得分明显高于执行得分", "指标得分率明显高于预算执行得分率"),
}


def title(code: str) -> str:
    return CATALOGUE[code].title
