"""What keeps a command fast: no heavy import it does not use, each edition parsed once.

Timings live in benchmarks/ (the machine's load makes timed tests flaky); these tests check the
causes, which either hold or do not.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from perfeval_xl.engine import scheme
from perfeval_xl.formulas import udfs

from .conftest import EXAMPLE, ROOT

HEAVY = ("xlwings", "pandas", "numpy")


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def modules_after(argv: list[str]) -> set[str]:
    """The heavy modules (and openpyxl) loaded by one CLI run in a fresh process."""
    code = ("import contextlib, io, json, sys\n"
            "from perfeval_xl import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    code = cli.main({argv!r})\n"
            "assert code == 0, code\n"
            "print(json.dumps([m for m in (*{heavy!r}, 'openpyxl') if m in sys.modules]))".format(heavy=HEAVY))
    return set(json.loads(run_python(code)))


@pytest.mark.parametrize("command", ["score", "validate"])
def test_workbook_commands_load_neither_xlwings_nor_pandas_nor_numpy(command):
    loaded = modules_after([command, str(EXAMPLE)])
    assert "openpyxl" in loaded  # the run did read the workbook
    assert loaded.isdisjoint(HEAVY), loaded


def test_indicator_loads_no_spreadsheet_library():
    loaded = modules_after(["indicator", "在职人员控制率", "108.7%", "--scheme", "hunan-dept-2020"])
    assert loaded.isdisjoint({*HEAVY, "openpyxl"}), loaded


def test_numpy_still_imports_after_openpyxl_in_a_command_line_run():
    """The hook refuses numpy to openpyxl only; pandas (collect) still gets it."""
    out = run_python("import sys\n"
                     "from perfeval_xl import cli\n"
                     "sys.meta_path.insert(0, cli._NoNumpyForOpenpyxl)\n"
                     "import openpyxl.compat.numbers as n\n"
                     "import numpy\n"
                     "print(n.NUMPY, numpy.float64(1) + 1)")
    assert out == "False 2.0"


def test_udfs_without_xlwings_are_the_plain_functions():
    out = run_python("import sys\n"
                     "from perfeval_xl.formulas import udfs\n"
                     "print('xlwings' in sys.modules, hasattr(udfs.PE_RATE, '__xlfunc__'), udfs.PE_RATE(35, 40))")
    assert out == "False False 0.875"


def test_vba_wrappers_are_the_same_whichever_module_loads_first():
    """udfs.py imported first without xlwings, then the add-in build: the committed .bas again."""
    out = run_python("import sys\n"
                     "from perfeval_xl.formulas import udfs\n"
                     "assert 'xlwings' not in sys.modules\n"
                     "from perfeval_xl.excel import addin_build as ab\n"
                     "committed = (ab.MACROS / ab.UDF_VBA).read_text(encoding='utf-8')\n"
                     "print(ab.udf_wrappers() == committed, committed.count('Function PE_'))")
    assert out == f"True {len(udfs.UDFS)}"


# ----------------------------------------------------------------------------- editions
def test_each_edition_is_parsed_once_and_only_when_asked_for():
    scheme._parse.cache_clear()
    first = scheme.load("hunan-dept-2020")
    assert scheme.load("hunan-dept-2020") is first
    assert scheme._parse.cache_info().currsize == 1  # the other editions were not read
    assert scheme.load() is scheme.load(scheme.DEFAULT_SCHEME)  # the default is the same entry


def test_the_fast_yaml_loader_reads_every_edition_as_the_reference_loader_does():
    for sid in scheme.scheme_ids():
        text = (scheme.SCHEME_DIR / f"{sid}.yaml").read_text(encoding="utf-8")
        assert yaml.load(text, Loader=scheme._YAML_LOADER) == yaml.safe_load(text), sid


def test_an_edited_edition_is_read_again(tmp_path, monkeypatch):
    """A long-lived process (the UDF server inside Excel) must not keep serving the old text."""
    sid = "hunan-dept-2020"
    path = tmp_path / f"{sid}.yaml"
    path.write_text((scheme.SCHEME_DIR / f"{sid}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(scheme, "SCHEME_DIR", tmp_path)
    before = scheme.load(sid)
    edited = path.read_text(encoding="utf-8").replace(f"title: {before.title}", f"title: {before.title}（修订）")
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # a coarse clock must not hide the edit
    assert scheme.load(sid).title == before.title + "（修订）"


def test_the_fast_yaml_loader_reads_report_texts_and_examples_as_the_reference_loader_does():
    from perfeval_xl.forms.example import EXAMPLE_DIR
    from perfeval_xl.report.figures import TEXTS

    files = [*TEXTS.iterdir(), *EXAMPLE_DIR.iterdir()]
    assert len(files) >= 4
    for path in files:
        assert scheme.read_package_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path.name


# ----------------------------------------------------------------------------- collect
def test_what_every_export_of_a_template_shares_is_parsed_once(tmp_path):
    """A 汇总 of one template's exports parses workbook.xml and styles.xml once, and derives the
    canonical name lines and the field map once."""
    from perfeval_xl.book import package
    from perfeval_xl.bureau import stamp
    from perfeval_xl.bureau.export import export

    paths = [export(EXAMPLE, tmp_path / f"{i}.xlsx").path for i in range(2)]
    caches = (package._parse_workbook, package._parse_number_formats, stamp._name_lines, stamp._fields)
    for cached in caches:
        cached.cache_clear()
    first, second = (stamp.read(p) for p in paths)
    assert first.pkg.names is second.pkg.names
    assert first.canonical() != b"" and second.book().names is first.book().names
    for cached in caches:
        assert cached.cache_info().misses == 1, cached


def test_cached_readings_of_typed_values_answer_as_a_fresh_reading():
    """Equal keys with other answers are not shared: 1, 1.0, True and -0.0, 0.0."""
    from perfeval_xl.engine.parse import ParseError, _parse_value, parse_value

    for raw in (1, 1.0, 0.0, -0.0, "85%", "≥90%", 1.5, "1", 10**20):
        assert parse_value(raw) == _parse_value(raw), raw
    assert parse_value(-0.0).raw == "-0.0" and parse_value(0.0).raw == "0.0"
    assert parse_value(1).raw == "1" and parse_value(1.0).raw == "1.0"
    with pytest.raises(ParseError):
        parse_value(True)
