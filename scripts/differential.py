"""A large LibreOffice differential for the closing note of a change to the rules or formulas.

    PYTHONPATH=. python3 scripts/differential.py --books 40

Fills ``--books`` books of every template set at random, as people type (tests/differential.py),
has one LibreOffice recalculate each, and compares every computed row, 总分 and 等次 with the
engine. Prints the rows, the kinds of input met and every disagreement; exit 1 on any.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_xl.forms.sets import template_sets  # noqa: E402
from perfeval_xl.forms.template import build_workbook  # noqa: E402
from tests.differential import SETS, Blank, Tally, run_book  # noqa: E402
from tests.lo_engine import LibreOffice  # noqa: E402


def run(lo, books: int, tmp: Path, tally: Tally) -> None:
    for tid in SETS:
        path = tmp / f"{tid}.xlsx"
        build_workbook(template_sets()[tid]).save(path)
        blank = Blank(path)

        @settings(max_examples=books, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(st.data())
        def one_book(data):
            run_book(lo, tid, blank, tmp / f"filled-{tid}.xlsx", data, tally)  # noqa: B023 (called at once)
        one_book()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=40, help="books per template set")
    args = parser.parse_args()
    tally, start = Tally(), time.monotonic()
    lo = LibreOffice()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(lo, args.books, Path(tmp), tally)
    finally:
        lo.close()
    print(tally.summary(), f"in {time.monotonic() - start:.0f} s")
    for kind, n in sorted(tally.kinds.items()):
        print(f"  {n:6d}  {kind}")
    for m in tally.mismatches:
        print("MISMATCH", *m)
    return 1 if tally.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
