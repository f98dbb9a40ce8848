"""Every official form, as layout data (see layout.py), and the template sets built from them.

Sheets mirror the seed forms: same headings, same order, same merged cells. Our additions (the
完成等级 / 得分比例 / 计算得分 / 调整得分 helpers) sit to the right of the printed area.
"""
from __future__ import annotations

from perfeval_xl.forms.layout import F, Form, IndicatorRows, SumCheck, T, TemplateSet
from perfeval_xl.engine.scheme import load as load_scheme
from perfeval_xl.excel import native

YEAR = 2023  # the 2023 set's report year; the previous year's 决算 is YEAR - 1

LEVELS = ("达成", "部分达成", "未达成")
DIRECTIONS = ("正向", "反向", "等于")
GRADES = ("优", "良", "中", "差")


def _title(text: str, n: int) -> list:
    return [T(text, span=n, style="title")]


def _money(name: str, label: str, **kw) -> F:
    return F(name, label, "money", **kw)


def _sum_checks(totals_parts: list[tuple[str, tuple[str, ...], str]], columns: list[tuple[str, str]]) -> list[SumCheck]:
    """The same identities checked in every column: (suffix of the names, column heading)."""
    return [SumCheck(f"{t}{s}", tuple(f"{p}{s}" for p in parts), f"{what}（{col}）")
            for t, parts, what in totals_parts for s, col in columns]


# --------------------------------------------------------------------------- 2023 附件1
_BASE_ROWS = [  # (name, label) of the 经费控制情况 rows, in the seed's order
    ("sangong", "三公经费"), ("car", "1、公务用车购置和维护经费"), ("car_buy", "其中：公车购置"),
    ("car_run", "公车运行维护"), ("abroad", "2、出国经费"), ("reception", "3、公务接待"),
    ("project", "项 目 支 出 ："), ("proj_business", "1、业务工作经费"), ("proj_ops", "2、运行维护经费"),
    ("proj_district", "3、区级专项资金(一个专项一行)"), ("proj_transfer", "4、上级转移支付(一个专项一行)"),
    ("public", "公用经费"), ("pub_office", "其中：办公经费"), ("pub_travel", "水费、电费、差旅费"),
    ("pub_meeting", "会议费、培训费"), ("procurement", "政府采购金额"), ("adjust", "部门基本支出预算调整"),
]
_BASE_COLS = [("_prev", f"{YEAR - 1}年决算数"), ("_budget", f"{YEAR}年预算数"), ("_final", f"{YEAR}年决算数")]


def attachment1_2023() -> Form:
    rows = [
        [T("附件1", style="note")],
        _title(f"{YEAR}年度预算单位整体支出绩效评价基础数据表", 7),
        [T("预算单位名称"), F("unit_name", "预算单位名称", "text", required=True, span=6)],
        [T("财政供养人员情况(人)"), T("编制数", span=2), T(f"{YEAR}年实际在职人数", span=2), T("控制率", span=2)],
        [T(""), F("staff_quota", "编制数", "int", required=True, span=2),
         F("staff_actual", "实际在职人数", "int", required=True, span=2),
         F("staff_rate", "控制率", "percent", formula=native.rate("staff_actual", "staff_quota"), span=2)],
        [T("经费控制情况(万元)")] + [T(label, span=2) for _, label in _BASE_COLS],
    ]
    for name, label in _BASE_ROWS:
        plain = label.replace(" ", "").strip("：")
        rows.append([T(label)] + [_money(f"{name}{s}", f"{plain}（{col}）", span=2)
                                  for s, col in _BASE_COLS])
    rows += [
        [T("楼堂馆所控制情况\n(上年完工项目)"), T("批复规模\n(m²)"), T("实际规模(m²)"), T("规模控制率"),
         T("预算投资\n(万元)"), T("实际投资\n(万元)"), T("投资概算控制率")],
        [T(""), F("bld_area_approved", "批复规模"), F("bld_area_actual", "实际规模"),
         F("bld_area_rate", "规模控制率", "percent", formula=native.optional_rate("bld_area_actual", "bld_area_approved")),
         _money("bld_inv_budget", "预算投资"), _money("bld_inv_actual", "实际投资"),
         F("bld_inv_rate", "投资概算控制率", "percent", formula=native.optional_rate("bld_inv_actual", "bld_inv_budget"))],
        [T("厉行节约保障措施"), F("saving_measures", "厉行节约保障措施", "text", span=6)],
        [T("说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的一般商品和服务支出。",
           span=7, style="note")],
        [T("填表人："), F("filler", "填表人", "text", required=True), T("联系电话："),
         F("phone", "联系电话", "text", required=True), T("填报日期："), F("fill_date", "填报日期", "text", span=2)],
    ]
    checks = _sum_checks([
        ("sangong", ("car", "abroad", "reception"), "三公经费"),
        ("car", ("car_buy", "car_run"), "公务用车购置和维护经费"),
        ("project", ("proj_business", "proj_ops", "proj_district", "proj_transfer"), "项目支出"),
        ("public", ("pub_office", "pub_travel", "pub_meeting"), "公用经费"),
    ], _BASE_COLS)
    return Form("附件1", "整体支出绩效评价基础数据表", [30, 9, 9, 9, 9, 9, 9], rows, checks,
                repeat_rows=2, key="a1_2023")


# --------------------------------------------------------------------------- 2023 附件2 / 附件3
ROWS_PER_SLOT = 3  # the seed leaves three rows under every 二级指标
_HELPER_HEADS = [T("指标方向\n(留空按指标值写法)", style="head"), T("完成等级\n(定性指标)", style="head"), T("得分比例\n(定性指标)", style="head"),
                 T("计算得分", style="head"), T("调整后得分\n(自评调整时填)", style="head")]


def _indicator_block(scheme_id: str, prefix: str, score_head: str,
                     budget: tuple[str, str]) -> tuple[list[list], IndicatorRows]:
    """The 绩效指标 table of the 2023 自评表: the unit's rows under fixed 一级/二级 headings."""
    scheme = load_scheme(scheme_id)
    slots = [(l1, l2) for l1, l2s in scheme.open_rows.items() for l2 in l2s for _ in range(ROWS_PER_SLOT)]
    n = len(slots)
    rows = [[T("绩效指标", rows=n + 1), T("一级指标", style="head"), T("二级指标", style="head"),
             T("三级指标", style="head"), T("年度指标值", style="head"), T("实际完成值", style="head"),
             T("分值", style="head"), T(score_head, style="head"), T("偏差原因分析及改进措施", style="head"),
             *_HELPER_HEADS]]
    for i, (l1, l2) in enumerate(slots, start=1):
        p = f"{prefix}{i}_"
        row = []
        if i == 1 or slots[i - 2][0] != l1:
            row.append(T(f"{l1}\n({scheme.level1[l1]:g}分)", rows=sum(s[0] == l1 for s in slots)))
        if (i - 1) % ROWS_PER_SLOT == 0:
            row.append(T(l2, rows=ROWS_PER_SLOT))
        row += [
            F(p + "name", "三级指标", "text"), F(p + "target", "年度指标值", "text"),
            F(p + "actual", "实际完成值", "text"), F(p + "weight", "分值", "score"),
            F(p + "score", score_head, "score",
              formula=f'=IF({p}adjusted<>"",{p}adjusted,{p}computed)'),
            F(p + "reason", "偏差原因分析及改进措施", "text"),
            # 成本指标 are 反向 even when written "68.4万元" (seed 001): pre-filled, editable
            F(p + "direction", "指标方向", "choice", choices=DIRECTIONS, helper=True,
              default="反向" if l2 == "成本指标" else None),
            F(p + "level", "完成等级", "choice", choices=LEVELS, helper=True),
            F(p + "ratio", "得分比例", "percent", helper=True),
            F(p + "computed", "计算得分", "score", helper=True, **native.row_score(p, scheme.row_rules).kw()),
            F(p + "adjusted", "调整后得分", "score", helper=True),
        ]
        rows.append(row)
    return rows, IndicatorRows(scheme_id, prefix, n, tuple(slots), budget)


def _total_rows(prefix: str, n: int, weight0: str, score0: str, span: int) -> list[list]:
    weights = ",".join(f"{prefix}{i}_weight" for i in range(1, n + 1))
    scores = ",".join(f"{prefix}{i}_score" for i in range(1, n + 1))
    return [
        [T("总分", span=span), F("weight_total", "分值合计", "score", formula=f"={weight0}+SUM({weights})"),
         F("score_total", "总分", "score", formula=native.total([score0, *scores.split(",")])), T("")],
        [T("评价等次", span=span), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total"),
                                   span=2), T("")],
    ]


def _footer_2023() -> list:
    return [T("填表人："), F("filler", "填表人", "text", required=True), T("联系电话："),
            F("phone", "联系电话", "text", span=2), T("单位负责人签字：", span=2), T("填报日期："),
            F("fill_date", "填报日期", "text")]


_WIDTHS_2023 = [8, 10, 10, 16, 11, 11, 7, 8, 20, 11, 10, 10, 9, 11]


def attachment2_2023() -> Form:
    block, spec = _indicator_block("selfeval-2023", "ind", "得分", ("budget_full", "budget_spent"))
    rows = [
        [T("附件2", style="note")],
        _title(f"{YEAR}年度预算单位整体支出绩效自评表", 9),
        [T("预算单位名称", span=2), F("unit_name", "预算单位名称", "text", required=True, span=7)],
        [T("年度预算\n申请\n（万元）", rows=7), T("", span=2), T("年初预算数"), T("全年预算数"), T("全年执行数"),
         T("分值"), T("执行率"), T("得分"), T("执行率偏差原因", style="head")],
        [T("年度资金总额", span=2), _money("budget_initial", "年初预算数", required=True),
         _money("budget_full", "全年预算数", required=True), _money("budget_spent", "全年执行数", required=True),
         F("exec_weight", "分值", "score", value=10),
         F("exec_rate", "执行率", "percent", formula=native.rate("budget_spent", "budget_full")),
         F("exec_score", "得分", "score", **native.exec_score("budget_full", "budget_spent", "exec_weight").kw()),
         F("exec_reason", "执行率偏差原因", "text", helper=True)],
        [T("按收入性质分：", span=4), T("按支出性质分：", span=4)],
        [T("其中：一般公共预算", span=2), _money("income_general", "一般公共预算", span=2),
         T("其中：基本支出", span=2), _money("expense_basic", "基本支出", span=2)],
        [T("政府性基金拨款", span=2), _money("income_fund", "政府性基金拨款", span=2),
         T("项目支出", span=2), _money("expense_project", "项目支出", span=2)],
        [T("纳入专户管理的非税收入拨款", span=2), _money("income_special", "纳入专户管理的非税收入拨款", span=2),
         T("", span=4)],
        [T("其他资金", span=2), _money("income_other", "其他资金", span=2), T("", span=4)],
        [T("年度总体\n目标", rows=2), T("预期目标", span=4), T("实际完成情况", span=4)],
        [F("goal_expected", "预期目标", "text", span=4), F("goal_actual", "实际完成情况", "text", span=4)],
        *block,
        *_total_rows("ind", spec.count, "exec_weight", "exec_score", 6),
        _footer_2023(),
    ]
    checks = [
        SumCheck("budget_full", ("income_general", "income_fund", "income_special", "income_other"),
                 "全年预算数（按收入性质分）"),
        SumCheck("budget_spent", ("expense_basic", "expense_project"), "全年执行数（按支出性质分）"),
    ]
    return Form("附件2", "部门整体支出绩效自评表", _WIDTHS_2023, rows, checks, spec, print_cols=9,
                repeat_rows=2, key="a2_2023")


def attachment3_2023(sheet: str = "附件3_1") -> Form:
    block, spec = _indicator_block("selfeval-2023", "ind", "自评得分", ("fund_total_full", "fund_total_spent"))
    fund_rows = [("total", "年度资金总额"), ("current", "其中：当年财政拨款"), ("carry", "上年结转资金"),
                 ("other", "其他资金")]
    rows = [
        [T("附件3", style="note")],
        _title(f"{YEAR}年度项目支出绩效自评表", 9),
        [T("项目支出名称", span=2), F("project_name", "项目支出名称", "text", required=True, span=7)],
        [T("主管部门", span=2), F("dept_name", "主管部门", "text", span=3), T("实施单位"),
         F("unit_name", "实施单位", "text", span=3)],
        [T("项目资金\n（万元）", rows=5), T("", span=2), T("年初预算数"), T("全年预算数"), T("全年执行数"),
         T("分值"), T("执行率"), T("自评得分"), T("执行率偏差原因", style="head")],
    ]
    for key, label in fund_rows:
        cells = [T(label, span=2), _money(f"fund_{key}_initial", f"{label}（年初预算数）"),
                 _money(f"fund_{key}_full", f"{label}（全年预算数）"),
                 _money(f"fund_{key}_spent", f"{label}（全年执行数）")]
        if key == "total":
            cells += [F("exec_weight", "分值", "score", value=10),
                      F("exec_rate", "执行率", "percent", formula=native.rate("fund_total_spent", "fund_total_full")),
                      F("exec_score", "自评得分", "score",
                        **native.exec_score("fund_total_full", "fund_total_spent", "exec_weight").kw()),
                      F("exec_reason", "执行率偏差原因", "text", helper=True)]
        else:
            cells += [T(""), T(""), T("")]
        rows.append(cells)
    rows += [
        [T("年度\n总体\n目标", rows=2), T("预期目标", span=4), T("实际完成情况", span=4)],
        [F("goal_expected", "预期目标", "text", span=4), F("goal_actual", "实际完成情况", "text", span=4)],
        *block,
        *_total_rows("ind", spec.count, "exec_weight", "exec_score", 6),
        [T("单位负责人签字：", span=2), T(""), T("填表人："), F("filler", "填表人", "text"), T("联系电话："),
         F("phone", "联系电话", "text"), T("填报日期："), F("fill_date", "填报日期", "text")],
    ]
    checks = _sum_checks([("fund_total", ("fund_current", "fund_carry", "fund_other"), "年度资金总额")],
                         [("_initial", "年初预算数"), ("_full", "全年预算数"), ("_spent", "全年执行数")])
    return Form(sheet, "项目支出绩效自评表", _WIDTHS_2023, rows, checks, spec, print_cols=9,
                repeat_rows=2, key="a3_2023")


def next_project_form(existing: list[str]) -> Form:
    """Another 附件3 for the next project: 附件3_2, 附件3_3, … (the CLI and the ribbon both add these)."""
    n = 1
    while f"附件3_{n}" in existing:
        n += 1
    return attachment3_2023(f"附件3_{n}")


REPORT_SECTIONS_2023 = [
    "一、单位基本情况", "二、一般公共预算支出情况", "三、政府性基金预算支出情况",
    "四、国有资本经营预算支出情况", "五、社会保险基金预算支出情况", "六、部门整体支出绩效情况",
    "七、存在的问题及原因分析", "八、下一步改进措施", "九、部门整体支出绩效自评结果拟应用和公开情况",
]


def attachment4_2023() -> Form:
    rows = [[T("附件4", style="note")], _title(f"{YEAR}年度部门整体支出绩效自评报告", 2),
            [T("部门（单位）名称"), F("unit_name", "部门（单位）名称", "text", required=True)],
            [T("报告日期"), F("report_date", "报告日期", "text")]]
    for i, heading in enumerate(REPORT_SECTIONS_2023, start=1):
        rows.append([T(heading, span=2, style="head")])
        rows.append([F(f"section{i}", heading, "text", required=i in (1, 2, 6), span=2)])
    return Form("附件4", "自评报告", [18, 80], rows, repeat_rows=2, key="a4_2023")


# --------------------------------------------------------------------------- score sheets (评分表)
def score_sheet(sheet: str, scheme_id: str, title: str) -> Form:
    """A 评分表 from an indicator system: one row per 三级指标, its 评分标准 printed beside it."""
    scheme = load_scheme(scheme_id)
    inds = scheme.indicators
    rows = [[T(sheet, style="note")], _title(title, 8),
            [T("一级指标", style="head"), T("二级指标", style="head"), T("三级指标", style="head"),
             T("评分标准", style="head"), T("分值", style="head"), T("指标值或评价情况", style="head"),
             T("自评得分", style="head"), T("扣分原因和其他说明", style="head"),
             T("计算得分", style="head"), T("调整后得分\n(自评调整时填)", style="head")]]
    for i, ind in enumerate(inds, start=1):
        p = f"sc{i}_"
        row = []
        if i == 1 or inds[i - 2].l1 != ind.l1:
            row.append(T(f"{ind.l1}\n（{scheme.level1[ind.l1]:g}分）", rows=sum(x.l1 == ind.l1 for x in inds)))
        if i == 1 or (inds[i - 2].l2, inds[i - 2].l1) != (ind.l2, ind.l1):
            n2 = sum(x.l2 == ind.l2 and x.l1 == ind.l1 for x in inds)
            w2 = scheme.level2.get(ind.l2)
            row.append(T(f"{ind.l2}\n（{w2:g}分）" if w2 is not None else ind.l2, rows=n2))
        blank_ok = getattr(ind.rule, "blank_full", False)  # 没有楼堂馆所项目的部门按满分计算
        standard = ind.standard + (f"\n{ind.formula}" if ind.formula and ind.formula not in ind.standard else "")
        row += [
            T(ind.name), T(standard.strip(), style="note"),
            F(p + "weight", "分值", "score", value=float(ind.weight)),
            F(p + "value", ind.input or "指标值", "text", required=not blank_ok, note=ind.standard),
            F(p + "score", "自评得分", "score", formula=f'=IF({p}adjusted<>"",{p}adjusted,{p}computed)'),
            F(p + "reason", "扣分原因和其他说明", "text"),
            F(p + "computed", "计算得分", "score", helper=True,
              **native.indicator_score(ind, p + "value", scheme_id, p).kw()),
            F(p + "adjusted", "调整后得分", "score", helper=True),
        ]
        rows.append(row)
    n = len(inds)
    weights = ",".join(f"sc{i}_weight" for i in range(1, n + 1))
    scores = ",".join(f"sc{i}_score" for i in range(1, n + 1))
    rows += [
        [T("总分", span=4), F("weight_total", "分值合计", "score", formula=f"=SUM({weights})"), T(""),
         F("score_total", "总分", "score", formula=native.total(scores.split(","))), T("")],
        [T("评价等次", span=4), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total", scheme.grades),
                                span=2),
         T("", span=2)],
        [T("备注：部门（单位）可根据本部门实际情况，对评价指标体系进一步完善、量化、细化个性指标，形成本部门的指标体系。",
           span=8, style="note")],
    ]
    spec = IndicatorRows(scheme_id, "sc", n)
    return Form(sheet, title, [9, 10, 14, 44, 6, 14, 8, 16, 9, 11], rows, indicators=spec,
                print_cols=8, repeat_rows=3, landscape=True, key=f"score_{scheme_id}")


# --------------------------------------------------------------------------- 2020 附件2-1 / 2-2
UNIT_ROWS = 5  # 汇总 row + four units (the seed has 汇总 and two 二级机构)


def _unit_table(prefix: str, heads: list[str], names: list[str], money_label: str) -> list[list]:
    rows = [[T(h, style="head") for h in heads]]
    for i in range(UNIT_ROWS):
        rows.append([F(f"{prefix}_name_{i}", "机构名称", "text", required=i == 0)] +
                    [_money(f"{prefix}_{n}_{i}", f"{h}（第{i + 1}行）") for n, h in zip(names, heads[1:])])
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
    rows.append([T("评价组组长（签字）：\n\n年    月    日", span=4), T("部门（单位）意见：\n\n部门（单位）负责人（签章）：\n年    月    日", span=4)])
    return rows


def attachment2_1_2020() -> Form:
    W = 8
    rows = [
        [T("附件2-1", style="note")], _title("部门整体支出绩效评价自评报告", W),
        [T("部门(单位)名称", span=2), F("unit_name", "部门(单位)名称", "text", required=True, span=3),
         T("预算编码"), F("budget_code", "预算编码", "text", span=2)],
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
        [T("整体支出绩效定量目标", span=2), T("评价内容", span=2), T("绩效目标", span=2), T("完成情况", span=2)],
    ]
    quant = [("产出目标", "质量指标"), ("产出目标", "数量指标"), ("产出目标", "时效指标"), ("产出目标", "成本指标"),
             ("效益目标", "社会效益"), ("效益目标", "经济效益"), ("效益目标", "生态效益"),
             ("效益目标", "社会公众或服务对象满意度")]
    for i, (l1, l2) in enumerate(quant, start=1):
        rows.append([T(l1), T(l2, span=2), F(f"q{i}_indicator", f"{l2}指标", "text", span=3),
                     F(f"q{i}_result", f"{l2}完成情况", "text", span=2)])
    rows += [
        [T("绩效自评综合得分", span=4), F("score_total", "绩效自评综合得分", "score",
                                        formula="={附件3-1!score_total}", span=4)],
        [T("评价等次", span=4), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total"), span=4)],
        *_reviewers(),
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


def attachment2_2_2020() -> Form:
    W = 8
    rows = [
        [T("附件2-2", style="note")], _title("财政支出绩效评价自评报告（项目）", W),
        [T("项目名称", span=2), F("project_name", "项目名称", "text", required=True, span=6)],
        [T("项目单位", span=2), F("unit_name", "项目单位", "text", required=True, span=2), T("主管部门", span=2),
         F("dept_name", "主管部门", "text", span=2)],
        [T("一、项 目 基 本 概 况", span=W, style="head")],
        [T("项目负责人", span=2), F("manager", "项目负责人", "text", span=2), T("联系电话", span=2),
         F("phone", "联系电话", "text", span=2)],
        [T("项目地址", span=2), F("address", "项目地址", "text", span=2), T("邮  编", span=2),
         F("postcode", "邮编", "text", span=2)],
        [T("项目起止时间", span=2), F("period", "项目起止时间", "text", span=6)],
        [c for key, label in _FUNDS for c in (T(label), _money(f"{key}_total", label.split(chr(10))[0], required=True))],
    ]
    for skey, slabel in _SOURCES:
        rows.append([c for key, label in _FUNDS for c in
                     (T(f"其中：{slabel}" if skey == "central" else slabel),
                      _money(f"{key}_{skey}", f"{label.split(chr(10))[0]}（{slabel}）"))])
    rows += [[T("二、项目支出明细情况", span=W, style="head")],
             [T("支出内容", span=3), T("实际支出数（元）", span=2), T("会计凭证号", span=2), T("备注")]]
    for i in range(1, DETAIL_ROWS + 1):
        rows.append([F(f"detail{i}_item", "支出内容", "text", span=3),
                     F(f"detail{i}_amount", "实际支出数（元）", "number", span=2),
                     F(f"detail{i}_voucher", "会计凭证号", "text", span=2), F(f"detail{i}_note", "备注", "text")])
    rows += [
        [T("支出合计", span=3), F("detail_total", "支出合计（元）", "number", span=2), T("", span=3)],
        [T("三、项目绩效自评情况", span=W, style="head")],
        [T("项目绩效定性目标及实施计划完成情况", span=2, rows=2), T("预  期 目 标", span=3), T("实际完成", span=3)],
        [F("goal_expected", "定性预期目标", "text", span=3), F("goal_actual", "定性实际完成", "text", span=3)],
        [T("一级指标", span=2), T("二级指标"), T("指标内容", span=2), T("指标（目标）值"), T("实际完成值", span=2)],
    ]
    quant = [("项目产出指标", "数量指标"), ("项目产出指标", "质量指标"), ("项目产出指标", "时效指标"),
             ("项目产出指标", "成本指标"), ("项目效益指标", "经济效益指标"), ("项目效益指标", "社会效益指标"),
             ("项目效益指标", "生态效益指标"), ("项目效益指标", "服务对象满意度指标")]
    for i, (l1, l2) in enumerate(quant, start=1):
        rows.append([T(l1, span=2), T(l2), F(f"q{i}_indicator", f"{l2}内容", "text", span=2),
                     F(f"q{i}_target", f"{l2}目标值", "text"), F(f"q{i}_actual", f"{l2}实际完成值", "text", span=2)])
    rows += [
        [T("绩效自评综合得分", span=4), F("score_total", "绩效自评综合得分", "score",
                                        formula="={附件3-2!score_total}", span=4)],
        [T("评价等次", span=4), F("grade", "评价等次", "choice", choices=GRADES, formula=native.grade("score_total"), span=4)],
        *_reviewers(3),
        [T("五、评价报告综述（文字部分）", span=W, style="head")],
        [F("summary", "评价报告综述", "text", span=W)],
    ]
    checks = [SumCheck(f"{k}_total", tuple(f"{k}_{s}" for s, _ in _SOURCES), f"{label.split(chr(10))[0]}合计")
              for k, label in _FUNDS]
    checks += [SumCheck("arrived_total", ("spent_total", "balance_total"), "实际到位资金 = 实际支出 + 结余"),
               SumCheck("detail_total", tuple(f"detail{i}_amount" for i in range(1, DETAIL_ROWS + 1)), "支出明细合计")]
    return Form("附件2-2", "项目支出绩效评价自评报告", [10, 11, 11, 11, 11, 11, 11, 11], rows, checks,
                repeat_rows=2, key="a22_2020")


# --------------------------------------------------------------------------- template sets
def template_sets() -> dict[str, TemplateSet]:
    return {s.id: s for s in [
        TemplateSet(
            "2023", f"{YEAR}_部门整体支出绩效自评.xlsx", f"{YEAR}年度预算单位整体支出绩效自评", YEAR,
            "部门整体支出绩效自评", "附件2",
            [attachment1_2023(), attachment2_2023(), attachment3_2023(), attachment4_2023()],
            same=[(("附件1", "unit_name"), ("附件2", "unit_name"), "预算单位名称"),
                  (("附件1", "project_final"), ("附件2", "expense_project"), "项目支出决算数"),
                  (("附件2", "unit_name"), ("附件4", "unit_name"), "单位名称")],
            repeatable="a3_2023", budget=("附件2", "budget_full")),
        TemplateSet(
            "2020", "2020_部门整体支出绩效评价自评报告.xlsx", "部门整体支出绩效评价自评报告（湖南2020样表）", 2020,
            "部门整体支出绩效评价自评", "附件3-1",
            [attachment2_1_2020(), attachment2_2_2020(),
             score_sheet("附件3-1", "hunan-dept-2020", "部门整体支出绩效评价评分表（参考样表）"),
             score_sheet("附件3-2", "hunan-project-2020", "项目支出绩效评价指标体系（参考样表）")],
            budget=("附件2-1", "inc_total_0")),
        TemplateSet(
            "2021-lengshuitan", "2021_冷水滩区绩效评价表.xlsx", "专项资金及部门整体支出绩效评价表（冷水滩2021）", 2021,
            "部门整体支出绩效评价", "附件4",
            [score_sheet("附件2", "lengshuitan-project-2021", "2021年度财政专项（项目）资金绩效评价表"),
             score_sheet("附件4", "lengshuitan-dept-2021", "2021年度部门整体支出绩效评价表")]),
    ]}
