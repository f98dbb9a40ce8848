"""Cost of one UDF call, of scoring whole indicator systems, and of the file-level jobs.

    python benchmarks/bench_engine.py
"""
from __future__ import annotations

import shutil
import tempfile
import time
import timeit
from pathlib import Path

from perfeval_xl import scheme, udfs
from perfeval_xl.checks.assess import assess
from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.export import export

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = next((ROOT / "examples").glob("*.xlsx"))


def per_call(stmt, number=20000) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=3)) / number * 1e6


def main() -> None:
    print("UDF calls (µs per call, best of 3):")
    calls = {
        'PE_RATE(35, 40)': lambda: udfs.PE_RATE(35, 40),
        'PE_EXEC_SCORE(1323.28, 1323.28)': lambda: udfs.PE_EXEC_SCORE(1323.28, 1323.28),
        'PE_QUANT_SCORE(10, "≤68.4万元", "64.7万元")': lambda: udfs.PE_QUANT_SCORE(10, "≤68.4万元", "64.7万元"),
        'PE_QUAL_SCORE(10, "部分达成", 0.7)': lambda: udfs.PE_QUAL_SCORE(10, "部分达成", 0.7),
        'PE_INDICATOR_SCORE("在职人员控制率", 1.087, "hunan-dept-2020")':
            lambda: udfs.PE_INDICATOR_SCORE("在职人员控制率", 1.087, "hunan-dept-2020"),
        'PE_GRADE(98)': lambda: udfs.PE_GRADE(98),
    }
    for label, f in calls.items():
        print(f"  {label:<62} {per_call(f):8.1f}")

    print("Scoring every indicator of a system (ms per system):")
    samples = {"ratio": 0.93, "bands": 0.88, "threshold": 1.03, "checklist": "①", "failures": 1,
               "choice": 1, "judged": 1}
    for sid in scheme.scheme_ids():
        s = scheme.load(sid)
        def run(s=s):
            for ind in s.indicators:
                ind.score(samples[ind.rule.kind])
        print(f"  {sid:<28} {len(s.indicators):3d} indicators {per_call(run, 500) / 1000:8.3f}")

    book = OpenpyxlBook.open(EXAMPLE)
    t = time.perf_counter(); OpenpyxlBook.open(EXAMPLE); t_open = time.perf_counter() - t
    t = time.perf_counter(); assess(book); t_assess = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / EXAMPLE.name
        shutil.copy(EXAMPLE, src)
        t = time.perf_counter(); export(src, Path(d) / "out.xlsx"); t_export = time.perf_counter() - t
    print("The example workbook (ms):")
    print(f"  open with openpyxl            {t_open * 1000:8.1f}")
    print(f"  score + validate (all sheets) {t_assess * 1000:8.1f}")
    print(f"  lock and export               {t_export * 1000:8.1f}")


if __name__ == "__main__":
    main()
