"""The builders every template set shares: cells (title row, money, report year), a project's
copy of a sheet, the 自评报告 of numbered text sections, and the 评分表 built from an indicator
system (used by every set and by editions, forms/edition.py).
"""
from __future__ import annotations

from perfeval_xl.formulas import native

from perfeval_xl.forms.guidance import scored_hint, scored_note, weight_hint

from perfeval_xl.forms.layout import NOT_APPLICABLE, REPORT_YEAR, Derived, F, Form, IndicatorRows, T
from perfeval_xl.engine.scheme import Indicator, load as load_scheme

# Printed years are never constants: headings say {year} / {prev} and follow the workbook's
# report_year input (layout.T); a set's year is only the input's pre-filled value.

GRADES = ("优", "良", "中", "差")


def title_row(text: str, n: int) -> list:
    return [T(text, span=n, style="title")]


def money(name: str, label: str, **kw) -> F:
    return F(name, label, "money", **kw)


def year_field(year: int, **kw) -> F:
    """The report year: the one input every heading's year derives from (first sheet only)."""
    return F(REPORT_YEAR, "报告年度", "int", required=True, default=year, **kw)


def project_sheet(sheet: str, n: int) -> str:
    """The n-th project's copy of a sheet: 附件2-2, 附件2-2_2, 附件2-2_3, …"""
    return sheet if n == 1 else f"{sheet}_{n}"


def report_form(sheet: str, key: str, title: str, sections: list[str], head: list[list],
                required: tuple[int, ...] = (), foot: list[list] = ()) -> Form:
    """A 自评报告 of numbered text sections (附件4 of 2023, 附件1 / 附件3 of 冷水滩)."""
    rows = [[T(sheet, style="note")], title_row(title, 2), *head]
    for i, heading in enumerate(sections, start=1):
        rows.append([T(heading, span=2, style="head")])
        rows.append([F(f"section{i}", heading, "text", required=i in required, span=2)])
    return Form(sheet, title.replace("{year}", ""), [18, 80], rows + list(foot), repeat_rows=2, key=key)


# --------------------------------------------------------------------------- score sheets (评分表)
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


def standard(ind: Indicator) -> str:
    """评分标准 with its formula when the formula is not already part of it."""
    extra = f"\n{ind.formula}" if ind.formula and ind.formula not in ind.standard else ""
    return (ind.standard + extra).strip()


STANDARD = [("评分标准", standard)]


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
    rows = [[T(sheet, style="note")], title_row(title, n_print),
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
