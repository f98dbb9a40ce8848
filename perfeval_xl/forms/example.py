"""Fill a template from an example's data file (sheet → defined name → value)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from openpyxl import Workbook

from perfeval_xl.engine.scheme import read_package_yaml
from perfeval_xl.files import save_reproducible
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.printing import print_whole
from perfeval_xl.forms.template import addresses, build_workbook

EXAMPLE_DIR = resources.files(__package__) / "examples"
EXAMPLE_FILENAME = "2023_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx"


def build_example(name: str = "2023-yueyang") -> Workbook:
    """The template filled at its fields' own addresses (the forms place them; no book needed)."""
    data = read_package_yaml(EXAMPLE_DIR / f"{name}.yaml")
    tset = template_sets()[data["template"]]
    wb = build_workbook(tset)
    forms = {form.sheet: form for form in tset.forms}
    for sheet, values in data["values"].items():
        where = addresses(forms[sheet])
        for field, value in values.items():
            cell = wb[sheet][where[field].replace("$", "")]
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # data, never a formula
    return wb


def write_example(out_dir: Path) -> Path:
    wb = build_example()
    for ws in wb.worksheets:  # rows as tall as the text typed in, blocks kept on one page
        print_whole(ws)
    return save_reproducible(wb, Path(out_dir) / EXAMPLE_FILENAME)
