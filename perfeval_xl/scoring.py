"""The jobs behind the CLI and the ribbon: score / validate a file, build templates, add sheets."""
from __future__ import annotations

from pathlib import Path

from perfeval_xl.checks.assess import Assessment, assess
from perfeval_xl.book import BookError, OpenpyxlBook
from perfeval_xl.files import atomic_save
from perfeval_xl.checks.findings import write_result_sheet


def assess_with_texts(book, report: Path | None = None) -> Assessment:
    """What score and validate show: the assessment, then the report text against the tables
    (the workbook's typed report text, and a Word report when given). Composed here, at the
    command layer, so that assessing a book (collect, export) never walks through report code."""
    from perfeval_xl.checks.assess import identify
    from perfeval_xl.report.narrative import check_report, check_texts

    a = assess(book)
    tset = identify(book)
    a.findings += check_texts(book, tset, a.forms, a.unit)
    if report is not None:
        a.findings += check_report(Path(report), book, tset, a.forms, a.unit)
    return a


def assess_file(path: Path, report: Path | None = None) -> tuple[OpenpyxlBook, Assessment]:
    book = OpenpyxlBook.open(path)
    return book, assess_with_texts(book, report)


def write_scored_copy(book: OpenpyxlBook, a: Assessment, out: Path) -> Path:
    """A copy of the workbook with the 校验结果 sheet; never the input file itself."""
    if book.path is not None and Path(out).resolve() == Path(book.path).resolve():
        raise BookError("输出文件不能与输入文件相同（原文件不会被修改）")
    write_result_sheet(book.wb, a)
    return atomic_save(book.wb, out)


def next_project(book) -> list:
    """The forms of the book's next project (the right 附件 of the book's own set), numbered
    after the projects it holds: 附件3_2 in a 2023 book, 附件2-2_2 + 附件3-2_2 in a 2020 book."""
    from perfeval_xl.checks.assess import identify

    tset = identify(book)
    if tset.project is None:
        raise BookError("此工作簿的模板没有项目支出表，不能新增项目")
    sheets = book.sheets()
    n = 2
    while any(f.sheet in sheets for f in tset.project(n)):
        n += 1
    return tset.project(n)


def last_project_sheet(book) -> str:
    """Where new project sheets go: after the last project sheet (else after the last sheet)."""
    from perfeval_xl.checks.assess import forms_in, identify, project_keys

    tset = identify(book)
    keys = project_keys(tset)
    return ([s for s, f in forms_in(book, tset) if f.key in keys] or book.sheets())[-1]


def add_project_sheet(book: OpenpyxlBook) -> list[str]:
    """Add the next project's sheets after the book's last project sheet."""
    from perfeval_xl.forms.template import addresses, write_form

    forms = next_project(book)
    wb = book.wb
    last = wb.sheetnames.index(last_project_sheet(book))
    book_addresses = {f.sheet: addresses(f) for f in forms}
    for i, form in enumerate(forms, start=1):
        write_form(wb, form, book_addresses)
        wb.move_sheet(form.sheet, offset=last + i - wb.sheetnames.index(form.sheet))
    book.invalidate()
    return [f.sheet for f in forms]
