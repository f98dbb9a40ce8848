"""The bureau's trust in what it collects: the inbox rules, tamper evidence and signatures."""
import json
import shutil
import subprocess
import sys
import zipfile

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau import signing
from perfeval_xl.bureau import stamp as st
from perfeval_xl.bureau.collect import Collection, UnitResult, FormRow, collect
from perfeval_xl.bureau.summary import write_summary
from perfeval_xl.bureau.export import export
from perfeval_xl.book.package import NS, custom_properties
from perfeval_xl.files import rewrite_zip

from .conftest import EXAMPLE
from .test_collect import PROJECT, make_unit

def edit_part(path, part, change):
    """Rewrite one XML part of a package with ``change(text) -> text`` (a forger's tool)."""
    def edit(entries):
        entries[part] = change(entries[part].decode("utf-8")).encode("utf-8")
        return entries
    rewrite_zip(path, edit)
    return path


# ----------------------------------------------------------------------------- the inbox
@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inbox")
    paths = {name: make_unit(tmp, name, budget, adjust) for name, budget, adjust in [
        ("甲单位", 1323.28, {}),                                    # 98
        ("乙单位", 1654.10, {"ind1": 15, "ind25": 6}),              # 87
        ("丙单位", 2646.56, {"ind16": 12, "ind22": 5, "ind10": 4}),  # 76
    ]}
    box = tmp / "in"
    shutil.copy(paths["甲单位"], box / "甲单位（重发）.xlsx")                       # a duplicate
    # a draft: 丁单位's working file, never exported
    book = OpenpyxlBook.open(EXAMPLE)
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", "丁单位")
    book.wb.save(box / "丁单位草稿.xlsx")
    # an altered file: 戊单位 exported at 87, then 总分 typed over as 99
    altered = make_unit(tmp, "戊单位", 1654.10, {"ind1": 15, "ind25": 6})
    wb = openpyxl.load_workbook(altered)
    wb["附件2"][OpenpyxlBook(wb).address("附件2", "score_total")] = 99
    wb.save(altered)
    # a forced export with its reason
    book = OpenpyxlBook.open(EXAMPLE)
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", "己单位")
    book.set("附件2", "ind1_actual", "约九成")
    src = tmp / "src" / "己单位.xlsx"
    book.wb.save(src)
    export(src, box / "己单位.xlsx", force=True, reason="财政局同意先报送")
    # a unit of another edition and year (2021 冷水滩 form), only possible as a forced export of the blank form
    export(EXAMPLE.parent.parent / "templates" / "2021_冷水滩区绩效评价表.xlsx", box / "庚单位2021.xlsx",
           force=True, reason="试填")
    # a 项目 form: 辛单位 with one filled project sheet (部门 98, 项目 86)
    book = OpenpyxlBook.open(EXAMPLE)
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", "辛单位")
    for k, v in PROJECT.items():
        book.set("附件3_1", k, v)
    book.wb.save(tmp / "src" / "辛单位.xlsx")
    export(tmp / "src" / "辛单位.xlsx", box / "辛单位.xlsx")
    (box / "报告.xlsx").write_bytes(b"%PDF-1.4\n")
    roster = tmp / "名单.txt"
    roster.write_text("单位名称\n甲单位\n乙单位\n丙单位\n丁单位\n戊单位\n辛单位\n壬单位\n", encoding="gb18030")
    return box, roster


def test_inbox_averages_only_verified_units_once(inbox):
    box, roster = inbox
    col = collect([box], workers=1, roster=roster)
    why = {u.file: u.status for u in col.units}
    assert {f for f, s in why.items() if s == "计入"} == {"甲单位.xlsx", "乙单位.xlsx", "丙单位.xlsx", "辛单位.xlsx"}
    assert why["甲单位（重发）.xlsx"].startswith("重复")
    assert why["丁单位草稿.xlsx"].startswith("草稿")
    assert why["戊单位.xlsx"].startswith("导出后被改动")
    assert why["己单位.xlsx"].startswith("强制导出") and "财政局同意先报送" in why["己单位.xlsx"]
    assert why["庚单位2021.xlsx"].startswith("强制导出")
    assert [(s.file, s.code) for s in col.skipped] == [("报告.xlsx", "not_workbook")]
    groups = {(g.year, g.kind): g for g in col.groups()}
    assert set(groups) == {(2023, "部门整体"), (2023, "项目")}
    dept = groups[(2023, "部门整体")]
    # by hand over the verified units 甲 98, 乙 87, 丙 76, 辛 98 (the altered 戊 "99" and the duplicate not counted)
    assert dept.average["总分"] == 89.75 and dept.files == ["丙单位.xlsx", "乙单位.xlsx", "甲单位.xlsx", "辛单位.xlsx"]
    assert dept.average["预算执行"] == round((10 + 8 + 5 + 10) / 4, 2) == 8.25
    assert groups[(2023, "项目")].average["总分"] == 86 and groups[(2023, "项目")].files == ["辛单位.xlsx"]
    assert dict(col.missing()) == {"丁单位": "收到的文件均未计入：丁单位草稿.xlsx（草稿：未经“锁定导出”，没有印章）",
                                   "戊单位": "收到的文件均未计入：戊单位.xlsx（导出后被改动：印章核验未通过）",
                                   "壬单位": "未收到文件"}
    # 错误数 agrees with 问题清单, file by file
    df, findings = col.table(), col.findings()
    errors = findings[findings["严重程度"] == "错误"].groupby("文件").size()
    for row in df.itertuples(index=False):
        assert row.错误数 == errors.get(row.文件, 0), row.文件


def test_inbox_summary_lists_every_reason(inbox, tmp_path):
    box, roster = inbox
    out = tmp_path / "汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "collect", str(box), "-o", str(out),
                           "--roster", str(roster)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "平均（2023年度 · 模板2023 · 部门整体" in proc.stdout and "未报送 壬单位：未收到文件" in proc.stdout
    wb = openpyxl.load_workbook(out)
    reasons = {r[0]: r[5] for r in wb["未计入"].iter_rows(min_row=3, values_only=True)}
    assert set(reasons) == {"甲单位（重发）.xlsx", "丁单位草稿.xlsx", "戊单位.xlsx", "己单位.xlsx", "庚单位2021.xlsx"}
    assert "财政局同意先报送" in reasons["己单位.xlsx"]
    assert [r[0] for r in wb["未报送"].iter_rows(min_row=3, values_only=True)] == ["丁单位", "戊单位", "壬单位"]
    avg = list(wb["平均分"].iter_rows(min_row=3, values_only=True))
    assert "甲单位.xlsx、辛单位.xlsx" in avg[1][-1] or "甲单位.xlsx" in avg[1][-1]


def test_years_and_editions_never_mix():
    def unit(name, year, template, total):
        return UnitResult(file=f"{name}.xlsx", unit=name, year=year, template=template, label="", stamp="通过",
                          status="计入", forms=[FormRow(sheet="s", kind="部门整体", name=name, scheme="x",
                                                        total=total, grade="优", parts={})])
    col = Collection(units=[unit("甲", 2023, "2023", 90), unit("乙", 2023, "2023", 80), unit("甲", 2021, "2021", 60)],
                     skipped=[])
    assert {(g.year, g.template): g.average["总分"] for g in col.groups()} == {(2023, "2023"): 85, (2021, "2021"): 60}


def test_many_units_get_aggregate_charts(tmp_path):
    units = [UnitResult(file=f"{i}.xlsx", unit=f"单位{i}", year=2023, template="2023", label="", stamp="通过",
                        status="计入", forms=[FormRow(sheet="s", kind="部门整体", name=f"单位{i}", scheme="x",
                                                      total=60 + i % 40, grade="良", parts={})]) for i in range(120)]
    out = write_summary(Collection(units=units, skipped=[]), tmp_path / "s.xlsx")
    charts = openpyxl.load_workbook(out)["图表"]._charts
    assert len(charts) == 3  # distribution, top 10, bottom 10: not one bar per unit
    assert all(len(c.series) == 1 for c in charts)


# ----------------------------------------------------------------------------- tamper evidence
@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    registry = d / "公钥登记表.json"
    k1, _ = signing.issue("甲单位", d, registry)
    k2, _ = signing.issue("乙单位", d, registry)
    return {"甲单位": k1, "乙单位": k2, "registry": registry}


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keys):
    tmp = tmp_path_factory.mktemp("signed")
    book = OpenpyxlBook.open(EXAMPLE)
    for sheet in ("附件1", "附件2", "附件4"):
        book.set(sheet, "unit_name", "甲单位")
    book.wb.save(tmp / "src.xlsx")
    r = export(tmp / "src.xlsx", tmp / "甲单位.xlsx", key=keys["甲单位"])
    assert r.signed_by
    return r.path


def fresh(signed, tmp_path, name="x.xlsx"):
    return shutil.copy(signed, tmp_path / name)


def check(path, keys):
    return st.verify(path, keys["registry"])


def test_signed_export_verifies_and_survives_a_resave(signed, keys, tmp_path):
    v = check(signed, keys)
    assert v.ok and v.status == "通过" and v.signature == "签名有效"
    wb = openpyxl.load_workbook(signed)
    wb.save(tmp_path / "openpyxl.xlsx")  # openpyxl's default asks for recalculation on open: refused
    with pytest.raises(st.pk.PackageRefused, match="重新计算"):
        check(tmp_path / "openpyxl.xlsx", keys)
    wb.calculation.fullCalcOnLoad = None  # saved as Excel, WPS or LibreOffice save it
    wb.save(tmp_path / "resaved.xlsx")
    v = check(tmp_path / "resaved.xlsx", keys)
    assert v.ok and v.signature == "签名有效"


def _tampers(book_address):
    score = book_address("附件2", "score_total")
    other = book_address("附件2", "ind1_score")

    def openpyxl_edit(fn):
        def run(path):
            wb = openpyxl.load_workbook(path)
            fn(wb)
            wb.save(path)
        return run

    return {
        "value": openpyxl_edit(lambda wb: wb["附件2"].__setitem__(score, 100)),
        "number format": openpyxl_edit(lambda wb: setattr(wb["附件2"][score], "number_format", "0%")),
        "sheet name": openpyxl_edit(lambda wb: setattr(wb["附件4"], "title", "附件四")),
        "sheet order": openpyxl_edit(lambda wb: wb.move_sheet("附件4", offset=-1)),
        "sheet hidden": openpyxl_edit(lambda wb: setattr(wb["校验结果"], "sheet_state", "veryHidden")),
        "name target": lambda p: edit_part(p, "xl/workbook.xml", lambda t: t.replace(
            f"'附件2'!${score[0]}${score[1:]}", f"'附件2'!${other[0]}${other[1:]}") if f"${score[1:]}" in t
            else pytest.fail("name not found")),
        "stamp errors": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.errors", "7")),
        "stamp forced": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.forced", "true")),
        "stamp reason": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.force_reason", "改")),
        "stamp unit": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.unit", "乙单位")),
        "stamp year": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.year", "2024")),
        "stamp edition": lambda p: edit_part(p, "docProps/custom.xml", lambda t: _set_prop(t, "perfeval.scheme", "x")),
    }


def _set_prop(xml: str, name: str, value: str) -> str:
    import xml.etree.ElementTree as ET

    ET.register_namespace("", NS["cp"])
    ET.register_namespace("vt", NS["vt"])
    root = SafeET.fromstring(xml.encode())
    [prop] = [p for p in root if p.get("name") == name]
    prop[0].text = value
    return ET.tostring(root, encoding="unicode")


def test_each_edit_makes_verify_fail(signed, keys, tmp_path):
    wb = openpyxl.load_workbook(signed)
    tampers = _tampers(OpenpyxlBook(wb).address)
    for what, tamper in tampers.items():
        path = fresh(signed, tmp_path, f"{len(what)}_{abs(hash(what))}.xlsx")
        tamper(path)
        v = check(path, keys)
        assert v.status == "已被修改" and not v.ok, what
        assert not any("：" in line and "98" in line for line in v.lines()), what  # forged fields are not echoed


def test_links_and_macros_are_refused(signed, tmp_path):
    for part in ("xl/externalLinks/externalLink1.xml", "xl/vbaProject.bin"):
        path = fresh(signed, tmp_path, part.replace("/", "_") + ".xlsx")
        with zipfile.ZipFile(path, "a") as z:
            z.writestr(part, "<externalLink/>" if part.endswith(".xml") else b"\xd0\xcf\x11\xe0")
        proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "verify", str(path)], capture_output=True, text=True)
        assert proc.returncode == 2 and ("外部链接" in proc.stderr or "宏" in proc.stderr), proc.stderr


def test_exports_carry_no_links_macros_or_hidden_sheets(example, tmp_path):
    wb = openpyxl.load_workbook(example)
    wb.create_sheet("隐藏").sheet_state = "veryHidden"
    wb.save(tmp_path / "h.xlsx")
    r = export(tmp_path / "h.xlsx", tmp_path / "o.xlsx")
    out = openpyxl.load_workbook(r.path)
    assert all(ws.sheet_state == "visible" for ws in out.worksheets)
    names = zipfile.ZipFile(r.path).namelist()
    assert not any("externalLink" in n or "vba" in n.lower() for n in names)


def test_another_units_key_and_a_recomputed_stamp_fail(signed, keys, tmp_path):
    # 乙单位's key signing 甲单位's file: the registry holds only 甲单位's key for 甲单位
    path = fresh(signed, tmp_path)
    ex = st.read(path)
    k2 = signing.load_key(keys["乙单位"])
    forged_sig = signing.sign(k2.private_hex, k2.public_hex, ex.canonical())
    edit_part(path, "docProps/custom.xml", lambda t: _set_prop(t, st.SIGNATURE_PROP, forged_sig))
    v = check(path, keys)
    assert v.status == "通过" and v.signature == "签名无效" and not v.ok
    # export refuses a key that belongs to another unit
    with pytest.raises(Exception, match="不符"):
        export(signed.parent / "src.xlsx", tmp_path / "y.xlsx", key=keys["乙单位"])
    # a forger changes a value and recomputes the stamp with the tool, but has no key
    path = fresh(signed, tmp_path, "recomputed.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["附件2"][OpenpyxlBook(wb).address("附件2", "score_total")] = 100
    wb.calculation.fullCalcOnLoad = None
    wb.save(path)
    digest = st.read(path).digest()
    edit_part(path, "docProps/custom.xml", lambda t: _set_prop(t, st.HASH_PROP, digest))
    v = check(path, keys)
    assert v.status == "通过" and v.signature == "签名无效" and not v.ok
    # ... and drops the signature: a registered unit's file must be signed
    edit_part(path, "docProps/custom.xml", lambda t: _set_prop(t, st.SIGNATURE_PROP, ""))
    v = check(path, keys)
    assert v.signature.startswith("签名无效") and not v.ok


def test_verify_prints_chinese_labels_only(signed, keys):
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "verify", str(signed), "--registry",
                           str(keys["registry"])], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "签名：签名有效" in proc.stdout and "单位：甲单位" in proc.stdout and "强制导出：否" in proc.stdout
    assert "perfeval" not in proc.stdout and "False" not in proc.stdout and "True" not in proc.stdout
    data = json.loads(subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "verify", str(signed), "--json"],
                                     capture_output=True, text=True).stdout)
    assert data["核验结果"] == "通过" and data["签名"] == "无法核验签名（未提供公钥登记表）"


def test_keys_cli_and_default_key_location(example, tmp_path, monkeypatch):
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "keys", "issue", "--unit",
                           "岳阳市公共租赁房屋运营服务中心", "-o", str(tmp_path / "k")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    key = next((tmp_path / "k").glob("*.sm2key.json"))
    home = tmp_path / "home"
    (home / ".perfeval-xl" / "keys").mkdir(parents=True)
    shutil.copy(key, home / ".perfeval-xl" / "keys" / key.name)
    monkeypatch.setenv("PERFEVAL_HOME", str(home))
    r = export(example, tmp_path / "o.xlsx")
    assert r.signed_by == json.loads(key.read_text(encoding="utf-8"))["key_id"]
    assert st.verify(r.path, tmp_path / "k" / "公钥登记表.json").signature == "签名有效"
    assert export(example, tmp_path / "u.xlsx", sign=False).signed_by is None
    assert st.verify(tmp_path / "u.xlsx").signature == "未签名"


# ----------------------------------------------------------------------------- text is text
def test_export_never_writes_a_formula(example, tmp_path):
    book = OpenpyxlBook.open(example)
    book.set("附件4", "section6", '=HYPERLINK("http://x","点我")')
    book.set("附件2", "ind1_reason", "=1+1")
    book.wb.save(tmp_path / "f.xlsx")
    r = export(tmp_path / "f.xlsx", tmp_path / "o.xlsx", force=True, reason="测试")
    with zipfile.ZipFile(r.path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    wb = openpyxl.load_workbook(r.path)
    assert wb["附件2"][OpenpyxlBook(wb).address("附件2", "ind1_reason")].value == "=1+1"


# ----------------------------------------------------------------------------- package metadata
def test_custom_properties_with_any_namespace_prefix(tmp_path):
    """openpyxl with lxml writes <vt:lpwstr xmlns:vt=…> on each value: read it as an XML parser would."""
    xml = ('<?xml version="1.0"?><Properties xmlns="%s"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
           'pid="2" name="perfeval.template"><vt:lpwstr xmlns:vt="%s">2023</vt:lpwstr></property>'
           '<property pid="3" name="perfeval.forced"><q:bool xmlns:q="%s">true</q:bool></property></Properties>'
           % (NS["cp"], NS["vt"], NS["vt"]))
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("docProps/custom.xml", xml)
    with zipfile.ZipFile(path) as z:
        assert custom_properties(z) == {"perfeval.template": "2023", "perfeval.forced": True}


def test_lxml_mode_is_what_was_asked():
    """CI runs the collect tests twice: PERFEVAL_TEST_LXML=1 (openpyxl writes through lxml) and =0."""
    import os

    import openpyxl.xml

    want = os.environ.get("PERFEVAL_TEST_LXML")
    if want is None:
        pytest.skip("PERFEVAL_TEST_LXML not set: openpyxl uses lxml if it is installed")
    assert openpyxl.xml.LXML is (want == "1")


def test_a_cells_canonical_text_is_the_reference_one():
    """The fast path of the canonical form writes what canonical_value and _esc write."""
    import datetime as dt

    from perfeval_xl.bureau import stamp

    values = [None, "", "a", "a|b", "x\\ny", "多行\n文本", 0.0, -0.0, 1.0, 0.1 + 0.2, 1e308, 85, True, False,
              dt.date(2023, 12, 31), dt.datetime(2023, 1, 2, 3, 4), dt.time(8, 30), dt.timedelta(days=1.5)]
    for v in values:
        reference = stamp.canonical_value(v)
        assert stamp._cell_text(v) == (None if reference is None else stamp._esc(reference)), repr(v)
