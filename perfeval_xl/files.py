"""Atomic writes: a file is either the old one or the complete new one, never half written."""
from __future__ import annotations

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
