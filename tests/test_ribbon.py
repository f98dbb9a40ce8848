"""Each ribbon button's Python entry point, end to end on the example, through a fake Excel."""
import hashlib
import shutil

import openpyxl
import pytest

from perfeval_xl.bureau.export import verify
from perfeval_xl.checks.findings import RESULT_SHEET
from perfeval_xl.excel import ribbon
from perfeval_xl.excel.ribbon import ExcelUI, XlwingsBook, on_button

from .fake_xlwings import FakeApp, book_map


@pytest.fixture
def excel(example):
    app = FakeApp()
    book = app.books.open(example)
    return app, book


def press(app, book, button):
    """As PE_OnAction does: hand over the book map, then run the button in the UDF server."""
    ribbon.BOOK_MAP = book_map(book)
    on_button(button, book, ExcelUI(app))
    assert ribbon.BOOK_MAP is None


def test_score(excel):
    app, book = excel
    press(app, book, "score")
    assert app.calculations == 1
    assert "附件2（selfeval-2023）：总分 98.00，等次 优" in app.alerts[-1]
    assert RESULT_SHEET in [s.name for s in book.sheets]
    assert "正在评分和校验……" in app.status_history and app.status_bar is False


def test_validate_selects_the_first_error(excel):
    app, book = excel
    live = XlwingsBook(book)
    live.set("附件2", "ind1_actual", "约九成")
    press(app, book, "validate")
    cell = live.address("附件2", "ind1_actual")
    assert app.selection == ("附件2", cell)
    assert "发现错误 1 项" in app.alerts[-1] and f"附件2!{cell}" in app.alerts[-1]
    ws = book.wb[RESULT_SHEET]
    links = [c.value for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert links == [f'=HYPERLINK("#\'附件2\'!{cell}","{cell}")']


def test_validate_clean(excel):
    app, book = excel
    press(app, book, "validate")
    assert app.alerts[-1].startswith("未发现错误")
    press(app, book, "validate")  # a second run replaces the sheet instead of adding another
    assert [s.name for s in book.sheets].count(RESULT_SHEET) == 1


def test_export(excel, example):
    app, book = excel
    press(app, book, "export")
    out = example.parent / "2023年度_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx"
    assert f"已导出：{out}" in app.alerts[-1]
    assert verify(out).ok


def test_export_refused_writes_nothing(excel, example):
    app, book = excel
    XlwingsBook(book).set("附件2", "budget_full", "一千三百万")
    before = sorted(p.name for p in example.parent.iterdir())
    press(app, book, "export")
    assert "未导出" in app.alerts[-1]
    assert app.selection[0] == "附件2"
    assert sorted(p.name for p in example.parent.iterdir()) == before


def test_export_needs_a_saved_file(excel, tmp_path):
    app, book = excel
    book.fullname = str(tmp_path / "never-saved.xlsx")
    press(app, book, "export")
    assert app.alerts[-1] == "请先保存工作簿，再锁定导出。"


def test_new_project_sheet(excel):
    app, book = excel
    press(app, book, "new_project")
    names = [s.name for s in book.sheets]
    assert names[:4] == ["附件1", "附件2", "附件3_1", "附件3_2"]
    live = XlwingsBook(book)
    assert live.address("附件3_2", "project_name") == live.address("附件3_1", "project_name")
    assert all(b is book for b in app.books.list)  # the scratch workbook was closed
    press(app, book, "score")
    assert "总分 98.00" in app.alerts[-1]


def test_open_template(excel, example):
    app, book = excel
    press(app, book, "open_template")
    opened = app.books.list[-1]
    assert opened is not book and opened.fullname.endswith("2023_部门整体支出绩效自评.xlsx")
    assert "附件2" in [s.name for s in opened.sheets]
    press(app, book, "open_template")
    assert app.books.list[-1].fullname.endswith("2023_部门整体支出绩效自评（2）.xlsx")


def test_collect(excel, example_export, tmp_path):
    app, book = excel
    folder = tmp_path / "各单位"
    folder.mkdir()
    shutil.copy(example_export.path, folder / "甲.xlsx")
    (folder / "坏.xlsx").write_bytes(b"%PDF-1.4")
    app.folder_to_pick = folder
    press(app, book, "collect")
    assert "已汇总 1 个文件，跳过 1 个" in app.alerts[-1]
    summary = openpyxl.load_workbook(folder / "汇总.xlsx")
    assert summary["汇总"]["B5"].value == "岳阳市公共租赁房屋运营服务中心"
    assert app.books.list[-1].fullname == str(folder / "汇总.xlsx")
    assert any(str(s).startswith("汇总中") for s in app.status_history)


def test_collect_cancelled(excel):
    app, book = excel
    press(app, book, "collect")
    assert app.alerts == []


def test_help_and_unknown_buttons(excel):
    app, book = excel
    press(app, book, "help")
    assert "锁定导出" in app.alerts[-1]
    press(app, book, "nope")
    assert app.alerts[-1] == "未知的按钮：nope"


def test_a_failure_becomes_a_message(excel, monkeypatch):
    app, book = excel
    import perfeval_xl.excel.ribbon as ribbon

    monkeypatch.setitem(ribbon.HANDLERS, "score", lambda b, ui: 1 / 0)
    press(app, book, "score")
    assert app.alerts[-1].startswith("操作未完成：ZeroDivisionError")
    assert app.status_bar is False


def test_the_users_file_is_not_changed_by_score_or_validate(excel, example):
    app, book = excel
    before = hashlib.sha256(example.read_bytes()).hexdigest()
    press(app, book, "score")
    press(app, book, "validate")
    assert hashlib.sha256(example.read_bytes()).hexdigest() == before  # only Excel's own Save writes it


def test_report_button_writes_the_draft_beside_the_workbook(excel, example):
    import docx

    app, book = excel
    press(app, book, "report")
    out = example.parent / "2023年度_岳阳市公共租赁房屋运营服务中心_绩效自评报告（初稿）.docx"
    assert f"已生成报告初稿：{out}" in app.alerts[-1] and app.calculations == 1
    text = "\n".join(p.text for p in docx.Document(out).paragraphs)
    # the example's own 附件4 text, under the title with its region, and the figures' trace
    assert text.startswith("2023年度岳阳楼区岳阳市公共租赁房屋运营服务中心整体支出绩效自评报告")
    assert "1.公用经费执行率95%，原因是预算编制结构欠合理。" in text and "附：数字来源" in text
