"""The offline bundle: the pinned Python runtime, the wheels per Python version, and 安装.cmd run
under Wine with a Chinese locale, a user 张三 and a bundle folder with a space."""
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from perfeval_xl.excel import addin_build as ab
from perfeval_xl.excel import bundle, installer, runtime

from .conftest import ROOT

ADDIN = ROOT / "workbook" / ab.ADDIN_NAME
STUB_SOURCE = Path(__file__).parent / "data" / "wine" / "stub_python.c"
WINE = Path(shutil.which("wine64") or shutil.which("wine") or "/usr/lib/wine/wine64")  # Debian: no wrapper on PATH
MINGW = shutil.which("x86_64-w64-mingw32-gcc")


def stand_in_archive(folder: Path, version: str, exe: bytes = b"MZ stand-in") -> tuple[Path, str]:
    """An archive laid out as python.org's embeddable zip (python.exe, pythonw.exe, pythonXY.dll,
    pythonXY.zip, and the ._pth as shipped, with site off); returns it and its SHA-256."""
    nodot = "".join(version.split(".")[:2])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("python.exe", exe)
        z.writestr("pythonw.exe", exe)
        z.writestr(f"python{nodot}.dll", b"stand-in")
        z.writestr(f"python{nodot}.zip", b"PK\x05\x06" + bytes(18))
        z.writestr(f"python{nodot}._pth", f"python{nodot}.zip\r\n.\r\n\r\n# Uncomment to run site.main() automatically\r\n#import site\r\n")
        z.writestr("LICENSE.txt", "stand-in")
    path = folder / version / runtime.archive_name(version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path, hashlib.sha256(buf.getvalue()).hexdigest()


def mirror(folder: Path, pythons: list[str], exe: bytes = b"MZ stand-in") -> dict:
    """A python.org-shaped download tree of stand-ins, and pins that match them."""
    pinned = {}
    for python in pythons:
        version = runtime.pins()[python]["version"]
        _, digest = stand_in_archive(folder, version, exe)
        pinned[python] = {"version": version, "sha256": digest}
    return pinned


# ----------------------------------------------------------------------------- the runtime
def test_pins_cover_every_supported_python():
    pins = runtime.pins()
    assert list(pins) == ["3.11", "3.12", "3.13", "3.14"] == list(bundle.PYTHONS)
    for minor, pin in pins.items():
        assert pin["version"].startswith(minor + ".") and re.fullmatch(r"[0-9a-f]{64}", pin["sha256"])
    assert len({p["sha256"] for p in pins.values()}) == len(pins)


def test_runtime_is_fetched_verified_and_set_up_for_site_packages(tmp_path):
    pinned = mirror(tmp_path / "mirror", ["3.13"])
    archive = runtime.fetch("3.13", tmp_path / "cache", (tmp_path / "mirror").as_uri(), pinned)
    assert archive.name == "python-3.13.15-embed-amd64.zip"
    dest = runtime.unpack(archive, tmp_path / "python" / "3.13", "3.13")
    assert (dest / "python.exe").exists() and (dest / "pythonw.exe").exists()
    assert (dest / "python313._pth").read_bytes() == b"python313.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n"
    # A second fetch uses the verified copy: the mirror may be gone.
    shutil.rmtree(tmp_path / "mirror")
    assert runtime.fetch("3.13", tmp_path / "cache", (tmp_path / "mirror").as_uri(), pinned) == archive


def test_runtime_with_another_checksum_is_refused(tmp_path):
    """The real pins against a stand-in served under the real name: refused, nothing kept."""
    version = runtime.pins()["3.12"]["version"]
    _, digest = stand_in_archive(tmp_path / "mirror", version)
    with pytest.raises(runtime.RuntimeFetchError, match="与登记的校验值不符") as refused:
        runtime.fetch("3.12", tmp_path / "cache", (tmp_path / "mirror").as_uri())
    assert runtime.pins()["3.12"]["sha256"] in str(refused.value) and digest in str(refused.value)
    assert list((tmp_path / "cache").iterdir()) == []
    with pytest.raises(runtime.RuntimeFetchError, match="无法下载"):
        runtime.fetch("3.12", tmp_path / "cache", (tmp_path / "nowhere").as_uri())


def test_an_archive_that_is_not_an_embeddable_python_is_refused(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("python.exe", b"x")
        z.writestr("../evil.txt", b"x")
    with pytest.raises(runtime.RuntimeFetchError, match="不是 Python 3.11 的嵌入式版本") as refused:
        runtime.unpack(bad, tmp_path / "out", "3.11")
    assert "python311._pth" in str(refused.value) and "../evil.txt" in str(refused.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_bundle_refuses_a_runtime_before_downloading_wheels(tmp_path):
    version = runtime.pins()["3.11"]["version"]
    stand_in_archive(tmp_path / "mirror", version)
    with pytest.raises(runtime.RuntimeFetchError, match="校验值不符"):
        bundle.build_bundle(tmp_path / "out", ["3.11"], runtime_url=(tmp_path / "mirror").as_uri())
    assert list((tmp_path / "out" / "wheels").iterdir()) == []


# ----------------------------------------------------------------------------- the whole bundle
def test_bundle_builds_for_three_pythons_and_resolves_offline_for_each(tmp_path, monkeypatch):
    """Runtimes (stand-ins), wheels downloaded from PyPI once per version (shared files fetched
    once), and per version: pip resolves perfeval-xl from the folder alone, the Windows-only
    requirements are there, and xlwings carries the DLLs for 32- and 64-bit Excel.
    PERFEVAL_BUNDLE_PYTHONS="3.11 3.12 3.13 3.14" builds all four."""
    pythons = os.environ.get("PERFEVAL_BUNDLE_PYTHONS", "3.11 3.13 3.14").split()
    pinned = mirror(tmp_path / "mirror", pythons)
    out = tmp_path / "离线 安装"
    resolved = {}  # the bundle's own offline resolutions, each as pip answered it
    real = bundle.resolves_offline
    monkeypatch.setattr(bundle, "resolves_offline", lambda w, p, python: resolved.setdefault(python, real(w, p, python)))
    bundle.build_bundle(out, pythons, runtime_url=(tmp_path / "mirror").as_uri(), pinned=pinned)
    wheels = out / "wheels"
    for python in pythons:
        assert resolved[python].returncode == 0, resolved[python].stderr
        assert bundle.missing_on_windows(wheels, python) == [] and bundle.xlwings_dlls_missing(wheels, python) == []
        tag = "cp" + python.replace(".", "")
        assert list(wheels.glob(f"pywin32-*-{tag}-{tag}-win_amd64.whl")), python
        nodot = python.replace(".", "")
        assert "import site" in (out / "python" / python / f"python{nodot}._pth").read_text()
    assert len(list(wheels.glob("pip-*-py3-none-any.whl"))) == 1
    assert len(list(wheels.glob("openpyxl-*.whl"))) == 1  # a pure-Python wheel is kept once
    assert (out / ab.ADDIN_NAME).read_bytes() == ADDIN.read_bytes()
    for name in (bundle.INSTALL_CMD, bundle.UNINSTALL_CMD):
        raw = (out / name).read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
        for line in raw.decode("gbk").split("\r\n"):
            assert line.isascii() or line.startswith("echo "), line  # commands ASCII, Chinese only echoed
    readme = (out / bundle.README_TXT).read_bytes().decode("utf-8-sig")
    assert "不需要另装 Python" in readme and "阻止从 Office 宏调用 Win32 API" in readme


def test_installer_commands_do_not_depend_on_what_wine_does_differently():
    lines = installer.install_cmd(["3.11", "3.12", "3.13", "3.14"], "pip-24.0-py3-none-any.whl") + installer.uninstall_cmd()
    commands = [l for l in lines if not l.startswith(("echo ", "rem "))]
    assert not [l for l in commands if "&&" in l or "||" in l]
    assert not [l for l in lines if "chcp" in l]
    assert not [l for l in commands if l.rstrip().endswith("(")]  # no parenthesised blocks
    install = "\n".join(installer.install_cmd(["3.11", "3.14"], "pip-24.0-py3-none-any.whl"))
    assert install.index("call :runtime 3.14") < install.index("call :runtime 3.11")  # newest first
    assert "sys.version_info[:2] in ((3,11),(3,14),)" in install
    assert "py -3.14-64" in install and "reg query" in install and "in (Python3*)" in install
    readme = installer.readme_text(["3.11", "3.14"])
    for text in (install, readme):  # one wording for the python.org installer's first page
        assert installer.PYTHON_ORG_STEPS in text and "仅为我安装" not in text


def test_missing_windows_requirement_is_reported(tmp_path):
    assert [str(r.name) for r in bundle.missing_on_windows(tmp_path, "3.11")] != []
    assert bundle.xlwings_dlls_missing(tmp_path, "3.11") == ["xlwings"]


# ----------------------------------------------------------------------------- under Wine
def _zh_locale() -> bool:
    return "zh_CN.utf8" in subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout


needs_wine = pytest.mark.skipif(not (WINE.exists() and MINGW and _zh_locale()),
                                reason="Wine, mingw-w64 or the zh_CN.UTF-8 locale missing: run scripts/setup.sh")


def _windows(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """A fresh Wine prefix for user 张三 in a Chinese locale (code page 936), with no Python,
    and a runner for cmd.exe that returns (exit code, GBK output decoded, stub calls)."""
    root = tmp_path_factory.mktemp("wine")
    log = root / "calls.log"
    env = {**os.environ, "WINEPREFIX": str(root / "prefix"), "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml=",
           "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8", "USER": "张三", "LOGNAME": "张三", "STUB_LOG": _windows(log)}

    def run(*args: str, **extra: str):
        log.unlink(missing_ok=True)
        # "call": cmd /c strips the quotes of a first argument holding brackets (cmd /? rule 2)
        # Output to a file, not a pipe: the wineserver a run starts inherits the run's output and
        # lingers for seconds after it, and reading a pipe to its end waited for it (2.5 s a run).
        with tempfile.TemporaryFile() as out:
            proc = subprocess.run([str(WINE), "cmd", "/c", "call", *args], env={**env, **extra},
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL, timeout=120)
            out.seek(0)
            text = out.read().decode("gbk", "replace")
        calls = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        return proc.returncode, text, calls

    run("echo", "ready")
    run.profile = root / "prefix" / "drive_c" / "users" / "张三"
    assert run.profile.is_dir()
    assert not list((root / "prefix" / "drive_c").rglob("python*.exe"))  # no Python on this PC
    return run


@pytest.fixture(scope="module")
def wine_bundle(tmp_path_factory):
    """A bundle folder with a space and a bracket, holding stand-in runtimes for 3.13 and 3.14
    whose python.exe is the stub, compiled here from tests/data/wine/stub_python.c."""
    root = tmp_path_factory.mktemp("bundle")
    exe = root / "python.exe"
    subprocess.run([MINGW, "-municode", "-O1", "-o", str(exe), str(STUB_SOURCE)], check=True, timeout=120)
    out = root / "离线 安装 (2)"
    (out / "wheels").mkdir(parents=True)
    (out / "wheels" / "pip-24.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + bytes(18))
    pinned = mirror(root / "mirror", ["3.13", "3.14"], exe.read_bytes())
    for python in ("3.13", "3.14"):
        archive = runtime.fetch(python, root / "cache", (root / "mirror").as_uri(), pinned)
        runtime.unpack(archive, out / "python" / python, python)
    (out / "python" / "3.14" / "stub-fail.txt").write_text("-c")  # this PC cannot start 3.14
    bundle.write_installer(out, ["3.13", "3.14"], ADDIN, "pip-24.0-py3-none-any.whl")
    return out


@needs_wine
def test_installer_under_wine_installs_the_bundled_python_runs_the_launcher_and_uninstalls(wine, wine_bundle):
    local = r"C:\users\张三\AppData\Local\perfeval-xl"
    code, out, calls = wine(_windows(wine_bundle / bundle.INSTALL_CMD))
    assert code == 0, out
    assert "安装完成" in out and "Python 3.13" in out
    here = _windows(wine_bundle) + "\\"
    checks = [c for c in calls if c[1] == "-c"]
    assert [c[0] for c in checks] == [here + r"python\3.14\python.exe", here + r"python\3.13\python.exe"]
    pip, addin = [c for c in calls if c[1] != "-c"]
    assert pip[0] == local + r"\python\python.exe"
    assert pip[1:3] == [here + r"wheels\pip-24.0-py3-none-any.whl\pip", "install"]
    assert pip[pip.index("--find-links") + 1] == here + "wheels" and pip[-2:] == ["perfeval-xl", "pip"]
    assert addin[1:5] == ["-m", "perfeval_xl.cli", "addin", "install"]
    assert addin[addin.index("--bundle") + 1] == here + "."
    assert addin[addin.index("--interpreter") + 1] == local + r"\python\pythonw.exe"
    installed = wine.profile / "AppData" / "Local" / "perfeval-xl"
    assert (installed / "python" / "python313._pth").read_text().splitlines()[-1] == "import site"

    code, out, calls = wine(local + r"\perfeval-xl.cmd", "--help")
    assert code == 0 and "usage: perfeval-xl" in out
    assert calls == [[local + r"\python\python.exe", "-m", "perfeval_xl.cli", "--help"]]

    code, out, calls = wine(_windows(wine_bundle / bundle.UNINSTALL_CMD))
    assert code == 0 and "已卸载" in out
    assert calls == [[local + r"\python\python.exe", "-m", "perfeval_xl.cli", "addin", "uninstall"]]
    assert not installed.exists()


@needs_wine
def test_installer_under_wine_stops_when_a_step_fails(wine, wine_bundle):
    """pip fails: the installer says so and exits 1 (``if errorlevel 1``; with ``|| goto failed``
    Wine would carry on), and never reaches the add-in step."""
    code, out, calls = wine(_windows(wine_bundle / bundle.INSTALL_CMD), STUB_FAIL="install")
    assert code == 1 and "安装未完成" in out and "安装完成。" not in out
    assert not [c for c in calls if "addin" in c]
    code, out, calls = wine(_windows(wine_bundle / bundle.UNINSTALL_CMD))
    assert code == 0


@needs_wine
def test_installer_under_wine_with_system_python_makes_a_venv(wine, wine_bundle):
    """``安装.cmd --system-python``: a per-user python.org Python 3.14 found in its usual folder
    (no py launcher, no registry key here), a private venv, the launcher pointing into it."""
    programs = wine.profile / "AppData" / "Local" / "Programs"
    (programs / "Python" / "Python314").mkdir(parents=True)
    shutil.copy(wine_bundle.parent / "python.exe", programs / "Python" / "Python314" / "python.exe")
    try:
        code, out, calls = wine(_windows(wine_bundle / bundle.INSTALL_CMD), "--system-python")
    finally:
        shutil.rmtree(programs)
    assert code == 0, out
    system = r"C:\users\张三\AppData\Local\Programs\Python\Python314\python.exe"
    venv = r"C:\users\张三\AppData\Local\perfeval-xl\venv"
    assert [c[:3] for c in calls[:2]] == [[system, "-c", calls[0][2]], [system, "-m", "venv"]]
    assert calls[1][3] == venv and "(3,14)" in calls[0][2]
    assert calls[2][:4] == [venv + r"\Scripts\python.exe", "-m", "pip", "install"] and calls[2][-1] == "perfeval-xl"
    assert calls[3][calls[3].index("--interpreter") + 1] == venv + r"\Scripts\pythonw.exe"
    code, out, calls = wine(r"C:\users\张三\AppData\Local\perfeval-xl\perfeval-xl.cmd", "--help")
    assert calls == [[venv + r"\Scripts\python.exe", "-m", "perfeval_xl.cli", "--help"]]
    code, out, calls = wine(_windows(wine_bundle / bundle.UNINSTALL_CMD))
    assert calls == [[venv + r"\Scripts\python.exe", "-m", "perfeval_xl.cli", "addin", "uninstall"]]
    assert not (wine.profile / "AppData" / "Local" / "perfeval-xl").exists()
