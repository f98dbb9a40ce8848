"""The rule data as native spreadsheet formulas: the second back end beside the Python engine.

Every score cell is ``=IFERROR(PE_…(…), <native>)``: with the add-in loaded the UDF answers; in
Excel without Python, WPS or LibreOffice the UDF name is unknown (#NAME?), IFERROR falls back to
the native formula generated here from the same rule data (docs/formulas.md says why).

Only functions of Excel 2010, WPS and LibreOffice are used (IF, AND, OR, NOT, MIN, MAX, INT, ABS,
ROUND, LEFT, RIGHT, MID, LEN, FIND, SUBSTITUTE, TRIM, EXACT, VALUE, DATE, MONTH, DAY, ISNUMBER,
ISTEXT, IFERROR). Typed values (≥90%, ≤68.4万元, 完成20个, 12月31日) are read in hidden helper
cells on the indicator's row, one step per cell, mirroring engine/parse.py. What the native
reading cannot be sure of shows NEEDS_ADDIN, never a guessed number.

Numbers: a typed decimal is rebuilt as integer digits / 10^decimals, which is the correctly
rounded double of the decimal, so comparisons agree with the engine's Decimal ones. Scores round
as ROUND(x + 1E-11, 2): exact half-cents (0.645, which doubles hold as 0.64499…) round up as
Decimal ROUND_HALF_UP does. Inputs with more than 6 decimals or 12 digits are left to the add-in,
which keeps every double error far below that 1E-11.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from perfeval_xl.engine import parse, rules

NEEDS_ADDIN = "需加载项计算"
# An input the engine refuses for certain (1.5 in a rate, 9500 %, −1 例): the row counts nothing,
# as in the engine, which names the cell and the reason (short: 得分 columns are narrow).
INVALID = "填写有误"
NOT_NUMBER = "应填数字"  # a typed score that is text ("4分"): counts nothing, as in the engine
NOT_COMPUTED = "有得分未算出"  # a total whose parts are not all numbers
NO_RATE = "无法计算"
# A typed score outside [0, 分值]: it counts nothing, as in the engine (short: 得分 columns are narrow).
OUT_OF_RANGE = "超出分值"
EPS = "1E-11"
MAX_DECIMALS = 6
MAX_DIGITS = 12
# Units the native reader accepts after a number. Anything else is left to the add-in (a unit
# that NFKC would change, ㎡ → m2, reads differently in Python).
UNITS = ("", "%", "％", "‰", "元", "万元", "亿元", "个", "人", "人次", "次", "户", "家", "项", "件", "台",
         "套", "所", "座", "天", "日", "月", "年", "小时", "分钟", "米", "平方米", "公里", "千米", "亩", "公顷",
         "吨", "万人", "万人次", "场", "期", "批", "份", "篇", "条", "本", "册", "处", "辆", "名", "位", "间",
         "张", "块", "棵", "株", "头", "只", "段", "类", "所次", "万册", "万元/人", "例", "分")
PERCENT_SHIFT = {"%": 2, "％": 2, "‰": 3}
# 元 = 0.0001 万元: the decimal exponent of each money unit relative to 万元 (engine's MONEY_SCALE).
MONEY_EXP = {unit: -scale.adjusted() for unit, scale in parse.MONEY_SCALE.items()}
SEPARATORS = (",", "、", ";", ".")  # between checklist items (after FULL_WIDTH: ，；． too)
# What NFKC (parse.normalize) changes in what people type, done natively: full-width digits and
# signs (８５％, １２个), and white space, which the engine drops everywhere.
FULL_WIDTH = {**{chr(0xFF10 + d): str(d) for d in range(10)}, "．": ".", "％": "%", "，": ",", "；": ";",
              "＋": "+", "－": "-", "＜": "<", "＞": ">", "＝": "=", "／": "/", "：": ":", "（": "(", "）": ")",
              " ": "", "　": "", "\n": "", "\r": "", "\t": ""}
SERIAL_MIN, SERIAL_MAX = parse.SERIALS


def _stable(text: str) -> bool:
    return unicodedata.normalize("NFKC", text) == text or text in ("％", "，", "；", "．", "　")


for _w in [*UNITS, *(w for w, _ in parse._COMPARATOR_WORDS), *parse._VERBS]:
    assert _stable(_w) and not any(c.isdigit() for c in _w), _w


# --------------------------------------------------------------------------- formula text helpers
def q(text: str) -> str:
    """A string literal."""
    return '"' + str(text).replace('"', '""') + '"'


def num(d: Decimal | int | float) -> str:
    """A number literal, exactly as the rule data writes it."""
    text = format(Decimal(str(d)).normalize(), "f")
    return text if not text.startswith("-") else f"({text})"


def nested_if(cases: list[tuple[str, str]], default: str) -> str:
    out = default
    for cond, value in reversed(cases):
        out = f"IF({cond},{value},{out})"
    return out


def any_of(x: str, texts) -> str:
    texts = list(texts)
    return "FALSE" if not texts else f"OR({','.join(f'{x}={q(t)}' for t in texts)})"


def strip_digits(x: str) -> str:
    for d in "0123456789":
        x = f'SUBSTITUTE({x},"{d}","")'
    return x


def digits_only(x: str) -> str:
    return f'AND(LEN({x})>0,{strip_digits(x)}="")'


def finish(raw: str, weight: str) -> str:
    """The engine's ``finish``: clamp to [0, 分值], round half-up at 0.01."""
    return f"ROUND(MIN(MAX({raw},0),{weight})+{EPS},2)"


def blank(x: str) -> str:
    """checks/assess.blank: empty, spaces, or "/" (struck out)."""
    return f'OR(TRIM({x})="",TRIM({x})="/")'


def normalized(x: str) -> str:
    """parse.normalize of the text in ``x`` as far as people's typing goes (FULL_WIDTH)."""
    for a, b in FULL_WIDTH.items():
        a = {"\n": "CHAR(10)", "\r": "CHAR(13)", "\t": "CHAR(9)"}.get(a, q(a))
        x = f"SUBSTITUTE({x},{a},{q(b)})"
    return x


def report_year() -> str:
    """The workbook's report_year as checks/assess.report_year accepts it, else "?"."""
    y = "report_year"
    return f'IF(AND(ISNUMBER({y}),{y}=INT({y}),{y}>1900,{y}<2200),{y},"?")'


def guard(x: str, body: str) -> str:
    """``body`` where ``x`` is a number; "!" (certainly refused) passes on; else "?" (unsure)."""
    return f'IF(ISNUMBER({x}),{body},IF({x}="!","!","?"))'


def is_helper(name: str) -> bool:
    """Helper cells' names all contain "__" (ind1_target__num, ind1__raw); fields' names never do."""
    return "__" in name


def with_udf(udf_call: str, native: str) -> str:
    """The add-in's answer where it is loaded, the native one everywhere else."""
    return f"IFERROR({udf_call},{native})"


# --------------------------------------------------------------------------- helper cells
@dataclass(frozen=True)
class Computed:
    """A computed cell: its formula, and the hidden helper cells (name, formula) it reads."""

    formula: str
    helpers: tuple[tuple[str, str], ...] = field(default=())

    def kw(self) -> dict:
        return {"formula": self.formula, "helpers": self.helpers}


def _comparator_step(x: str) -> str:
    """Which comparator word ``x`` starts with (or ends with, marked "~"), as parse._split_comparator."""
    words = parse._COMPARATOR_WORDS
    prefix = [(f"LEFT({x},{len(w)})={q(w)}", q(w)) for w, _ in words]
    suffix = [(f"RIGHT({x},{len(w)})={q(w)}", q("~" + w)) for w, _ in words if w in ("以上", "以下", "以内")]
    return nested_if(prefix + suffix, '""')


def _after(x: str, word: str) -> str:
    """``x`` without the comparator word found by _comparator_step."""
    return f'IF(LEFT({word},1)="~",LEFT({x},LEN({x})-LEN({word})+1),MID({x},LEN({word})+1,999))'


def _code(word: str) -> str:
    """The comparator (">=", …) of a word found by _comparator_step."""
    codes: dict[str, str] = {}
    for w, c in parse._COMPARATOR_WORDS:
        codes.setdefault(w, c)
    table = ";".join(f"{q(w)},{q(c)}" for w, c in codes.items())
    return f'IF({word}="","",VLOOKUP(SUBSTITUTE({word},"~",""),{{{table}}},2,0))'


def _dates(n) -> list[tuple[str, str]]:
    """Helpers reading a deadline as parse._parse_date: one tail word dropped (12月31日前),
    年底 words, M月底, [YYYY年]M月D[日] and YYYY-M-D (/ or . too). ``__date``: the day of the
    year 2001 (as the engine's number) or ""; ``__y``: the year written, or ""."""
    r2, t, iso, d = n("r2"), n("t"), n("iso"), n("d")
    tails = [(f"AND(LEN({r2})>{len(w)},RIGHT({r2},{len(w)})={q(w)})", f"LEFT({r2},LEN({r2})-{len(w)})")
             for w in parse._DEADLINE_TAIL]
    is_iso = (f'AND(LEN({iso})-LEN(SUBSTITUTE({iso},"-",""))=2,MID({iso},5,1)="-",'
              f'{digits_only(f"LEFT({iso},4)")})')
    year_written = f'OR({is_iso},AND(MID({t},5,1)="年",{digits_only(f"LEFT({t},4)")}))'
    month_at = f'IFERROR(FIND("月",{d}),0)'
    month = f"LEFT({d},{month_at}-1)"
    day = f'SUBSTITUTE(SUBSTITUTE(MID({d},{month_at}+1,999)&"|","日|","|"),"|","")'  # one trailing 日 dropped
    the_date = f"DATE(2001,VALUE({month}),VALUE({day}))"
    date_ok = (f'AND(OR({month_at}=2,{month_at}=3),ISERROR(FIND("|",{d})),{digits_only(month)},'
               f'LEN({day})>0,LEN({day})<=2,{digits_only(day)})')
    month_end = (f'AND(OR({month_at}=2,{month_at}=3),LEN({d})={month_at}+1,OR(RIGHT({d},1)="底",RIGHT({d},1)="末"),'
                 f'{digits_only(month)})')
    last_day = f'IF(AND(VALUE({month})>=1,VALUE({month})<=12),DATE(2001,VALUE({month})+1,1)-DATE(2001,1,1),"")'
    exact = f'IF(AND(MONTH({the_date})=VALUE({month}),DAY({the_date})=VALUE({day})),{the_date}-DATE(2001,1,1)+1,"")'
    return [
        (t, nested_if(tails, r2)),
        (iso, f'SUBSTITUTE(SUBSTITUTE({t},"/","-"),".","-")'),
        (n("y"), f'IF({year_written},VALUE(LEFT({t},4)),"")'),
        (d, f'IF({is_iso},SUBSTITUTE(MID({iso},6,99),"-","月")&"日",IF({n("y")}<>"",MID({t},6,999),{t}))'),
        (n("date"), f'IFERROR(IF(AND({n("y")}="",{any_of(d, parse._YEAR_END)}),365,'
                    f'IF({month_end},{last_day},IF({date_ok},{exact},""))),"")'),
    ]


_NAME = "\u2063"  # stands for the cell's name in the helpers' formulas, made once (no name holds it)


def value_helpers(v: str) -> list[tuple[str, str]]:
    """``_value_helpers`` of cell ``v``: the same text for every cell but its name, made once
    per process and renamed (a template set reads some 200 cells this way)."""
    return [(name.replace(_NAME, v), formula.replace(_NAME, v)) for name, formula in _value_helpers_of_name()]


@lru_cache(maxsize=1)
def _value_helpers_of_name() -> tuple[tuple[str, str], ...]:
    return tuple(_value_helpers(_NAME))


def _value_helpers(v: str) -> list[tuple[str, str]]:
    """Read cell ``v`` as parse.parse_value does, one step per helper cell.

    ``v__unit`` is "" for a plain number, "%", "日期", a unit of UNITS, or "?" when unsure;
    ``v__num`` the number (percent as a fraction, a date as day of the year) or "?";
    ``v__y`` a date's year when written; ``v__cmp`` the comparator written (">=", "<=", …) or "";
    ``v__wan`` a money value in 万元.
    """
    n = lambda s: f"{v}__{s}"
    verbs = [(f"LEFT({n('r1')},{len(w)})={q(w)}", q(w)) for w in parse._VERBS]
    body, core, u = n("b"), n("core"), n("u")
    dot = f'IFERROR(FIND(".",{core}),0)'
    decimals = f"IF({dot}>0,LEN({core})-{dot},0)"
    digits = f'VALUE(SUBSTITUTE({core},".",""))'
    sign = f'IF(LEFT({n("r2")},1)="-",-1,1)'
    shift = nested_if([(f"{u}={q(k)}", str(s)) for k, s in PERCENT_SHIFT.items()], "0")
    money_exp = nested_if([(f"{u}={q(k)}", str(e)) for k, e in MONEY_EXP.items()], "0")
    return [
        (n("s"), f'IF(ISNUMBER({v}),"",{normalized(v)})'),
        (n("c1"), _comparator_step(n("s"))),
        (n("r1"), _after(n("s"), n("c1"))),
        (n("v"), nested_if(verbs, '""')),
        (n("w"), f"MID({n('r1')},LEN({n('v')})+1,999)"),
        (n("c2"), f'IF({n("v")}="","",{_comparator_step(n("w"))})'),
        (n("r2"), f'IF({n("v")}="",{n("r1")},{_after(n("w"), n("c2"))})'),
        *_dates(n),
        # a number: [+-]digits[.digits] then a unit without digits
        (body, f'MID({n("r2")},IF(OR(LEFT({n("r2")},1)="+",LEFT({n("r2")},1)="-"),2,1),999)'),
        (u, f'IF(LEFT({strip_digits(body)},1)=".",MID({strip_digits(body)},2,99),{strip_digits(body)})'),
        (core, f"LEFT({body},LEN({body})-LEN({u}))"),
        (n("unit"), f'IF(ISNUMBER({v}),"",IF({n("s")}="","",IF(ISNUMBER({n("date")}),"日期",'
                    f'IF(AND(LEN({core})>0,LEN({core})<={MAX_DIGITS},LEFT({core},1)<>".",RIGHT({core},1)<>".",'
                    f'OR({strip_digits(core)}="",{strip_digits(core)}="."),{decimals}<={MAX_DECIMALS},'
                    f'OR({u}="",ISNUMBER(MATCH({u},{{{",".join(q(x) for x in UNITS if x)}}},0)))),'
                    f'IF({shift}>0,"%",{u}),"?"))))'),
        (n("num"), f'IF(ISNUMBER({v}),IF(AND(ROUND({v},{MAX_DECIMALS})={v},ABS({v})<1E{MAX_DIGITS}),{v},"?"),'
                   f'IF({n("s")}="","",IF({n("unit")}="?","?",'
                   f'IF({n("unit")}="日期",{n("date")},{sign}*{digits}/10^({decimals}+{shift})))))'),
        (n("wan"), f'IF(AND(ISNUMBER({n("num")}),{any_of(u, MONEY_EXP)}),'
                   f'IF({decimals}+{money_exp}>=0,{sign}*{digits}/10^({decimals}+{money_exp}),'
                   f'{sign}*{digits}*10^(-{decimals}-{money_exp})),"")'),
        (n("cmp"), _code(f'IF({n("c1")}<>"",{n("c1")},{n("c2")})')),
    ]


def number_of(v: str) -> str:
    """parse.parse_number of cell ``v`` (read by value_helpers): a number, or "?"."""
    return f'IF(AND(ISNUMBER({v}__num),{v}__unit<>"日期"),{v}__num,"?")'


# --------------------------------------------------------------------------- rule kinds
def _steps(over: str, r: rules.Threshold) -> str:
    steps = f"({over})/{num(r.step)}"
    if r.count == "full":
        return f"INT({steps}+1E-9)"
    if r.count == "started":
        return f"(-INT(-({steps})+1E-9))"
    return steps


def rule_points(rule, weight: Decimal, x: str, v: str) -> str:
    """Raw points (before clamping and rounding) of ``rule`` for the number ``x`` read from cell ``v``;
    "?" where the engine would refuse the input or the native reading is unsure."""
    full = num(rule.full_marks(weight))
    w = num(weight)
    if isinstance(rule, rules.Threshold):
        over = {"lower": f"{x}-{num(rule.limit)}", "higher": f"{num(rule.limit)}-{x}",
                "target": f"ABS({x}-{num(rule.limit)})"}[rule.better]
        points = guard(x, f'IF({over}<=0,{full},{full}-{_steps(over, rule)}*{num(rule.per)})')
        if rule.blank_full:  # rules.NO_PROJECT: blank, "/", 无, 不适用 score full marks
            return f'IF(AND(NOT(ISNUMBER({v})),{any_of(v + "__s", rules.NO_PROJECT)}),{full},{points})'
        return points
    if isinstance(rule, rules.Bands):
        cases = [(f"{x}>={num(b.min)}" if b.min is not None else f"{x}<={num(b.max)}", num(b.points))
                 for b in rule.bands]
        return guard(x, nested_if(cases, num(rule.otherwise)))
    if isinstance(rule, rules.Ratio):
        return guard(x, f"MIN(MAX({x},0)/{num(rule.full_at)},1)*{w}")
    if isinstance(rule, rules.Failures):
        return guard(x, f'IF(OR({x}<0,{x}<>INT({x})),"!",{full}-{x}*{num(rule.per)})')
    if isinstance(rule, rules.Judged):
        return guard(x, f'IF(OR({x}<0,{x}>{w}),"!",{x})')
    if isinstance(rule, rules.Checklist):
        return _checklist(rule, v)
    if isinstance(rule, rules.Choice):
        return _choice(rule, x, v)
    raise TypeError(f"no native formula for rule kind {rule.kind}")


def _checklist(rule: rules.Checklist, v: str) -> str:
    """rules.item_numbers natively: ①②④ or 1、2、4 (any SEPARATORS between), 全部, 无. Each item
    becomes ",k," in a comma list; the list is read when nothing but commas is left once the known
    items are taken out."""
    s = f"{v}__s"
    n = len(rule.items)
    listed = s
    for i, c in enumerate(rules._CIRCLED[:n], start=1):
        listed = f'SUBSTITUTE({listed},"{c}",",{i},")'
    for c in SEPARATORS[1:]:
        listed = f'SUBSTITUTE({listed},"{c}",",")'
    listed = f'","&SUBSTITUTE({listed},",",",,")&","'  # ",,1,,2,,": the items' ",k," never overlap
    found = [f'ISNUMBER(FIND(",{k},",{listed}))' for k in range(1, n + 1)]
    met = "+".join(f"{f}*{num(it.points)}" for f, it in zip(found, rule.items))
    rest = listed
    for k in range(1, n + 1):
        rest = f'SUBSTITUTE({rest},",{k},",",")'
    total = num(sum((i.points for i in rule.items), Decimal(0)))
    return nested_if([
        (f"ISNUMBER({v})", '"!"'),
        (any_of(s, ("全部", "全部符合", "都符合", "是")), total),
        (any_of(s, ("无", "均不符合", "否", "0")), "0"),
        (f'AND(SUBSTITUTE({rest},",","")="",OR({",".join(found)}))', met),
    ], '"?"')


def _choice(rule: rules.Choice, x: str, v: str) -> str:
    s = f"{v}__s"
    cases = []
    for o in rule.options:
        for label in [o.label, *o.aliases]:
            key = parse.normalize(label)
            assert _stable(key), key
            cases.append((f'EXACT({s},{q(key)})', num(o.points)))
    by_number = nested_if([(f"{x}={i}", num(o.points)) for i, o in enumerate(rule.options, start=1)], '"?"')
    if any(o.max_ratio is not None for o in rule.options):  # 资金结余: the first option the ratio fits
        by_number = nested_if([("TRUE" if o.max_ratio is None else f"{x}<={num(o.max_ratio)}", num(o.points))
                               for o in rule.options], by_number)
    return nested_if(cases, f'IF(ISNUMBER({x}),{by_number},"?")')


def _shown(raw: str, points: str) -> str:
    """``points`` where ``raw`` is a number; INVALID where the engine certainly refuses; else NEEDS_ADDIN."""
    return f'IF(ISNUMBER({raw}),{points},IF({raw}="!",{q(INVALID)},{q(NEEDS_ADDIN)}))'


def _score_cell(raw: str, weight: str, blank_when: str) -> str:
    return f'IF({blank_when},"",{_shown(raw, finish(raw, weight))})'


def indicator_score(ind, value: str, scheme_id: str, prefix: str, udf_value: str | None = None,
                    weight: str | None = None) -> Computed:
    """The 计算得分 cell of a 评分表 row: PE_INDICATOR_SCORE where loaded, native elsewhere.

    ``udf_value``: what the UDF is handed (a percent cell as the percentage it shows); ``weight``:
    the row's 分值 cell when the unit may adapt it (the rule scaled as Indicator.points does)."""
    raw = f"{prefix}_raw"
    points = rule_points(ind.rule, ind.weight, f"{value}__x", value)
    udf = f'PE_INDICATOR_SCORE("{ind.id}",{udf_value or value},"{scheme_id}"{"," + weight if weight else ""})'
    blank_ok = getattr(ind.rule, "blank_full", False)
    native = _score_cell(raw, num(ind.weight), "FALSE" if blank_ok else blank(value))
    if weight:
        native = f"IF(N({weight})={num(ind.weight)},{native},{_rescaled(raw, ind, weight, blank_ok, value)})"
    formula = with_udf(udf, native)
    if not blank_ok:
        formula = f'IF({blank(value)},"",{formula})'
    x = rate_of(value) if getattr(ind, "input_kind", "") == "rate" else number_of(value)
    helpers = [*value_helpers(value), (f"{value}__x", x), (raw, f'IFERROR({points},"?")')]
    return Computed("=" + formula, tuple(helpers))


def _rescaled(raw: str, ind, weight: str, blank_ok: bool, value: str) -> str:
    """Indicator.points at an adapted 分值: a judged score within [0, new]; any other rule's points
    at the edition's 分值, clamped, times new / old, rounded once."""
    old = num(ind.weight)
    if isinstance(ind.rule, rules.Judged):
        x = f"{value}__x"
        scaled = guard(x, f'IF(OR({x}<0,{x}>N({weight})),"!",{x})')
    else:
        scaled = guard(raw, f"MIN(MAX({raw},0),{old})*N({weight})/{old}")
    blank_when = "FALSE" if blank_ok else blank(value)
    return (f'IF({blank_when},"",IF(OR(N({weight})<0,{old}=0),{q(NEEDS_ADDIN)},'
            f'{_shown(scaled, finish(scaled, f"N({weight})"))}))')


def _bare_rate(n: str) -> str:
    """parse.read_rate of a bare number: ≤ 1 a fraction, ≥ 2 percentage points, between: the
    engine asks for the % sign ("!")."""
    return f'IF(ABS({n})<=1,{n},IF(ABS({n})<2,"!",{n}/100))'


def rate_of(v: str) -> str:
    """parse.read_rate natively: a number in the (percent-formatted) cell is a fraction; typed text
    with % is read as written (with its words: 90%以上, ≤0); a bare number ≥ 2 is percentage
    points, ≤ 1 a fraction, between the two the engine asks for the % sign. Beyond ±MAX_RATE
    (95 typed as a number into a percent cell is 9500 %) the engine refuses (scheme.Indicator.read)."""
    bare = f'AND(NOT(ISNUMBER({v})),ISNUMBER({v}__num),{v}__unit="")'
    typed = f'IF(OR(ISNUMBER({v}),{v}__unit="%"),{number_of(v)},"?")'  # 12月, 5件: not a rate
    r = f"IF({bare},{_bare_rate(v + '__num')},{typed})"
    return f'IF(ISNUMBER({r}),IF(ABS({r})>{num(parse.MAX_RATE)},"!",{r}),{r})'


def sum_of(names: list[str]) -> str:
    """Σ of typed part scores (经济效益、社会效益 rows), blank while every part is."""
    return f'IF(AND({",".join(blank(n) for n in names)}),"",SUM({",".join(names)}))'


def _quant_points(p: str, rule: rules.Quantitative, w: str) -> list[tuple[str, str]]:
    """Helper cells of a 定量 row: target and actual in one unit (``_tq``/``_aq``), the comparator
    (指标方向 chosen, else as the target is written) and the raw points (rules.Quantitative)."""
    t, a = f"{p}target", f"{p}actual"
    tu, au = f"{t}__unit", f"{a}__unit"
    money = lambda u: any_of(u, MONEY_EXP)

    # Deadlines compare as year × 1000 + day of the year (rules._dates): a year-less one takes the
    # report year when the other side has a year. An actual that is a number in the serial range
    # is a date cell read as its serial (as the engine reads it); a target such a number, or two
    # of them, could be a date cell or a plain number: unsure.
    def in_range(x: str) -> str:
        return f'AND({x}__unit="",ISNUMBER({x}__num),{x}__num>={SERIAL_MIN},{x}__num<={SERIAL_MAX})'
    serial = f'AND({tu}="日期",{in_range(a)})'
    dates = f'OR(AND({tu}="日期",{au}="日期"),{serial})'
    day = f"INT({a}__num)"
    a_year, a_day, t_year = f"{p}_ay", f"{p}_ad", f"{p}_ty"
    date_helpers = [
        (a_year, f'IF({serial},YEAR({day}),IF({au}="日期",{a}__y,""))'),
        (a_day, f'IF({serial},IF(AND(MONTH({day})=2,DAY({day})=29),59,'
                f'DATE(2001,MONTH({day}),DAY({day}))-DATE(2001,1,1)+1),{a}__num)'),
        (t_year, f'IF({t}__y<>"",{t}__y,IF({a_year}<>"",{report_year()},0))'),
    ]

    def comparable(x: str, own: str, other: str) -> str:
        when_date = (f"{t_year}*1000+{t}__num" if x == t else
                     f'IF({a_year}<>"",{a_year},{t_year})*1000+{a_day}')
        return (f'IF(OR(NOT(ISNUMBER({t}__num)),NOT(ISNUMBER({a}__num))),"?",'
                f'IF({dates},{when_date},IF(OR({tu}="日期",{au}="日期",{in_range(t)},{in_range(a)}),"?",'
                f'IF(AND({other}="%",{own}=""),{_bare_rate(x + "__num")},'  # a bare number against a rate
                f'IF(AND({money(tu)},{money(au)}),{x}__wan,'
                f'IF(AND({tu}<>"",{au}<>"",NOT(EXACT({tu},{au}))),"?",{x}__num))))))')

    direction = f'SUBSTITUTE({p}direction," ","")'
    cmp = nested_if([(f'{direction}=""', f'IF({t}__cmp="",">=",{t}__cmp)')] +
                    [(f"{direction}={q(word)}", q(c)) for word, c in rules.DIRECTIONS.items()], '"?"')
    tq, aq0, aq, c = f"{p}_tq", f"{p}_aq0", f"{p}_aq", f"{p}_cmp"
    reverse = f"IF({tq}>0,{f'{tq}/{aq}' if rule.reverse == 'A' else f'(2-{aq}/{tq})'}*{w},0)"
    points = nested_if([
        (f"OR(NOT(ISNUMBER({tq})),NOT(ISNUMBER({aq})))", '"?"'),
        (f'{tu}="日期"', f"IF({aq}<={tq},{w},0)"),
        (f'{c}="?"', '"?"'),
        (f'AND({c}="=",{tq}=0)', f"IF({aq}<=0,{w},0)"),
        (f'OR({c}="<=",{c}="<")', f"IF({aq}<={tq},{w},{reverse})"),
        (f"{tq}<=0", f"IF({aq}>={tq},{w},0)"),
    ], f"MIN({aq}/{tq},1)*{w}")
    return [*date_helpers, (tq, comparable(t, tu, au)), (aq0, comparable(a, au, tu)), (aq, f'IF(ISNUMBER({aq0}),MAX({aq0},0),"?")'),
            (c, cmp), (f"{p}_quant", points)]


def _qual_points(p: str, rule: rules.Qualitative, w: str) -> str:
    """rules.Qualitative: the level's label, and the ratio inside the level's band."""
    level = f'SUBSTITUTE({p}level," ","")'
    r = f"{p}_ratio"
    cases = []
    for lv in rule.levels:
        top = f"{r}<={num(lv.high)}" if lv.high_inclusive else f"{r}<{num(lv.high)}"
        inside = f'IF(AND({r}>={num(lv.low)},{top}),{r}*{w},"?")'
        for label in [lv.label, *lv.aliases]:
            cases.append((f"{level}={q(parse.normalize(label))}", inside))
    return nested_if(cases, '"?"')


def row_score(p: str, row_rules) -> Computed:
    """The 计算得分 cell of an open 自评表 row (定量 by target and actual, 定性 by level and ratio)."""
    w, ratio, raw = f"{p}weight", f"{p}ratio", f"{p}_raw"
    # 得分比例 sits in a percent cell: its number is a fraction, handed to the UDF as the percentage shown
    shown = f'IF(N({ratio})=0,{ratio},ROUND(N({ratio})*100,10)&"%")'
    args = ",".join([*(f"{p}{k}" for k in ("weight", "target", "actual", "direction", "level")), shown,
                     "report_year"])
    helpers = [*value_helpers(f"{p}target"), *value_helpers(f"{p}actual"), *value_helpers(ratio),
               (f"{p}_ratio", rate_of(ratio)),
               *_quant_points(p, row_rules.quantitative, w),
               (raw, f'IFERROR(IF(NOT(ISNUMBER({w})),"?",IF({w}<0,"?",IF({blank(p + "level")},'
                     f'{p}_quant,{_qual_points(p, row_rules.qualitative, w)}))),"?")')]
    native = _score_cell(raw, w, f"AND({blank(w)},{blank(p + 'target')},{blank(p + 'actual')})")
    return Computed(f'=IF({p}name="","",{with_udf(f"PE_ROW_SCORE({args})", native)})', tuple(helpers))


def exec_score(budget: str, spent: str, weight: str) -> Computed:
    """预算执行得分 = 执行率 × 分值, 执行率 capped at 100 % (rules.execution_score)."""
    w = f'IF({blank(weight)},10,{weight})'
    # checks/totals.check_budget scores nothing on a blank, text or zero budget: neither does this
    raw = (f'IF(AND(ISNUMBER({budget}),ISNUMBER({spent}),ISNUMBER({w})),'
           f'IF(OR({budget}<=0,{spent}<0,{w}<0),"!",MIN(MAX({spent}/{budget},0),1)*{w}),"!")')
    native = f'IF(AND({blank(budget)},{blank(spent)}),"",{_shown(raw, finish(raw, w))})'
    return Computed("=" + with_udf(f"PE_EXEC_SCORE({budget},{spent},{weight})", native))


def rate(numerator: str, denominator: str) -> str:
    """分子 / 分母 (控制率, 执行率): native only, the UDF adds nothing to a division."""
    return (f'=IF(AND({blank(numerator)},{blank(denominator)}),"",IF(AND(ISNUMBER({numerator}),'
            f'ISNUMBER({denominator})),IF({denominator}=0,{q(NO_RATE)},{numerator}/{denominator}),{q(NO_RATE)}))')


def optional_rate(numerator: str, denominator: str) -> str:
    """A rate left blank when its denominator is (楼堂馆所: no building project, no rate)."""
    return f'=IF(N({denominator})=0,"",{rate(numerator, denominator)[1:]})'


def grade(total: str, grades: list[rules.Grade] = rules.DEFAULT_GRADES) -> str:
    """评价等次 from 总分 by the edition's grade thresholds (inclusive: 90.00 is 优)."""
    cases = [(f"ROUND({total},2)>={num(g.min)}", q(g.label)) for g in grades if g.min is not None]
    last = next((g.label for g in grades if g.min is None), "")
    return f'=IF(ISNUMBER({total}),{nested_if(cases, q(last))},"")'


def rescaled_total(points: str, applicable: str, full: Decimal) -> str:
    """总分 按百分制折算 (checks/totals.rescale): 得分合计 ÷ 适用指标分值合计 × 总分, half-up."""
    return (f'=IF(NOT(ISNUMBER({points})),{points},IF(N({applicable})=0,0,'
            f'IF(N({applicable})={num(full)},{points},ROUND({points}*{num(full)}/{applicable}+{EPS},2))))')


def typed_score(score: str, weight: str) -> str:
    """A score the evaluator typed, as it counts in a total: within [0, 分值], or OUT_OF_RANGE,
    or NOT_NUMBER for text ("4分") (text, which SUM skips), as checks/rows leaves such a row out
    of the total and reports it."""
    return (f'IF(ISNUMBER({score}),IF(OR({score}<0,{score}>N({weight})),{q(OUT_OF_RANGE)},{score}),'
            f'IF({blank(score)},"",{q(NOT_NUMBER)}))')


def total(parts: list[str]) -> str:
    """Σ scores as the engine sums them, rounded half-up to 0.01 (checks/totals.round_total: 89.995 is 90.00) (a row the engine refuses counts nothing and is reported
    on its own row), or NOT_COMPUTED when a row waits for the add-in: its points are unknown here."""
    waiting = "+".join(f"({x}={q(NEEDS_ADDIN)})" for x in parts)
    return f"=IF({waiting}>0,{q(NOT_COMPUTED)},ROUND(SUM({','.join(parts)})+{EPS},2))"
