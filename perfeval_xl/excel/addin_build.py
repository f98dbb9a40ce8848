"""Build the Excel add-in from text sources, and install it for a Windows user.

Sources live in xlmacros/: our VBA (ASCII, since VBA is stored in code page 1252), the ribbon
XML (UTF-8, where the Chinese labels are), and three generated modules: the UDF wrappers made by
xlwings' own generator from perfeval_xl/formulas/udfs.py, and the xlwings add-in module and Dictionary
class copied from the pinned xlwings wheel (the VBA must match the Python package exactly).
pyOpenVBA writes them into an Office-made empty .xlam; the ribbon is added by zip editing.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import re
import shutil
import struct
import sys
import types
import zipfile
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import xlwings

from perfeval_xl.files import atomic_write, rewrite_zip

ROOT = Path(__file__).resolve().parents[2]
MACROS = ROOT / "xlmacros"
ADDIN_NAME = "绩效自评.xlam"
STANDALONE_NAME = "绩效自评_示例（含宏）.xlsm"
PROJECT_NAME = "perfeval"  # xlwings config: %USERPROFILE%\.perfeval\perfeval.conf
UDF_MODULE = "perfeval_xl.formulas.udfs"
UDF_VBA = "PerfEvalUDFs.bas"  # holds xlwings' module xlwings_udfs, exactly as Import Functions writes it
DESCRIPTIONS_VBA = "PerfEvalDescriptions.bas"
XLWINGS_VBA = "xlwings.bas"
DICTIONARY_CLS = "Dictionary.cls"
OUR_VBA = ["PerfEval.bas", "PerfEvalText.bas"]
RIBBON = "customUI14.xml"
RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
# The Chinese texts PerfEval.bas spells as code points, checked by the tests in both directions.
VBA_TEXTS = {
    "请输入 Python 解释器（pythonw.exe）的完整路径：": "8BF7 8F93 5165 20 50 79 74 68 6F 6E 20 89E3 91CA 5668 FF08 70 79 74 68 6F 6E 77 2E 65 78 65 FF09 7684 5B8C 6574 8DEF 5F84 FF1A",
    "绩效自评": "7EE9 6548 81EA 8BC4",
    "已保存。": "5DF2 4FDD 5B58 3002",
    "请先打开要处理的工作簿（或新建一个），再点此按钮。": "8BF7 5148 6253 5F00 8981 5904 7406 7684 5DE5 4F5C 7C3F FF08 6216 65B0 5EFA 4E00 4E2A FF09 FF0C 518D 70B9 6B64 6309 94AE 3002",
    "无法启动 Python，请点“设置”检查 Python 路径，或重新运行 安装.cmd。详细信息：": "65E0 6CD5 542F 52A8 20 50 79 74 68 6F 6E FF0C 8BF7 70B9 201C 8BBE 7F6E 201D 68C0 67E5 20 50 79 74 68 6F 6E 20 8DEF 5F84 FF0C 6216 91CD 65B0 8FD0 884C 20 5B89 88C5 2E 63 6D 64 3002 8BE6 7EC6 4FE1 606F FF1A",
}


def code_points(text: str) -> str:
    return " ".join(f"{ord(c):X}" for c in text)


# ----------------------------------------------------------------------------- generated sources
class _ComError(Exception):
    """Stand-in for pywintypes.com_error."""


class _CapturingWorkbook:
    """Just enough of Excel's Workbook for xlwings.udfs.import_udfs: the module it imports and
    the MacroOptions it registers are recorded instead of sent to Excel."""

    def __init__(self, name: str):
        self.Name = name
        self.module_text: str | None = None
        self.macro_options: list[tuple[str, dict]] = []
        components = SimpleNamespace(Remove=lambda c: None, Import=self._import)
        self.VBProject = SimpleNamespace(VBComponents=_Components(components))
        self.Application = SimpleNamespace(Version="16.0", MacroOptions=self._macro_options)

    def _import(self, path: str) -> None:
        self.module_text = Path(path).read_text(encoding="utf-8")

    def _macro_options(self, macro: str, **options) -> None:
        self.macro_options.append((macro, options))


class _Components:
    """VBComponents: callable (an existing module by name: none here) with Remove and Import."""

    def __init__(self, ns):
        self.Remove, self.Import = ns.Remove, ns.Import

    def __call__(self, name):
        raise _ComError(name)


def import_functions() -> _CapturingWorkbook:
    """Run xlwings' own "Import Functions" (xlwings.udfs.import_udfs) over our UDF module, as
    the xlwings add-in's button would in Excel, and return what it wrote and registered.

    xlwings.udfs imports win32 modules at import time; stand-ins let it load on Linux, and
    udfs.py is executed once more with the real decorators so that __xlfunc__ is recorded.
    """
    stubs = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    stubs["win32com.client"].Dispatch = None
    stubs["pythoncom"].CoInitialize = lambda: None
    stubs["pywintypes"].com_error = _ComError
    saved = sys.modules.get("xlwings.udfs")
    workbook = _CapturingWorkbook(ADDIN_NAME)
    with mock.patch.dict(sys.modules, stubs):
        sys.modules.pop("xlwings.udfs", None)
        xw_udfs = importlib.import_module("xlwings.udfs")
        try:
            with mock.patch.multiple(xlwings, func=xw_udfs.xlfunc, arg=xw_udfs.xlarg, ret=xw_udfs.xlret,
                                     sub=xw_udfs.xlsub):
                spec = importlib.util.spec_from_file_location("perfeval_xl._udfs_for_vba",
                                                              importlib.util.find_spec(UDF_MODULE).origin)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            # get_udf_module would open the workbook in Excel to look for embedded code: give it ours.
            xw_udfs.udf_modules[UDF_MODULE] = {"module": module, "filetime": None, "filename": None}
            with contextlib.redirect_stdout(io.StringIO()):
                xw_udfs.import_udfs(UDF_MODULE, workbook)
        finally:
            sys.modules.pop("xlwings.udfs", None)
            if saved is not None:
                sys.modules["xlwings.udfs"] = saved
    return workbook


#: What a wrapper returns when the call to Python fails. xlwings writes ``Err.Description``, a
#: text; ``IFERROR(PE_…(…), native formula)`` only catches error values, so the text would hide
#: the native score. Our UDFs never raise (udfs._cell_safe returns "错误：…" as a value), so an
#: error here means Python could not be reached (not installed, ASR rule, COM server failed).
FALLBACK_VALUE = "CVErr(xlErrNA)"


def with_error_value(module_text: str) -> str:
    """xlwings' wrappers with ``failed:`` returning #N/A instead of the error's description."""
    out, n = re.subn(r"^(failed:\n    (PE_\w+) = )Err\.Description$", rf"\1{FALLBACK_VALUE}", module_text, flags=re.M)
    assert n == len(re.findall(r"^Function PE_", module_text, re.M)), "xlwings' wrapper changed shape"
    return out


def udf_wrappers() -> str:
    """The UDF module as xlwings' Import Functions writes it (header included: its
    ``#Const App = "Microsoft Excel"`` is module-private and selects the wrappers' error handling),
    with one change per wrapper: an error value when Python cannot be reached (with_error_value)."""
    return with_error_value(import_functions().module_text.replace("\r\n", "\n"))


def _vba_text(text: str, target: str, width: int = 60) -> list[str]:
    """VBA statements that build ``target`` from ``text`` without a non-ASCII literal."""
    if text.isascii():
        return [f'{target} = "{text.replace(chr(34), chr(34) * 2)}"']
    chunks = [text[i:i + width] for i in range(0, len(text), width)]
    return [f'{target} = {"" if i == 0 else target + " & "}PE_Text("{code_points(c)}")' for i, c in enumerate(chunks)]


def descriptions_module() -> str:
    """PerfEvalDescriptions: registers, when the add-in loads, the function wizard's texts that
    xlwings' Import Functions registers (same macro names, descriptions, category, argument texts)."""
    lines = ['Attribute VB_Name = "PerfEvalDescriptions"',
             "' Generated by perfeval-xl build-addin from what xlwings' Import Functions registers for",
             f"' {UDF_MODULE}. Chinese is spelt as code points: VBA's code page cannot hold it. Do not edit.",
             "Option Explicit", "",
             "Public Sub PE_RegisterDescriptions()",
             "    Dim d As String, c As String, a() As Variant",
             "    On Error Resume Next  ' a description helps; it is never a reason to stop the add-in"]
    for macro, options in import_functions().macro_options:
        name = macro.rsplit("!", 1)[-1]
        lines += ["", f"    ' {name}"]
        lines += ["    " + x for x in _vba_text(options["Description"], "d")]
        lines += ["    " + x for x in _vba_text(str(options["Category"]), "c")]
        args = options.get("ArgumentDescriptions") or []
        call = f'    Application.MacroOptions Macro:="\'" & ThisWorkbook.Name & "\'!{name}", Description:=d, Category:=c'
        if args:
            lines.append(f"    ReDim a(0 To {len(args) - 1})")
            for i, text in enumerate(args):
                lines += ["    " + x for x in _vba_text(text, f"a({i})")]
            call += ", ArgumentDescriptions:=a"
        lines.append(call)
    lines += ["End Sub", ""]
    return "\n".join(lines)


def xlwings_module() -> str:
    """xlwings' custom add-in module from the installed (pinned) wheel, named for this project."""
    src = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    out, n = re.subn(r'Public Const PROJECT_NAME As String = "[^"]*"',
                     f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"', src)
    assert n == 1, "xlwings_custom_addin.bas changed shape: check the pinned xlwings version"
    return out.replace("\r\n", "\n")


def dictionary_class() -> str:
    return (Path(xlwings.__file__).parent / "addin" / "Dictionary.cls").read_text(encoding="utf-8").replace("\r\n", "\n")


def generated_sources() -> dict[str, str]:
    return {UDF_VBA: udf_wrappers(), DESCRIPTIONS_VBA: descriptions_module(), XLWINGS_VBA: xlwings_module(),
            DICTIONARY_CLS: dictionary_class()}


def write_sources(macros: Path = MACROS) -> list[Path]:
    paths = []
    for name, text in generated_sources().items():
        path = macros / name
        atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8", newline="\n"))
        paths.append(path)
    return paths


def vba_sources(macros: Path = MACROS) -> dict[str, str]:
    """Module name → source text, for every module the add-in holds."""
    out = {}
    for name in MODULE_FILES:
        text = (macros / name).read_text(encoding="utf-8")
        m = re.search(r'Attribute VB_Name = "([^"]+)"', text)
        out[m.group(1) if m else Path(name).stem] = text
    return out


# ----------------------------------------------------------------------------- the binary
MODULE_FILES = [*OUR_VBA, UDF_VBA, DESCRIPTIONS_VBA, XLWINGS_VBA, DICTIONARY_CLS]


def add_modules(path: Path, sources: list[Path]) -> None:
    """Write VBA source files into a workbook's project (created if it has none)."""
    from pyopenvba import ExcelFile
    from pyopenvba.vba import VBAModuleKind

    with ExcelFile(path) as wb:
        project = wb.vba_project() if wb.has_vba_project() else wb.add_vba_project()
        for source in sources:
            text = source.read_text(encoding="utf-8").replace("\n", "\r\n")
            name = re.search(r'Attribute VB_Name = "([^"]+)"', text).group(1)
            kind = VBAModuleKind.other if source.suffix == ".cls" else VBAModuleKind.standard
            if name.casefold() in [m.casefold() for m in project.module_names()]:
                wb.set_module(name, text)
            else:
                project.add_module(name, text, kind=kind)
        for stale in [m for m in project.module_names() if m.casefold() == "module1"]:
            project.delete_module(stale)
        wb.save()
    rewrite_zip(path, _source_only_project)


#: MS-OVBA 2.3.4.1: Reserved1 0x61CC, Version, Reserved2 0x00, Reserved3; with no performance
#: cache the version "MUST be 0xFFFF on write" (what LibreOffice writes). Office then compiles
#: from source on open, as it does for xlwings' own add-in.
SOURCE_ONLY_VBA_PROJECT = bytes.fromhex("CC61FFFF000000")


def _source_only_project(entries: dict[str, bytes]) -> dict[str, bytes]:
    """pyOpenVBA keeps the template's version cookie and zeroes the cache: write the stream as
    MS-OVBA says for a project without a cache instead."""
    from pyopenvba.cfb import CFB

    name = next(n for n in entries if n.endswith("vbaProject.bin"))
    cfb = CFB.from_bytes(entries[name])
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", SOURCE_ONLY_VBA_PROJECT)
    entries[name] = cfb.to_bytes()
    return entries


def _add_ribbon(path: Path, ribbon_xml: bytes) -> None:
    """Plain zip editing: customUI/customUI14.xml and its relationship; the VBA stays intact."""
    def add(entries: dict[str, bytes]) -> dict[str, bytes]:
        rels = entries["_rels/.rels"]
        if RIBBON_REL.encode() not in rels:
            entries["_rels/.rels"] = rels.replace(b"</Relationships>", (
                f'<Relationship Id="rIdPerfevalUI" Type="{RIBBON_REL}" '
                f'Target="customUI/customUI14.xml"/></Relationships>').encode())
        entries["customUI/customUI14.xml"] = ribbon_xml
        return entries

    rewrite_zip(path, add)


MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _macro_enabled_copy(xlsx: Path, tmp: Path) -> None:
    """The example workbook as an .xlsm: the same parts, the main part typed macro-enabled."""
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(PLAIN_MAIN.encode(), MACRO_MAIN.encode())
            dst.writestr(info, data)


def build_addin(out_dir: Path = ROOT / "workbook", macros: Path = MACROS) -> list[Path]:
    """workbook/绩效自评.xlam (modules and ribbon in an Office-made empty add-in), and a
    standalone .xlsm: the filled example with the same modules, for users who cannot install
    add-ins."""
    from pyopenvba._templates import EMPTY_XLAM_BYTES

    from perfeval_xl.forms.example import EXAMPLE_FILENAME

    out_dir.mkdir(parents=True, exist_ok=True)
    ribbon = (macros / RIBBON).read_bytes()
    addin, standalone = out_dir / ADDIN_NAME, out_dir / STANDALONE_NAME
    atomic_write(addin, lambda tmp: tmp.write_bytes(EMPTY_XLAM_BYTES))
    atomic_write(standalone, lambda tmp: _macro_enabled_copy(ROOT / "examples" / EXAMPLE_FILENAME, tmp))
    for path in (addin, standalone):
        add_modules(path, [macros / f for f in MODULE_FILES])
        _add_ribbon(path, ribbon)
    return [addin, standalone]


# ----------------------------------------------------------------------------- install
def xlstart_dir(profile: Path, appdata: str | None = None) -> Path:
    """Excel's per-user start-up folder: %APPDATA%\\Microsoft\\Excel\\XLSTART. %APPDATA% is not
    always under the profile (folder redirection in a domain), so it is used when known."""
    roaming = Path(appdata) if appdata else Path(profile) / "AppData" / "Roaming"
    return roaming / "Microsoft" / "Excel" / "XLSTART"


def config_path(profile: Path) -> Path:
    return Path(profile) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


class InstallError(OSError):
    """Something the user or IT must fix on the machine before the add-in can work (Chinese
    message; an OSError, so the CLI prints it as a sentence with exit code 2)."""


def portable_path(path: str, env: dict[str, str]) -> str:
    """``C:\\Users\\张三\\AppData\\Local\\x`` → ``%LOCALAPPDATA%\\x``: the config stays ASCII.

    VBA reads the config with ``Input #`` in the system code page, so a UTF-8 profile path
    would arrive as mojibake; xlwings expands environment variables in config values."""
    for var in ("LOCALAPPDATA", "APPDATA", "USERPROFILE"):
        prefix = (env.get(var) or "").rstrip("\\")
        if prefix and path.lower().startswith(prefix.lower() + "\\"):
            return f"%{var}%" + path[len(prefix):]
    return path


def config_text(interpreter: str, pythonpath: str = "") -> str:
    """The lines VBA's ``Write #`` produces and the xlwings module reads back. ASCII only;
    USE UDF SERVER makes ribbon buttons run in the process that serves the worksheet functions."""
    lines = {"INTERPRETER_WIN": interpreter, "UDF MODULES": UDF_MODULE, "PYTHONPATH": pythonpath,
             "USE UDF SERVER": "True", "SHOW_ERROR_POPUPS": "True"}
    text = "".join(f'"{k}","{v}"\r\n' for k, v in lines.items())
    if not text.isascii():
        raise InstallError(f"配置文件只能包含英文字符，而 Python 路径含有中文等字符：{interpreter}。"
                           "请把 Python 装在英文路径下，或装在用户目录下（安装程序会写成 %LOCALAPPDATA% 形式）。")
    return text


def check_python(version: tuple = sys.version_info, pointer_bytes: int = struct.calcsize("P")) -> None:
    """xlwings 0.37.8 needs Python 3.11 or newer, and its worksheet functions a 64-bit Python
    (the 32-bit wheel carries no DLL)."""
    if tuple(version[:2]) < (3, 11):
        raise InstallError(f"需要 Python 3.11 或更高版本，当前为 {version[0]}.{version[1]}。")
    if pointer_bytes != 8:
        raise InstallError("需要 64 位 Python（32 位 Python 不能运行工作表函数）。请安装 python.org 的 64 位版本。")


def install(profile: Path | None = None, interpreter: str | None = None, addin: Path | None = None,
            env: dict[str, str] | None = None) -> list[Path]:
    """Copy the add-in into the user's XLSTART and write the ASCII config; no admin rights."""
    check_python()
    env = dict(os.environ if env is None else env)
    appdata = None if profile else env.get("APPDATA")  # an explicit profile (tests) is self-contained
    profile = Path(profile or env.get("USERPROFILE") or Path.home())
    interpreter = interpreter or str(Path(sys.executable).with_name("pythonw.exe") if os.name == "nt" else sys.executable)
    addin = Path(addin or ROOT / "workbook" / ADDIN_NAME)
    if not addin.exists():
        raise FileNotFoundError(f"未找到加载项文件：{addin}（请先运行 perfeval-xl build-addin）")
    text = config_text(portable_path(interpreter, env))
    target = xlstart_dir(profile, appdata) / ADDIN_NAME
    atomic_write(target, lambda tmp: shutil.copyfile(addin, tmp))
    conf = config_path(profile)
    atomic_write(conf, lambda tmp: tmp.write_bytes(text.encode("ascii")))
    return [target, conf]


def uninstall(profile: Path | None = None, env: dict[str, str] | None = None) -> list[Path]:
    env = dict(os.environ if env is None else env)
    appdata = None if profile else env.get("APPDATA")
    profile = Path(profile or env.get("USERPROFILE") or Path.home())
    removed = []
    for path in (xlstart_dir(profile, appdata) / ADDIN_NAME, config_path(profile)):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


# ----------------------------------------------------------------------------- checks
def ribbon_problems(xml: bytes, sources: dict[str, str]) -> list[str]:
    """Whatever would make Excel reject the ribbon or a button do nothing: bad XML, the wrong
    namespace, an onAction naming no ``Sub X(control As IRibbonControl)`` in the VBA."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"ribbon XML is not well formed: {exc}"]
    problems = []
    if root.tag != f"{{{RIBBON_NS}}}customUI":
        problems.append(f"root element {root.tag} is not customUI in {RIBBON_NS}")
    code = "\n".join(sources.values())
    for el in root.iter():
        for attr in ("onAction", "getLabel", "getEnabled", "getVisible", "onLoad"):
            callback = el.get(attr)
            param, kind = ("ribbon", "IRibbonUI") if attr == "onLoad" else ("control", "IRibbonControl")
            if callback and not re.search(
                    rf"^\s*(Public\s+)?Sub\s+{re.escape(callback)}\s*\(\s*{param}\s+As\s+{kind}\s*\)",
                    code, re.M | re.I):
                problems.append(f"{el.get('id')}: {attr}={callback} has no Sub {callback}({param} As {kind})")
    return problems


def ribbon_button_ids(xml: bytes, callback: str = "PE_OnAction") -> list[str]:
    import xml.etree.ElementTree as ET

    return [el.get("id") for el in ET.fromstring(xml).iter() if el.get("onAction") == callback]


def build(out_dir: Path = ROOT / "workbook", macros: Path = MACROS) -> list[Path]:
    """perfeval-xl build-addin: regenerate the generated sources, check, build."""
    write_sources(macros)
    problems = ribbon_problems((macros / RIBBON).read_bytes(), vba_sources(macros))
    for name, text in vba_sources(macros).items():
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            problems.append(f"{name}: VBA source must be code page 1252 (no Chinese in VBA)")
    if problems:
        raise ValueError("；".join(problems))
    return build_addin(out_dir, macros)
