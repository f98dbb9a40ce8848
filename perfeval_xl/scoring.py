"""The jobs behind the CLI and the ribbon: score / validate a file, build templates, add sheets."""
from __future__ import annotations

from pathlib import Path

from perfeval_xl.checks.assess import Assessment, assess
from perfeval_xl.book import BookError, OpenpyxlBook
from perfeval_xl.files import atomic_save
from perfeval_xl.checks.findings import write_result_sheet


def assess_file(path: Path) -> tuple[OpenpyxlBook, Assessment]:
    book = OpenpyxlBook.open(path)
    return book, assess(book)


def write_scored_copy(book: OpenpyxlBook, a: Assessment, out: Path) -> Path:
    """A copy of the workbook with the 校验结果 sheet; never the input file itself."""
    if book.path is not None and Path(out).resolve() == Path(book.path).resolve():
        raise BookError("输出文件不能与输入文件相同（原文件不会被修改）")
    write_result_sheet(book.wb, a)
    return atomic_save(book.wb, out)


def add_project_sheet(book: OpenpyxlBook) -> str:
    """Add another 附件3 (项目支出绩效自评表) after the last one."""
    from perfeval_xl.forms.sets import next_project_form
    from perfeval_xl.forms.template import addresses, write_form

    form = next_project_form(book.sheets())
    wb = book.wb
    projects = [i for i, name in enumerate(wb.sheetnames) if name.startswith("附件3_")]
    write_form(wb, form, {form.sheet: addresses(form)})
    if projects:
        wb.move_sheet(form.sheet, offset=projects[-1] + 1 - wb.sheetnames.index(form.sheet))
    book.invalidate()
    return form.sheet
