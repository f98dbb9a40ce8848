"""Hostile files: every reading command finishes in under 10 s and 500 MB, says why in Chinese,
and collect still writes its summary. Each command runs in a subprocess under an address-space
limit (RLIMIT_AS), so a file that made a reader allocate gigabytes would fail the run."""
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest

from .conftest import ROOT

MEMORY = 500 * 1024 * 1024
SECONDS = 10
COMMANDS = ["score", "validate", "export", "verify", "rollup", "collect"]


def _replace(src, dst, parts: dict[str, bytes]):
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
        for item in a.infolist():
            if item.filename not in parts:
                b.writestr(item.filename, a.read(item))
        for name, data in parts.items():
            b.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return dst


def _sheet(rows) -> bytes:
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    return head + b"".join(rows) + b"</sheetData></worksheet>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, example_export):
    d = tmp_path_factory.mktemp("hostile")
    good = d / "good.xlsx"
    shutil.copy(example_export.path, good)
    sheet1 = "xl/worksheets/sheet1.xml"
    files = {}
    # 1 GB of sheet XML in 2 MB, in place of a real sheet (written as a stream of compressed blocks)
    bomb = _replace(good, d / "炸弹.xlsx", {})
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        info = zipfile.ZipInfo(sheet1 + ".bomb")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            block = b"<row>" + b"<c><v>0</v></c>" * 4000 + b"</row>"
            for _ in range(1024 ** 3 // len(block)):
                fh.write(block)
    files["zip bomb"] = bomb
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.active["XFD1048576"] = 1
    wb.save(d / "远端单元格.xlsx")
    files["far cell"] = d / "远端单元格.xlsx"
    rows = (b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 1_000_001))
    files["million rows"] = _replace(good, d / "百万行.xlsx", {sheet1: _sheet(rows)})
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
                         for i in range(1, 10))
              + b']><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
                b'<property name="perfeval.unit" pid="2"><vt:lpwstr xmlns:vt="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/docPropsVTypes">&lol9;</vt:lpwstr></property></Properties>')
    files["billion laughs"] = _replace(good, d / "实体膨胀.xlsx", {"docProps/custom.xml": laughs})
    with zipfile.ZipFile(good) as z:
        workbook = z.read("xl/workbook.xml")
    root = workbook.index(b"<workbook")
    xxe = workbook[:root] + b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + workbook[root:]
    xxe = xxe.replace(b"</workbook>", b"<extLst>&x;</extLst></workbook>")
    files["xxe"] = _replace(good, d / "外部实体.xlsx", {"xl/workbook.xml": xxe})
    import msoffcrypto.format.ooxml as ooxml

    with open(good, "rb") as src, open(d / "加密.xlsx", "wb") as dst:
        ooxml.OOXMLFile(src).encrypt("密码123", dst)
    files["encrypted"] = d / "加密.xlsx"
    (d / "报告.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    files["pdf"] = d / "报告.xlsx"
    data = good.read_bytes()
    (d / "截断.xlsx").write_bytes(data[: len(data) * 2 // 3])
    files["truncated"] = d / "截断.xlsx"
    odd = os.path.join(os.fsencode(d), b"\xb2\xe2\xca\xd4.xlsx")  # 测试 in GBK: not UTF-8
    shutil.copy(good, odd)
    files["non-UTF-8 name"] = os.fsdecode(odd)
    return d, good, files


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


EXPECT = {"zip bomb": "解压后过大", "far cell": "过大", "million rows": "过大", "billion laughs": "XML",
          "xxe": "XML", "encrypted": "文件已加密，请另存为未加密的工作簿", "pdf": "不是Excel工作簿（可能是PDF）",
          "truncated": "文件不完整"}


@pytest.mark.parametrize("kind", list(EXPECT) + ["non-UTF-8 name"])
def test_every_command_refuses_fast_in_chinese(hostile, tmp_path, kind):
    d, good, files = hostile
    path = files[kind]
    for command in COMMANDS:
        if command == "collect":
            inbox = tmp_path / "inbox"
            inbox.mkdir()
            shutil.copy(good, inbox / "good.xlsx")
            shutil.copy(path, os.path.join(os.fsencode(inbox), os.fsencode(os.path.basename(path))))
            args = [str(inbox), "-o", str(tmp_path / "汇总.xlsx")]
        elif command == "export":
            args = [str(path), "-o", str(tmp_path / "out.xlsx")]
        else:
            args = [str(path)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", command, *args], capture_output=True,
                              timeout=60, preexec_fn=_limited, env=env, cwd=str(ROOT))
        took = time.monotonic() - start
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        assert took < SECONDS, (kind, command, took)
        assert "Traceback" not in out and "BadZipFile" not in out and "内部错误" not in out, (kind, command, out)
        if kind == "non-UTF-8 name":
            assert proc.returncode in (0, 1), (command, out)  # an odd name is read like any other file
            continue
        if command == "collect":
            assert proc.returncode == 0, out
            assert EXPECT[kind] in out, (kind, out)
            wb = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
            assert [r[0] for r in wb["未读取文件"].iter_rows(min_row=3, values_only=True)] == [path.name]
            assert len(list(wb["汇总"].iter_rows(min_row=5))) == 1  # the good file is there
            shutil.rmtree(inbox)
        else:
            assert proc.returncode == 2, (kind, command, out)
            assert EXPECT[kind] in out, (kind, command, out)


def test_a_crashing_file_is_skipped_and_the_run_completes(hostile, tmp_path, monkeypatch):
    """A reader that dies (as calamine did on a far cell) or hangs costs one file, not the run."""
    from perfeval_xl.bureau import collect as c

    d, good, _ = hostile
    for name in ("a_crash.xlsx", "b_hang.xlsx", "c_good.xlsx"):
        shutil.copy(good, tmp_path / name)
    real = c.read_exported

    def flaky(path, registry=None):
        if path.name.startswith("a_"):
            os.abort()
        if path.name.startswith("b_"):
            time.sleep(60)
        return real(path, registry)

    monkeypatch.setattr(c, "read_exported", flaky)
    monkeypatch.setenv("PERFEVAL_LIMITS", "file_seconds=3")
    start = time.monotonic()
    col = c.collect([tmp_path], workers=2, progress=lambda *a: None)
    assert time.monotonic() - start < 15
    reasons = {s.file: s.reason for s in col.skipped}
    assert "异常终止（SIGABRT" in reasons["a_crash.xlsx"] and "超时" in reasons["b_hang.xlsx"]
    assert [u.file for u in col.units] == ["c_good.xlsx"]


def test_workers_die_with_the_parent(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from perfeval_xl.book import package\n"
        "from perfeval_xl.bureau import workers\n"
        "def slow(path):\n"
        "    time.sleep(120)\n"
        "lim = package.limits()\n"
        "import threading\n"
        "def report():\n"
        "    time.sleep(2)\n"
        "    import multiprocessing\n"
        "    print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
        "    os._exit(0)\n"
        "threading.Thread(target=report).start()\n"
        "workers.run_isolated([Path('a'), Path('b')], slow, (), lambda p, w: None, 2, lim, lambda *a: None)\n",
        encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2, proc.stdout + proc.stderr
    time.sleep(2)
    alive = [p for p in pids if os.path.exists(f"/proc/{p}") and "Z" not in open(f"/proc/{p}/stat").read().split()[2]]
    assert alive == []
