"""One command on the example, as a user runs it, next to anchors measured in the same run.

    python3 benchmarks/bench_commands.py [--runs 7] [--json out.json]

Every figure is a whole process (start-up and imports included), CPU = user + system, the
median of N runs with the minimum and maximum. Anchors: `python3 -c pass`; a process that
merely opens the example with openpyxl (as openpyxl does by default, numpy import included),
and the same without numpy; a process that reads all its sheets with python-calamine; and a
LibreOffice headless conversion that recalculates every formula. Ratios are CPU to CPU.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import CALAMINE_READ, EXAMPLE, OPENPYXL_OPEN, PYTHON, ROOT, Run, python_snippet, ratio, run, spread, timed  # noqa: E402

CLI = [PYTHON, "-m", "perfeval_xl.cli"]
OPENPYXL_NO_NUMPY = "import sys; sys.modules['numpy'] = None; import openpyxl; openpyxl.load_workbook(sys.argv[1])"


def commands(tmp: Path) -> dict[str, list[str]]:
    exported = tmp / "exported.xlsx"
    return {
        "score": [*CLI, "score", str(EXAMPLE)],
        "validate": [*CLI, "validate", str(EXAMPLE)],
        "export": [*CLI, "export", str(EXAMPLE), "-o", str(exported), "--overwrite"],  # the same file each run
        "verify": [*CLI, "verify", str(exported)],  # after export: the loop runs export first
        "indicator": [*CLI, "indicator", "在职人员控制率", "108.7%", "--scheme", "hunan-dept-2020"],
    }


def anchors(tmp: Path) -> dict[str, object]:
    from perfeval_xl.office import convert  # LibreOffice in a throwaway profile, as our tests use it

    return {
        "python3 -c pass": python_snippet("pass"),
        "openpyxl open": python_snippet(OPENPYXL_OPEN, EXAMPLE),
        "openpyxl open, no numpy": python_snippet(OPENPYXL_NO_NUMPY, EXAMPLE),
        "calamine read": python_snippet(CALAMINE_READ, EXAMPLE),
        "LibreOffice recalc": lambda: convert(EXAMPLE, "xlsx", tmp / "lo", recalc=True),
    }


def measure(runs: int) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as tmp:
        tmp = Path(tmp)
        jobs = {**commands(tmp), **anchors(tmp)}
        run(jobs["python3 -c pass"])  # warm the file cache once, as a user's second command would be
        for _ in range(runs):  # interleaved, so that a burst of load on the machine hits all alike
            for name, job in jobs.items():
                out.setdefault(name, []).append(timed(job) if callable(job) else run(job))
        shutil.rmtree(tmp / "lo", ignore_errors=True)
    return out


def table(results: dict[str, list[Run]]) -> str:
    cpu = {k: [r.cpu for r in v] for k, v in results.items()}
    wall = {k: [r.wall for r in v] for k, v in results.items()}
    base = ["openpyxl open", "calamine read", "LibreOffice recalc", "python3 -c pass"]
    lines = ["| process | CPU s | wall s | ÷ openpyxl open | ÷ calamine read | ÷ LibreOffice recalc | ÷ python3 -c pass |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in results:
        label = f"`perfeval-xl {name}`" if name in ("score", "validate", "export", "verify", "indicator") else name
        lines.append(f"| {label} | {spread(cpu[name])} | {spread(wall[name])} | "
                     + " | ".join(ratio(cpu[name], cpu[b]) for b in base) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", help="also write the raw runs here")
    args = ap.parse_args()
    results = measure(args.runs)
    print(f"{args.runs} runs each, median (min–max); example: {EXAMPLE.relative_to(ROOT)}\n")
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps({k: [{"cpu": r.cpu, "wall": r.wall} for r in v] for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
