"""Every official form, as layout data (see layout.py), and the template sets built from them.

Sheets mirror the seed forms: same headings, same order, same merged cells. Our additions (the
完成等级 / 得分比例 / 计算得分 / 调整得分 helpers) sit to the right of the printed area.
"""
from __future__ import annotations

import functools

from perfeval_xl.formulas import native

from perfeval_xl.forms.guidance import ACTUAL_HINT, TARGET_HINT, ratio_hint, scored_hint, scored_note, weight_hint

from perfeval_xl.forms.layout import NOT_APPLICABLE, REPORT_YEAR, Derived, F, Form, IndicatorRows, SumCheck, T, TemplateSet
from perfeval_xl.engine.scheme import Indicator, load as load_scheme

# Printed years are never constants: headings say {year} / {prev} and follow the workbook's
# report_year input (layout.T); a set's year is only the input's pre-filled value.

LEVELS = ("达成", "部分达成", "未达成")
DIRECTIONS = ("正向", "反向", "等于")
GRADES = ("优", "良", "中", "差")


def _title(text: str, n: int) -> list:
    return [T(text, span=n, style="title")]


def _money(name: str, label: str, **kw) -> F:
    return F(name, label, "money", **kw)


def _year_field(year: int, **kw) -> F:
    """The report year: the one input every heading's year derives from (first sheet only)."""
    return F(REPORT_YEAR, "报告年度", "int", required=True, default=year, **kw)


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
    return [head] + [_money(f"{name}{s}", f"{plain}（{col}）", span=2) for s, col, _ in _BASE_COLS]


def attachment1_2023(year: int) -> Form:
    rows = [
        [T("附件1", style="note")],
        _title("{year}年度预算单位整体支出绩效评价基础数据表", 7),
        [T("预算单位名称"), F("unit_name", "预算单位名称", "text", required=True, span=4),
         T("报告年度"), _year_field(year)],
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
         _money("bld_inv_budget", "预算投资"), _money("bld_inv_actual", "实际投资"),
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
        _title("{year}年度预算单位整体支出绩效自评表", 9),
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


def attachment3_2023(n: int = 1) -> Form:
    """The 项目支出绩效自评表 of the n-th project: 附件3_1, 附件3_2, …"""
    sheet = f"附件3_{n}"
    block, spec = _indicator_block("selfeval-2023", "ind", "自评得分", ("fund_total_full", "fund_total_spent"))
    fund_rows = [("total", "年度资金总额"), ("current", "其中：当年财政拨款"), ("carry", "上年结转资金"),
                 ("other", "其他资金")]
    rows = [
        [T("附件3", style="note")],
        _title("{year}年度项目支出绩效自评表", 9),
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


def report_form(sheet: str, key: str, title: str, sections: list[str], head: list[list],
                required: tuple[int, ...] = (), foot: list[list] = ()) -> Form:
    """A 自评报告 of numbered text sections (附件4 of 2023, 附件1 / 附件3 of 冷水滩)."""
    rows = [[T(sheet, style="note")], _title(title, 2), *head]
    for i, heading in enumerate(sections, start=1):
        rows.append([T(heading, span=2, style="head")])
        rows.append([F(f"section{i}", heading, "text", required=i in required, span=2)])
    return Form(sheet, title.replace("{year}", ""), [18, 80], rows + list(foot), repeat_rows=2, key=key)


def attachment4_2023() -> Form:
    # the region as seed 001's title names it (2023年度岳阳楼区岳阳市公共租赁房屋运营服务中心…)
    return report_form("附件4", "a4_2023", "{year}年度{region}{unit_name}整体支出绩效自评报告", REPORT_SECTIONS_2023,
                       [[T("部门（单位）名称"), F("unit_name", "部门（单位）名称", "text", required=True)],
                        [T("地区（县市区）"), F("region", "地区（县市区）", "text")],
                        [T("报告日期"), F("report_date", "报告日期", "text")]], required=(1, 2, 6))


# --------------------------------------------------------------------------- score sheets (评分表)
# 评分表 inputs the official texts define from figures of the same workbook (docs/rules.md).
DERIVED_DEPT_2020 = [
    Derived("staff_control", ("附件2-1", "staff_actual"), ("附件2-1", "staff_quota"),
            text="在职人员控制率=实有人数/人员编制×100%"),
    Derived("balance", ("附件2-1", "exp_balance_0"), ("附件2-1", "inc_carry_0"), "balance",
            text="结余（汇总行当年结余）与上年结转比较"),
]


def derived_project_2020(n: int) -> list[Derived]:
    """The n-th project's 评分表 (附件3-2_n) takes 到位率 from its own 自评报告 (附件2-2_n)."""
    sheet = _suffix("附件2-2", n)
    return [Derived("funds_in_place", (sheet, "arrived_total"), (sheet, "plan_total"))]


def derived_formula(d: Derived, scheme) -> str:
    """The native Excel formula of a derived input: arithmetic and IF only, no PE_* function."""
    of, per = (f"{{{s}!{n}}}" for s, n in (d.of, d.per))
    if d.kind == "balance":
        labels = [o.label for o in scheme.find(d.indicator).rule.options]
        return (f'=IF({of}="","",IF(N({of})<=0,"{labels[0]}",'
                f'IF(N({of})<=N({per}),"{labels[1]}","{labels[2]}")))')
    top = f"({of}-{per})" if d.kind == "change" else of
    # six decimals (0.0001 %): a rate the native reading takes as typed, and the engine alike
    return f'=IF(N({per})=0,"",ROUND({top}/{per},6))'


def _standard(ind: Indicator) -> str:
    """评分标准 with its formula when the formula is not already part of it."""
    extra = f"\n{ind.formula}" if ind.formula and ind.formula not in ind.standard else ""
    return (ind.standard + extra).strip()


STANDARD = [("评分标准", _standard)]


def _parts(ind: Indicator) -> list[str]:
    """A judged row naming several 三级指标 (经济效益、社会效益) prints one row per name, each
    with its own 得分 as the seeds do; the indicator scores their sum against its one 分值."""
    return ind.name.split("、") if ind.rule.kind == "judged" and "、" in ind.name else [ind.name]


def _weighted(label: str, weight, split: bool) -> list:
    """An indicator heading and its 分值: in a column of its own (split) or in the text."""
    if weight is None:
        return [T(label)] + ([T("")] if split else [])
    return [T(label), T(f"{weight:g}")] if split else [T(f"{label}\n（{weight:g}分）")]


APPLICABILITY = ("适用", NOT_APPLICABLE)
ADDED_ROWS = 3  # rows for indicators the unit adds (判断打分), as the 参考样表's 备注 allows
_SCORE_HELPER_HEADS = ("计算得分", "调整后得分\n(自评调整时填)", "是否适用\n(不适用时选)", "适用指标\n分值")


def _typed(ind: Indicator) -> bool:
    """A judged row scored on one line: its 自评得分 is typed, and counts through a helper."""
    return ind.rule.kind == "judged" and len(_parts(ind)) == 1


def _score_cells(scheme_id: str, p: str, ind: Indicator, parts: list[str], default: str | None) -> list:
    """指标值 … 适用指标分值 of one 三级指标: the score computed from the input at the row's
    (adaptable) 分值, or typed (judged rows); 不适用 selectable."""
    k = len(parts)
    applicability = [F(p + "na", "是否适用", "choice", choices=APPLICABILITY, helper=True, rows=k),
                     F(p + "applied", "适用指标分值", "score", helper=True, rows=k,
                       formula=f'=IF({p}na="{NOT_APPLICABLE}",0,N({p}weight))')]
    if _typed(ind):  # no formula in the text: the score itself is typed
        counted = f'IF({p}na="{NOT_APPLICABLE}","",{native.typed_score(p + "score", p + "weight")})'
        return [F(p + "value", "评价情况", "text"),
                F(p + "score", "自评得分", "score", note=scored_note(ind), hint=scored_hint(ind),
                  helpers=((p + "score__counted", counted),)),
                F(p + "reason", "扣分原因和其他说明", "text"), T(""), T(""), *applicability]
    if k == 1:
        rate = ind.input_kind == "rate"
        # A number in a percent cell is a fraction: hand it to the UDF as the percentage it shows.
        arg = f'IF(N({p}value)=0,{p}value,ROUND(N({p}value)*100,10)&"%")' if rate else None
        value = F(p + "value", ind.input or "指标值", "percent" if rate else "text",
                  required=not getattr(ind.rule, "blank_full", False), note=scored_note(ind), default=default,
                  hint=scored_hint(ind))
        computed = native.indicator_score(ind, p + "value", scheme_id, p, udf_value=arg, weight=p + "weight")
    else:  # 经济效益、社会效益: each part's score typed on its own row, the indicator scores the sum
        names = [f"{p}part{j}" for j in range(1, k + 1)]
        value = F(names[0], f"{parts[0]}自评得分", "score", required=True, note=scored_note(ind),
                  hint=scored_hint(ind))
        part_sum = f"{p}_sum"
        c = native.indicator_score(ind, part_sum, scheme_id, p, weight=p + "weight")
        computed = native.Computed(c.formula, ((part_sum, native.sum_of(names)), *c.helpers))
    return [
        value,
        F(p + "score", "自评得分", "score", rows=k,
          formula=f'=IF({p}na="{NOT_APPLICABLE}","{NOT_APPLICABLE}",'
                  f'IF(NOT({native.blank(p + "adjusted")}),{native.typed_score(p + "adjusted", p + "weight")},'
                  f'{p}computed))'),
        F(p + "reason", "扣分原因和其他说明", "text", rows=k),
        F(p + "computed", "计算得分", "score", helper=True, rows=k, **computed.kw()),
        F(p + "adjusted", "调整后得分", "score", helper=True, rows=k), *applicability,
    ]


def _added_row(p: str, level1: tuple[str, ...], split: bool, texts: int) -> list:
    """An indicator the unit adds: its own 评价要点 and a score typed within [0, 分值]."""
    gap = [T("")] if split else []
    weight = F(p + "weight", "分值", "score")
    return [
        F(p + "l1", "一级指标", "choice", choices=level1), *gap, F(p + "l2", "二级指标", "text"), *gap,
        F(p + "name", "三级指标", "text"), *([weight] if split else []),
        F(p + "standard", "评分标准（评价要点）", "text"), *[T("") for _ in range(texts - 1)],
        *([] if split else [weight]), F(p + "value", "评价情况", "text"),
        F(p + "score", "自评得分", "score", hint="按评价要点自评打分：0至本行分值",
          helpers=((p + "score__counted", native.typed_score(p + "score", p + "weight")),)),
        F(p + "reason", "扣分原因和其他说明", "text"), T(""), T(""), T(""),
        F(p + "applied", "适用指标分值", "score", helper=True, formula=f"=N({p}weight)"),
    ]


def score_sheet(sheet: str, scheme_id: str, title: str, texts=STANDARD, split: bool = False,
                derived: list[Derived] = ()) -> Form:
    """A 评分表 from an indicator system: one row per 三级指标, its texts printed beside it.

    ``texts`` are the printed text columns, (heading, indicator → text); ``split`` gives the
    一级 / 二级 分值 their own columns (seed 002 附件4, seed 004 附件3-2), else they sit in the
    heading as "投入（15分）" (seed 004 附件3-1, seed 002 附件2). ``derived`` inputs are
    pre-filled with the native formula the official text defines (the accountant may type over).
    The unit may adapt it as the 参考样表 allows: change a 分值, mark a row 不适用 (the applicable
    rows are summed and rescaled to the total, 按百分制折算) or add a row of its own.
    """
    scheme = load_scheme(scheme_id)
    inds = scheme.indicators
    height = {ind.id: len(_parts(ind)) for ind in inds}
    defaults = {d.indicator: derived_formula(d, scheme) for d in derived}
    heads = ["一级指标", *(["分值"] if split else []), "二级指标", *(["分值"] if split else []), "三级指标",
             *(["分值"] if split else []), *(h for h, _ in texts), *([] if split else ["分值"]),
             "指标值或评价情况", "自评得分", "扣分原因和其他说明"]
    n_print = len(heads)
    rows = [[T(sheet, style="note")], _title(title, n_print),
            [T(h, style="head") for h in (*heads, *_SCORE_HELPER_HEADS)]]
    for i, ind in enumerate(inds, start=1):
        p = f"sc{i}_"
        parts = _parts(ind)
        k = len(parts)
        row = []
        if i == 1 or inds[i - 2].l1 != ind.l1:
            n1 = sum(height[x.id] for x in inds if x.l1 == ind.l1)
            row += [_merged(c, n1) for c in _weighted(ind.l1, scheme.level1[ind.l1], split)]
        if i == 1 or (inds[i - 2].l2, inds[i - 2].l1) != (ind.l2, ind.l1):
            n2 = sum(height[x.id] for x in inds if x.l2 == ind.l2 and x.l1 == ind.l1)
            row += [_merged(c, n2) for c in _weighted(ind.l2, scheme.level2.get(ind.l2), split)]
        weight = F(p + "weight", "分值", "score", default=float(ind.weight), rows=k, hint=weight_hint(ind.weight))
        row += [T(parts[0])] + ([weight] if split else [])
        row += [T(text(ind), rows=k, style="note") for _, text in texts] + ([] if split else [weight])
        rows.append(row + _score_cells(scheme_id, p, ind, parts, defaults.get(ind.id)))
        for j, part in enumerate(parts[1:], start=2):
            rows.append([T(part), F(f"{p}part{j}", f"{part}自评得分", "score", note=scored_note(ind),
                                    hint=scored_hint(ind))])
    rows.append([T("本单位增加的指标（可选；按评价要点自评打分，增加后各指标分值合计仍须为总分）", span=n_print,
                   style="head")])
    rows += [_added_row(f"add{i}_", tuple(scheme.level1), split, len(texts)) for i in range(1, ADDED_ROWS + 1)]
    prefixes = [f"sc{i}_" for i in range(1, len(inds) + 1)] + [f"add{i}_" for i in range(1, ADDED_ROWS + 1)]

    def total(suffix: str) -> str:
        return "=SUM(" + ",".join(p + suffix for p in prefixes) + ")"
    weight_total = F("weight_total", "分值合计", "score", formula=total("weight"))
    counted = [f"sc{i}_score" + ("__counted" if _typed(ind) else "") for i, ind in enumerate(inds, start=1)]
    counted += [f"add{i}_score__counted" for i in range(1, ADDED_ROWS + 1)]
    score_sum = F("score_sum", "得分合计", "score", formula=native.total(counted))
    if split:  # 合计 | 100 | | 100 | | 100 | … | 99, as seed 004 附件3-2 prints its 总分 row
        sums = [T("合计"), T(f"{scheme.total:g}"), T(""), T(f"{scheme.total:g}"), T(""), weight_total,
                *[T("") for _ in texts], T(""), score_sum, T("")]
    else:
        sums = [T("合计", span=n_print - 4), weight_total, T(""), score_sum, T("")]
    rows += [
        sums,
        [T(f"总分（有不适用指标时按百分制折算：得分合计÷适用指标分值合计×{scheme.total:g}）", span=n_print - 4),
         F("weight_applicable", "适用指标分值合计", "score", formula=total("applied")), T("总分"),
         F("score_total", "总分", "score",
           formula=native.rescaled_total("score_sum", "weight_applicable", scheme.total)), T("")],
        [T("评价等次", span=n_print - 4), F("grade", "评价等次", "choice", choices=GRADES,
                                          formula=native.grade("score_total", scheme.grades), span=2),
         T("", span=2)],
        [T("备注：部门（单位）可根据本部门实际情况，对评价指标体系进一步完善、量化、细化个性指标，形成本部门的指标体系。",
           span=n_print, style="note")],
    ]
    spec = IndicatorRows(scheme_id, "sc", len(inds), derived=tuple(derived), added=ADDED_ROWS)
    widths = [9, *([5] if split else []), 10, *([5] if split else []), 14, *([5] if split else []),
              *([44 if len(texts) == 1 else 40] * len(texts)), *([] if split else [6]), 14, 8, 16, 9, 11, 10, 9]
    return Form(sheet, title.replace("{year}", ""), widths, rows, indicators=spec, print_cols=n_print,
                repeat_rows=3, landscape=True, key=f"score_{scheme_id}")


def _merged(cell: T, rows: int) -> T:
    return T(cell.text, span=cell.span, rows=rows, style=cell.style)


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
        [T("附件2-1", style="note")], _title("{region}{year}年度部门整体支出绩效评价自评报告", W),
        *_cover([
            [T("地区（县市区）", span=2), F("region", "地区（县市区）", "text", span=2), T("报告年度", span=2),
             _year_field(year, span=2)],
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


def _suffix(sheet: str, n: int) -> str:
    """The n-th project's copy of a sheet: 附件2-2, 附件2-2_2, 附件2-2_3, …"""
    return sheet if n == 1 else f"{sheet}_{n}"


def attachment2_2_2020(n: int = 1) -> Form:
    W = 8
    rows = [
        [T("附件2-2", style="note")], _title("{region}财政支出绩效评价自评报告（项目）", W),
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
    score_sheet_name = _suffix("附件3-2", n)
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
    return Form(_suffix("附件2-2", n), "项目支出绩效评价自评报告", [11] * W, rows, checks,
                repeat_rows=2, key="a22_2020")


def project_2020(n: int) -> list[Form]:
    """One project of the 2020 set: its 自评报告 (附件2-2) and its 评分表 (附件3-2)."""
    return [attachment2_2_2020(n),
            score_sheet(_suffix("附件3-2", n), "hunan-project-2020", "项目支出绩效评价指标体系（参考样表）",
                        [("具体指标", lambda ind: ind.explain), ("评价标准", lambda ind: ind.standard)], split=True,
                        derived=derived_project_2020(n))]


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
    head = _unit_and_date("单位名称") + ([[T("报告年度"), _year_field(year)]] if year else [])
    return [report_form(_suffix("附件1", n), "lst_project_report", "{year}年度专项（项目）资金绩效自评报告",
                        LST_PROJECT_SECTIONS, head, required=(1, 2, 3)),
            score_sheet(_suffix("附件2", n), "lengshuitan-project-2021", "{year}年度财政专项（项目）资金绩效评价表",
                        [("指标解释", lambda ind: ind.explain), ("指标说明", _standard)])]


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
