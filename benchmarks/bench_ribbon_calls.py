"""Object-model calls per ribbon button, counted through the fake Excel of the tests.

    python benchmarks/bench_ribbon_calls.py [--max-score-calls 30]

Each button runs as it does in Excel: PE_OnAction hands over the book map (PE_BookMap), then the handler
runs in the UDF server, where every property read, assignment or method call on an Excel
object is a cross-process COM call. The fake counts those (a lower bound: xlwings sometimes
makes two COM calls for one property). The example is pressed clean and with one error.
Exit status 1 when a 评分 press needs more calls than the budget (the issue's target: 30).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfeval_xl.excel import ribbon  # noqa: E402
from tests.fake_xlwings import FakeApp, book_map  # noqa: E402

EXAMPLE = next((ROOT / "examples").glob("*.xlsx"))
BUTTONS = ["score", "validate", "export", "new_project", "open_template", "help", "collect"]


def calls_for(button: str, folder: Path, broken: bool = False) -> tuple[int, str]:
    work = folder / button / EXAMPLE.name
    work.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE, work)
    app = FakeApp()
    book = app.books.open(work)
    if broken:
        ribbon.XlwingsBook(book).set("附件2", "ind1_actual", "约九成")
    app.folder_to_pick = folder / "empty"
    app.folder_to_pick.mkdir(exist_ok=True)
    app.calls = 0
    ribbon.BOOK_MAP = book_map(book)
    ribbon.on_button(button, book, ribbon.ExcelUI(app))
    return app.calls, (app.alerts[-1].splitlines()[0] if app.alerts else "")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-score-calls", type=int, default=30)
    args = parser.parse_args()
    print("| button | object-model calls | first line of the message |")
    print("| --- | ---: | --- |")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, button in enumerate(BUTTONS):
            results[button], message = calls_for(button, Path(tmp) / str(i))
            print(f"| {button} | {results[button]} | {message} |")
        broken, message = calls_for("validate", Path(tmp) / "broken", broken=True)
        print(f"| validate (one error) | {broken} | {message} |")
    if results["score"] > args.max_score_calls:
        print(f"评分 needs {results['score']} calls, more than {args.max_score_calls}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
