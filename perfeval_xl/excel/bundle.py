"""perfeval-xl bundle: an offline installation folder for county PCs (no internet, no admin).

    perfeval-xl bundle --platform win_amd64 --python 3.11 3.12 3.13 -o DIR

DIR holds wheels/ (this project and every runtime dependency, for 64-bit Windows and each
Python version asked for), the add-in, 安装.cmd / 卸载.cmd and 安装说明.txt. The installer
finds a 64-bit Python >= 3.11, makes a private venv under %LOCALAPPDATA%\\perfeval-xl (so the
xlwings DLL lands where the add-in looks for it, unlike ``pip --user``), installs from wheels/
with --no-index, writes the ASCII config and copies the add-in into XLSTART.

The .cmd files are CRLF and encoded GBK (code page 936), with every command line in ASCII and
Chinese only in ``echo`` lines: cmd.exe reads a batch file in the console code page, which is
936 on Chinese Windows; ``chcp 65001`` would change the console for the rest of the session
and has mis-parsed batch files on older builds. On a non-Chinese system only the messages would
look garbled; the commands still run.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from perfeval_xl.excel.addin_build import ADDIN_NAME, ROOT
from perfeval_xl.files import atomic_write

PYTHONS = ("3.11", "3.12", "3.13")
PLATFORMS = ("win_amd64",)
INSTALL_CMD, UNINSTALL_CMD, README_TXT = "安装.cmd", "卸载.cmd", "安装说明.txt"
CMD_ENCODING = "gbk"
VENV = r"%LOCALAPPDATA%\perfeval-xl\venv"
CHECK = "import sys,struct; sys.exit(0 if sys.version_info[:2]>=(3,11) and struct.calcsize('P')==8 else 1)"


class BundleError(OSError):
    """A step of the bundle build failed (Chinese message with the tool's own output; an
    OSError, so the CLI prints it as a sentence with exit code 2)."""


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BundleError(f"{what}失败：\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def project_wheel(dest: Path) -> Path:
    """Build this project's wheel from a scratch copy (setuptools writes build/ beside the sources)."""
    with tempfile.TemporaryDirectory(prefix="perfeval-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, src / name)
        shutil.copytree(ROOT / "perfeval_xl", src / "perfeval_xl", ignore=shutil.ignore_patterns("__pycache__"))
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest), str(src)],
             "生成本项目的 wheel ")
    return next(dest.glob("perfeval_xl-*.whl"))


def download_dependencies(dest: Path, platform: str, python: str) -> None:
    """Every runtime dependency as a binary wheel for that platform and Python.

    pip evaluates environment markers against the machine it runs on, not the --platform it
    downloads for, so ``pywin32; platform_system == "Windows"`` (xlwings) is skipped on Linux:
    the requirements missing under Windows markers are downloaded in further rounds."""
    wanted = runtime_requirements()
    for _ in range(5):
        _run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
              "--only-binary=:all:", "--platform", platform, "--python-version", python,
              "--implementation", "cp", "-d", str(dest), *wanted],
             f"下载 Python {python}（{platform}）的依赖包")
        wanted = [f"{r.name}{r.specifier}" for r in missing_on_windows(dest, python)]  # marker already true
        if not wanted:
            return
    raise BundleError(f"Python {python} 的依赖包不完整：{'、'.join(wanted)}")


def windows_environment(python: str) -> dict[str, str]:
    """The environment markers of CPython ``python`` on 64-bit Windows (PEP 508)."""
    return {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
            "platform_release": "10", "platform_version": "10.0", "python_version": python,
            "python_full_version": f"{python}.0", "implementation_name": "cpython",
            "implementation_version": f"{python}.0", "platform_python_implementation": "CPython", "extra": ""}


def _wheels_for(folder: Path, python: str) -> dict[str, list]:
    """Installable wheels in ``folder`` for CPython ``python`` on win_amd64: name → versions."""
    from packaging.tags import Tag
    from packaging.utils import canonicalize_name, parse_wheel_filename

    nodot = python.replace(".", "")
    ok = {Tag(i, a, p) for i in (f"cp{nodot}", "py3", f"py{nodot}", "cp3")
          for a in (f"cp{nodot}", "abi3", "none") for p in ("win_amd64", "any")}
    minor = int(python.split(".")[1])  # abi3 wheels built for an older CPython 3 (pycryptodomex: cp37-abi3)
    ok |= {Tag(f"cp3{m}", "abi3", p) for m in range(2, minor + 1) for p in ("win_amd64", "any")}
    found: dict[str, list] = {}
    for wheel in folder.glob("*.whl"):
        name, version, _, tags = parse_wheel_filename(wheel.name)
        if tags & ok:
            found.setdefault(canonicalize_name(name), []).append((version, wheel))
    return found


def missing_on_windows(folder: Path, python: str, root: str = "perfeval-xl") -> list:
    """Requirements (markers evaluated for Windows) that no wheel in ``folder`` satisfies,
    following every wheel's Requires-Dist from ``root`` or, without its wheel, from pyproject."""
    import zipfile
    from email.parser import Parser

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    env = windows_environment(python)
    wheels = _wheels_for(folder, python)
    todo = [Requirement(root)] if canonicalize_name(root) in wheels else [Requirement(r) for r in runtime_requirements()]
    seen, missing = set(), []
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        key = canonicalize_name(req.name)
        if key in seen:
            continue
        seen.add(key)
        match = [w for v, w in wheels.get(key, []) if req.specifier.contains(v, prereleases=True)]
        if not match:
            missing.append(req)
            continue
        with zipfile.ZipFile(match[0]) as z:
            meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            headers = Parser().parsestr(z.read(meta).decode("utf-8"))
        todo += [Requirement(r) for r in headers.get_all("Requires-Dist") or []]
    return missing


def resolves_offline(wheels: Path, platform: str, python: str) -> subprocess.CompletedProcess:
    """What the installer's pip will do, without installing: resolve perfeval-xl from the folder."""
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
                           "--target", str(wheels.parent / ".dry-run-target"),
                           "--disable-pip-version-check", "--no-index", "--find-links", str(wheels),
                           "--platform", platform, "--python-version", python, "--implementation", "cp",
                           "--only-binary=:all:", "perfeval-xl"], capture_output=True, text=True)


def _cmd_file(path: Path, lines: list[str]) -> None:
    text = "\r\n".join(lines) + "\r\n"
    atomic_write(path, lambda tmp: tmp.write_bytes(text.encode(CMD_ENCODING)))


def install_cmd() -> list[str]:
    tries = [f"call :try py -{v}-64" for v in reversed(PYTHONS)]
    for hive in ("HKCU", "HKLM"):
        for v in reversed(PYTHONS):
            key = rf"{hive}\Software\Python\PythonCore\{v}\InstallPath"
            tries.append(f'for /f "tokens=2*" %%A in (\'reg query "{key}" /v ExecutablePath /reg:64 2^>nul ^| find "REG_SZ"\') do call :try "%%B"')
    for v in reversed(PYTHONS):
        short = v.replace(".", "")
        tries += [rf'call :try "%LOCALAPPDATA%\Programs\Python\Python{short}\python.exe"',
                  rf'call :try "%ProgramFiles%\Python{short}\python.exe"']
    return [
        "@echo off",
        "rem perfeval-xl offline installer: no admin rights, nothing downloaded.",
        "rem GBK (code page 936) and CRLF; commands ASCII, Chinese only in echo lines (see docs/addin.md).",
        "setlocal EnableExtensions",
        f'set "CHECK={CHECK}"',
        f'set "VENV={VENV}"',
        'set "PY="',
        "rem A 64-bit Python >= 3.11: the py launcher, the registry (PEP 514), the usual folders.",
        *tries,
        "if not defined PY goto nopython",
        "echo 使用的 Python：%PY%",
        'if exist "%VENV%" rmdir /s /q "%VENV%"',
        'echo 正在创建独立的 Python 环境：%VENV%',
        '%PY% -m venv "%VENV%" || goto failed',
        "echo 正在从本文件夹安装（不联网）……",
        '"%VENV%\\Scripts\\python.exe" -m pip install -q --disable-pip-version-check --no-index --find-links "%~dp0wheels" perfeval-xl || goto failed',
        '"%VENV%\\Scripts\\python.exe" -m perfeval_xl.cli addin install --bundle "%~dp0." --interpreter "%VENV%\\Scripts\\pythonw.exe" || goto failed',
        "echo 安装完成。请关闭并重新打开 Excel，功能区将出现“绩效自评”选项卡。",
        "pause",
        "exit /b 0",
        ":nopython",
        "echo 未找到 64 位 Python 3.11 或更高版本。请联系信息科安装 python.org 的 Windows 64 位安装包",
        "echo （安装时选择“仅为我安装”即可，无需管理员权限），然后重新运行本程序。",
        "pause",
        "exit /b 1",
        ":failed",
        "echo 安装未完成，请把本窗口的内容截图发给信息科。",
        "pause",
        "exit /b 1",
        ":try",
        "if defined PY exit /b 0",
        '%* -c "%CHECK%" >nul 2>&1 && set "PY=%*"',
        "exit /b 0",
    ]


def uninstall_cmd() -> list[str]:
    return [
        "@echo off",
        "rem perfeval-xl uninstaller: removes the add-in, its config and the private Python environment.",
        "setlocal EnableExtensions",
        f'set "VENV={VENV}"',
        'if exist "%VENV%\\Scripts\\python.exe" "%VENV%\\Scripts\\python.exe" -m perfeval_xl.cli addin uninstall',
        'if exist "%LOCALAPPDATA%\\perfeval-xl" rmdir /s /q "%LOCALAPPDATA%\\perfeval-xl"',
        "echo 已卸载。请重新启动 Excel。",
        "pause",
    ]


def readme_text(pythons: list[str]) -> str:
    versions = "、".join(pythons)
    return f"""绩效自评 Excel 加载项 离线安装说明
=====================================

一、信息科需要提供（每台电脑一次）
1. Python {versions} 之一的 Windows 64 位安装包（python.org 下载的 “Windows installer (64-bit)”）。
   安装时选择“Install Now”（仅为当前用户安装），无需管理员权限；不要选 32 位版本。
2. Excel 2016 或更新版本（Windows 版）。WPS 不能运行本加载项（可直接用模板填报）。

二、安装（每个用户一次，不联网，无需管理员权限）
1. 关闭 Excel。
2. 双击本文件夹中的“{INSTALL_CMD}”。它会：
   - 查找 64 位 Python 3.11 或更高版本；
   - 在 %LOCALAPPDATA%\\perfeval-xl 下建立独立的 Python 环境，并从本文件夹的 wheels 安装（不联网）；
   - 写入配置文件 %USERPROFILE%\\.perfeval\\perfeval.conf（只含英文字符，路径写成 %LOCALAPPDATA% 形式，
     用户名是中文也能正常使用）；
   - 把“{ADDIN_NAME}”复制到 Excel 启动文件夹 %APPDATA%\\Microsoft\\Excel\\XLSTART。
3. 打开 Excel，功能区出现“绩效自评”选项卡即安装成功。

三、Excel 和安全软件的设置
1. 本加载项含未签名的宏。如果 Excel 提示“宏已被禁用”，请在
   文件 → 选项 → 信任中心 → 信任中心设置 → 受信任位置 中确认 XLSTART 文件夹在列表内
   （默认在列表内）；或由信息科将“宏设置”设为“禁用所有宏，并发出通知”后点“启用内容”。
2. 微软 Defender 的“攻击面减少规则”中的“阻止所有 Office 应用程序创建子进程”
   （Block all Office applications from creating child processes）会阻止加载项启动 Python。
   若启用了此规则，请信息科为 Excel 添加排除项，或把该规则设为“审核”。
3. 其他杀毒软件若提示 .xlam 文件可疑，请信息科将其加入白名单。

四、卸载
双击“{UNINSTALL_CMD}”，它删除加载项、配置文件和独立的 Python 环境。

五、常见问题
- 点按钮提示“请先打开要处理的工作簿”：先打开或新建一个工作簿再点。
- 提示“无法启动 Python”：点“设置”查看 Python 路径，或重新运行“{INSTALL_CMD}”。
- 单元格显示 #NAME?：加载项未加载或宏被禁用，见第三部分。
"""


def build_bundle(out: Path, pythons: list[str] = list(PYTHONS), platform: str = "win_amd64",
                 addin: Path = ROOT / "workbook" / ADDIN_NAME) -> list[Path]:
    if platform not in PLATFORMS:
        raise BundleError(f"只支持 {', '.join(PLATFORMS)} 平台（xlwings 的工作表函数需要 64 位 Windows）。")
    unknown = [p for p in pythons if p not in PYTHONS]
    if unknown:
        raise BundleError(f"不支持的 Python 版本：{'、'.join(unknown)}（支持 {'、'.join(PYTHONS)}）")
    if not addin.exists():
        raise BundleError(f"未找到加载项：{addin}（请先运行 perfeval-xl build-addin）")
    out = Path(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    project_wheel(wheels)
    for python in pythons:
        download_dependencies(wheels, platform, python)
    shutil.copyfile(addin, out / ADDIN_NAME)
    _cmd_file(out / INSTALL_CMD, install_cmd())
    _cmd_file(out / UNINSTALL_CMD, uninstall_cmd())
    text = readme_text(pythons).replace("\n", "\r\n")
    atomic_write(out / README_TXT, lambda tmp: tmp.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")))
    for python in pythons:
        proc = resolves_offline(wheels, platform, python)
        if proc.returncode != 0:
            raise BundleError(f"离线安装检查失败（Python {python}）：\n{proc.stderr[-2000:]}")
        if missing_on_windows(wheels, python):
            raise BundleError(f"离线安装检查失败（Python {python}）：缺少 {missing_on_windows(wheels, python)}")
    return [wheels, out / ADDIN_NAME, out / INSTALL_CMD, out / UNINSTALL_CMD, out / README_TXT]
