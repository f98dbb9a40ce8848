"""The four seeds as workbooks with their own report texts typed in, as the units wrote them
(tests/data/reports/seed*.txt: the text of each seed's report, blocks headed ``=== 工作表!名称``)."""
from __future__ import annotations

from pathlib import Path

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

from . import place, seed000, seed002
from .fill import fill as fill_yaml

REPORTS = Path(__file__).resolve().parent.parent / "data" / "reports"


def report_texts(seed: str) -> dict[tuple[str, str], str]:
    """(sheet, field) → the seed's own text for that report cell."""
    out, key = {}, None
    for line in (REPORTS / f"seed{seed}.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            key = tuple(line[4:].split("!"))
            out[key] = []
        else:
            out[key].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def fill(seed, adjusted=None) -> OpenpyxlBook:
    """A template filled with a seed's values (tests/seeds/seed000.py, seed002.py)."""
    book = OpenpyxlBook(build_workbook(template_sets()[seed.TEMPLATE]))
    for sheet, values in seed.VALUES.items():
        for name, value in values.items():
            assert book.address(sheet, name), f"{sheet}: no place for {name}"
            book.set(sheet, place(book, sheet, name), value)
    for sheet, rows in (adjusted or {}).items():
        for i, score in rows.items():
            book.set(sheet, place(book, sheet, f"sc{i}_adjusted"), score)
    return book


def seed_book(seed: str) -> OpenpyxlBook:
    """Seed 000, 001 (the bundled example), 002 or 004 with its report texts in full."""
    if seed == "001":
        from perfeval_xl.forms.example import build_example

        book = OpenpyxlBook(build_example())
    else:
        book = {"000": lambda: fill(seed000), "002": lambda: fill(seed002, seed002.ADJUSTED),
                "004": fill_yaml}[seed]()
    for (sheet, name), text in report_texts(seed).items():
        book.set(sheet, name, text)
    return book
