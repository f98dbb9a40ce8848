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


def _run_limited(command: str, args: list[str], kind: str):
    """A command as a user runs it, under the memory limit; it must finish within SECONDS."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", command, *args], capture_output=True,
                          timeout=60, preexec_fn=_limited, env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=str(ROOT))
    took = time.monotonic() - start
    assert took < SECONDS, (kind, command, took)
    return proc, (proc.stdout + proc.stderr).decode("utf-8", "replace")


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
        proc, out = _run_limited(command, args, kind)
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
        "    import multiprocessing\n"
        "    while len(multiprocessing.active_children()) < 2 and time.monotonic() < deadline:\n"
        "        time.sleep(0.05)\n"
        "    time.sleep(0.2)  # both have taken their file\n"
        "    print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
        "    os._exit(0)\n"
        "deadline = time.monotonic() + 10\n"
        "threading.Thread(target=report).start()\n"
        "workers.run_isolated([Path('a'), Path('b')], slow, (), lambda p, w: None, 2, lim, lambda *a: None)\n",
        encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2, proc.stdout + proc.stderr

    def alive():
        return [p for p in pids if os.path.exists(f"/proc/{p}") and "Z" not in open(f"/proc/{p}/stat").read().split()[2]]

    deadline = time.monotonic() + 5
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive() == []


# ----------------------------------------------------------------------------- beyond the sheet scan (issue 24)
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _rewrite(src, dst, parts: dict[str, bytes]):
    """``src`` with some parts replaced or added, compressed fast (the large ones are tens of MB)."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as b:
        for item in a.infolist():
            if item.filename not in parts:
                b.writestr(item.filename, a.read(item))
        for name, data in parts.items():
            b.writestr(name, data)
    return dst


def _noisy_rows(cells_per_row: int, rows: int) -> bytes:
    """Rows of one-digit cells, varied enough that they compress only a few times (within
    max_ratio): the shape of a file that passes every limit on size."""
    import random

    rnd = random.Random(24)
    distinct = [b"<row>" + b"".join(b"<c><v>%d</v></c>" % rnd.randrange(10) for _ in range(cells_per_row)) + b"</row>"
                for _ in range(200)]
    return b"".join(distinct[i % 200] for i in range(rows))


@pytest.fixture(scope="module")
def resource_files(hostile):
    d, good, _ = hostile
    with zipfile.ZipFile(good) as z:
        sheets = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        first = z.read(sheets[0])
        styles = z.read("xl/styles.xml")
    files = {}
    text = first.decode("utf-8").replace('<?xml version="1.0"', '<?xml version="1.0" encoding="UTF-16"', 1)
    files["UTF-16 sheet"] = _rewrite(good, d / "utf16.xlsx", {sheets[0]: text.encode("utf-16-le")})  # no BOM
    merged = first.replace(b"</mergeCells>", b'<mergeCell ref="A60:ALL50000"/></mergeCells>')
    files["huge mergeCell"] = _rewrite(good, d / "合并.xlsx", {sheets[0]: merged})
    import random

    rnd = random.Random(1)
    gaps = [b" " * rnd.randrange(4) + b"\n" * rnd.randrange(2) for _ in range(997)]
    empty = b"".join(b"<si/>" + gaps[i % 997] for i in range(1_000_000))
    files["many empty shared strings"] = _rewrite(good, d / "空字符串.xlsx", {"xl/sharedStrings.xml": (
        b'<?xml version="1.0"?><sst xmlns="%s">%s</sst>' % (MAIN, empty))})
    padding = b"<!--" + os.urandom(10 * 1024 * 1024).hex().encode() + b"-->"
    files["padded styles.xml"] = _rewrite(good, d / "样式.xlsx", {"xl/styles.xml": styles.replace(b"</styleSheet>", padding + b"</styleSheet>")})
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c).encode() for c in range(1, 101)]
    rows = (b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>0</v></c>' % (col, r) for col in letters) + b"</row>"
            for r in range(1, 2001))
    files["one string in 200k cells"] = _rewrite(good, d / "长字符串.xlsx", {
        sheets[0]: _sheet(rows),
        "xl/sharedStrings.xml": b'<?xml version="1.0"?><sst xmlns="%s"><si><t>%s</t></si></sst>' % (MAIN, "长" .encode() * 3000)})
    big = _sheet([_noisy_rows(1000, 2000)])  # 2 M cells a sheet
    files["5 sheets x 2M cells"] = _rewrite(good, d / "五表各二百万.xlsx", {s: big for s in sheets})
    mid = _sheet([_noisy_rows(1000, 150)])  # 150 k cells a sheet: each within the sheet limit, not together
    files["5 sheets x 150k cells"] = _rewrite(good, d / "五表各十五万.xlsx", {s: mid for s in sheets})
    return d, good, files


RESOURCE = {"UTF-16 sheet": "UTF-8", "huge mergeCell": "合并区域", "many empty shared strings": "共享字符串过多",
            "padded styles.xml": "styles.xml 过大", "one string in 200k cells": "共享字符串展开后过大",
            "5 sheets x 2M cells": "过大", "5 sheets x 150k cells": "工作簿过大"}


@pytest.mark.parametrize("kind", list(RESOURCE))
def test_resources_are_bounded_beyond_the_sheet_scan(resource_files, tmp_path, kind):
    """Each file is refused in Chinese within 10 s under 500 MB by score (openpyxl), verify and
    collect (calamine), and collect still lists it and counts the good file."""
    d, good, files = resource_files
    path = files[kind]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(good, inbox / "good.xlsx")
    shutil.copy(path, inbox / path.name)
    for command, args in [("score", [str(path)]), ("verify", [str(path)]),
                          ("collect", [str(inbox), "-o", str(tmp_path / "汇总.xlsx")])]:
        proc, out = _run_limited(command, args, kind)
        assert RESOURCE[kind] in out and "Traceback" not in out, (kind, command, out)
        assert proc.returncode == (0 if command == "collect" else 2), (kind, command, out)
    wb = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    assert [r[0] for r in wb["未读取文件"].iter_rows(min_row=3, values_only=True)] == [path.name]
    assert [r[0] for r in wb["汇总"].iter_rows(min_row=5, values_only=True)] == ["good.xlsx"]
