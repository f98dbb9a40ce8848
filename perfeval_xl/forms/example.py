"""Fill a template from an example's data file (sheet → defined name → value)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.engine.scheme import read_package_yaml
from perfeval_xl.files import save_reproducible
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.printing import print_whole
from perfeval_xl.forms.template import build_workbook

EXAMPLE_DIR = resources.files(__package__) / "examples"
EXAMPLE_FILENAME = "2023_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx"


def build_example(name: str = "2023-yueyang") -> OpenpyxlBook:
    data = read_package_yaml(EXAMPLE_DIR / f"{name}.yaml")
    book = OpenpyxlBook(build_workbook(template_sets()[data["template"]]))
    for sheet, values in data["values"].items():
        for field, value in values.items():
            book.set(sheet, field, value)
    return book


def write_example(out_dir: Path) -> Path:
    wb = build_example().wb
    for ws in wb.worksheets:  # rows as tall as the text typed in, blocks kept on one page
        print_whole(ws)
    return save_reproducible(wb, Path(out_dir) / EXAMPLE_FILENAME)
