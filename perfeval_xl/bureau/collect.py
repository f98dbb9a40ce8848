"""汇总: read many exported workbooks, verify stamp and signature, re-validate, and roll them up.

Rules (docs/security.md says why):
- every file passes the package gate (package.py) and is read as data only (calamine values,
  metadata as XML trees once any DTD is refused); nothing in a file is executed;
- in ``collect`` each file is read in a worker process of its own with a memory limit and a
  time-out: a crash, a time-out or a memory failure skips that file with a reason and the run
  goes on; workers die with the parent (PR_SET_PDEATHSIG on Linux, a parent watch elsewhere);
- a file speaks for the unit its stamp names, and only if every sheet's unit cell names the same
  unit (trust.py); with a registry it counts only when signed with that unit's registered key;
  with a roster only when the unit is on it; names are compared normalised (units.py);
- every file is validated again here: the stamp's claims (errors, total, grade, forced) must
  agree with the recomputation, and a file with errors is never averaged;
- one row per unit, year, edition and form; averages count only files that pass all of this,
  each unit once (the newest export, times compared as instants), and never mix years,
  editions or 部门 / 项目 forms: each group has its own average and says which files make it;
- every other file is listed with its reason; a roster of expected units gives the 未报送 list.
The roll-up itself is a pandas DataFrame, so the bureau can load it into its own analysis; the
汇总 workbook is written from it by summary.py (which imports this module, never the reverse).
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Literal

import pandas as pd
from pydantic import BaseModel

from perfeval_xl.book import BookError
from perfeval_xl.book import package as pk
from perfeval_xl.bureau import stamp as st
from perfeval_xl.bureau import trust
from perfeval_xl.bureau.units import normalise, normalised_registry
from perfeval_xl.checks.assess import Assessment, Finding, assess
from perfeval_xl.forms.sets import template_sets

Weighting = Literal["equal", "budget"]
WEIGHTING_TEXT = {"equal": "平均分按各单位等权平均计算", "budget": "平均分按各单位全年预算数加权计算"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".et")
COUNTED = "计入"
KIND = {True: "部门整体", False: "项目"}


class FormRow(BaseModel):
    """One scored form of a file: the main (部门整体) form or a project form."""

    sheet: str
    kind: str  # 部门整体 / 项目
    name: str  # the unit, or the project's name for a project form
    scheme: str
    total: float | None
    grade: str | None
    parts: dict[str, float]


class UnitResult(BaseModel):
    file: str
    unit: str
    year: int
    template: str
    label: str
    forms: list[FormRow]
    stamp: str  # 通过 / 已被修改 / 未盖章
    signature: str = "未签名"
    forced: bool = False
    reason: str = ""
    exported_at: str = ""
    budget: float | None = None
    findings: list[Finding] = []
    status: str = ""  # 计入, or why this file is not in any average (set by apply_rules)
    unit_typed: str = ""  # the unit's name as written in the file, when ``unit`` (normalised) differs
    registered: bool | None = None  # the stamp's unit is in the registry (None: no registry given)
    trust: str = ""  # 单位不符… / 已被修改… when the cells or the stamp's claims disagree (trust.py)

    @property
    def main(self) -> FormRow | None:
        return next((f for f in self.forms if f.kind == KIND[True]), None)


class Skipped(BaseModel):
    file: str
    reason: str
    code: str = "unreadable"


def finding(code: str, message: str, severity: str = "error") -> Finding:
    return Finding(severity=severity, sheet="", cell="", code=code, message=message)


def display_name(path: Path) -> str:
    """A file name that can always be printed and written (bytes that are not UTF-8 shown as �)."""
    return os.fsencode(path.name).decode("utf-8", "replace")


# ----------------------------------------------------------------------------- one file
def _forms(a: Assessment, main_sheet: str, project_names: dict[str, str], unit: str) -> list[FormRow]:
    return [FormRow(sheet=form.sheet, kind=KIND[form.sheet == main_sheet], scheme=form.scheme,
                    name=unit if form.sheet == main_sheet else (project_names.get(form.sheet) or form.sheet),
                    total=float(form.total), grade=form.grade, parts={k: float(v) for k, v in form.parts.items()})
            for form in a.forms if form.total is not None]


def unit_result(a: Assessment, book, file: str, stamp_status: str, **kw) -> UnitResult:
    tset = template_sets()[a.template]
    names = {f.sheet: _sheet_unit(book, f.sheet) for f in a.forms if f.sheet != tset.main}
    budget = None
    if tset.budget is not None:
        try:
            budget = float(book.get(*tset.budget))
        except (TypeError, ValueError):
            budget = None
    unit = kw.pop("unit", a.unit)
    return UnitResult(file=file, unit=unit, year=a.year, template=a.template, label=a.label,
                      forms=_forms(a, tset.main, names, unit), stamp=stamp_status, budget=budget,
                      findings=list(a.findings), **kw)


LOCK_FILE_BYTES = 4096  # Office's owner files (~$名称.xlsx) are 162 or 165 bytes


def _lock_file(path: Path) -> bool:
    """A real Office lock file: named ~$…, tiny, and not a zip. A workbook named ~$… is read."""
    if not path.name.startswith("~$"):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(LOCK_FILE_BYTES + 1)
    except OSError:
        return False
    return len(head) <= LOCK_FILE_BYTES and not head.startswith(b"PK")


def _identity(v: st.Verification, a: Assessment, book, registry) -> dict:
    """Whose file this is (the stamp's unit, normalised) and what contradicts it. A broken
    seal's fields are not trusted: such a file is named by its cells, and counts nowhere."""
    stamp = v.stamp if v.status == "通过" else {}
    typed = str(stamp.get("perfeval.unit") or "") if stamp else a.unit
    unit = normalise(typed)
    return {"unit": unit, "unit_typed": typed if typed != unit else "",
            "registered": None if registry is None else bool(registry.get(unit)),
            "trust": (trust.identity_problem(typed, book) or trust.claims_problem(stamp, a)) if stamp else "",
            "signature": v.signature, "forced": stamp.get("perfeval.forced") is True,
            "reason": str(stamp.get("perfeval.force_reason") or ""),
            "exported_at": str(stamp.get("perfeval.validated_at") or "")}


def read_exported(path: Path, registry: dict[str, list[str]] | None = None) -> UnitResult | Skipped:
    """One file → its unit result, or the reason it was skipped. Never raises. ``registry``
    is keyed by normalised unit names (units.normalised_registry)."""
    path = Path(path)
    name = display_name(path)
    if _lock_file(path):
        return Skipped(file=name, code="lock_file",
                       reason="Office 锁定文件（以“~$”开头、记录谁正在编辑的临时文件，不是工作簿），已跳过")
    try:
        ex = st.read(path)
        if ex.properties.get("perfeval.template") not in template_sets():
            return Skipped(file=name, reason="未知的表格布局（不是本工具模板生成的工作簿）", code="unknown_layout")
        v = st.verify_exported(ex, registry)
        book = ex.book()
        a = assess(book)
        r = unit_result(a, book, name, v.status, **_identity(v, a, book, registry))
    except pk.PackageRefused as exc:
        return Skipped(file=name, reason=str(exc), code=exc.code)
    except BookError as exc:
        return Skipped(file=name, reason=str(exc), code="unreadable")
    except MemoryError:
        return Skipped(file=name, reason="读取时内存不足，已跳过", code="worker_failed")
    except Exception as exc:  # a hostile or broken file must not stop the run
        return Skipped(file=name, reason=f"读取失败：{type(exc).__name__}", code="unreadable")
    if name != path.name:
        r.findings.append(finding("odd_filename", f"文件名含有无法识别的字符（非UTF-8编码），显示为“{name}”", "warning"))
    if r.unit_typed:
        r.findings.append(finding("unit_normalised", f"单位名称“{r.unit_typed}”按“{r.unit}”识别"
                                                     "（全角半角、空格统一后比对名单、登记表和重复报送）", "warning"))
    return r


# ----------------------------------------------------------------------------- rules
def _seal_problem(u: UnitResult, roster: set[str] | None = None) -> tuple[str, Finding] | None:
    """Why ``u`` is in no average, in the order a reader should hear it; None when it may count."""
    if u.stamp == "未盖章":
        return "草稿：未经“锁定导出”，没有印章", finding("stamp_missing", "文件未经锁定导出，没有印章")
    if u.stamp == "已被修改":
        return "导出后被改动：印章核验未通过", finding("stamp_altered", "导出后文件被改动，印章核验未通过")
    if u.registered is not None and "未签名" in u.signature:  # also 签名无效（…已登记公钥，文件却未签名）
        text = "未签名：提供了公钥登记表，只计入用登记公钥签名的文件"
        return text, finding("unsigned", text)
    if u.registered is False:
        text = f"未登记：公钥登记表中没有“{u.unit or '（空）'}”，无法证明文件来自该单位"
        return text, finding("unregistered", text)
    if u.signature.startswith("签名无效"):
        return u.signature, finding("signature_invalid", u.signature)
    if u.trust:
        code = "unit_mismatch" if u.trust.startswith("单位不符") else "stamp_claims"
        return u.trust, finding(code, u.trust)
    if u.forced:
        errors = sum(f.severity == "error" for f in u.findings)
        text = f"强制导出（带{errors}项错误），原因：{u.reason or '（未填写）'}"
        return text, finding("forced_export", text, "warning")
    if roster is not None and u.unit not in roster:
        text = f"名单外：“{u.unit or '（空）'}”不在应报送单位名单中"
        return text, finding("off_roster", text)
    return None


def exported_instant(text: str) -> float:
    """The export time as an instant (2023-12-31T09:00+08:00 is before 2023-12-31T02:00Z);
    a time without a zone is taken as local time, an unreadable one as the oldest."""
    try:
        return _dt.datetime.fromisoformat(str(text).strip()).timestamp()
    except (ValueError, TypeError, OverflowError, OSError):
        return float("-inf")


def apply_rules(units: list[UnitResult], roster: Iterable[str] | None = None) -> None:
    """Set each file's status: 计入, or the reason it is in no average (findings added).
    Of several sound files of one unit, year and template the newest export counts (equal
    times: the first file name); the others are listed as duplicates. Only files that pass
    every other rule compete for "newest"."""
    names = None if roster is None else {normalise(n) for n in roster}
    sound = []
    for u in units:
        problem = _seal_problem(u, names)
        if problem:
            u.status, found = problem
            u.findings.append(found)
        else:
            sound.append(u)
    sound.sort(key=lambda u: u.file)
    sound.sort(key=lambda u: exported_instant(u.exported_at), reverse=True)  # stable: newest first, then by name
    newest: dict[tuple, UnitResult] = {}
    for u in sound:
        first = newest.setdefault((u.unit, u.year, u.template), u)
        if first is u:
            u.status = COUNTED
        else:
            u.status = f"重复：同一单位同一年度已有较新的导出文件“{first.file}”"
            u.findings.append(finding("duplicate_file", u.status, "warning"))


# ----------------------------------------------------------------------------- many files
def find_files(inputs: Iterable[Path]) -> list[Path]:
    """Workbook-looking names in folders (hidden dot-files aside; ~$ files are looked at, so
    that a real export with such a name is read and a lock file is listed); a named file is
    always read."""
    files = []
    for p in map(Path, inputs):
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in WORKBOOK_SUFFIXES
                            and not q.name.startswith("."))
        else:
            files.append(p)
    return files


def _progress(done: int, total: int) -> None:
    if not sys.stderr.isatty() or total == 0:
        return
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r汇总中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _prepare() -> None:
    """Build here, once, the layouts that reading any file needs: the workers are forked from
    this process and inherit them, instead of each building its own."""
    from perfeval_xl.checks.assess import project_keys

    for tset in template_sets().values():
        project_keys(tset)


def read_all(files: list[Path], workers: int = 2, progress=_progress, registry=None) -> list[UnitResult | Skipped]:
    """Read every file: in isolated worker processes (workers ≥ 1), or in this process (0)."""
    if workers <= 0:
        out = []
        for i, f in enumerate(files, start=1):
            out.append(read_exported(f, registry))
            progress(i, len(files))
        return out
    from perfeval_xl.bureau.workers import run_isolated

    _prepare()

    def fallback(path: Path, why: str) -> Skipped:
        return Skipped(file=display_name(path), reason=f"{why}，已跳过", code="worker_failed")

    return run_isolated(files, read_exported, (registry,), fallback, workers, pk.limits(), progress)


class Group(BaseModel):
    """One average: files of one year, edition and kind of form."""

    year: int
    template: str
    kind: str
    scheme: str
    title: str
    files: list[str]
    average: dict[str, float | None]


NO_ORIGIN = ("注意：未提供公钥登记表（--registry），没有任何办法证明文件来自所署单位——印章谁都能用本工具生成，"
             "只说明文件导出后未被改动；请用登记表汇总")


class Collection(BaseModel):
    units: list[UnitResult]
    skipped: list[Skipped]
    weighting: Weighting = "equal"
    roster: list[str] | None = None
    origin: str = ""  # a warning that nothing proves where the files came from ("" with a registry)

    def table(self) -> pd.DataFrame:
        """One row per file and scored form (counted or not), for the 汇总 and pandas users."""
        rows = []
        for u in self.units:
            errors = sum(f.severity == "error" for f in u.findings)
            for form in u.forms or [None]:
                row = {"文件": u.file, "单位": u.unit, "年度": u.year, "模板": u.template,
                       "表类": form.kind if form else "", "名称": form.name if form else u.unit,
                       "指标体系": form.scheme if form else ""}
                row.update(form.parts if form else {})
                row.update({"总分": form.total if form else None, "等次": form.grade if form else None,
                            "印章": u.stamp, "签名": u.signature,
                            "计入平均": "是" if u.status == COUNTED else "否",
                            "说明": "" if u.status == COUNTED else u.status,
                            "错误数": errors, "提示数": len(u.findings) - errors,
                            "全年预算数": u.budget if form and form.kind == KIND[True] else None})
                rows.append(row)
        df = pd.DataFrame(rows, columns=BASE_COLUMNS + TAIL_COLUMNS) if not rows else pd.DataFrame(rows)
        parts = [c for c in df.columns if c not in BASE_COLUMNS + TAIL_COLUMNS]
        return df[BASE_COLUMNS + parts + TAIL_COLUMNS].sort_values(
            ["年度", "模板", "表类", "单位", "名称", "文件"], ignore_index=True)

    def score_columns(self, df: pd.DataFrame) -> list[str]:
        cols = [c for c in df.columns if c not in BASE_COLUMNS + TAIL_COLUMNS and df[c].notna().any()]
        return cols + ["总分"]

    def average(self, df: pd.DataFrame) -> dict[str, float | None]:
        """Average of every score column of ``df`` (rows of one group), half-up to 0.01."""
        cols = self.score_columns(df)
        if self.weighting == "budget":
            if df["全年预算数"].isna().any() or (df["全年预算数"] <= 0).any():
                raise BookError("有单位缺少全年预算数，无法按预算加权；请改用等权平均")
            w = df["全年预算数"].map(lambda x: Decimal(str(x)))
        else:
            w = pd.Series(Decimal(1), index=df.index)
        out: dict[str, float | None] = {}
        for c in cols:
            mask = df[c].notna()
            total_w = sum(w[mask], Decimal(0))
            if not total_w:
                out[c] = None
                continue
            value = sum((Decimal(str(x)) * y for x, y in zip(df.loc[mask, c], w[mask])), Decimal(0)) / total_w
            out[c] = float(value.quantize(Decimal("0.01"), "ROUND_HALF_UP"))
        return out

    def groups(self, df: pd.DataFrame | None = None) -> list[Group]:
        df = self.table() if df is None else df
        counted = df[df["计入平均"] == "是"]
        out = []
        for (year, template, kind, scheme), g in counted.groupby(["年度", "模板", "表类", "指标体系"], sort=True):
            if kind == KIND[False] and self.weighting == "budget":
                g = g.assign(全年预算数=1.0)  # projects carry no unit budget: equal weights
            out.append(Group(year=int(year), template=str(template), kind=str(kind), scheme=str(scheme),
                             title=f"{year}年度 · 模板{template} · {kind} · {scheme}",
                             files=sorted(set(g["文件"])), average=self.average(g)))
        return out

    def findings(self) -> pd.DataFrame:
        rows = [{"文件": u.file, "单位": u.unit, "严重程度": "错误" if f.severity == "error" else "提示",
                 "工作表": f.sheet, "单元格": f.cell, "代码": f.code, "说明": f.message}
                for u in self.units for f in u.findings]
        return pd.DataFrame(rows, columns=["文件", "单位", "严重程度", "工作表", "单元格", "代码", "说明"])

    def not_counted(self) -> list[UnitResult]:
        return [u for u in self.units if u.status != COUNTED]

    def missing(self) -> list[tuple[str, str]]:
        """未报送: roster units with no counted file, and what was received from them instead."""
        if self.roster is None:
            return []
        counted = {u.unit for u in self.units if u.status == COUNTED}
        received: dict[str, list[str]] = {}
        for u in self.units:
            received.setdefault(u.unit, []).append(f"{u.file}（{u.status}）")
        out = []
        for name in self.roster:
            key = normalise(name)
            if key not in counted:
                out.append((name, "未收到文件" if key not in received else "收到的文件均未计入：" + "；".join(received[key])))
        return out


BASE_COLUMNS = ["文件", "单位", "年度", "模板", "表类", "名称", "指标体系"]
TAIL_COLUMNS = ["总分", "等次", "印章", "签名", "计入平均", "说明", "错误数", "提示数", "全年预算数"]


def read_roster(path: Path) -> list[str]:
    """Expected unit names: a .txt (one a line, UTF-8 or GBK) or the first column of an .xlsx."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import io

        import python_calamine

        ex = pk.open_package(path)
        cal = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(ex.data))
        rows = cal.get_sheet_by_name(ex.sheets[0].name).to_python() if ex.sheets else []
        names = [str(r[0]).strip() for r in rows if r and r[0] not in (None, "")]
    else:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BookError(f"名单文件不存在：{path}") from None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        names = [line.strip() for line in text.splitlines()]
    unique: dict[str, str] = {}
    for n in names:
        if n and n not in ("单位", "单位名称"):
            unique.setdefault(normalise(n), n)  # one unit once, as first spelled
    return list(unique.values())


def collect(inputs: Iterable[Path], weighting: Weighting = "equal", workers: int = 2, progress=_progress,
            registry: Path | None = None, roster: Path | None = None) -> Collection:
    from perfeval_xl.bureau.signing import load_registry

    reg = normalised_registry(load_registry(registry)) if registry else None
    names = read_roster(roster) if roster else None
    results = read_all(find_files(inputs), workers, progress, reg)
    units = [r for r in results if isinstance(r, UnitResult)]
    apply_rules(units, names)
    return Collection(units=units, skipped=[r for r in results if isinstance(r, Skipped)],
                      weighting=weighting, roster=names, origin="" if reg is not None else NO_ORIGIN)


def rollup_book(book) -> Collection:
    """Inside one workbook: every scored sheet (a unit's or a project's) is one row; 部门 and 项目
    forms are averaged separately. There is no export to verify, so every row counts."""
    a = assess(book)
    r = unit_result(a, book, "", "（同一工作簿）")
    units = []
    for form in r.forms:
        sheet_unit = _sheet_unit(book, form.sheet) or form.sheet
        units.append(r.model_copy(update={
            "file": form.sheet, "unit": sheet_unit, "status": COUNTED, "forms": [form.model_copy(update={"name": sheet_unit})],
            "findings": [f for f in a.findings if f.sheet == form.sheet]}))
    return Collection(units=units, skipped=[])


def _sheet_unit(book, sheet: str) -> str:
    for name in ("project_name", "unit_name"):
        v = book.get(sheet, name)
        if v not in (None, "", "/"):
            return str(v)
    return ""


def as_json(col: Collection) -> str:
    import json

    df = col.table()
    data = {"origin": col.origin, "weighting": col.weighting, "weighting_text": WEIGHTING_TEXT[col.weighting],
            "rows": json.loads(df.to_json(orient="records", force_ascii=False)),
            "groups": [g.model_dump() for g in col.groups(df)],
            "skipped": [s.model_dump() for s in col.skipped],
            "missing": [{"单位": n, "说明": why} for n, why in col.missing()],
            "findings": json.loads(col.findings().to_json(orient="records", force_ascii=False))}
    return json.dumps(data, ensure_ascii=False, indent=2)
