"""Lock and export: values frozen, sheets protected, stamp verifiable, nothing half written."""
import hashlib
import subprocess
import sys

import openpyxl
import pytest

from perfeval_xl.formulas import native
from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.export import ExportRefused, export, verify
from perfeval_xl.office import convert

from .conftest import EXAMPLE


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def exported(exported_example):
    return exported_example


def test_default_name_follows_the_bureau_convention(example):
    r = export(example)
    assert r.path.name == "2023年度_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx"
    assert r.path.parent == example.parent


def test_export_freezes_protects_and_keeps_values(example, exported, tmp_path, soffice):
    before_bytes = sha(example)
    src = OpenpyxlBook.open(example)
    wb = openpyxl.load_workbook(exported.path)
    assert all(not (isinstance(c.value, str) and c.value.startswith("="))
               for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert wb.security.lockStructure
    assert "校验结果" in wb.sheetnames
    # LibreOffice, recalculating everything, sees the values the source computed.
    lo = openpyxl.load_workbook(convert(exported.path, "xlsx", tmp_path / "lo", recalc=True), data_only=True)
    out = OpenpyxlBook(openpyxl.load_workbook(exported.path))
    compared = 0
    for sheet in ("附件1", "附件2", "附件4"):
        # The native formulas' helper cells leave with their names and hidden columns.
        helpers = [n for n in src.wb[sheet].defined_names if native.is_helper(n)]
        assert (sheet == "附件2") == bool(helpers)  # the 评分表 reads typed values
        assert not any(native.is_helper(n) for n in out.wb[sheet].defined_names)
        assert all(src.wb[sheet][src.address(sheet, n)].column > out.wb[sheet].max_column for n in helpers)
        assert not any(d.hidden for d in out.wb[sheet].column_dimensions.values())
        for name in out.wb[sheet].defined_names:
            coord = out.address(sheet, name)
            got = lo[sheet][coord].value
            expected = src.get(sheet, name)
            if expected in (None, ""):
                assert got in (None, ""), (sheet, name)
            elif isinstance(expected, (int, float)):
                assert got == pytest.approx(expected, abs=1e-9), (sheet, name)
            else:
                assert str(got) == str(expected), (sheet, name)
            compared += 1
    assert compared > 150
    assert lo["附件2"][out.address("附件2", "score_total")].value == 98
    assert lo["附件2"][out.address("附件2", "grade")].value == "优"
    assert sha(example) == before_bytes


def test_verify_passes_then_fails_after_any_change(exported, tmp_path):
    v = verify(exported.path)
    assert v.ok and v.status == "通过" and v.stamp["perfeval.total"] == "98.00"
    book = OpenpyxlBook(openpyxl.load_workbook(exported.path))
    cells = [(s, book.address(s, n), v) for s, n, v in [("附件1", "staff_quota", 41), ("附件2", "ind1_score", 19),
                                                        ("附件4", "section6", "改过的文字")]]
    for sheet, coord, value in cells + [("校验结果", "A1", "x"), ("附件2", "Z99", 1)]:
        wb = openpyxl.load_workbook(exported.path)
        wb[sheet][coord].value = value
        altered = tmp_path / f"altered_{sheet}_{coord}.xlsx"
        wb.save(altered)
        assert verify(altered).status == "已被修改", (sheet, coord)
    wb = openpyxl.load_workbook(exported.path)
    wb.create_sheet("新增")
    wb["新增"]["A1"] = "x"
    wb.save(tmp_path / "added.xlsx")
    assert verify(tmp_path / "added.xlsx").status == "已被修改"
    wb = openpyxl.load_workbook(exported.path)
    del wb["附件4"]
    wb.save(tmp_path / "removed.xlsx")
    assert verify(tmp_path / "removed.xlsx").status == "已被修改"
    wb = openpyxl.load_workbook(exported.path)  # saving unchanged keeps the stamp valid
    wb.calculation.fullCalcOnLoad = None  # as Excel, WPS and LibreOffice save (openpyxl's default is refused)
    wb.save(tmp_path / "resaved.xlsx")
    assert verify(tmp_path / "resaved.xlsx").ok


def test_verify_cli_exit_codes(exported, tmp_path):
    run = lambda p: subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "verify", str(p)],
                                   capture_output=True, text=True)
    assert run(exported.path).returncode == 0
    wb = openpyxl.load_workbook(exported.path)
    wb["附件2"][OpenpyxlBook(wb).address("附件2", "score_total")] = 0
    wb.save(tmp_path / "x.xlsx")
    proc = run(tmp_path / "x.xlsx")
    assert proc.returncode == 1 and "已被修改" in proc.stdout and "无法指出" in proc.stdout
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 truncated")
    assert run(tmp_path / "bad.xlsx").returncode == 2
    assert run(EXAMPLE).returncode == 1  # never exported: no stamp


def test_errors_block_export_and_force_records_the_reason(example, tmp_path):
    book = OpenpyxlBook.open(example)
    book.set("附件2", "ind1_actual", "约九成")
    bad = tmp_path / "bad.xlsx"
    book.wb.save(bad)
    out = tmp_path / "out.xlsx"
    with pytest.raises(ExportRefused):
        export(bad, out)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted(["bad.xlsx", example.name])
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "export", str(bad), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "约九成" in proc.stderr and not out.exists()
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "export", str(bad), "-o", str(out), "--force"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--reason" in proc.stderr and not out.exists()
    r = export(bad, out, force=True, reason="财政局同意先报送，实际完成值待核实")
    stamp = verify(r.path).stamp
    assert stamp["perfeval.forced"] is True and stamp["perfeval.errors"] == 1
    assert stamp["perfeval.force_reason"] == "财政局同意先报送，实际完成值待核实"


def test_interrupted_export_leaves_nothing(example, tmp_path, monkeypatch):
    before = sha(example)
    real_save = openpyxl.Workbook.save

    def failing_save(self, filename):
        real_save(self, filename)
        with open(filename, "r+b") as fh:  # half a file, then the disk "fails"
            fh.truncate(1000)
        raise OSError("磁盘已满（模拟）")

    monkeypatch.setattr(openpyxl.Workbook, "save", failing_save)
    out = tmp_path / "out.xlsx"
    with pytest.raises(OSError):
        export(example, out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [example.name]
    assert sha(example) == before


def test_xlsm_input_gives_macro_free_output(example, tmp_path):
    import zipfile

    r = export(example, tmp_path / "o.xlsx")
    names = zipfile.ZipFile(r.path).namelist()
    assert not any("vba" in n.lower() for n in names)
    ctypes = zipfile.ZipFile(r.path).read("[Content_Types].xml").decode()
    assert "sheet.main+xml" in ctypes and "macroEnabled" not in ctypes
