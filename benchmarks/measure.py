"""Whole-process measurements: what a user pays for one command, start-up and imports included.

CPU is user + system time of the child process and everything it waited for (worker processes,
LibreOffice), from getrusage(RUSAGE_CHILDREN) before and after. Peak memory is the largest sum
of resident memory over the process tree, sampled from /proc (Linux), since workers of a pool
are alive at the same time.
"""
from __future__ import annotations

import compileall
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = next((ROOT / "examples").glob("*.xlsx"))
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's package, not an installed one
# The package's bytecode compiled, as pip leaves an installed package and as Python's first import
# leaves a checkout: with PYTHONDONTWRITEBYTECODE set (as on the project's machine) every run
# would otherwise compile the sources again, a cost no user pays after the first run.
compileall.compile_dir(ROOT / "perfeval_xl", quiet=1)


@dataclass
class Run:
    cpu: float  # s, user + system, the whole process tree
    wall: float  # s
    peak_rss: int = 0  # bytes, the process tree at its largest (0 when not sampled)
    stdout: str = ""


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], sample_memory: bool = False, **kwargs) -> Run:
    """Run one command to completion; a failure stops the benchmark (it would measure nothing)."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT, **kwargs)
    sampler = _TreeSampler(proc.pid) if sample_memory else None
    out, err = proc.communicate()
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if sampler:
        sampler.stop()
    if proc.returncode not in (0, 1):  # 1: a command's "found errors / not verified" answer
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
    return Run(cpu, wall, sampler.peak if sampler else 0, out.decode(errors="replace"))


def timed(fn) -> Run:
    """An in-process call that runs child processes (e.g. LibreOffice), measured the same way."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    fn()
    return Run(children_cpu() - cpu0, time.perf_counter() - t0)


class _TreeSampler:
    """Samples the summed RSS of a process and all its descendants every 20 ms."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, tree_rss(self.pid))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


# ----------------------------------------------------------------------------- reporting
def spread(values: list[float], digits: int = 2) -> str:
    """median (min–max)."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def ratio(values: list[float], anchor: list[float]) -> str:
    return f"{statistics.median(values) / statistics.median(anchor):.2f}×"


def python_snippet(code: str, *args: str) -> list[str]:
    return [PYTHON, "-c", code, *map(str, args)]


OPENPYXL_OPEN = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
CALAMINE_READ = ("import sys, python_calamine as pc\n"
                 "for path in sys.argv[1:]:\n"
                 "    wb = pc.CalamineWorkbook.from_path(path)\n"
                 "    for name in wb.sheet_names: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)")
CALAMINE_READ_DIR = ("import sys, pathlib, python_calamine as pc\n"
                     "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.xlsx')):\n"
                     "    wb = pc.CalamineWorkbook.from_path(str(path))\n"
                     "    for name in wb.sheet_names: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)")
