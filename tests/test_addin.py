"""The add-in, checked by every independent reader available on Linux."""
import filecmp
import inspect
import re
import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser

from perfeval_xl.excel import addin_build as ab
from perfeval_xl.formulas import udfs

from .conftest import ROOT

ADDIN = ROOT / "workbook" / ab.ADDIN_NAME
STANDALONE = ROOT / "workbook" / ab.STANDALONE_NAME


def body(text: str) -> str:
    """Module text as olevba and LibreOffice give it back: no Attribute lines, LF, no trailing space."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[0].startswith("VERSION 1.0 CLASS"):  # a .cls file's export preamble is not stored
        lines = lines[lines.index("END") + 1:]
    lines = [l.rstrip() for l in lines
             if not l.startswith(("Attribute ", "Rem Attribute", "Option VBASupport", "Option ClassModule"))]
    return "\n".join(lines).strip()


def test_generated_sources_are_up_to_date():
    for name, text in ab.generated_sources().items():
        assert (ab.MACROS / name).read_text(encoding="utf-8") == text, f"{name} is stale: run perfeval-xl build-addin"


def test_built_workbooks_are_up_to_date(tmp_path):
    for path in ab.build_addin(tmp_path):
        assert filecmp.cmp(path, ROOT / "workbook" / path.name, shallow=False), f"{path.name} is stale"


def test_vba_sources_fit_the_code_page():
    for name, text in ab.vba_sources().items():
        text.encode("cp1252")  # Chinese in VBA would not survive: it belongs in Python or the ribbon


@pytest.mark.parametrize("path", [ADDIN, STANDALONE], ids=lambda p: p.suffix)
def test_olevba_reads_back_every_module(path):
    parser = VBA_Parser(str(path))
    found = {Path(vba_filename).stem: code for _, _, vba_filename, code in parser.extract_macros()}
    sources = ab.vba_sources()
    for name, text in sources.items():
        assert name in found, f"olevba does not see {name}"
        assert body(found[name]) == body(text), name


@pytest.mark.parametrize("path", [ADDIN, STANDALONE], ids=lambda p: p.suffix)
def test_libreoffice_imports_the_same_modules(path, lo):
    modules = lo.basic(path)["libraries"]["VBAProject"]
    for name, text in ab.vba_sources().items():
        assert name in modules, f"LibreOffice does not list {name}"
        assert body(modules[name]) == body(text), name


def test_pure_vba_helper_runs_under_libreoffice_basic(tmp_path, lo):
    from pyopenvba._templates import EMPTY_XLSM_BYTES

    wb = tmp_path / "helpers.xlsm"
    wb.write_bytes(EMPTY_XLSM_BYTES)
    ab.add_modules(wb, [ab.MACROS / "PerfEvalText.bas"])
    perf_eval = (ab.MACROS / "PerfEval.bas").read_text()
    for chinese, codes in ab.VBA_TEXTS.items():
        assert ab.code_points(chinese) == codes
        assert f'PE_Text("{codes}")' in perf_eval
        call = {"function": "VBAProject.PerfEvalText.PE_Text", "args": [codes]}
        assert lo.basic(wb, call)["result"] == chinese
    used = set(re.findall(r'PE_Text\("([0-9A-F ]+)"\)', perf_eval))
    assert used == set(ab.VBA_TEXTS.values())  # every code string in the VBA is a checked text


def test_ribbon_is_valid_and_every_callback_exists():
    xml = (ab.MACROS / ab.RIBBON).read_bytes()
    assert ab.ribbon_problems(xml, ab.vba_sources()) == []
    root = xml.decode()
    assert 'xmlns="http://schemas.microsoft.com/office/2009/07/customui"' in root
    labels = re.findall(r'label="([^"]+)"', root)
    for label in ["绩效自评", "评分", "校验", "锁定导出", "新建项目表", "汇总", "打开模板", "帮助", "设置"]:
        assert label in labels
    assert all(re.search(r'<button [^>]*imageMso="\w+"[^>]*screentip="[^"]+"', b)
               for b in re.findall(r"<button [^>]*/>", root, re.S))


def test_ribbon_check_fails_on_a_missing_callback():
    xml = (ab.MACROS / ab.RIBBON).read_bytes().replace(b'onAction="PE_Settings"', b'onAction="PE_Missing"')
    assert ab.ribbon_problems(xml, ab.vba_sources()) == [
        "settings: onAction=PE_Missing has no Sub PE_Missing(control As IRibbonControl)"]
    assert ab.ribbon_problems(b"<customUI", {})[0].startswith("ribbon XML is not well formed")
    wrong_ns = xml.replace(b"2009/07/customui", b"2006/01/customui")
    assert any("not customUI" in p for p in ab.ribbon_problems(wrong_ns, ab.vba_sources()))


@pytest.mark.parametrize("path", [ADDIN, STANDALONE], ids=lambda p: p.suffix)
def test_built_files_carry_the_ribbon(path):
    z = zipfile.ZipFile(path)
    assert z.read("customUI/customUI14.xml") == (ab.MACROS / ab.RIBBON).read_bytes()
    assert ab.RIBBON_REL.encode() in z.read("_rels/.rels")
    ctypes = z.read("[Content_Types].xml").decode()
    expected = "addin.macroEnabled.main+xml" if path.suffix == ".xlam" else "sheet.macroEnabled.main+xml"
    assert expected in ctypes


def test_udf_wrappers_declare_every_udf_with_its_arguments():
    vba = (ab.MACROS / ab.UDF_VBA).read_text()
    declared = {m.group(1): m.group(2) for m in re.finditer(r"^Function (PE_\w+)\(([^)]*)\)", vba, re.M)}
    python = {f.__name__: f for f in udfs.UDFS}
    assert set(declared) == set(python) == {n for n in dir(udfs) if n.startswith("PE_")}
    for name, f in python.items():
        params = inspect.signature(f).parameters.values()
        expected = ", ".join(("Optional " if p.default is not inspect.Parameter.empty else "") + p.name for p in params)
        assert declared[name] == expected, name
        assert f'XLPy.CallUDF("perfeval_xl.formulas.udfs", "{name}"' in vba


def test_xlwings_module_matches_the_pinned_package():
    import xlwings

    text = (ab.MACROS / ab.XLWINGS_VBA).read_text()
    assert f"'Version: {xlwings.__version__}" in text
    assert f'xlwings64-{xlwings.__version__}.dll' in text
    assert 'Public Const PROJECT_NAME As String = "perfeval"' in text
    pinned = re.search(r'"xlwings==([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert pinned == xlwings.__version__


def test_every_button_has_a_python_handler():
    from perfeval_xl.excel.ribbon import HANDLERS

    ids = ab.ribbon_button_ids((ab.MACROS / ab.RIBBON).read_bytes())
    assert set(ids) == set(HANDLERS)


def test_install_and_uninstall_in_a_profile(tmp_path):
    profile = tmp_path / "Users" / "kuaiji"
    written = ab.install(profile, interpreter=r"C:\Python311\pythonw.exe")
    addin = profile / "AppData/Roaming/Microsoft/Excel/XLSTART" / ab.ADDIN_NAME
    conf = profile / ".perfeval" / "perfeval.conf"
    assert written == [addin, conf]
    assert filecmp.cmp(addin, ADDIN, shallow=False)
    text = conf.read_bytes().decode("utf-8")  # read_text would fold the CRLF VBA's Input # expects
    assert '"INTERPRETER_WIN","C:\\Python311\\pythonw.exe"\r\n' in text
    assert '"UDF MODULES","perfeval_xl.formulas.udfs"\r\n' in text
    assert ab.uninstall(profile) == [addin, conf]
    assert not addin.exists() and not conf.exists()
    assert ab.uninstall(profile) == []


def test_install_puts_the_addin_under_appdata_when_it_is_redirected(tmp_path):
    """%APPDATA% is not always under the profile (folder redirection): XLSTART follows %APPDATA%."""
    env = {"USERPROFILE": str(tmp_path / "Users" / "张三"), "APPDATA": str(tmp_path / "redirected" / "张三" / "Roaming")}
    written = ab.install(interpreter=r"C:\Python311\pythonw.exe", env=env)
    assert written[0] == tmp_path / "redirected/张三/Roaming/Microsoft/Excel/XLSTART" / ab.ADDIN_NAME
    assert not (tmp_path / "Users" / "张三" / "AppData").exists()
    assert ab.uninstall(env=env) == written
