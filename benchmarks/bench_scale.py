"""汇总 at scale: `perfeval-xl collect` over 1k … 10k exported books, next to calamine reading them.

    python3 benchmarks/bench_scale.py [--n 1000] [--distinct K] [--books DIR] [--workers 2] [--repeat R]

First N exported books are generated from the example through the library (lock and export, as a
unit would), with varied unit names and scores, in parallel worker processes. That costs about
half a CPU-second a book; ``--distinct K`` exports K books and fills the rest with copies under
other file names (collect reads every file in full, so a copy costs what an original costs), and
``--books DIR`` keeps them for the next run (default: a temporary directory, deleted after).

Then, for each size up to N (1,000 / 2,500 / 5,000 / 10,000), ``--repeat R`` times, the public command
`python3 -m perfeval_xl.cli collect DIR -o OUT` runs as a user runs it: whole-process CPU
(workers included), wall time, peak resident memory of the whole process tree, and CPU per
file (constant per file = linear). Beside it, one process reading every sheet of the same files
with python-calamine: the reading floor. With R > 1 the two alternate and the run with the median
ratio is shown.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import CALAMINE_READ_DIR, EXAMPLE, PYTHON, ROOT, python_snippet, run  # noqa: E402

SIZES = (1000, 2500, 5000, 10000)


# ----------------------------------------------------------------------------- generated books
def _export_units(job: tuple[Path, range]) -> int:
    """Worker: one copy of the example in memory, re-filled and exported for each unit."""
    sys.path.insert(0, str(ROOT))
    from perfeval_xl.book import OpenpyxlBook
    from perfeval_xl.bureau.export import export

    out_dir, numbers = job
    book = OpenpyxlBook.open(EXAMPLE)
    with tempfile.TemporaryDirectory() as tmp:
        for i in numbers:
            for sheet in ("附件1", "附件2", "附件4"):
                book.set(sheet, "unit_name", f"岳阳市第{i + 1:05d}号预算单位")
            book.set("附件2", "ind1_actual", f"{600 + i % 97}万元")  # 670万元 is the target: scores vary
            if i % 3 == 0:  # every third unit adjusts a judged score, with the reason the form asks for
                book.set("附件2", "ind10_adjusted", 6 + i % 5)
                book.set("附件2", "ind10_reason", "预算指标编制欠合理")
            src = Path(tmp) / f"src{i}.xlsx"
            book.wb.save(src)
            export(src, out_dir / f"unit{i:05d}.xlsx")
            src.unlink()
    return len(numbers)


def generate(out_dir: Path, n: int, distinct: int, workers: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(distinct) if not (out_dir / f"unit{i:05d}.xlsx").exists()]
    if missing:
        print(f"exporting {len(missing)} books with {workers} worker processes…", flush=True)
        chunks = [(out_dir, missing[k::workers * 4]) for k in range(workers * 4)]
        with ProcessPoolExecutor(workers) as pool:
            done = sum(pool.map(_export_units, chunks))
        assert done == len(missing)
    for i in range(distinct, n):  # copies under other names
        copy = out_dir / f"unit{i:05d}.xlsx"
        if not copy.exists():
            shutil.copyfile(out_dir / f"unit{i % distinct:05d}.xlsx", copy)
    return [out_dir / f"unit{i:05d}.xlsx" for i in range(n)]


def folder_of(books: list[Path], folder: Path) -> Path:
    """A folder holding exactly these books (hard links: no copying, the same bytes on disk)."""
    folder.mkdir(parents=True)
    for book in books:
        os.link(book, folder / book.name)
    return folder


# ----------------------------------------------------------------------------- measurement
def measure(books: list[Path], sizes: list[int], tmp: Path, repeat: int) -> list[dict]:
    rows = []
    for size in sizes:
        folder = folder_of(books[:size], tmp / f"n{size}")
        out = tmp / f"汇总{size}.xlsx"
        runs = []
        for _ in range(repeat):  # alternated, so that a slow spell of the machine hits both
            collect = run([PYTHON, "-m", "perfeval_xl.cli", "collect", str(folder), "-o", str(out)], sample_memory=True)
            floor = run(python_snippet(CALAMINE_READ_DIR, folder), sample_memory=True)
            read = re.search(r"读取 (\d+) 个文件", collect.stdout)
            if not read or int(read.group(1)) != size:  # a skipped file costs less: the figure would flatter
                print(f"collect read {read.group(1) if read else '?'} of {size} files:\n{collect.stdout[-1500:]}")
            runs.append((collect, floor))
        collect, floor = sorted(runs, key=lambda r: r[0].cpu / r[1].cpu)[len(runs) // 2]  # the median ratio
        rows.append({"files": size, "collect": collect, "calamine": floor})
        print(row_text(rows[-1], rows[0]), flush=True)
        shutil.rmtree(folder)
        out.unlink(missing_ok=True)
    return rows


HEADER = ("| files | collect CPU s | collect wall s | peak RSS (tree) MB | CPU ms/file | "
          "calamine CPU s | calamine ms/file | collect ÷ calamine (CPU) | ms/file ÷ first size |\n"
          "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def row_text(row: dict, first: dict) -> str:
    n, c, f = row["files"], row["collect"], row["calamine"]
    per_file = c.cpu / n * 1000
    first_per_file = first["collect"].cpu / first["files"] * 1000
    return (f"| {n:,} | {c.cpu:.1f} | {c.wall:.1f} | {c.peak_rss / 2**20:.0f} | {per_file:.1f} | "
            f"{f.cpu:.1f} | {f.cpu / n * 1000:.2f} | {c.cpu / f.cpu:.1f}× | {per_file / first_per_file:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="books to generate; sizes measured: 1k, 2.5k, 5k, 10k up to N")
    ap.add_argument("--distinct", type=int, help="books actually exported (default N); the rest are copies")
    ap.add_argument("--books", help="keep the generated books in this directory (reused when present)")
    ap.add_argument("--workers", type=int, default=2, help="processes exporting the books")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each size; the run with the median ratio is shown")
    args = ap.parse_args()
    distinct = min(args.distinct or args.n, args.n)
    sizes = [s for s in SIZES if s < args.n] + [args.n]
    with tempfile.TemporaryDirectory(prefix="perfeval-scale-") as tmp:
        tmp = Path(tmp)
        books = generate(Path(args.books) if args.books else tmp / "books", args.n, distinct, args.workers)
        print(f"\n{args.n:,} exported books ({distinct:,} distinct); collect with its default workers\n")
        print(HEADER, flush=True)
        measure(books, sizes, tmp, args.repeat)


if __name__ == "__main__":
    main()
