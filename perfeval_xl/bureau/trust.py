"""What a sound seal does not say by itself: whose file it is, and whether its claims are true.

A unit's key proves that the unit signed exactly this content, whatever the content says. So a
file speaks for the unit its stamp names (the field the signature covers), and only if every
sheet's unit cell names the same unit: unit A cannot sign B's name into the cells and be counted
as B. And the stamp's claims (error count, total, grade, forced export) are what the unit's copy
of this tool wrote: they are compared with a recomputation, never trusted (docs/security.md).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from perfeval_xl.bureau.units import normalise
from perfeval_xl.checks.assess import Assessment

UNIT_FIELD = "unit_name"


def sheet_units(book) -> list[tuple[str, str, str]]:
    """(sheet, cell, name as typed) of every sheet whose unit cell is filled."""
    out = []
    for sheet in book.sheets():
        value = book.get(sheet, UNIT_FIELD)
        if value not in (None, "", "/"):
            out.append((sheet, book.address(sheet, UNIT_FIELD) or UNIT_FIELD, str(value)))
    return out


def identity_problem(claimed: str, book) -> str:
    """单位不符 with both names, or "" when every sheet names the stamp's unit."""
    want = normalise(claimed)
    for sheet, cell, typed in sheet_units(book):
        if normalise(typed) != want:
            return f"单位不符：印章（签名）中的单位为“{claimed or '（空）'}”，{sheet}!{cell}中为“{typed}”"
    return ""


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def claims_problem(stamp: dict[str, object], a: Assessment) -> str:
    """已被修改 with what differs, or "" when the stamp's claims agree with the recomputation
    ``a`` (made by the reader from the file's values). A file with errors must carry the
    forced flag and a reason; both are covered by the signature."""
    errors = len(a.errors)
    forced = stamp.get("perfeval.forced") is True
    total = a.main.total if a.main is not None else None
    grade = (a.main.grade or "") if a.main is not None else ""
    differ = []
    if str(stamp.get("perfeval.errors", "")).strip() != str(errors):
        differ.append(f"错误数：印章为{stamp.get('perfeval.errors', '（无）')}，重新校验为{errors}项")
    claimed_total = _number(stamp.get("perfeval.total", ""))
    if (claimed_total is None) != (total is None) or (total is not None and claimed_total != Decimal(total)):
        differ.append(f"总分：印章为{stamp.get('perfeval.total') or '（无）'}，重新计算为{total if total is not None else '（无）'}")
    if str(stamp.get("perfeval.grade") or "") != grade:
        differ.append(f"评价等次：印章为{stamp.get('perfeval.grade') or '（无）'}，重新计算为{grade or '（无）'}")
    if forced != bool(errors):
        differ.append(f"强制导出：印章为{'是' if forced else '否'}，而重新校验有{errors}项错误")
    elif forced and not str(stamp.get("perfeval.force_reason") or "").strip():
        differ.append("强制导出却没有原因")
    return "已被修改：印章所记与重新校验不符（" + "；".join(differ) + "）" if differ else ""


def problems(book, stamp: dict[str, object]) -> list[str]:
    """What contradicts a sound seal: the cells' unit, the recomputed claims (verify)."""
    from perfeval_xl.book import BookError
    from perfeval_xl.checks.assess import assess

    found = [identity_problem(str(stamp.get("perfeval.unit") or ""), book)]
    try:
        found.append(claims_problem(stamp, assess(book)))
    except BookError as exc:
        found.append(f"无法重新校验：{exc}")
    return [p for p in found if p]
