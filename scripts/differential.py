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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.differential import SETS, Tally, run_sets  # noqa: E402
from tests.lo_engine import LibreOffice  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=40, help="books per template set")
    args = parser.parse_args()
    tally, start = Tally(), time.monotonic()
    lo = LibreOffice()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_sets(lo, dict.fromkeys(SETS, args.books), Path(tmp), tally)
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
