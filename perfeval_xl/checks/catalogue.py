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
    "read_as_percent": Code("按百分数读取（提示）", "未带%号的数按百分数读取（如85按85%计），请核对"),
    "rate_out_of_range": Code("比率超出范围", "比率超出±1000%，或得分比例不在0至100%之间"),
    "out_of_scale": Code("数值超出合理范围", "金额、人数、分值等超出任何部门可能的规模"),
    "rate_implausible": Code("比率超出公式范围（提示）",
                             "按计算公式应在0至100%之间（或不为负）的比率超出该范围；得分仍按评分标准计算，请核对"),
    "derived_mismatch": Code("与本表数据计算结果不符", "填写的比率与按本工作簿基础数据和官方公式计算的结果不同"),
    # sums and links
    "total_missing": Code("合计未填写", "已填写分项但合计为空"),
    "sum_mismatch": Code("合计与分项不符", "合计不等于各分项之和"),
    "cross_sheet": Code("表间数据不一致", "同一数字在两张表中不同"),
    # scored rows
    "row_without_name": Code("指标行缺少名称", "已填写指标值或分值，但未填写三级指标名称"),
    "qualitative_needs_level": Code("定性指标缺少完成等级", "年度指标值不是数值，须按定性指标选择完成等级"),
    "cannot_score": Code("无法计分", "按评分标准无法由所填内容算出得分"),
    "score_out_of_range": Code("得分超出范围", "得分不在0至分值之间"),
    "score_unreachable": Code("得分按评分标准不可能得到", "自评得分不在该评分标准可能给出的分值之中"),
    "weight_out_of_range": Code("分值超出范围", "分值应大于0且不超过100"),
    "adjusted_without_reason": Code("调整得分未说明原因", "自评得分与计算得分不同，须说明原因"),
    "lost_points_without_reason": Code("扣分未说明原因", "未得满分，应填写偏差原因分析及改进措施"),
    "rule_departs": Code("评分标准与分值不一致（提示）",
                         "评分标准所写满分与本行分值不同（如分值5分、评分标准写计8分）：按评分标准起扣，得分以分值为上限"),
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
    # report text (report/narrative.py)
    "narrative_mismatch": Code("报告文字与表中数字不符", "报告文字中紧跟表中项目名称（如基本支出、执行率）的数字与表中数字不同"),
    "narrative_count": Code("报告文字前后数量不一致", "报告文字中同一事项（如新建公租房项目）的套数、户数前后写得不同"),
    "report_placeholder": Code("报告仍有待填写内容", "Word报告中还有【请填写：…】占位文字"),
    # bureau: stamp, signature and collection rules (collect, verify)
    "stamp_missing": Code("未盖章（草稿）", "文件未经锁定导出，没有印章，不计入平均"),
    "stamp_altered": Code("导出后被改动", "印章核验未通过：导出后值、格式、名称、工作表或印章内容被改动，不计入平均"),
    "signature_invalid": Code("签名无效", "签名与登记的单位公钥不符，或已登记公钥的单位的文件未签名，不计入平均"),
    "forced_export": Code("强制导出", "校验有错误时带原因强制导出，不计入平均"),
    "duplicate_file": Code("重复报送", "同一单位同一年度同一模板有较新的导出文件，本文件不计入平均"),
    "odd_filename": Code("文件名编码异常", "文件名不是有效的UTF-8编码，已照常读取"),
    # department roll-up (perfeval-xl department)
    "dept_lines_mismatch": Code("单位分项与合计不符", "单位的“三公”经费或项目支出各项之和与其附件1、附件2的合计不同"),
    "dept_totals_mismatch": Code("部门合计与各单位之和不符", "部门表中的合计与各单位数字之和不同（两张表的合计互不相符）"),
    "dept_other_edition": Code("年度或模板与部门不同", "单位按另一年度或另一模板自评，未列入部门各表"),
    "dept_not_on_roster": Code("不在单位名单中", "计入的单位不在部门的单位名单中，列在名单单位之后"),
    "dept_figures_unread": Code("单位数字未能读取", "汇总后再次读取单位文件时失败或印章不再通过，该单位的数字为空"),
    "dept_no_figures": Code("模板没有分项数字", "该模板的工作簿没有“三公”经费和项目支出分行数字，部门只列单位得分表"),
    "dept_benji_includes_units": Code("本级数字可能含下属单位", "本级的全年预算数等于其余单位之和，部门合计可能重复计算"),
    # collection trust (collect, verify)
    "unit_mismatch": Code("单位不符", "工作表中的单位与印章（签名）中的单位不同：一个单位的密钥只能为本单位作证，不计入平均"),
    "stamp_claims": Code("印章所记与重新校验不符", "印章记录的错误数、总分、等次或强制导出与汇总时重新校验的结果不同，视为已被修改，不计入平均"),
    "unsigned": Code("未签名", "给出公钥登记表时只计入用登记公钥签名的文件"),
    "unregistered": Code("未登记", "公钥登记表中没有该单位，无法证明文件来自该单位，不计入平均"),
    "off_roster": Code("名单外", "单位不在应报送单位名单中，不计入平均"),
    "unit_normalised": Code("单位名称已统一", "单位名称含全角字符或空格，已按统一后的名称比对名单、登记表和重复报送"),
    # bureau: files not read at all (package gate, workers)
    "not_workbook": Code("不是Excel工作簿", "文件不是xlsx工作簿（如PDF、改了扩展名的文件）"),
    "encrypted": Code("文件已加密", "设有打开密码的工作簿，须另存为未加密的工作簿"),
    "old_format": Code("旧版格式", ".xls/.et 等旧格式，须另存为.xlsx"),
    "truncated": Code("文件不完整", "压缩包结构损坏或数据不全，多为传输未完成"),
    "too_large": Code("超出读取限制", "文件、工作表行列数或单元格数超出限制（可用 --limit 调整）"),
    "zip_bomb": Code("解压后过大", "解压后大小或压缩比异常，可能是恶意构造的文件"),
    "xml_entities": Code("含XML实体声明", "部件含有DTD或实体声明（实体膨胀、外部实体），可能是恶意构造的文件"),
    "bad_xml": Code("文件已损坏", "部件不是有效的XML，或单元格地址无法识别"),
    "macros": Code("含有宏", "导出文件不应含宏代码（vbaProject）"),
    "external_links": Code("含有外部链接", "导出文件不应含外部链接"),
    "formulas": Code("含有公式", "导出文件只含数值；含公式的文件打开时显示的与汇总读到的可能不同"),
    "recalc_on_open": Code("打开时重新计算", "导出文件不应要求打开时重新计算（fullCalcOnLoad）"),
    "data_connections": Code("含有数据连接", "导出文件不应含数据连接或查询表"),
    "not_utf8": Code("编码异常", "部件不是UTF-8编码（如UTF-16），可能是恶意构造的文件"),
    "foreign_namespace": Code("非标准命名空间", "单元格不在SpreadsheetML主命名空间中，不同软件读出的值会不同"),
    "lock_file": Code("Office锁定文件", "以“~$”开头的Office临时锁定文件，不是工作簿，已跳过"),
    "unreadable": Code("无法读取", "文件无法作为工作簿读取"),
    "unknown_layout": Code("未知的表格布局", "不是本工具模板生成的工作簿"),
    "worker_failed": Code("读取进程失败", "读取该文件时超时、内存超限或进程崩溃，已跳过"),
}


def title(code: str) -> str:
    return CATALOGUE[code].title
