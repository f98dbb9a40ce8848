"""perfeval-xl bundle: an offline installation folder for county PCs (no internet, no admin,
no Python needed).

    perfeval-xl bundle --platform win_amd64 --python 3.11 3.12 3.13 3.14 -o DIR

DIR holds python/<version>/ (python.org's embeddable CPython, pinned by SHA-256; runtime.py),
wheels/ (this project, every runtime dependency for 64-bit Windows and each Python version
asked for, and pip), the add-in, 安装.cmd / 卸载.cmd and 安装说明.txt. The installer copies the
newest runtime that starts to %LOCALAPPDATA%\\perfeval-xl\\python, installs from wheels/ with
pip run from its own wheel (--no-index), writes the ASCII config and copies the add-in into
XLSTART; ``安装.cmd --system-python`` uses an installed Python and a private venv instead.

The installer's texts, and why they are written as they are, are in installer.py.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from perfeval_xl.excel import installer, runtime
from perfeval_xl.excel.addin_build import ADDIN_NAME, ROOT
from perfeval_xl.files import atomic_write

PYTHONS = tuple(runtime.pins())  # every version with a pinned runtime: 3.11 up to 3.14
PLATFORMS = ("win_amd64",)
INSTALL_CMD, UNINSTALL_CMD, README_TXT = installer.INSTALL_CMD, installer.UNINSTALL_CMD, installer.README_TXT
CMD_ENCODING = "gbk"


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
    """What the installer's pip will resolve for ``python``, from the folder alone.

    ``pip download --no-index`` runs the same resolver as ``pip install``; unlike
    ``pip install --dry-run --python-version``, which pip 23.2 checks against the running
    interpreter's Requires-Python (numpy for 3.12 refused on a 3.11 machine), it honours the
    target version. One run per version, into a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="perfeval-resolve-") as scratch:
        return subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                               "--no-index", "--find-links", str(wheels), "-d", scratch,
                               "--platform", platform, "--python-version", python, "--implementation", "cp",
                               "--only-binary=:all:", "perfeval-xl"], capture_output=True, text=True)


def xlwings_dlls_missing(wheels: Path, python: str) -> list[str]:
    """xlwings' VBA loads xlwings32-<v>.dll in 32-bit Excel and xlwings64-<v>.dll in 64-bit
    Excel from beside pythonw.exe; the win_amd64 wheel carries both, so either Excel works."""
    import zipfile

    tag = "cp" + python.replace(".", "")
    found = list(wheels.glob(f"xlwings-*-{tag}-{tag}-win_amd64.whl"))
    if not found:
        return ["xlwings"]
    with zipfile.ZipFile(found[0]) as z:
        names = z.namelist()
    return [dll for dll in ("xlwings32-", "xlwings64-") if not any(dll in n and n.endswith(".dll") for n in names)]


def pip_wheel(dest: Path) -> Path:
    """pip as a wheel: the installer runs it from the wheel (the embeddable Python has no pip)."""
    _run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
          "--only-binary=:all:", "-d", str(dest), "pip"], "下载 pip ")
    found = sorted(dest.glob("pip-*-py3-none-any.whl"))
    if not found:
        raise BundleError("下载 pip 失败：没有得到 pip 的 wheel。")
    return found[-1]


def _cmd_file(path: Path, lines: list[str]) -> None:
    text = "\r\n".join(lines) + "\r\n"
    atomic_write(path, lambda tmp: tmp.write_bytes(text.encode(CMD_ENCODING)))


def write_installer(out: Path, pythons: list[str], addin: Path, pip_wheel: str) -> None:
    """The add-in, 安装.cmd, 卸载.cmd and 安装说明.txt (UTF-8 with BOM, so Notepad shows it)."""
    shutil.copyfile(addin, out / ADDIN_NAME)
    _cmd_file(out / INSTALL_CMD, installer.install_cmd(pythons, pip_wheel))
    _cmd_file(out / UNINSTALL_CMD, installer.uninstall_cmd())
    text = installer.readme_text(pythons).replace("\n", "\r\n")
    atomic_write(out / README_TXT, lambda tmp: tmp.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")))


def _check_pythons(pythons: list[str], platform: str) -> None:
    if platform not in PLATFORMS:
        raise BundleError(f"只支持 {', '.join(PLATFORMS)} 平台（xlwings 的工作表函数需要 64 位 Windows）。")
    unknown = [p for p in pythons if p not in PYTHONS]
    if unknown:
        raise BundleError(f"不支持的 Python 版本：{'、'.join(unknown)}（支持 {'、'.join(PYTHONS)}）")


def build_bundle(out: Path, pythons: list[str] = list(PYTHONS), platform: str = "win_amd64",
                 addin: Path = ROOT / "workbook" / ADDIN_NAME, runtime_url: str = runtime.PYTHON_ORG,
                 pinned: dict | None = None) -> list[Path]:
    """The folder: runtimes, wheels, add-in, installer. ``runtime_url`` is python.org or a mirror
    of its download tree; ``pinned`` (tests) replaces the package's pins."""
    _check_pythons(pythons, platform)
    if not addin.exists():
        raise BundleError(f"未找到加载项：{addin}（请先运行 perfeval-xl build-addin）")
    out = Path(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfeval-runtime-") as cache:
        for python in pythons:  # the runtimes first: a refused download stops before 100 MB of wheels
            archive = runtime.fetch(python, Path(cache), runtime_url, pinned)
            runtime.unpack(archive, out / "python" / python, python)
    project_wheel(wheels)
    pip = pip_wheel(wheels)
    for python in pythons:  # one resolution per version; files already there are not fetched again
        download_dependencies(wheels, platform, python)
    write_installer(out, pythons, addin, pip.name)
    for python in pythons:
        proc = resolves_offline(wheels, platform, python)
        if proc.returncode != 0:
            raise BundleError(f"离线安装检查失败（Python {python}）：\n{proc.stderr[-2000:]}")
        missing = [str(r) for r in missing_on_windows(wheels, python)] + xlwings_dlls_missing(wheels, python)
        if missing:
            raise BundleError(f"离线安装检查失败（Python {python}）：缺少 {'、'.join(missing)}")
    return [out / "python", wheels, out / ADDIN_NAME, out / INSTALL_CMD, out / UNINSTALL_CMD, out / README_TXT]
