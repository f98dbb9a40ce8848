"""What the stamp (and the signature) cover, read the same way by export, verify and collect.

An exported workbook is read as data only: the package gate (package.py) first, then cell
values with python-calamine. Its *canonical form* is a text listing everything that changes
what a reader sees or what the tools compute:

- the stamp's own fields (every ``perfeval.*`` custom property except the digest and the
  signature: counts of findings, forced, reason, edition, template, year, unit, total…);
- sheet names, their order and visibility;
- every non-empty cell: position, value and number format;
- every defined name: scope, name and target (the tools find fields by name).

The stamp is the SHA-256 of that text; the signature is SM2 over its SM3 digest. Because both
come from the package's meaning and not its bytes, saving the file again unchanged keeps them.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from perfeval_xl.book import BookError, ValuesBook, grid_positions, split_ref
from perfeval_xl.book import package as pk

STAMP_PREFIX = "perfeval."
HASH_PROP = "perfeval.sha256"
SIGNATURE_PROP = "perfeval.signature"
KEY_ID_PROP = "perfeval.key_id"
NOT_COVERED = {HASH_PROP, SIGNATURE_PROP, KEY_ID_PROP}  # the seal itself
FORMAT_VERSION = "perfeval-canonical/3"  # /3: numbers as repr (exact); /2 wrote 15 digits


def canonical_value(v: object) -> str | None:
    """One cell's value as text (None: an empty cell)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "b:1" if v else "b:0"
    if isinstance(v, (int, float)):
        return "n:" + repr(float(v))  # round-trips exactly: 12 and 11.999999999999998 differ
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        return "d:" + (v.isoformat() if not isinstance(v, _dt.timedelta) else str(v.total_seconds()))
    return "s:" + str(v)


def _cell_text(v: object) -> str | None:
    """_esc(canonical_value(v)), with the common types first (a 汇总 does this a million times)."""
    kind = type(v)
    if kind is float:
        return "n:" + repr(v)
    if kind is str:
        return "s:" + _esc(v) if v else None
    text = canonical_value(v)
    return None if text is None else _esc(text)


def _esc(text: str) -> str:
    if "\\" in text or "\n" in text or "|" in text:  # rare: checked first, as most cells are plain
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("|", "\\|")
    return text


@dataclass
class Exported:
    """An exported workbook read as data: the checked package and its values."""

    pkg: pk.Package
    grids: dict[str, list[list]]

    @property
    def properties(self) -> dict[str, object]:
        return self.pkg.properties

    def stamp(self) -> dict[str, object]:
        return {k: v for k, v in self.pkg.properties.items() if k.startswith(STAMP_PREFIX)}

    def canonical(self) -> bytes:
        lines = [FORMAT_VERSION]
        for name, value in sorted(self.stamp().items()):
            if name not in NOT_COVERED:
                lines.append(f"prop|{_esc(name)}|{_esc(canonical_value(value) or '')}")
        formats = [_esc(f) for f in self.pkg.number_formats]
        for sheet in self.pkg.sheets:
            lines.append(f"sheet|{_esc(sheet.name)}|{sheet.state}")
            styles = sheet.styles
            for r, row in enumerate(self.grids.get(sheet.name, []), start=1):
                for c, v in enumerate(row, start=1):
                    text = None if v is None else _cell_text(v)
                    if text is not None:
                        xf = styles.get((r, c), 0)
                        lines.append(f"{r},{c}|{formats[xf] if xf < len(formats) else 'General'}|{text}")
        lines += _name_lines(self.pkg.names)
        return "\n".join(lines).encode("utf-8")

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def book(self) -> ValuesBook:
        """The values as a read-only book, fields found by their defined names."""
        fields, positions = _fields(tuple(s.name for s in self.pkg.sheets), self.pkg.names)
        return ValuesBook(self.grids, fields, str(self.properties.get("perfeval.template") or "") or None,
                          self.pkg.path, positions)


# What follows from the defined names alone is computed once for each distinct set of them:
# every export of one template has the same (package.py parses each workbook.xml once too).
@lru_cache(maxsize=16)
def _name_lines(names: tuple[pk.DefinedName, ...]) -> tuple[str, ...]:
    return tuple(f"name|{_esc(n.scope)}|{_esc(n.name)}|{_esc(n.target)}"
                 for n in sorted(names, key=lambda n: (n.scope, n.name)))


@lru_cache(maxsize=16)
def _fields(sheets: tuple[str, ...], names: tuple[pk.DefinedName, ...]) -> tuple[dict, dict]:
    """sheet → field name → cell, and → (row, column): shared by the books of one layout, never changed."""
    fields: dict[str, dict[str, str]] = {s: {} for s in sheets}
    for n in names:
        if "!" not in n.target or n.name.startswith("_xlnm."):
            continue
        try:
            sheet, coord = split_ref(n.target)
        except BookError:
            continue
        if not n.scope or n.scope == sheet:
            fields.setdefault(sheet, {}).setdefault(n.name, coord)
    return fields, grid_positions(fields)


def read(path: Path, lim: pk.Limits | None = None) -> Exported:
    """Gate, then values. Raises PackageRefused (a BookError) with a Chinese reason."""
    import python_calamine

    pkg = pk.open_package(Path(path), lim)
    pk.refuse_active_content(pkg)
    try:
        # the bytes the gate checked, not the path again (a file swapped meanwhile is not read)
        cal = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(pkg.data))
        grids = {s.name: cal.get_sheet_by_name(s.name).to_python(skip_empty_area=False) for s in pkg.sheets}
    except Exception as exc:  # calamine's own errors: the package passed the gate but cannot be read
        raise pk.PackageRefused("bad_xml", f"文件已损坏，无法读取单元格（{type(exc).__name__}）") from None
    return Exported(pkg=pkg, grids=grids)


# ----------------------------------------------------------------------------- verify
# What verify reports, in Chinese: property → label. Only these are printed, only as checked.
LABELS = {
    "perfeval.unit": "单位", "perfeval.year": "年度", "perfeval.template": "模板",
    "perfeval.scheme": "指标体系", "perfeval.total": "总分", "perfeval.grade": "评价等次",
    "perfeval.errors": "错误数", "perfeval.warnings": "提示数", "perfeval.forced": "强制导出",
    "perfeval.force_reason": "强制导出原因", "perfeval.validated_at": "导出时间", "perfeval.version": "工具版本",
}


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value) if value not in (None, "") else "（无）"


@dataclass
class Verification:
    status: str  # 通过 / 已被修改 / 未盖章
    signature: str  # 未签名 / 签名有效 / 签名无效 / 无法核验签名（…）
    stamp: dict[str, object]
    expected: str | None
    actual: str
    problems: list[str] = field(default_factory=list)  # 单位不符 / 印章所记与重新校验不符 (trust.py)
    registry: bool = False  # checked against a registry: then only 签名有效 passes

    @property
    def ok(self) -> bool:
        return (self.status == "通过" and not self.signature.startswith("签名无效") and not self.problems
                and (not self.registry or self.signature == "签名有效"))

    def lines(self) -> list[str]:
        """What was checked, in Chinese; the stamp's fields only when the stamp holds."""
        out = [f"核验结果：{self.status if self.ok or self.status != '通过' else '未通过'}", f"签名：{self.signature}"]
        if self.registry and self.status == "通过" and self.signature != "签名有效":
            out.append("  给出公钥登记表时，只有用该单位登记的公钥签名的文件才算通过。")
        out += [f"  {p}" for p in self.problems]
        if self.status == "通过":
            out += [f"  {label}：{shown(self.stamp[k])}" for k, label in LABELS.items() if k in self.stamp]
            out.append("已核对：单元格的值和数字格式、名称及其指向、工作表名称、顺序和可见性、以上印章内容；"
                       "各表单位与印章中的单位一致；错误数、总分、等次和强制导出与重新校验一致。")
        elif self.status == "已被修改":
            out.append("导出后文件被改动（单元格的值或格式、名称、工作表或印章内容）。"
                       "校验码只能说明改动存在，无法指出是哪个工作表或单元格；以上印章内容不可信，不予显示。")
        else:
            out.append("此文件不是由“锁定导出”生成的，没有可核验的印章。")
        return out

    def as_dict(self) -> dict:
        return {"核验结果": self.status, "签名": self.signature, "通过": self.ok, "问题": self.problems,
                "印章": {LABELS[k]: self.stamp[k] for k in LABELS if k in self.stamp} if self.status == "通过" else {},
                "校验码（印章）": self.expected, "校验码（重新计算）": self.actual}


def verify_exported(ex: Exported, registry: dict[str, list[str]] | None) -> Verification:
    from perfeval_xl.bureau.signing import signature_status

    stamp = ex.stamp()
    canonical = ex.canonical()
    actual = hashlib.sha256(canonical).hexdigest()
    expected = stamp.get(HASH_PROP)
    if not expected:
        return Verification("未盖章", "未签名", stamp, None, actual)
    status = "通过" if expected == actual else "已被修改"
    if status == "通过":
        pk.refuse_live_content(ex.pkg)  # formulas added to a sealed file keep the seal: refused
    sig = signature_status(registry, str(stamp.get("perfeval.unit", "")), str(stamp.get(SIGNATURE_PROP) or ""),
                           canonical)
    return Verification(status, sig, stamp, str(expected), actual)


def verify(path: Path, registry: Path | None = None) -> Verification:
    from perfeval_xl.bureau.signing import load_registry
    from perfeval_xl.bureau.units import normalised_registry

    from perfeval_xl.bureau.trust import problems

    reg = normalised_registry(load_registry(registry)) if registry else None
    ex = read(path)
    v = verify_exported(ex, reg)
    v.registry = reg is not None
    if v.status == "通过":  # whose file it is, and whether its claims hold, from its values
        v.problems = problems(ex.book(), v.stamp)
    return v
