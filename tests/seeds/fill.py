"""Fill a template with a seed's figures from its data file (tests/seeds/*.yaml).

A null value leaves the template's cell as it is (blank, or the formula a derived rate has).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from perfeval_xl.book import OpenpyxlBook

from . import place
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

HERE = Path(__file__).resolve().parent


def seed_data(name: str = "seed004_2020") -> dict:
    return yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))


def fill(name: str = "seed004_2020", typed_rates: bool = False) -> OpenpyxlBook:
    data = seed_data(name)
    book = OpenpyxlBook(build_workbook(template_sets()[data["template"]]))
    overlays = [data["values"]] + ([data["typed_rates"]] if typed_rates else [])
    for values in overlays:
        for sheet, fields in values.items():
            for field, value in fields.items():
                if value is not None:
                    book.set(sheet, place(book, sheet, field), value)
    return book
