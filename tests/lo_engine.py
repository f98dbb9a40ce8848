"""Client of tests/lo_server.py: one LibreOffice process for a whole test session (per xdist worker)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

SERVER = Path(__file__).with_name("lo_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # LibreOffice's uno module exists only for this interpreter


class LibreOffice:
    def __init__(self):
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")
        assert self._read().get("ready"), "LibreOffice UNO server did not start"

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, "LibreOffice UNO server exited"
        return json.loads(line)

    def _ask(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        assert "failure" not in answer, answer["failure"]
        return answer

    def recalc(self, path: Path, cells: list[tuple[str, str]]) -> list:
        """Values of ``cells`` ((sheet, A1) pairs) after LibreOffice recalculated the book."""
        return self._ask({"op": "recalc", "path": str(Path(path).resolve()), "cells": [list(c) for c in cells]})["values"]

    def scan(self, path: Path) -> list[tuple[str, str, object]]:
        """Every formula cell after recalculation: (sheet, address, value or {"error": code})."""
        return [tuple(c) for c in self._ask({"op": "scan", "path": str(Path(path).resolve())})["cells"]]

    def pdf(self, path: Path, out: Path) -> Path:
        """``path`` (a workbook, recalculated, or a .docx) rendered to PDF at ``out``."""
        return Path(self._ask({"op": "pdf", "path": str(Path(path).resolve()), "out": str(Path(out).resolve())})["pdf"])

    def convert(self, src: Path, fmt: str, out_dir: Path, recalc: bool = False) -> Path:
        """What perfeval_xl.office.convert writes (``fmt`` pdf or xlsx), from this one process."""
        out = Path(out_dir).resolve() / (Path(src).stem + "." + fmt)
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(self._ask({"op": "convert", "path": str(Path(src).resolve()), "out": str(out),
                               "recalc": recalc})["path"])

    def basic(self, path: Path, call: dict | None = None) -> dict:
        """The Basic modules LibreOffice imported from the book's VBA ({"libraries": …}), and
        with ``call`` ({"function": "Lib.Module.F", "args": […]}) that call's "result"."""
        return self._ask({"op": "basic", "path": str(Path(path).resolve()), "call": call})

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
