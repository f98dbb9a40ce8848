"""汇总 throughput: N exported workbooks collected, against openpyxl merely opening them.

    python benchmarks/bench_collect.py [--sizes 250 500 1000]

Twenty distinct units are exported once; the folder is filled with copies under other names
(collect reads every file in full, so copies cost what originals cost; they count once).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.collect import collect
from perfeval_xl.bureau.export import export

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = next((ROOT / "examples").glob("*.xlsx"))


def make_units(d: Path, n: int = 20) -> list[Path]:
    out = []
    for i in range(n):
        book = OpenpyxlBook.open(EXAMPLE)
        for sheet in ("附件1", "附件2", "附件4"):
            book.set(sheet, "unit_name", f"第{i + 1}单位")
        book.set("附件2", "ind1_adjusted", 20 - i % 10)
        book.set("附件2", "ind1_reason", "酌情扣分")
        src = d / f"src{i}.xlsx"
        book.wb.save(src)
        out.append(export(src, d / "units" / f"unit{i}.xlsx").path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        units = make_units(tmp)
        print(f"{'files':>6} {'collect s':>10} {'files/s':>8} {'openpyxl open s':>16}")
        for n in args.sizes:
            folder = tmp / f"n{n}"
            folder.mkdir()
            for i in range(n):
                shutil.copy(units[i % len(units)], folder / f"{i:05d}.xlsx")
            t = time.perf_counter()
            col = collect([folder], workers=args.workers, progress=lambda *a: None)
            t_collect = time.perf_counter() - t
            # copies of one unit's export: each unit counts once, the other copies are listed as duplicates
            assert len(col.units) == n and not col.skipped and sum(u.status == "计入" for u in col.units) == len(units)
            t = time.perf_counter()
            for f in sorted(folder.iterdir()):
                openpyxl.load_workbook(f)
            t_open = time.perf_counter() - t
            print(f"{n:>6} {t_collect:>10.1f} {n / t_collect:>8.0f} {t_open:>16.1f}")


if __name__ == "__main__":
    main()
