"""LibreOffice as an independent engine: open, recalculate and render workbooks headless."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


class OfficeMissing(RuntimeError):
    pass


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise OfficeMissing("未找到 LibreOffice（soffice），请先运行安装命令")
    return exe


def convert(src: Path, fmt: str, out_dir: Path, recalc: bool = False, infilter: str | None = None,
            timeout: int = 180) -> Path:
    """``soffice --convert-to fmt`` in a throwaway profile; returns the written file.

    ``recalc`` makes LibreOffice recompute every formula on load (OOXMLRecalcMode 0) instead of
    trusting cached values: the way to see what an engine other than ours computes.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_XCU.format(mode=0 if recalc else 1), encoding="utf-8")
        cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", fmt, "--outdir", str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = out_dir / (Path(src).stem + "." + fmt.split(":")[0])
    if not out.exists():
        raise RuntimeError(f"LibreOffice 转换失败：{proc.stdout}{proc.stderr}")
    return out
