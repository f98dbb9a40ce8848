"""The 2020 set (湖南2020样表): 附件2-1 部门整体支出自评报告, 附件3-1 its 评分表, and per project
附件2-2 自评报告 and 附件3-2 评分表, as layout data (see layout.py)."""
from __future__ import annotations

from perfeval_xl.formulas import native

from perfeval_xl.forms.builders import GRADES, money, project_sheet, score_sheet, title_row, year_field

from perfeval_xl.forms.layout import Derived, F, Form, SumCheck, T

# 评分表 inputs the official texts define from figures of the same workbook (docs/rules.md).
DERIVED_DEPT_2020 = [
    Derived("staff_control", ("附件2-1", "staff_actual"), ("附件2-1", "staff_quota"),
            text="在职人员控制率=实有人数/人员编制×100%"),
    Derived("balance", ("附件2-1", "exp_balance_0"), ("附件2-1", "inc_carry_0"), "balance",
            text="结余（汇总行当年结余）与上年结转比较"),
]


def derived_project_2020(n: int) -> list[Derived]:
    """The n-th project's 评分表 (附件3-2_n) takes 到位率 from its own 自评报告 (附件2-2_n)."""
    sheet = project_sheet("附件2-2", n)
    return [Derived("funds_in_place", (sheet, "arrived_total"), (sheet, "plan_total"))]


# --------------------------------------------------------------------------- 2020 附件2-1 / 2-2
UNIT_ROWS = 5  # 汇总 row + four units (the seed has 汇总 and two 二级机构)


def _unit_table(prefix: str, heads: list[str], names: list[str], money_label: str) -> list[list]:
    rows = [[T(h, style="head") for h in heads]]
    for i in range(UNIT_ROWS):
        rows.append([F(f"{prefix}_name_{i}", "机构名称", "text", required=i == 0)] +
                    [money(f"{prefix}_{n}_{i}", f"{h}（第{i + 1}行）") for n, h in zip(names, heads[1:])])
    return rows


_INCOME = ["total", "carry", "general", "fund", "special", "other"]
_EXPENSE = ["total", "basic", "staff", "public", "project", "balance", "cum_balance"]
_SANGONG = ["total", "reception", "car_run", "car_buy", "abroad"]
_ASSETS = ["total", "in_use", "rented", "other"]


def _row_and_column_checks(prefix: str, rules: list[tuple[str, tuple[str, ...], str]], cols: list[str]) -> list[SumCheck]:
    """Per-row identities, and the 汇总 row (row 0) as the sum of the unit rows below it."""
    checks = [SumCheck(f"{prefix}_{t}_{i}", tuple(f"{prefix}_{p}_{i}" for p in parts), f"{what}（第{i + 1}行）")
              for t, parts, what in rules for i in range(UNIT_ROWS)]
    checks += [SumCheck(f"{prefix}_{c}_0", tuple(f"{prefix}_{c}_{i}" for i in range(1, UNIT_ROWS)), f"汇总行{c}")
               for c in cols]
    return checks


def _reviewers(n: int = 5) -> list[list]:
    rows = [[T("四、评价人员", span=8, style="head")],
            [T("姓  名", span=2), T("职务/职称", span=2), T("单  位", span=2), T("签  字", span=2)]]
    for i in range(1, n + 1):
        rows.append([F(f"reviewer{i}_name", "评价人员姓名", "text", span=2),
                     F(f"reviewer{i}_title", "职务/职称", "text", span=2),
                     F(f"reviewer{i}_unit", "单位", "text", span=2), T("", span=2)])
    return rows


def _opinions(blocks: list[tuple[str, str, str]]) -> list[list]:
    """The signed opinions under the reviewers: (name, who gives it, who signs), each with its
    text and date as the seeds write them ("同意自评考核。" … "2022 年 6 月 1日")."""
    return [[T(f"{who}：\n\n{signer}", span=2), F(f"{name}_opinion", who, "text", span=4),
             T("日期"), F(f"{name}_date", f"{who}日期", "text")] for name, who, signer in blocks]


_LEADER = ("leader", "评价组组长（签字）", "")
_FINANCE = ("finance", "财政部门归口业务科室意见", "财政部门归口业务科室负责人（签章）")


def _cover(kind_rows: list[list]) -> list[list]:
    """评价方式 / 评价机构 / 报告日期 of a 2020 cover page, pre-filled as both seeds fill them."""
    return [
        *kind_rows,
        [T("评价方式", span=2), F("eval_method", "评价方式", "text", span=2, default="部门（单位）绩效自评"),
         T("评价机构", span=2), F("eval_org", "评价机构", "text", span=2, default="部门（单位）评价组")],
        [T("报告日期", span=2), F("report_date", "报告日期", "text", span=2), T("{region}财政局（制）", span=4)],
    ]


def _quantitative(categories: list[tuple[str, str, str, int]], cells) -> list[list]:
    """The 定量目标 table: several rows per 二级 category, as the seeds list several indicators.

    ``categories`` are (一级, its printed note, 二级, rows); row k of category i is named
    q{i}_… (k = 1) or q{i}_{k}_…; ``cells(name, 二级)`` gives a row's fields.
    """
    rows = []
    for i, (l1, note, l2, count) in enumerate(categories, start=1):
        for k in range(1, count + 1):
            row = []
            if k == 1 and (i == 1 or categories[i - 2][0] != l1):
                row.append(T(l1 + note, rows=sum(c[3] for c in categories if c[0] == l1)))
            if k == 1:
                row.append(T(l2, rows=count))
            row += cells(f"q{i}_" if k == 1 else f"q{i}_{k}_", l2)
            rows.append(row)
    return rows


_DEPT_QUANT = [  # seeds 000 and 004: 一级, note, 二级, rows
    ("产出目标", "\n（部门工作实绩，包含上级部门和县委县政府布置的重点工作、实事任务等，根据部门实际进行调整细化）", "质量指标", 3),
    ("产出目标", "", "数量指标", 3), ("产出目标", "", "时效指标", 3), ("产出目标", "", "成本指标", 3),
    ("效益目标", "\n（预期实现的效益）", "社会效益", 2), ("效益目标", "", "经济效益", 2), ("效益目标", "", "生态效益", 2),
    ("效益目标", "", "社会公众或服务对象满意度", 2),
]


def attachment2_1_2020(year: int) -> Form:
    W = 8
    rows = [
        [T("附件2-1", style="note")], title_row("{region}{year}年度部门整体支出绩效评价自评报告", W),
        *_cover([
            [T("地区（县市区）", span=2), F("region", "地区（县市区）", "text", span=2), T("报告年度", span=2),
             year_field(year, span=2)],
            [T("部门(单位)名称", span=2), F("unit_name", "部门(单位)名称", "text", required=True, span=3),
             T("预算编码"), F("budget_code", "预算编码", "text", span=2)]]),
        [T("一、部门（单位）基本概况", span=W, style="head")],
        [T("联系人", span=2), F("contact", "联系人", "text", required=True, span=2), T("联络电话", span=2),
         F("phone", "联络电话", "text", required=True, span=2)],
        [T("人员编制", span=2), F("staff_quota", "人员编制", "int", required=True, span=2), T("实有人数", span=2),
         F("staff_actual", "实有人数", "int", required=True, span=2)],
        [T("职能职责概述", span=2), F("duties", "职能职责概述", "text", required=True, span=6)],
        [T("年度主要\n工作内容", span=2), F("main_tasks", "年度主要工作内容", "text", span=6)],
        [T("年度部门（单位）总体运行情况及取得的成绩", span=2), F("achievements", "总体运行情况及取得的成绩", "text", span=6)],
        [T("二、部门（单位）收支情况", span=W, style="head")],
        [T("年度收入情况（万元）", span=W, style="head")],
        *_unit_table("inc", ["机构名称", "收入合计", "上年结转", "公共财政拨款", "政府基金拨款",
                             "纳入专户管理的非税收入拨款", "其他收入"], _INCOME, "收入"),
        [T("部门（单位）年度支出和结余情况（万元）", span=W, style="head")],
        *_unit_table("exp", ["机构名称", "支出合计", "基本支出", "其中：人员支出", "其中：公用支出", "项目支出",
                             "当年结余", "累计结余"], _EXPENSE, "支出"),
        [T("“三公”经费（万元）", span=W, style="head")],
        *_unit_table("sg", ["机构名称", "三公经费合计", "公务接待费", "公务用车运维费", "公务用车购置费",
                            "因公出国费"], _SANGONG, "三公经费"),
        [T("固定资产（万元）", span=W, style="head")],
        *_unit_table("fa", ["机构名称", "固定资产合计", "在用固定资产", "出租固定资产", "其他"], _ASSETS, "固定资产"),
        [T("三、部门（单位）整体支出绩效自评情况", span=W, style="head")],
        [T("整体支出绩效定性目标及实施计划完成情况", span=2, rows=2), T("预期目标", span=3), T("实际完成", span=3)],
        [F("goal_expected", "定性预期目标", "text", span=3), F("goal_actual", "定性实际完成", "text", span=3)],
        [T("整体支出\n绩效定量目标及实施计划完成情况", rows=1 + sum(c[3] for c in _DEPT_QUANT)), T("评价内容", span=2),
         T("绩效目标", span=3), T("完成情况", span=2)],
        *_quantitative(_DEPT_QUANT, lambda p, l2: [
            F(p + "indicator", f"{l2}指标", "text", span=3), F(p + "result", f"{l2}完成情况", "text", span=2)]),
        [T("绩效自评综合得分", span=4), F("score_total", "绩效自评综合得分", "score",
                                        formula="={附件3-1!score_total}", span=4)],
        [T("评价等次", span=4), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total"), span=4)],
        *_reviewers(),
        *_opinions([_LEADER, ("dept", "部门（单位）意见", "部门（单位）负责人（签章）"), _FINANCE]),
        [T("填报人（签名）：", span=2), F("filler", "填报人", "text", span=2), T("联系电话：", span=2),
         F("filler_phone", "填报人联系电话", "text", span=2)],
        [T("五、评价报告综述（文字部分）", span=W, style="head")],
        [F("summary", "评价报告综述", "text", span=W)],
    ]
    checks = (
        _row_and_column_checks("inc", [("total", tuple(_INCOME[1:]), "收入合计")], _INCOME)
        + _row_and_column_checks("exp", [("total", ("basic", "project", "balance"), "支出合计"),
                                         ("basic", ("staff", "public"), "基本支出")], _EXPENSE)
        + _row_and_column_checks("sg", [("total", tuple(_SANGONG[1:]), "三公经费合计")], _SANGONG)
        + _row_and_column_checks("fa", [("total", tuple(_ASSETS[1:]), "固定资产合计")], _ASSETS)
    )
    return Form("附件2-1", "部门整体支出绩效评价自评报告", [10, 11, 11, 11, 11, 11, 11, 11], rows, checks,
                repeat_rows=2, key="a21_2020")


_SOURCES = [("central", "中央财政"), ("province", "省财政"), ("city", "市财政"), ("county", "县市区财政"),
            ("other", "其它")]
_FUNDS = [("plan", "计划安排资金\n（万元）"), ("arrived", "实际到位资金\n（万元）"), ("spent", "实际支出\n（万元）"),
          ("balance", "结余\n（万元）")]
DETAIL_ROWS = 15
EVAL_TYPES = ("项目实施过程评价", "项目完成结果评价")
_PROJECT_QUANT = [("项目产出指标", "", l2, 2) for l2 in ("数量指标", "质量指标", "时效指标", "成本指标")] + [
    ("项目效益指标", "", l2, 2) for l2 in ("经济效益指标", "社会效益指标", "生态效益指标", "服务对象满意度指标")]


def attachment2_2_2020(n: int = 1) -> Form:
    W = 8
    rows = [
        [T("附件2-2", style="note")], title_row("{region}财政支出绩效评价自评报告（项目）", W),
        *_cover([
            [T("评价类型", span=2), F("eval_type", "评价类型", "choice", choices=EVAL_TYPES, span=6)],
            [T("项目名称", span=2), F("project_name", "项目名称", "text", required=True, span=6)],
            [T("项目单位", span=2), F("unit_name", "项目单位", "text", required=True, span=2), T("主管部门", span=2),
             F("dept_name", "主管部门", "text", span=2)]]),
        [T("一、项 目 基 本 概 况", span=W, style="head")],
        [T("项目负责人", span=2), F("manager", "项目负责人", "text", span=2), T("联系电话", span=2),
         F("phone", "联系电话", "text", span=2)],
        [T("项目地址", span=2), F("address", "项目地址", "text", span=2), T("邮  编", span=2),
         F("postcode", "邮编", "text", span=2)],
        [T("项目起止时间", span=2), F("period", "项目起止时间", "text", span=6)],
        [c for key, label in _FUNDS for c in (T(label), money(f"{key}_total", label.split(chr(10))[0], required=True))],
    ]
    for skey, slabel in _SOURCES:
        rows.append([c for key, label in _FUNDS for c in
                     (T(f"其中：{slabel}" if skey == "central" else slabel),
                      money(f"{key}_{skey}", f"{label.split(chr(10))[0]}（{slabel}）"))])
    rows += [[T("二、项目支出明细情况", span=W, style="head")],
             [T("支出内容", span=3), T("实际支出数（元）", span=2), T("会计凭证号", span=2), T("备注")]]
    for i in range(1, DETAIL_ROWS + 1):
        rows.append([F(f"detail{i}_item", "支出内容", "text", span=3),
                     F(f"detail{i}_amount", "实际支出数（元）", "number", span=2),
                     F(f"detail{i}_voucher", "会计凭证号", "text", span=2), F(f"detail{i}_note", "备注", "text")])
    score_sheet_name = project_sheet("附件3-2", n)
    rows += [
        [T("支出合计", span=3), F("detail_total", "支出合计（元）", "number", span=2), T("", span=3)],
        [T("三、项目绩效自评情况", span=W, style="head")],
        [T("项目绩效定性目标及实施计划完成情况", span=2, rows=2), T("预  期 目 标", span=3), T("实际完成", span=3)],
        [F("goal_expected", "定性预期目标", "text", span=3), F("goal_actual", "定性实际完成", "text", span=3)],
        [T("项目绩效定量目标（指标）及完成情况", rows=1 + sum(c[3] for c in _PROJECT_QUANT)), T("一级指标"),
         T("二级指标"), T("指标内容", span=2), T("指标（目标）值"), T("实际完成值", span=2)],
        *_quantitative(_PROJECT_QUANT, lambda p, l2: [
            F(p + "indicator", f"{l2}内容", "text", span=2), F(p + "target", f"{l2}目标值", "text"),
            F(p + "actual", f"{l2}实际完成值", "text", span=2)]),
        [T("绩效自评综合得分", span=4), F("score_total", "绩效自评综合得分", "score",
                                        formula=f"={{{score_sheet_name}!score_total}}", span=4)],
        [T("评价等次", span=4), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total"), span=4)],
        *_reviewers(),
        *_opinions([_LEADER, ("unit", "项目单位意见", "项目单位负责人（签章）"),
                    ("dept", "主管部门意见", "主管部门负责人（签章）"), _FINANCE]),
        [T("填报人（签名）：", span=2), F("filler", "填报人", "text", span=2), T("联系电话：", span=2),
         F("filler_phone", "填报人联系电话", "text", span=2)],
        [T("五、评价报告综述（文字部分）", span=W, style="head")],
        [F("summary", "评价报告综述", "text", span=W)],
    ]
    checks = [SumCheck(f"{k}_total", tuple(f"{k}_{s}" for s, _ in _SOURCES), f"{label.split(chr(10))[0]}合计")
              for k, label in _FUNDS]
    checks += [SumCheck("arrived_total", ("spent_total", "balance_total"), "实际到位资金 = 实际支出 + 结余"),
               SumCheck("detail_total", tuple(f"detail{i}_amount" for i in range(1, DETAIL_ROWS + 1)), "支出明细合计")]
    return Form(project_sheet("附件2-2", n), "项目支出绩效评价自评报告", [11] * W, rows, checks,
                repeat_rows=2, key="a22_2020")


def project_2020(n: int) -> list[Form]:
    """One project of the 2020 set: its 自评报告 (附件2-2) and its 评分表 (附件3-2)."""
    return [attachment2_2_2020(n),
            score_sheet(project_sheet("附件3-2", n), "hunan-project-2020", "项目支出绩效评价指标体系（参考样表）",
                        [("具体指标", lambda ind: ind.explain), ("评价标准", lambda ind: ind.standard)], split=True,
                        derived=derived_project_2020(n))]
