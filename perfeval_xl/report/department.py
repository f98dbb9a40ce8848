"""The department's 自评报告 draft, from a 部门汇总 workbook (``perfeval-xl department``).

The workbook is the contract: this module names its sheets and columns, which the writer
(bureau/department_book.py) uses and its reader gives back as ``Table``s (through the sheet names
表头 / 表体 / 表注); from those this module drafts the report in the 公文 layout of the unit draft (report/word.py):
every figure is a cell of the 部门汇总, what only the department knows is 【请填写：…】.
The 预算执行 paragraph uses the department's own 执行率 (Σ执行数 ÷ Σ预算数) and says so where
the plain average of the units' rates differs.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from perfeval_xl.report.draft import PLACEHOLDER, Block, Draft

KIND_PROP, KIND = "perfeval.kind", "部门汇总"
SCORES, SANGONG, PROJECTS, TOTALS = "单位得分表", "三公经费", "项目支出", "部门合计"
SUBMISSIONS, CHECKS, SOURCES = "报送情况", "校验结果", "来源"
INDEX, UNIT, TOTAL_SCORE, GRADE = "序号", "单位名称", "总分", "评价等次"
BUDGET_FINAL = ("预算数", "决算数")
PROJECT, AMOUNT, NOTE = "项目名称", "支出金额", "备注"
RATE = "执行率"
TOTAL_COLUMNS = ["全年预算数", "全年执行数", RATE, "基本支出", "其中：人员经费", "其中：公用经费", "项目支出", "编制数", "实有人数"]
AVERAGE_LABEL = {"equal": "部门平均分", "budget": "部门加权平均分"}
TOTALS_NOTE = ("注：人员经费＝基本支出－公用经费（附件1公用经费决算数）；合计行的执行率为部门全年执行数÷"
               "全年预算数，不是各单位执行率的平均。")


# ----------------------------------------------------------------------------- wording
def money(v: Decimal | None) -> str:
    return f"{PLACEHOLDER}金额】" if v is None else f"{Decimal(str(v)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def percent(v: Decimal | None) -> str:
    if v is None:
        return f"{PLACEHOLDER}比率】"
    s = f"{(Decimal(str(v)) * 100).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
    return s.rstrip("0").rstrip(".") + "%"


def score(v) -> str:
    return "—" if v is None else f"{Decimal(str(v)).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"


def weighting_note(weighting: str, n: int) -> str:
    if weighting == "budget":
        return (f"注：部门加权平均分按各单位全年预算数加权平均计算（{n}个单位），四舍五入保留两位小数；"
                "是各单位得分的平均，不是按部门合计数字重新评分的得分。")
    return (f"注：部门平均分为{n}个单位得分的算术平均（各单位权重相同），四舍五入保留两位小数；"
            "是各单位得分的平均，不是按部门合计数字重新评分的得分。")


def sangong_words(budget: Decimal | None, final: Decimal | None) -> str:
    budget, final = budget or Decimal(0), final or Decimal(0)
    text = f"部门“三公”经费预算{money(budget)}万元，实际支出{money(final)}万元"
    if budget and final < budget:
        return text + f"，比预算下降{percent((budget - final) / budget)}。"
    if budget and final > budget:
        return text + f"，超出预算{percent((final - budget) / budget)}。"
    return text + ("，与预算持平。" if budget else "。")


def project_words(n: int, amount: Decimal | None) -> str:
    return f"部门项目支出共{n}个项目，支出金额合计{money(amount or Decimal(0))}万元。"


def totals_words(t: dict[str, Decimal | None]) -> str:
    full, spent = t.get("全年预算数"), t.get("全年执行数")
    rate = spent / full if full and spent is not None else None
    return (f"部门全年预算数{money(full)}万元，全年执行数{money(spent)}万元，执行率{percent(rate)}；"
            f"基本支出{money(t.get('基本支出'))}万元（人员经费{money(t.get('其中：人员经费'))}万元，"
            f"公用经费{money(t.get('其中：公用经费'))}万元），项目支出{money(t.get('项目支出'))}万元；"
            f"编制{_count(t.get('编制数'))}人，实有人数{_count(t.get('实有人数'))}人。")


def _count(v) -> str:
    return f"{PLACEHOLDER}人数】" if v is None else f"{int(v)}"


def properties(name: str, year: int, template: str, weighting: str, units: int) -> dict[str, object]:
    return {KIND_PROP: KIND, "perfeval.department": name or "", "perfeval.year": year,
            "perfeval.template": f"部门汇总/{template}", "perfeval.weighting": weighting, "perfeval.units": units}


# ----------------------------------------------------------------------------- reading the workbook
@dataclass
class Table:
    heads: list[str]  # one label a column ("合计\n预算数" under a group heading)
    formats: list[str]  # the cells' number formats, one a column
    rows: list[list]
    last: list | None  # the 合计 / 平均分 row
    notes: list[str]

    def column(self, label: str) -> int:
        return self.heads.index(label)

    def text_rows(self) -> list[list[str]]:
        """Header and rows as a report prints them: money and scores with two decimals."""
        out = [self.heads]
        for row in self.rows + ([self.last] if self.last else []):
            out.append([_shown(v, f) for v, f in zip(row, self.formats)])
        if self.last and len(out[-1]) > 1 and out[-1][1] == out[-1][0]:
            out[-1][0] = ""  # 合计 is merged over 序号 and 单位名称 in the workbook: shown under 单位名称
        return out

    def split(self, keep: list[int]) -> list[list[str]]:
        """Some columns only: a table of 公文 width (a heading “合计\n预算数” shown as 合计)."""
        rows = [[r[c] for c in keep] for r in self.text_rows()]
        rows[0] = [h.split("\n")[0] for h in rows[0]]
        return rows


def _shown(v, fmt: str) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "%" in fmt:
            return percent(Decimal(str(v)))
        if "0.00" in fmt:
            return money(Decimal(str(v))) if "," in fmt else score(v)
        return f"{v:g}"
    return str(v)


def is_department_book(path: Path) -> bool:
    """A 部门汇总 written by ``department`` (its custom property), without opening it as a book."""
    try:
        with zipfile.ZipFile(path) as z:
            return KIND.encode() in z.read("docProps/custom.xml") and KIND_PROP.encode() in z.read("docProps/custom.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


# ----------------------------------------------------------------------------- the draft
def _dec(v) -> Decimal | None:
    return None if v in (None, "") or isinstance(v, str) else Decimal(str(v))


def _execution(totals: Table | None) -> list[Block]:
    """预算执行: the department's own rate, and the units' plain average where it differs."""
    if totals is None or totals.last is None:
        return [Block("para", f"{PLACEHOLDER}部门预算执行情况】")]
    col = lambda label: totals.column(label)  # noqa: E731
    full, spent = _dec(totals.last[col("全年预算数")]), _dec(totals.last[col("全年执行数")])
    rate = spent / full if full and spent is not None else None
    text = (f"部门全年预算数{money(full)}万元，全年执行数{money(spent)}万元，部门预算执行率{percent(rate)}"
            "（部门全年执行数÷全年预算数）。")
    rates = [_dec(r[col(RATE)]) for r in totals.rows if _dec(r[col(RATE)]) is not None]
    if rates and rate is not None:
        mean = sum(rates, Decimal(0)) / len(rates)
        if percent(mean) != percent(rate):
            text += (f"各单位执行率的算术平均为{percent(mean)}，与部门执行率不同：平均数中每个单位权重相同，"
                     f"部门执行率按金额计算，大单位影响更大；本报告采用部门执行率{percent(rate)}。")
    return [Block("para", text)]


def _basic(props: dict, totals: Table | None, scores: Table) -> list[Block]:
    units = [str(r[1]) for r in scores.rows]
    text = f"{props.get('perfeval.department') or PLACEHOLDER + '部门名称】'}纳入本次自评的单位共{len(units)}个：{'、'.join(units)}。"
    if totals is not None and totals.last is not None:
        quota, actual = (totals.last[totals.column(c)] for c in ("编制数", "实有人数"))
        text += f"部门核定编制{_count(quota)}人，实有人数{_count(actual)}人（各单位之和）。"
    return [Block("para", text), Block("para", f"{PLACEHOLDER}部门职能职责、内设机构及年度主要工作】")]


def _scores(scores: Table, weighting: str) -> list[Block]:
    avg = scores.last or []
    label = AVERAGE_LABEL.get(weighting, AVERAGE_LABEL["equal"])
    parts = [h for h in scores.heads[2:] if h not in (TOTAL_SCORE, GRADE)]
    part_text = "，".join(f"{p}{score(avg[scores.column(p)])}分" for p in parts if avg)
    how = "按各单位全年预算数加权平均" if weighting == "budget" else "各单位得分的算术平均"
    total = avg[scores.column(TOTAL_SCORE)] if avg else None
    return [Block("para", f"部门所属{len(scores.rows)}个单位均已完成整体支出绩效自评，各单位得分见下表。"),
            Block("table", rows=scores.text_rows()),
            Block("para", f"{label}{score(total)}分（{how}），其中{part_text}。表中{label}是各单位得分的平均，"
                          "不是按部门合计数字重新评分的得分，两者不是同一个数。")]


def _table_blocks(table: Table | None, columns: list[str | None]) -> list[Block]:
    """The table's words, then the table: whole, or once per kind of column (预算数, 决算数)."""
    if table is None:
        return [Block("para", f"{PLACEHOLDER}本部分数字】")]
    out = [Block("para", table.notes[-1] if table.notes else "")]
    for kind in columns:
        if kind is None:
            out.append(Block("table", rows=table.text_rows()))
            continue
        keep = [0, 1, *[c for c, h in enumerate(table.heads) if h.endswith(kind)]]
        out += [Block("para", f"{kind}（万元）："), Block("table", rows=table.split(keep))]
    return out


def build(props: dict[str, object], tables: dict[str, Table]) -> Draft:
    """The draft from a 部门汇总's properties and tables (bureau/department_book.read)."""
    from perfeval_xl.book import BookError

    scores = tables.get(SCORES)
    if scores is None:
        raise BookError(f"不是部门汇总工作簿（缺少“{SCORES}”工作表）")
    name = str(props.get("perfeval.department") or "")
    year = int(props.get("perfeval.year") or 0)
    totals, sangong, projects = tables.get(TOTALS), tables.get(SANGONG), tables.get(PROJECTS)
    blocks = [Block("title", f"{year}年度{name or PLACEHOLDER + '部门名称】'}部门整体支出绩效自评报告"),
              Block("heading", "一、部门基本情况"), *_basic(props, totals, scores),
              Block("heading", "二、一般公共预算支出情况"), Block("sub", "（一）预算执行情况"), *_execution(totals)]
    if totals is not None:
        n = len(totals.heads)
        blocks += [Block("para", totals.notes[-1]), Block("para", "预算执行（万元）："),
                   Block("table", rows=totals.split([0, 1, 2, 3, 4])), Block("para", "支出结构（万元）及人员（人）："),
                   Block("table", rows=totals.split([0, 1, *range(5, n)]))]
    blocks += [Block("sub", "（二）项目支出情况"), *_table_blocks(projects, [None])]
    blocks += [Block("sub", "（三）“三公”经费情况"), *_table_blocks(sangong, list(BUDGET_FINAL))]
    blocks += [Block("heading", "三、部门整体支出绩效情况"), *_scores(scores, str(props.get("perfeval.weighting"))),
               Block("para", f"{PLACEHOLDER}部门年度重点工作完成情况及取得的成效】"),
               Block("heading", "四、存在的问题及原因分析"), Block("para", f"{PLACEHOLDER}存在的问题及原因】"),
               Block("heading", "五、改进措施和有关建议"), Block("para", f"{PLACEHOLDER}改进措施和有关建议】"),
               Block("heading", "六、自评结果拟应用和公开情况"), Block("para", f"{PLACEHOLDER}结果应用和公开情况】")]
    return Draft("部门汇总", year, name, blocks)


def _small_tables(doc) -> None:
    """Tables in 五号 (10.5 pt), or 小五 (9 pt) beyond six columns, 序号 narrow and 单位名称 wide,
    so that they fit the 156 mm of a 公文 page."""
    from docx.shared import Mm, Pt

    for table in doc.tables:
        n = len(table.columns)
        size = Pt(9 if n > 6 else 10.5)
        table.autofit = False
        first, name = (10, 36) if n > 6 else (12, 42)  # 序号 narrow, 单位名称 wide, the others share the rest
        rest = (156 - first - name) / max(n - 2, 1)
        widths = [Mm(first), Mm(name), *[Mm(rest)] * (n - 2)]
        for column, width in zip(table.columns, widths):  # the grid, which LibreOffice follows
            column.width = width
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = width
            for cell in row.cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = size


def default_output(path: Path) -> Path:
    return Path(path).with_name(f"{Path(path).stem}_部门自评报告（初稿）.docx")


def report_department(path: Path, props: dict[str, object], tables: dict[str, Table],
                      out: Path | None = None) -> tuple[Path, Draft]:
    """Write the draft of the 部门汇总 at ``path`` (read by bureau/department_book.read)."""
    from perfeval_xl.book import BookError
    from perfeval_xl.files import write_zip
    from perfeval_xl.report import word

    d = build(props, tables)
    out = Path(out) if out else default_output(path)
    if out.suffix.lower() != ".docx":
        raise BookError(f"报告文件应以 .docx 结尾：{out.name}")
    doc = word.document(d)
    _small_tables(doc)
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    return write_zip(out, word._reproducible(entries)), d
