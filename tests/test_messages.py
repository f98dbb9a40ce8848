"""Issue 23, items 3 and 4: the workbook and the CLI say what a rule does, and every message
names its cause (the cell, the indicator, the edition, the file or folder) in Chinese."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.forms.edition import build_edition_template
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

from .conftest import EXAMPLE, ROOT
from .seeds import place, seed002

SANGONG = "sc2_value"  # 附件4 “三公经费”变动率: 分值 5, its text says 计8分


def cli(*args, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "perfeval_xl.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, **kw)


def findings(path: Path) -> list[dict]:
    return json.loads(cli("validate", path, "--json").stdout)["findings"]


def lengshuitan(tmp_path: Path, **rows) -> tuple[Path, OpenpyxlBook]:
    """Seed 002 in the 冷水滩 set, with 附件4 rows typed as given (sc2_value="2%")."""
    book = OpenpyxlBook(build_workbook(template_sets()[seed002.TEMPLATE]))
    for sheet, values in seed002.VALUES.items():
        for name, value in values.items():
            book.set(sheet, place(book, sheet, name), value)
    for sheet, adjusted in seed002.ADJUSTED.items():
        for i, score in adjusted.items():
            if f"sc{i}_value" not in rows:
                book.set(sheet, place(book, sheet, f"sc{i}_adjusted"), score)
    for name, value in rows.items():
        book.set("附件4", name, value)
    path = tmp_path / "冷水滩.xlsx"
    book.wb.save(path)
    return path, book


def example(tmp_path: Path, **values) -> tuple[Path, OpenpyxlBook]:
    book = OpenpyxlBook.open(EXAMPLE)
    for name, value in values.items():
        book.set("附件2", name, value)
    path = tmp_path / "例.xlsx"
    book.wb.save(path)
    return path, book


# ----------------------------------------------------------------------------- item 3
def test_the_row_whose_rule_departs_from_its_text_carries_a_note():
    wb = build_workbook(template_sets()[seed002.TEMPLATE])
    book = OpenpyxlBook(wb)
    cell = book.address("附件4", SANGONG)
    note = "评分标准写满分8分，本行分值为5分：按评分标准自8分起扣，得分以5分为上限"
    assert note in wb["附件4"][cell].comment.text
    prompts = [dv.prompt for dv in wb["附件4"].data_validations.dataValidation if cell in str(dv.sqref)]
    assert len(prompts) == 1 and note in prompts[0]
    # a row whose rule keeps to its 分值 has no such note
    assert "注：" not in wb["附件4"][book.address("附件4", "sc1_value")].comment.text


def test_an_edition_file_gets_the_same_note(tmp_path):
    text = (ROOT / "docs" / "example-edition.yaml").read_text(encoding="utf-8")
    first = "rule: {kind: threshold, better: lower, limit: 1, per: 1}"
    assert text.count(first) == 1
    (tmp_path / "e.yaml").write_text(text.replace(first, first[:-1] + ", full: 12}"), encoding="utf-8")
    template, problems = build_edition_template(tmp_path / "e.yaml", tmp_path)
    assert any("满分却为12" in p for p in problems)
    ws = openpyxl.load_workbook(template)["附件3-1"]
    cell = OpenpyxlBook(ws.parent).address("附件3-1", "sc1_value")
    assert "评分标准写满分12分，本行分值为10分：按评分标准自12分起扣，得分以10分为上限" in ws[cell].comment.text


def test_the_cli_says_when_the_departure_changes_the_score(tmp_path):
    path, book = lengshuitan(tmp_path, sc2_value="2%", sc2_adjusted=None)
    said = [f for f in findings(path) if f["code"] == "rule_departs"]
    assert [(f["severity"], f["cell"]) for f in said] == [("warning", book.address("附件4", SANGONG))]
    assert "自8分起扣" in said[0]["message"] and "本行得5分" in said[0]["message"]
    assert book.get("附件4", "sc2_score") == 5  # 8 − 2 × 0.8 = 6.4, capped at 5
    path, _ = lengshuitan(tmp_path, sc2_value="-3%", sc2_adjusted=None)  # 5 either way: nothing to say
    assert not [f for f in findings(path) if f["code"] == "rule_departs"]


def test_rates_beyond_what_their_formula_allows_get_a_hint_and_keep_their_score(tmp_path):
    path, book = lengshuitan(tmp_path, sc3_value="101%", sc3_adjusted=None, sc4_value="-5%", sc4_adjusted=None)
    hints = {f["cell"]: f for f in findings(path) if f["code"] == "rate_implausible"}
    completion, control = book.address("附件4", "sc3_value"), book.address("附件4", "sc4_value")
    assert set(hints) == {completion, control}
    assert all(f["severity"] == "warning" and f["sheet"] == "附件4" for f in hints.values())
    assert "“预算完成率”为101%，按计算公式应在0%至100%之间" in hints[completion]["message"]
    assert "“预算控制率”为-5%，按计算公式不应为负数" in hints[control]["message"]
    assert book.get("附件4", "sc3_score") == book.get("附件4", "sc4_score") == 5
    out = json.loads(cli("score", path, "--json").stdout)
    assert D(str(out["main"]["total"])) == 93  # the seed's total with both rows at full marks

    path, book = example(tmp_path, budget_spent=1400.0, expense_project=1400.0 - 586.92)  # 105.8 %
    hints = [f for f in findings(path) if f["code"] == "rate_implausible"]
    assert [f["cell"] for f in hints] == [book.address("附件2", "budget_spent")]
    assert "执行率为105.8%" in hints[0]["message"] and "（10分）" in hints[0]["message"]


# ----------------------------------------------------------------------------- item 4: findings
def test_extra_words_after_a_unit_are_named_at_the_actual_cell(tmp_path):
    path, book = example(tmp_path, ind4_actual="100%（已完成）")
    f = next(f for f in findings(path) if f["code"] == "cannot_score")
    assert f["cell"] == book.address("附件2", "ind4_actual")
    assert "多了文字“（已完成）”" in f["message"] and "“100%”" in f["message"] and "单位不一致" not in f["message"]


def test_a_rate_just_below_the_limit_does_not_show_as_the_limit(tmp_path):
    spent = 1323.28 * 0.899998  # 执行率 89.9998 %
    path, _ = example(tmp_path, budget_spent=spent, expense_basic=0, expense_project=spent)
    f = next(f for f in findings(path) if f["code"] == "low_execution_without_reason")
    assert "执行率89.9998%低于90%" in f["message"]


def test_rates_are_never_in_scientific_notation_and_a_ratio_names_its_indicator(tmp_path):
    path, book = lengshuitan(tmp_path, sc1_value="10500%")
    f = next(f for f in findings(path) if f["code"] == "rate_out_of_range")
    assert "10500%" in f["message"] and "e+" not in f["message"]
    path, book = example(tmp_path, ind1_target="好", ind1_actual="好", ind1_level="达成", ind1_ratio="9000%")
    f = next(f for f in findings(path) if f["code"] == "rate_out_of_range")
    assert f["cell"] == book.address("附件2", "ind1_ratio")
    assert f["message"].startswith("“租金收缴金额”的得分比例为9000%")


def test_a_score_typed_as_text_is_reported_at_that_cell_not_at_the_total(tmp_path):
    path, book = example(tmp_path, ind1_adjusted="4分", ind1_reason="收缴滞后")
    found = findings(path)  # both engines leave the row out (issue 23 item 1): the total agrees
    assert not [f for f in found if f["code"] == "total_mismatch"]
    [f] = [f for f in found if f["code"] == "not_number"]
    assert f["cell"] == book.address("附件2", "ind1_adjusted")
    assert "调整后得分“4分”是文字" in f["message"] and "只填写数字" in f["message"]


def test_a_formula_is_said_rewritten_only_when_it_differs_from_the_template(tmp_path):
    path, book = example(tmp_path, ind7_actual="2024年1月15日")  # the template's formula, untouched
    assert not [f for f in findings(path) if "改写" in f["message"]]
    book.wb["附件2"][book.address("附件2", "ind4_score")] = "=ind4_computed/2"
    book.wb.save(path)
    rewritten = [f for f in findings(path) if "改写" in f["message"]]
    assert [(f["code"], f["cell"]) for f in rewritten] == [("score_mismatch", book.address("附件2", "ind4_score"))]


# ----------------------------------------------------------------------------- item 4: the command line
def test_indicator_names_its_edition_or_asks_for_one():
    proc = cli("indicator", "满意度", "85")
    assert proc.returncode == 2 and "--scheme" in proc.stderr
    assert all(sid in proc.stderr for sid in ("hunan-dept-2020", "lengshuitan-dept-2021"))
    proc = cli("indicator", "满意度", "85%", "--scheme", "hunan-dept-2020")
    assert proc.stdout.splitlines()[0] == "3.00" and "hunan-dept-2020" in proc.stderr
    proc = cli("indicator", "在职人员控制率", "108.7%")  # two editions, one score: both named
    assert proc.stdout.splitlines()[0] == "0.65"
    assert "hunan-dept-2020" in proc.stderr and "lengshuitan-dept-2021" in proc.stderr
    proc = cli("indicator", "预算完成率", "101%")
    assert proc.stdout.splitlines()[0] == "5.00" and "应在0%至100%之间" in proc.stdout


def test_input_messages_of_the_year_and_of_a_weight():
    wb = openpyxl.load_workbook(EXAMPLE.parent.parent / "templates" / "2023_部门整体支出绩效自评.xlsx")
    book = OpenpyxlBook(wb)
    prompt = {}
    for sheet, name in (("附件1", "report_year"), ("附件2", "ind1_weight")):
        cell = book.address(sheet, name)
        prompt[name] = next(dv.prompt for dv in wb[sheet].data_validations.dataValidation if cell in str(dv.sqref))
    assert "如2023" in prompt["report_year"] and "如12" not in prompt["report_year"]
    assert "分值" in prompt["ind1_weight"] and "填写得分" not in prompt["ind1_weight"]


def test_os_errors_are_one_chinese_sentence(tmp_path):
    proc = cli("score", tmp_path)
    assert proc.returncode == 2 and proc.stderr == f"错误：“{tmp_path}”是文件夹，不是文件：请指定工作簿文件（.xlsx）\n"
    renamed = tmp_path / "表.xls"
    shutil.copy(EXAMPLE, renamed)
    proc = cli("validate", renamed)  # read by its content (the gate checked the bytes), not refused by its name
    assert proc.returncode == 0 and "总分 98.00，等次 优" in proc.stdout and proc.stderr == ""
    ods = tmp_path / "表.ods"
    with zipfile.ZipFile(ods, "w") as z:  # an OpenDocument package as LibreOffice writes it: mimetype first
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                                  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    proc = cli("validate", ods)
    assert proc.returncode == 2 and proc.stderr.startswith("错误：此文件是OpenDocument表格（.ods")
    assert "另存为" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_a_pipe_closed_by_the_reader_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "perfeval_xl.cli", "validate", str(EXAMPLE)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()  # as `| head -0` does: every line written goes nowhere
    assert proc.wait() == 141 and proc.stderr.read() == b""


def test_a_read_only_folder_is_named(tmp_path):
    folder = tmp_path / "只读"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "a.xlsx")
    commands = [["score", folder / "a.xlsx", "-o", folder / "b.xlsx"], ["export", folder / "a.xlsx", "--no-sign"]]
    for args in commands:
        args = [sys.executable, "-m", "perfeval_xl.cli", *map(str, args)]
        if os.geteuid() == 0:  # root writes anywhere: a read-only bind mount in a namespace of its own
            args = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    f'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder), *args]
        else:
            folder.chmod(0o555)
        proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        folder.chmod(0o755)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"错误：“{folder}”") and ("只读" in proc.stderr or "没有权限" in proc.stderr)
        assert "Errno" not in proc.stderr and ".~" not in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["a.xlsx"]


def test_export_never_overwrites_without_asking_nor_exports_an_open_book(tmp_path):
    src = tmp_path / "a.xlsx"
    shutil.copy(EXAMPLE, src)
    out = tmp_path / "导出.xlsx"
    assert cli("export", src, "-o", out, "--no-sign").returncode == 0
    before = out.read_bytes()
    proc = cli("export", src, "-o", out, "--no-sign")
    assert proc.returncode == 2 and "已存在" in proc.stderr and "--overwrite" in proc.stderr
    assert out.read_bytes() == before
    assert cli("export", src, "-o", out, "--no-sign", "--overwrite").returncode == 0
    for lock in ("~$a.xlsx", ".~lock.a.xlsx#"):
        (tmp_path / lock).write_text("")
        proc = cli("export", src, "-o", tmp_path / "新.xlsx", "--no-sign")
        assert proc.returncode == 2 and lock in proc.stderr and "正在" in proc.stderr
        assert not (tmp_path / "新.xlsx").exists()
        (tmp_path / lock).unlink()
