"""Whom the 汇总 believes (issue 24): two genuinely signed units A and B and the bureau's registry;
each forgery below is built as an attacker would, through the real export and signing path, and
is listed with its reason and never averaged, while B's genuine export stays counted."""
import hashlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.book import package as pk
from perfeval_xl.bureau import signing
from perfeval_xl.bureau import stamp as st
from perfeval_xl.bureau.collect import collect, exported_instant
from perfeval_xl.bureau.export import export
from perfeval_xl.bureau.units import normalise

from .conftest import EXAMPLE
from .test_bureau import edit_part

A, B = "甲单位", "岳阳市住房保障服务中心"
C, D = "丙单位", "丁单位"  # C has a key the bureau never registered; D is registered, not on the roster


def set_props(xml: str, values: dict[str, object]) -> str:
    """docProps/custom.xml with the given properties set (added when missing)."""
    cp, vt = pk.NS["cp"], pk.NS["vt"]
    ET.register_namespace("", cp)
    ET.register_namespace("vt", vt)
    root = SafeET.fromstring(xml.encode())
    props = {p.get("name"): p for p in root}
    for name, value in values.items():
        if name not in props:
            props[name] = ET.SubElement(root, f"{{{cp}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                                        pid=str(100 + len(props)), name=name)
            ET.SubElement(props[name], f"{{{vt}}}lpwstr")
        props[name][0].text = str(value).lower() if isinstance(value, bool) else str(value)
    return ET.tostring(root, encoding="unicode")


def reseal(path, key=None, **fields):
    """The forger's tool: set stamp fields, stamp anew and sign with ``key`` (a unit's own key
    file) or with none."""
    edit_part(path, "docProps/custom.xml", lambda t: set_props(t, {f"perfeval.{k}": v for k, v in fields.items()}))
    canonical = st.read(path).canonical()
    seal = {st.HASH_PROP: hashlib.sha256(canonical).hexdigest(), st.SIGNATURE_PROP: ""}
    if key is not None:
        k = signing.load_key(key)
        seal[st.SIGNATURE_PROP] = signing.sign(k.private_hex, k.public_hex, canonical)
    edit_part(path, "docProps/custom.xml", lambda t: set_props(t, seal))
    return path


def edit_cells(path, sheet, values: dict[str, object]):
    """Change cells by name with openpyxl, saved as Excel saves (no recalculation on open)."""
    wb = openpyxl.load_workbook(path)
    book = OpenpyxlBook(wb)
    for name, value in values.items():
        wb[sheet][book.address(sheet, name) or name] = value
    wb.calculation.fullCalcOnLoad = None
    wb.save(path)
    return path


def sheet_part(path, name="附件2") -> str:
    return next(s.part for s in pk.open_package(path).sheets if s.name == name)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Keys for A, B, D in the registry (C's key is issued elsewhere); genuine exports of each."""
    d = tmp_path_factory.mktemp("trust")
    registry = d / "公钥登记表.json"
    keys = {u: signing.issue(u, d / "keys", registry)[0] for u in (A, B, D)}
    keys[C] = signing.issue(C, d / "keys", d / "别处登记表.json")[0]
    (d / "src").mkdir()

    def make(unit, out, typed=None, key=True, adjust=None, **kw):
        book = OpenpyxlBook.open(EXAMPLE)
        for sheet in ("附件1", "附件2", "附件4"):
            book.set(sheet, "unit_name", typed or unit)
        for name, value in (adjust or {}).items():
            book.set("附件2", name, value)
        src = d / "src" / f"{out}.xlsx"
        book.wb.save(src)
        return export(src, d / "made" / f"{out}.xlsx", key=keys[unit] if key else None, sign=key, **kw).path

    made = {
        "A": make(A, "A"),
        "B": make(B, "B", adjust={"ind1_adjusted": 15, "ind1_reason": "部分未完成"}),  # 93
        "C": make(C, "C"), "D": make(D, "D"),
        "B unsigned": make(B, "B_unsigned", key=False),
        "A forced": make(A, "A_forced", adjust={"ind1_actual": "约九成"}, force=True, reason="先报送"),
        "B variant": make(B, "B_variant", typed=B + "\u3000"),  # a trailing full-width space
    }
    roster = d / "名单.txt"
    roster.write_text(f"{A}\n{B}\n{C}\n", encoding="utf-8")
    return d, made, keys, registry, roster


def copy(world, what, name):
    d, made, *_ = world
    box = d / "boxes" / name
    box.parent.mkdir(exist_ok=True)
    return shutil.copy(made[what], box)


@pytest.fixture(scope="module")
def forged(world):
    """Every forgery of this module, each a file of its own, built once."""
    d, made, keys, registry, roster = world
    f = {}
    # A, holding only its own key, writes B's name and a better score in the cells, stamps and signs as A
    f["forged"] = edit_cells(copy(world, "A", "冒名.xlsx"), "附件2", {"unit_name": B, "score_total": 100})
    for sheet in ("附件1", "附件4"):
        edit_cells(f["forged"], sheet, {"unit_name": B})
    reseal(f["forged"], keys[A])
    # unsigned files claiming B: in the stamp, and in the cells only (the stamp names an unregistered unit)
    f["unsigned"] = copy(world, "B unsigned", "未签名.xlsx")
    f["unsigned other stamp"] = reseal(copy(world, "B unsigned", "未签名他名.xlsx"), unit="某某单位")
    f["unregistered"] = copy(world, "C", "未登记.xlsx")
    f["off roster"] = copy(world, "D", "名单外.xlsx")
    # A clears its own forced flag and error count, stamps and signs again with its own key
    f["self-cleared"] = reseal(copy(world, "A forced", "自改强制.xlsx"), keys[A], forced=False, errors=0,
                               force_reason="")
    # a third party changes a score by one unit in the last place: 8 → 7.999999999999999
    f["last digit"] = edit_cells(copy(world, "B", "末位.xlsx"), "附件2", {"N23": 7.999999999999999})
    # formulas inserted into a sealed export, recalculated on open; the cached values are unchanged
    f["formula"] = copy(world, "B", "公式.xlsx")
    edit_part(f["formula"], sheet_part(f["formula"]),
              lambda t: re.sub(r'(<c r="H41"[^>]*>)(<v>)', r"\1<f>SUM(H14:H38)+2</f>\2", t))
    edit_part(f["formula"], "xl/workbook.xml", lambda t: t.replace("<calcPr ", '<calcPr fullCalcOnLoad="1" '))
    f["recalc only"] = copy(world, "B", "重算.xlsx")
    edit_part(f["recalc only"], "xl/workbook.xml", lambda t: t.replace("<calcPr ", '<calcPr fullCalcOnLoad="1" '))
    f["connection"] = copy(world, "B", "连接.xlsx")
    _add_part(f["connection"], "xl/connections.xml", b'<?xml version="1.0"?><connections xmlns="%s"/>'
              % pk.NS["m"].encode())
    # a cell in a foreign namespace: calamine reads it, LibreOffice does not
    f["foreign"] = copy(world, "B", "命名空间.xlsx")
    edit_part(f["foreign"], sheet_part(f["foreign"]),
              lambda t: t.replace('</row>', '<c xmlns="urn:x-other" r="Z41"><v>100</v></c></row>', 1))
    return f


def _add_part(path, name, data: bytes):
    from perfeval_xl.files import rewrite_zip

    def add(entries):
        entries[name] = data
        return entries
    rewrite_zip(path, add)


@pytest.fixture(scope="module")
def inbox(world, forged):
    """B's and A's genuine exports among every forgery, collected with the registry and roster."""
    d, made, keys, registry, roster = world
    box = d / "inbox"
    box.mkdir()
    for path in [made["A"], made["B"], *forged.values()]:
        shutil.copy(path, box / path.name)
    return collect([box], workers=2, progress=lambda *a: None, registry=registry, roster=roster)


def status(col, name):
    [u] = [u for u in col.units if u.file == name]
    return u.status


def test_genuine_exports_count_and_forgeries_are_listed(inbox):
    counted = {u.file: u.unit for u in inbox.units if u.status == "计入"}
    assert counted == {"A.xlsx": A, "B.xlsx": B}
    [dept] = inbox.groups()
    assert dept.files == ["A.xlsx", "B.xlsx"] and dept.average["总分"] == (98 + 93) / 2
    assert not inbox.origin  # a registry was given: nothing to warn about


def test_a_unit_cannot_speak_for_another(inbox):
    why = status(inbox, "冒名.xlsx")
    assert why.startswith("单位不符") and f"“{A}”" in why and f"“{B}”" in why


def test_unsigned_and_unregistered_files_never_count(inbox):
    assert status(inbox, "未签名.xlsx").startswith("未签名")
    assert status(inbox, "未签名他名.xlsx").startswith("未签名")
    assert status(inbox, "未登记.xlsx").startswith("未登记") and C in status(inbox, "未登记.xlsx")
    assert status(inbox, "名单外.xlsx").startswith("名单外") and D in status(inbox, "名单外.xlsx")


def test_claims_are_recomputed(inbox):
    why = status(inbox, "自改强制.xlsx")
    assert why.startswith("已被修改") and "错误数" in why and "强制导出" in why


def test_a_change_in_the_last_digit_breaks_the_seal(inbox, forged, world):
    assert status(inbox, "末位.xlsx").startswith("导出后被改动")
    assert st.verify(forged["last digit"], world[3]).status == "已被修改"


def test_live_content_and_foreign_cells_are_refused(inbox):
    skipped = {s.file: (s.code, s.reason) for s in inbox.skipped}
    assert skipped["公式.xlsx"][0] == "formulas" and "公式" in skipped["公式.xlsx"][1]
    assert skipped["重算.xlsx"][0] == "recalc_on_open" and "重新计算" in skipped["重算.xlsx"][1]
    assert skipped["连接.xlsx"][0] == "data_connections"
    assert skipped["命名空间.xlsx"][0] == "foreign_namespace" and "命名空间" in skipped["命名空间.xlsx"][1]


def test_verify_tells_the_same(world, forged):
    d, made, keys, registry, _ = world

    def run(path):
        proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "verify", str(path), "--registry",
                               str(registry)], capture_output=True, text=True)
        return proc.returncode, proc.stdout + proc.stderr

    code, out = run(made["B"])
    assert code == 0 and "核验结果：通过" in out and "签名有效" in out
    code, out = run(forged["forged"])
    assert code == 1 and "单位不符" in out and "签名有效" in out  # A did sign it: it proves A sent it, no more
    code, out = run(forged["self-cleared"])
    assert code == 1 and "重新校验" in out
    code, out = run(forged["unsigned"])
    assert code == 1 and "未签名" in out
    code, out = run(forged["formula"])
    assert code == 2 and "公式" in out


def test_name_variants_are_one_unit(world):
    d, made, keys, registry, roster = world
    box = d / "variants"
    box.mkdir()
    for what in ("B", "B variant"):
        shutil.copy(made[what], box / made[what].name)
    for reg in (registry, None):
        col = collect([box], workers=0, registry=reg, roster=roster)
        assert {u.unit for u in col.units} == {B}
        assert sorted(u.status[:2] for u in col.units) == ["计入", "重复"]
        assert B not in dict(col.missing())
        variant = next(u for u in col.units if u.file == "B_variant.xlsx")
        assert variant.unit_typed == B + "\u3000" and variant.signature == ("签名有效" if reg else "无法核验签名（未提供公钥登记表）")
        assert any(f.code == "unit_normalised" for f in variant.findings)
    assert normalise(" 岳阳市 住房保障服务中心\u3000") == normalise("岳阳市住房保障服务中心\t") == B


def test_the_newest_export_is_an_instant(world):
    d, made, keys, registry, roster = world
    box = d / "times"
    box.mkdir()
    # 10:00 in Beijing is 02:00 UTC, before 05:00 UTC, though "…T10" sorts after "…T05" as text
    early = reseal(shutil.copy(made["A"], box / "a_北京.xlsx"), keys[A], validated_at="2024-01-01T10:00:00+08:00")
    late = reseal(shutil.copy(made["A"], box / "b_UTC.xlsx"), keys[A], validated_at="2024-01-01T05:00:00+00:00")
    assert exported_instant("2024-01-01T10:00:00+08:00") < exported_instant("2024-01-01T05:00:00+00:00")
    col = collect([box], workers=0, registry=registry)
    assert {u.file: u.status[:2] for u in col.units} == {late.name: "计入", early.name: "重复"}


def test_lock_files_are_listed_and_tilde_exports_read(world, tmp_path):
    d, made, *_ = world
    shutil.copy(made["B"], tmp_path / "~$B.xlsx")
    (tmp_path / "~$打开中.xlsx").write_bytes(b"\x05" + "张会计".encode("utf-16-le").ljust(53, b" ") + b"\0" * 110)
    col = collect([tmp_path], workers=0)
    assert [(u.file, u.status) for u in col.units] == [("~$B.xlsx", "计入")]
    assert [(s.file, s.code) for s in col.skipped] == [("~$打开中.xlsx", "lock_file")]
    assert col.origin.startswith("注意") and "证明" in col.origin  # no registry: nothing proves origin


def test_the_summary_says_first_that_nothing_proves_origin(world, tmp_path):
    d, made, *_ = world
    shutil.copy(made["B"], tmp_path / "B.xlsx")
    out = tmp_path / "汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "collect", str(tmp_path), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("注意：未提供公钥登记表")
    assert openpyxl.load_workbook(out)["汇总"]["A1"].value.startswith("预算绩效自评汇总表——注意：未提供公钥登记表")


def test_the_gate_reads_the_file_once(world, monkeypatch):
    """What the gate checked is what calamine parses: the path is opened once."""
    import builtins
    from pathlib import Path

    _, made, *_ = world
    opened = []
    real_open, real_path_open = builtins.open, Path.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(str(self)) or real_path_open(self, *a, **k))
    st.read(made["B"])
    assert opened.count(str(made["B"])) == 1
