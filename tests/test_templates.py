"""Templates: generated from layouts, up to date, styled, named, and opened by LibreOffice."""
import filecmp
import subprocess

import openpyxl
import pytest

from perfeval_xl.forms.example import write_example
from perfeval_xl.forms.layout import BOOK_NAMES
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import COMPUTED_FILL, INPUT_FILL, build_templates

from .conftest import EXAMPLE, ROOT, TEMPLATES


def test_committed_templates_and_example_are_up_to_date(tmp_path):
    fresh = build_templates(tmp_path / "templates") + [write_example(tmp_path / "examples")]
    for path in fresh:
        committed = ROOT / path.parent.name / path.name
        assert committed.exists(), f"{committed} is missing: run perfeval-xl templates"
        assert filecmp.cmp(path, committed, shallow=False), f"{committed.name} is stale: run perfeval-xl templates"


@pytest.mark.parametrize("tset", list(template_sets().values()), ids=lambda t: t.id)
def test_every_field_is_a_named_styled_cell(tset):
    wb = openpyxl.load_workbook(ROOT / "templates" / tset.filename)
    assert wb.sheetnames == [f.sheet for f in tset.forms]
    for form in tset.forms:
        ws = wb[form.sheet]
        for field in form.fields():
            dn = wb.defined_names.get(field.name) if field.name in BOOK_NAMES else ws.defined_names.get(field.name)
            assert dn is not None, f"{form.sheet}: no name {field.name}"
            cell = ws[dn.attr_text.split("!")[1].replace("$", "")]
            if field.computed:
                assert str(cell.value).startswith("="), (form.sheet, field.name)
                assert cell.fill.fgColor.rgb == COMPUTED_FILL.fgColor.rgb
            elif field.value is None:
                assert cell.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
                assert cell.protection.locked is False
            if field.kind == "percent":
                assert cell.number_format == "0.00%"
            if field.kind == "money":
                assert cell.number_format == "#,##0.00"
            if field.choices:
                assert any(cell.coordinate in dv.sqref for dv in ws.data_validations.dataValidation)
            if field.note:
                assert cell.comment is not None and "评分标准" in cell.comment.text
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.print_title_rows and ws.print_area


def test_score_sheets_print_every_standard_verbatim():
    from perfeval_xl.engine.scheme import load

    wb = openpyxl.load_workbook(ROOT / "templates" / "2020_部门整体支出绩效评价自评报告.xlsx")
    texts = "\n".join(str(c.value) for row in wb["附件3-1"].iter_rows() for c in row if c.value)
    for ind in load("hunan-dept-2020").indicators:
        assert ind.standard.strip() in texts, ind.name


@pytest.mark.parametrize("path", TEMPLATES + [EXAMPLE], ids=lambda p: p.name)
def test_libreoffice_opens_recalculates_and_renders(path, tmp_path, lo):
    again = lo.convert(path, "xlsx", tmp_path / "xlsx", recalc=True)
    wb = openpyxl.load_workbook(again)
    assert set(openpyxl.load_workbook(path).sheetnames) <= set(wb.sheetnames)
    pdf = lo.convert(path, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= len(wb.sheetnames) - 1


def test_a_page_becomes_a_picture(tmp_path, example_pdf):
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", str(example_pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000  # a rendered form, not a blank page
