"""Atomic writes: a file is either the old one or the complete new one, never half written."""
from __future__ import annotations

import errno
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Callable


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved workbook is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_save(wb, path: Path) -> Path:
    """Save an openpyxl workbook atomically."""
    return atomic_write(path, lambda tmp: wb.save(tmp))


def rewrite_zip(path: Path, edit: Callable[[dict[str, bytes]], dict[str, bytes]]) -> Path:
    """Rewrite a zip package through ``edit`` (entry name → bytes, in order), atomically, with
    fixed entry times and modes, so the same content always gives the same bytes."""
    path = Path(path)
    with zipfile.ZipFile(path) as src:
        entries = edit({info.filename: src.read(info) for info in src.infolist()})
    return write_zip(path, entries)


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    """Write a zip package atomically with fixed entry times and modes (reproducible bytes)."""
    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for name, data in entries.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                dst.writestr(info, data)

    return atomic_write(path, write)


def save_reproducible(wb, path: Path) -> Path:
    """Save an openpyxl workbook so that a rebuild from the same sources gives the same bytes:
    committed artefacts (templates, example) use this so a test can tell whether they are stale."""
    def fixed_date(entries: dict[str, bytes]) -> dict[str, bytes]:
        if "docProps/core.xml" in entries:
            entries["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*",
                                                  rb"\g<1>2024-01-01T00:00:00Z", entries["docProps/core.xml"])
        return entries

    atomic_save(wb, path)
    return rewrite_zip(path, fixed_date)


def os_message(exc: OSError) -> str:
    """An operating-system error as one Chinese sentence naming the file or folder, never
    “[Errno 30] …”. A temporary file beside an output (files.atomic_write) names its folder."""
    path = Path(exc.filename) if exc.filename else None
    if path is not None and path.name.startswith(".~"):
        path = path.parent
    name = f"“{path}”" if path is not None else "文件"
    if exc.errno is None and exc.args:  # raised by us with a sentence of its own (a download refused…)
        return str(exc)
    if isinstance(exc, IsADirectoryError):
        return f"{name}是文件夹，不是文件：请指定工作簿文件（.xlsx）"
    if isinstance(exc, NotADirectoryError):
        return f"{name}中有一级不是文件夹，请检查路径"
    if isinstance(exc, FileNotFoundError):
        return f"找不到{name}，请检查路径和文件名"
    if exc.errno == errno.EROFS:
        return f"{name}在只读的位置，无法写入：请用 -o 指定可写入的文件夹"
    if isinstance(exc, PermissionError):
        return f"没有权限读写{name}（文件夹只读，或文件正被其他程序占用）：请关闭占用它的程序，或用 -o 指定其他文件夹"
    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，无法写入{name}"
    return f"读写{name}时出错（系统错误代码{exc.errno}），请检查文件和磁盘"
