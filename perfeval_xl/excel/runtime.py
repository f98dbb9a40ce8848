"""The Python runtime inside the offline bundle: python.org's Windows embeddable CPython.

Most county PCs have no Python, so the bundle carries one. ``fetch`` downloads
``python-X.Y.Z-embed-amd64.zip`` for a pinned version (runtimes.json, package data) and refuses
any bytes whose SHA-256 differs from the pin; ``unpack`` extracts it into the bundle and sets up
its ``pythonXY._pth`` so that ``import site`` runs and ``Lib\\site-packages`` is on the path:
the embeddable distribution ships with both off, and neither pip nor the wheels work without them.
安装.cmd then copies the folder to %LOCALAPPDATA%\\perfeval-xl\\python: no installer, no admin
rights, no registry entry, nothing shared with a system Python.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

PINS = Path(__file__).with_name("runtimes.json")
PYTHON_ORG = "https://www.python.org/ftp/python/"
MAX_ARCHIVE = 64 * 1024 * 1024  # the real archives are about 11 MB
LAYOUT = ("python.exe", "pythonw.exe")  # besides pythonXY.dll, pythonXY.zip and pythonXY._pth


class RuntimeFetchError(OSError):
    """The runtime could not be fetched, did not match its pin, or is not an embeddable CPython
    (Chinese message; an OSError, so the CLI prints it as a sentence with exit code 2)."""


def pins() -> dict[str, dict]:
    """Minor version ("3.13") → {"version": "3.13.15", "sha256": …}."""
    return {k: v for k, v in json.loads(PINS.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def archive_name(version: str) -> str:
    return f"python-{version}-embed-amd64.zip"


def fetch(python: str, cache: Path, base_url: str = PYTHON_ORG, pinned: dict | None = None) -> Path:
    """The verified archive for minor version ``python`` in ``cache`` (downloaded unless a copy
    with the pinned SHA-256 is already there). ``base_url`` is python.org's download tree or a
    mirror of it (``<base>/<version>/python-<version>-embed-amd64.zip``)."""
    pin = (pinned or pins())[python]
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / archive_name(pin["version"])
    if target.exists() and _sha256(target.read_bytes()) == pin["sha256"]:
        return target
    import urllib.request  # here: the command line builds its parser from this module's pins

    url = f"{base_url.rstrip('/')}/{pin['version']}/{archive_name(pin['version'])}"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read(MAX_ARCHIVE + 1)
    except OSError as exc:
        raise RuntimeFetchError(f"无法下载 Python {pin['version']}：{url}（{exc}）") from exc
    if len(data) > MAX_ARCHIVE:
        raise RuntimeFetchError(f"下载的 Python {pin['version']} 超过 {MAX_ARCHIVE // 2**20} MB，不是官方的嵌入式版本：{url}")
    actual = _sha256(data)
    if actual != pin["sha256"]:
        raise RuntimeFetchError(f"下载的 Python {pin['version']} 与登记的校验值不符，已拒绝使用：{url}\n"
                                f"应为 SHA-256 {pin['sha256']}\n实为 SHA-256 {actual}")
    part = target.with_name(target.name + ".part")
    part.write_bytes(data)
    part.replace(target)
    return target


def _sha256(data: bytes) -> str:
    import hashlib  # here, as urllib: every command builds its parser from this module's pins

    return hashlib.sha256(data).hexdigest()


def unpack(archive: Path, dest: Path, python: str) -> Path:
    """Extract the embeddable archive into ``dest`` and enable site and site-packages."""
    nodot = python.replace(".", "")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        unsafe = [n for n in names if PurePosixPath(n).is_absolute() or ".." in PurePosixPath(n).parts or "\\" in n]
        needed = [*LAYOUT, f"python{nodot}.dll", f"python{nodot}.zip", f"python{nodot}._pth"]
        missing = [n for n in needed if n not in names]
        if unsafe or missing:
            raise RuntimeFetchError(f"{archive.name} 不是 Python {python} 的嵌入式版本（缺少 {'、'.join(missing) or '无'}；"
                                    f"不安全的路径 {'、'.join(unsafe) or '无'}）")
        if dest.exists():
            shutil.rmtree(dest)
        z.extractall(dest)
    pth = dest / f"python{nodot}._pth"
    pth.write_bytes(pth_text(python).encode("ascii"))
    return dest


def pth_text(python: str) -> str:
    """The ``._pth`` of the installed runtime: the standard library zip, the runtime's folder,
    site-packages, and ``import site`` (which also runs the wheels' .pth files, pywin32's)."""
    nodot = python.replace(".", "")
    return "\r\n".join([f"python{nodot}.zip", ".", r"Lib\site-packages", "import site", ""])
