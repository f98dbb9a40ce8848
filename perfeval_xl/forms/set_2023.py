"""The 2023 set (预算单位整体支出绩效自评, 2023样表): 附件1 基础数据表, 附件2 整体支出自评表,
附件3 项目支出自评表 (one per project) and 附件4 自评报告, as layout data (see layout.py)."""
from __future__ import annotations

from perfeval_xl.formulas import native

from perfeval_xl.forms.builders import GRADES, money, report_form, title_row, year_field
from perfeval_xl.forms.guidance import ACTUAL_HINT, TARGET_HINT, ratio_hint

from perfeval_xl.forms.layout import F, Form, IndicatorRows, SumCheck, T
from perfeval_xl.engine.scheme import load as load_scheme

LEVELS = ("达成", "部分达成", "未达成")
DIRECTIONS = ("正向", "反向", "等于")


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
ONE_PER_LINE = ("proj_district", "proj_transfer")  # "一个专项一行": the unit lists each 专项 below
ITEM_ROWS = 4
# (suffix of the names, column as findings name it, printed heading)
_BASE_COLS = [("_prev", "上年决算数", "{prev}年决算数"), ("_budget", "本年预算数", "{year}年预算数"),
              ("_final", "本年决算数", "{year}年决算数")]


def _base_row(name: str, label: object, plain: str) -> list:
    head = label if isinstance(label, F) else T(label)
    return [head] + [money(f"{name}{s}", f"{plain}（{col}）", span=2) for s, col, _ in _BASE_COLS]


def attachment1_2023(year: int) -> Form:
    rows = [
        [T("附件1", style="note")],
        title_row("{year}年度预算单位整体支出绩效评价基础数据表", 7),
        [T("预算单位名称"), F("unit_name", "预算单位名称", "text", required=True, span=4),
         T("报告年度"), year_field(year)],
        [T("财政供养人员情况(人)"), T("编制数", span=2), T("{year}年实际在职人数", span=2), T("控制率", span=2)],
        [T(""), F("staff_quota", "编制数", "int", required=True, span=2),
         F("staff_actual", "实际在职人数", "int", required=True, span=2),
         F("staff_rate", "控制率", "percent", formula=native.rate("staff_actual", "staff_quota"), span=2)],
        [T("经费控制情况(万元)")] + [T(head, span=2) for _, _, head in _BASE_COLS],
    ]
    items = []
    for name, label in _BASE_ROWS:
        plain = label.replace(" ", "").strip("：")
        rows.append(_base_row(name, label, plain))
        if name in ONE_PER_LINE:
            kind = plain.split("、")[1].split("(")[0]
            for k in range(1, ITEM_ROWS + 1):
                rows.append(_base_row(f"{name}{k}", F(f"{name}{k}_item", f"{kind}名称（第{k}行）", "text"),
                                      f"{kind}第{k}行"))
            items.append((name, tuple(f"{name}{k}" for k in range(1, ITEM_ROWS + 1)), kind))
    rows += [
        [T("楼堂馆所控制情况({prev}年完工项目)"), T("批复规模\n(m²)"), T("实际规模(m²)"), T("规模控制率"),
         T("预算投资\n(万元)"), T("实际投资\n(万元)"), T("投资概算控制率")],
        [T(""), F("bld_area_approved", "批复规模"), F("bld_area_actual", "实际规模"),
         F("bld_area_rate", "规模控制率", "percent", formula=native.optional_rate("bld_area_actual", "bld_area_approved")),
         money("bld_inv_budget", "预算投资"), money("bld_inv_actual", "实际投资"),
         F("bld_inv_rate", "投资概算控制率", "percent", formula=native.optional_rate("bld_inv_actual", "bld_inv_budget"))],
        [T("厉行节约保障措施"), F("saving_measures", "厉行节约保障措施", "text", span=6)],
        [T("说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的一般商品和服务支出。",
           span=7, style="note")],
        [T("填表人："), F("filler", "填表人", "text", required=True), T("联系电话："),  # 11 digits need 2 columns
         F("phone", "联系电话", "text", required=True, span=2), T("单位负责人签字："), T("")],
        [T("填报日期："), F("fill_date", "填报日期", "text", span=2), T("", span=4)],
    ]
    checks = _sum_checks([
        ("sangong", ("car", "abroad", "reception"), "三公经费"),
        ("car", ("car_buy", "car_run"), "公务用车购置和维护经费"),
        ("project", ("proj_business", "proj_ops", "proj_district", "proj_transfer"), "项目支出"),
        ("public", ("pub_office", "pub_travel", "pub_meeting"), "公用经费"),
        *items,
    ], [(s, col) for s, col, _ in _BASE_COLS])
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
            F(p + "name", "三级指标", "text"), F(p + "target", "年度指标值", "text", hint=TARGET_HINT),
            F(p + "actual", "实际完成值", "text", hint=ACTUAL_HINT), F(p + "weight", "分值", "score"),
            F(p + "score", score_head, "score",
              formula=f'=IF(NOT({native.blank(p + "adjusted")}),{native.typed_score(p + "adjusted", p + "weight")},'
                      f'{p}computed)'),
            F(p + "reason", "偏差原因分析及改进措施", "text"),
            # 成本指标 are 反向 even when written "68.4万元" (seed 001): pre-filled, editable
            F(p + "direction", "指标方向", "choice", choices=DIRECTIONS, helper=True,
              default="反向" if l2 == "成本指标" else None),
            F(p + "level", "完成等级", "choice", choices=LEVELS, helper=True),
            F(p + "ratio", "得分比例", "percent", helper=True, hint=ratio_hint()),
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


def _footer_2023(required: bool = True) -> list:
    """The signing row of 附件2 and 附件3 (a project form's is optional): 11 digits fit 联系电话."""
    return [T("填表人："), F("filler", "填表人", "text", required=required), T("联系电话："),
            F("phone", "联系电话", "text", span=2), T("单位负责人签字：", span=2), T("填报日期："),
            F("fill_date", "填报日期", "text")]


_WIDTHS_2023 = [8, 10, 10, 16, 11, 11, 7, 8, 20, 11, 10, 10, 9, 11]


def attachment2_2023() -> Form:
    block, spec = _indicator_block("selfeval-2023", "ind", "得分", ("budget_full", "budget_spent"))
    rows = [
        [T("附件2", style="note")],
        title_row("{year}年度预算单位整体支出绩效自评表", 9),
        [T("预算单位名称", span=2), F("unit_name", "预算单位名称", "text", required=True, span=7)],
        [T("年度预算\n申请\n（万元）", rows=7), T("", span=2), T("年初预算数"), T("全年预算数"), T("全年执行数"),
         T("分值"), T("执行率"), T("得分"), T("执行率偏差原因", style="head")],
        [T("年度资金总额", span=2), money("budget_initial", "年初预算数", required=True),
         money("budget_full", "全年预算数", required=True), money("budget_spent", "全年执行数", required=True),
         F("exec_weight", "分值", "score", value=10),
         F("exec_rate", "执行率", "percent", formula=native.rate("budget_spent", "budget_full")),
         F("exec_score", "得分", "score", **native.exec_score("budget_full", "budget_spent", "exec_weight").kw()),
         F("exec_reason", "执行率偏差原因", "text", helper=True)],
        [T("按收入性质分：", span=4), T("按支出性质分：", span=4)],
        [T("其中：一般公共预算", span=2), money("income_general", "一般公共预算", span=2),
         T("其中：基本支出", span=2), money("expense_basic", "基本支出", span=2)],
        [T("政府性基金拨款", span=2), money("income_fund", "政府性基金拨款", span=2),
         T("项目支出", span=2), money("expense_project", "项目支出", span=2)],
        [T("纳入专户管理的非税收入拨款", span=2), money("income_special", "纳入专户管理的非税收入拨款", span=2),
         T("", span=4)],
        [T("其他资金", span=2), money("income_other", "其他资金", span=2), T("", span=4)],
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


def attachment3_2023(n: int = 1) -> Form:
    """The 项目支出绩效自评表 of the n-th project: 附件3_1, 附件3_2, …"""
    sheet = f"附件3_{n}"
    block, spec = _indicator_block("selfeval-2023", "ind", "自评得分", ("fund_total_full", "fund_total_spent"))
    fund_rows = [("total", "年度资金总额"), ("current", "其中：当年财政拨款"), ("carry", "上年结转资金"),
                 ("other", "其他资金")]
    rows = [
        [T("附件3", style="note")],
        title_row("{year}年度项目支出绩效自评表", 9),
        [T("项目支出名称", span=2), F("project_name", "项目支出名称", "text", required=True, span=7)],
        [T("主管部门", span=2), F("dept_name", "主管部门", "text", span=3), T("实施单位"),
         F("unit_name", "实施单位", "text", span=3)],
        [T("项目资金\n（万元）", rows=5), T("", span=2), T("年初预算数"), T("全年预算数"), T("全年执行数"),
         T("分值"), T("执行率"), T("自评得分"), T("执行率偏差原因", style="head")],
    ]
    for key, label in fund_rows:
        cells = [T(label, span=2), money(f"fund_{key}_initial", f"{label}（年初预算数）"),
                 money(f"fund_{key}_full", f"{label}（全年预算数）"),
                 money(f"fund_{key}_spent", f"{label}（全年执行数）")]
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
        _footer_2023(required=False),
    ]
    checks = _sum_checks([("fund_total", ("fund_current", "fund_carry", "fund_other"), "年度资金总额")],
                         [("_initial", "年初预算数"), ("_full", "全年预算数"), ("_spent", "全年执行数")])
    return Form(sheet, "项目支出绩效自评表", _WIDTHS_2023, rows, checks, spec, print_cols=9,
                repeat_rows=2, key="a3_2023")


REPORT_SECTIONS_2023 = [
    "一、单位基本情况", "二、一般公共预算支出情况", "三、政府性基金预算支出情况",
    "四、国有资本经营预算支出情况", "五、社会保险基金预算支出情况", "六、部门整体支出绩效情况",
    "七、存在的问题及原因分析", "八、下一步改进措施", "九、部门整体支出绩效自评结果拟应用和公开情况",
]


def attachment4_2023() -> Form:
    # the region as seed 001's title names it (2023年度岳阳楼区岳阳市公共租赁房屋运营服务中心…)
    return report_form("附件4", "a4_2023", "{year}年度{region}{unit_name}整体支出绩效自评报告", REPORT_SECTIONS_2023,
                       [[T("部门（单位）名称"), F("unit_name", "部门（单位）名称", "text", required=True)],
                        [T("地区（县市区）"), F("region", "地区（县市区）", "text")],
                        [T("报告日期"), F("report_date", "报告日期", "text")]], required=(1, 2, 6))
