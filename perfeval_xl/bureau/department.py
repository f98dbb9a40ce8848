"""A department's own roll-up from its units: the tables a 部门 pastes into its 自评报告.

Built on ``collect`` (the same rules: verified exports only, each unit once, drafts, altered
files and duplicates listed with their reasons, 未报送 from the roster). The units' figures
(“三公”经费 lines, project lines, budget, 编制) are read again from each counted file, after its
stamp is verified once more, by the defined names of its template (2023 附件1 / 附件2).

The roster gives the table order; its 本级 goes first (see ``read_roster``). The department's
year and template are the 本级's (else the most common among the units); a unit under another
year or template is left out of the tables with a finding. Every figure keeps its source (file
and cell), and the department's checks become findings for the 校验结果 sheet.
"""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from perfeval_xl.book import BookError
from perfeval_xl.book import package as pk
from perfeval_xl.bureau import stamp as st
from perfeval_xl.bureau.collect import COUNTED, KIND, Collection, UnitResult, Weighting, collect, display_name, find_files
from perfeval_xl.checks.assess import TOLERANCE, blank, number
from perfeval_xl.checks.catalogue import title

BENJI = "本级"
_MARK = re.compile(r"^\s*[*＊]\s*|\s*[*＊]\s*$|\s*[（(]\s*本级\s*[)）]\s*$")
SANGONG_LINES = [("car_run", "公车运行维护"), ("car_buy", "公车购置"), ("reception", "公务接待"), ("abroad", "出国经费")]
PROJECT_LINES = [("proj_business", "业务工作经费"), ("proj_ops", "运行维护经费"),
                 ("proj_district", "区级专项资金"), ("proj_transfer", "上级转移支付")]
ITEMISED = ("proj_district", "proj_transfer")  # 附件1 lists each 专项 on a line of its own
ITEMS = 4
# The 2023 set's fields behind the department totals: key → (sheet, defined name)
TOTAL_FIELDS = {
    "budget_full": ("附件2", "budget_full"), "budget_spent": ("附件2", "budget_spent"),
    "expense_basic": ("附件2", "expense_basic"), "expense_project": ("附件2", "expense_project"),
    "public": ("附件1", "public_final"), "staff_quota": ("附件1", "staff_quota"),
    "staff_actual": ("附件1", "staff_actual"), "project_total": ("附件1", "project_final"),
    "sangong_budget": ("附件1", "sangong_budget"), "sangong_final": ("附件1", "sangong_final"),
}
FIGURE_TEMPLATES = ("2023",)  # sets whose 附件1 holds 三公 and project lines


@dataclass
class Value:
    """One figure and where it was read (``附件1!C12``) or how it was computed."""

    value: Decimal | None
    source: str = ""


@dataclass
class Project:
    name: str
    amount: Value
    note: str


@dataclass
class UnitFigures:
    result: UnitResult
    benji: bool = False
    totals: dict[str, Value] = field(default_factory=dict)
    sangong: dict[str, tuple[Value, Value]] = field(default_factory=dict)  # line → (预算数, 决算数)
    projects: list[Project] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.result.unit

    def get(self, key: str) -> Decimal | None:
        v = self.totals.get(key)
        return v.value if v else None


@dataclass
class Issue:
    severity: str  # error / warning
    code: str
    unit: str
    file: str
    message: str

    @property
    def title(self) -> str:
        return title(self.code)


@dataclass
class Department:
    name: str
    year: int
    template: str
    weighting: Weighting
    units: list[UnitFigures]
    collection: Collection
    parts: list[str]  # the score columns (一级指标), in the edition's order
    average: dict[str, float | None]
    issues: list[Issue] = field(default_factory=list)
    roster_file: str = ""

    @property
    def has_figures(self) -> bool:
        return self.template in FIGURE_TEMPLATES


# ----------------------------------------------------------------------------- the roster
def clean_name(name: str) -> str:
    return re.sub(r"\s+", "", str(name))


def read_roster(path: Path) -> tuple[list[str], str | None]:
    """Unit names in the department's order, and its 本级.

    .txt: one unit a line (UTF-8 or GBK); the 本级 is the line ending in “（本级）” or marked
    with “*”. .xlsx: unit names in the first column; the 本级 is marked by the suffix, or by
    any mark (是、√、1…) in a column headed “本级”."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _sheet_rows(path)
        head = [str(c or "").strip() for c in (rows[0] if rows else [])]
        mark_col = head.index(BENJI) if BENJI in head else None
        entries = [(str(r[0]), mark_col is not None and len(r) > mark_col and not blank(r[mark_col])
                    and str(r[mark_col]).strip() not in ("否", "0", "×"))
                   for r in rows[1 if mark_col is not None else 0:] if r and not blank(r[0])]
    else:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BookError(f"名单文件不存在：{path}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", "replace")
        entries = [(line, False) for line in text.splitlines() if line.strip()]
    names, benji = [], None
    for raw, marked in entries:
        name = clean_name(_MARK.sub("", raw))
        if not name or name in ("单位", "单位名称") or name in names:
            continue
        if marked or _MARK.search(raw):
            if benji is not None:
                raise BookError(f"名单中标为本级的单位不止一个：“{benji}”和“{name}”")
            benji = name
        names.append(name)
    return names, benji


def _sheet_rows(path: Path) -> list[list]:
    import python_calamine

    ex = pk.open_package(path)
    with open(path, "rb") as fh:
        cal = python_calamine.CalamineWorkbook.from_filelike(fh)
    return cal.get_sheet_by_name(ex.sheets[0].name).to_python() if ex.sheets else []


# ----------------------------------------------------------------------------- one unit's figures
def _value(book, sheet: str, name: str, file: str) -> Value:
    cell = book.address(sheet, name)
    return Value(number(book.get(sheet, name)), f"{file} {sheet}!{cell}" if cell else "")


def _projects(book, file: str, u: UnitResult) -> list[Project]:
    """附件1's project lines: 业务工作经费 and 运行维护经费 as lines, each named 专项 of the
    itemised categories (the category total when none is itemised)."""
    scored = {f.name: f.total for f in u.forms if f.kind == KIND[False]}
    out = []
    for key, label in PROJECT_LINES:
        items = []
        if key in ITEMISED:
            for k in range(1, ITEMS + 1):
                name = book.get("附件1", f"{key}{k}_item")
                amount = _value(book, "附件1", f"{key}{k}_final", file)
                if not blank(name) or amount.value:
                    items.append(Project(str(name).strip() if not blank(name) else f"{label}（第{k}行）", amount, label))
        if not items:
            amount = _value(book, "附件1", f"{key}_final", file)
            items = [Project(label, amount, "")] if amount.value else []
        out += items
    for p in out:
        if p.name in scored:
            p.note = "；".join(filter(None, [p.note, f"项目自评得分{scored[p.name]:g}分"]))
    return out


def read_figures(uf: UnitFigures, ex: st.Exported) -> None:
    book, file = ex.book(), uf.result.file
    uf.totals = {k: _value(book, *where, file) for k, where in TOTAL_FIELDS.items()}
    uf.sangong = {key: (_value(book, "附件1", f"{key}_budget", file), _value(book, "附件1", f"{key}_final", file))
                  for key, _ in SANGONG_LINES}
    uf.projects = _projects(book, file, uf.result)


# ----------------------------------------------------------------------------- the department
def _choose_edition(units: list[UnitResult], benji: str | None) -> tuple[int, str]:
    for u in units:
        if clean_name(u.unit) == benji:
            return u.year, u.template
    counts = Counter((u.year, u.template) for u in units)
    return max(counts, key=lambda k: (counts[k], k[0])) if counts else (0, "")


def _paths(inputs: list[Path]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in find_files(inputs):
        out.setdefault(display_name(p), []).append(p)
    return out


def _reopen(u: UnitResult, paths: dict[str, list[Path]], registry: dict | None) -> st.Exported | str:
    """The counted file read again (collect keeps its name only; of same-named files, the one of
    this unit), its stamp verified again; or why it cannot be."""
    why = "找不到该文件"
    for p in paths.get(u.file, []):
        try:
            ex = st.read(p)
        except BookError as exc:
            why = str(exc)
            continue
        stamp = ex.stamp()
        if str(stamp.get("perfeval.unit")) != u.unit or str(stamp.get("perfeval.template")) != u.template:
            continue
        if st.verify_exported(ex, registry).ok:
            return ex
        why = "文件在汇总后被改动，印章核验未通过"
    return why


def _collect(inputs: list[Path], names: list[str] | None, weighting: Weighting, workers: int,
             registry: Path | None, progress) -> Collection:
    with tempfile.TemporaryDirectory(prefix="perfeval-dept-") as tmp:
        clean = None
        if names is not None:  # collect reads the roster without the 本级 marks
            clean = Path(tmp) / "名单.txt"
            clean.write_text("\n".join(names), encoding="utf-8")
        shown = {"progress": progress} if progress else {}  # else collect's own progress bar
        return collect(inputs, weighting, workers, registry=registry, roster=clean, **shown)


def _units(counted: list[UnitResult], names: list[str] | None, benji: str | None,
           edition: tuple[int, str]) -> tuple[list[UnitResult], list[Issue]]:
    """The units of the department's year and template, 本级 first, then in the roster's order."""
    issues, chosen = [], []
    order = {n: i for i, n in enumerate(names or [])}
    for u in counted:
        if (u.year, u.template) != edition:
            issues.append(Issue("error", "dept_other_edition", u.unit, u.file,
                                f"{u.unit}为{u.year}年度、模板{u.template}，与部门的{edition[0]}年度、模板{edition[1]}"
                                "不同，未列入部门各表"))
            continue
        chosen.append(u)
        if names is not None and clean_name(u.unit) not in order:
            issues.append(Issue("warning", "dept_not_on_roster", u.unit, u.file,
                                f"{u.unit}不在单位名单中，已列在名单单位之后"))
    chosen.sort(key=lambda u: (clean_name(u.unit) != benji, order.get(clean_name(u.unit), len(order)), u.unit))
    return chosen, issues


def build(inputs: Iterable[Path], roster: Path | None = None, weighting: Weighting = "equal",
          registry: Path | None = None, workers: int = 2, department: str | None = None,
          progress=None) -> Department:
    from perfeval_xl.bureau.signing import load_registry

    inputs = [Path(p) for p in inputs]
    names, benji = read_roster(roster) if roster else (None, None)
    col = _collect(inputs, names, weighting, workers, registry, progress)
    reg = load_registry(registry) if registry else None
    counted = [u for u in col.units if u.status == COUNTED and u.main is not None]
    year, template = _choose_edition(counted, benji)
    chosen, issues = _units(counted, names, benji, (year, template))
    paths = _paths(inputs)
    units = [UnitFigures(u, benji=clean_name(u.unit) == benji) for u in chosen]
    for uf in units if template in FIGURE_TEMPLATES else []:
        ex = _reopen(uf.result, paths, reg)
        if isinstance(ex, str):
            issues.append(Issue("error", "dept_figures_unread", uf.name, uf.result.file, f"未能读取{uf.name}的数字：{ex}"))
        else:
            read_figures(uf, ex)
    if units and template not in FIGURE_TEMPLATES:
        issues.append(Issue("warning", "dept_no_figures", "", "",
                            f"模板{template}的工作簿没有“三公”经费和项目支出分行数字，部门只列单位得分表"))
    df = col.table()
    rows = df[df["文件"].isin({uf.result.file for uf in units}) & (df["表类"] == KIND[True])]
    dep = Department(department or (units[0].name if units and units[0].benji else ""), year, template, weighting,
                     units, col, list(units[0].result.main.parts) if units else [],
                     col.average(rows) if len(rows) else {}, issues, Path(roster).name if roster else "")
    dep.issues += check(dep)
    return dep


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    """Σ of the figures given; None when every one is blank."""
    vs = [v for v in values if v is not None]
    return sum(vs, Decimal(0)) if vs else None


def differ(a: Decimal | None, b: Decimal | None) -> bool:
    return a is not None and b is not None and abs(a - b) > TOLERANCE


# ----------------------------------------------------------------------------- checks
def _money(v: Decimal | None) -> str:
    return "（空）" if v is None else f"{v:.2f}"


def _unit_checks(uf: UnitFigures) -> list[Issue]:
    """A unit's lines against its own 附件1 / 附件2 totals (the validator compares only what is
    itemised: a total with every line blank passes it, and disagrees here)."""
    out = []

    def report(message: str) -> None:
        out.append(Issue("error", "dept_lines_mismatch", uf.name, uf.result.file, f"{uf.name}：{message}"))

    for i, col in enumerate(("预算数", "决算数")):
        lines = total(uf.sangong[k][i].value for k, _ in SANGONG_LINES) or Decimal(0)
        tot = uf.get(("sangong_budget", "sangong_final")[i])
        if differ(lines, tot if tot is not None else Decimal(0)):
            report(f"“三公”经费{col}各项之和{_money(lines)}万元，与附件1“三公经费”{col}{_money(tot)}万元不符")
    lines = total(p.amount.value for p in uf.projects) or Decimal(0)
    project = uf.get("project_total")
    if differ(lines, project if project is not None else Decimal(0)):
        report(f"附件1各项目支出之和{_money(lines)}万元，与附件1“项目支出”决算数{_money(project)}万元不符")
    if differ(project, uf.get("expense_project")):
        report(f"附件1“项目支出”决算数{_money(project)}万元，与附件2项目支出{_money(uf.get('expense_project'))}万元不符")
    parts = total([uf.get("expense_basic"), uf.get("expense_project")])
    if differ(parts, uf.get("budget_spent")):
        report(f"基本支出与项目支出之和{_money(parts)}万元，与全年执行数{_money(uf.get('budget_spent'))}万元不符")
    return out


def _sum(units: list[UnitFigures], key) -> Decimal:
    return total(key(uf) for uf in units) or Decimal(0)


def check(dep: Department) -> list[Issue]:
    """The department's findings: each unit's lines against its totals, the department's tables
    against one another, and a 本级 whose figures already hold the other units'."""
    units = [uf for uf in dep.units if uf.totals]
    if not dep.has_figures or not units:
        return []
    out = [issue for uf in units for issue in _unit_checks(uf)]

    def compare(what: str, a: Decimal, b: Decimal, b_what: str) -> None:
        if differ(a, b):
            out.append(Issue("error", "dept_totals_mismatch", "", "",
                             f"部门{what}合计{_money(a)}万元，与{b_what}{_money(b)}万元相差{_money(a - b)}万元"))

    compare("项目支出表", _sum(units, lambda uf: total(p.amount.value for p in uf.projects)),
            _sum(units, lambda uf: uf.get("expense_project")), "各单位项目支出之和")
    for i, col in enumerate(("预算数", "决算数")):
        compare(f"“三公”经费表各项{col}", _sum(units, lambda uf: total(uf.sangong[k][i].value for k, _ in SANGONG_LINES)),
                _sum(units, lambda uf: uf.get(("sangong_budget", "sangong_final")[i])), f"各单位“三公”经费{col}之和")
    compare("基本支出与项目支出", _sum(units, lambda uf: total([uf.get("expense_basic"), uf.get("expense_project")])),
            _sum(units, lambda uf: uf.get("budget_spent")), "各单位全年执行数之和")
    benji = next((uf for uf in units if uf.benji), None)
    others = [uf for uf in units if not uf.benji]
    if benji and others:
        rest = _sum(others, lambda uf: uf.get("budget_full"))
        mine = benji.get("budget_full")
        if mine is not None and rest and not differ(mine, rest):
            out.append(Issue("warning", "dept_benji_includes_units", benji.name, benji.result.file,
                             f"本级{benji.name}的全年预算数{_money(mine)}万元等于其余单位之和，"
                             "可能已含下属单位，部门合计会重复计算"))
    return out
