"""Editions from outside the package: checked, built into a template that carries them, filled
with an adapted 评分表 (a 分值 changed, a row 不适用, a row added), scored, exported, verified."""
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.export import export, verify
from perfeval_xl.checks.assess import assess
from perfeval_xl.engine import scheme
from perfeval_xl.forms.edition import EDITION_PROP, EDITION_SHEET, build_edition_template

from .conftest import ROOT

EDITION = ROOT / "docs" / "example-edition.yaml"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfeval_xl.cli", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_documented_example_checks_clean():
    proc = cli("schemes", "--check", str(EDITION))
    assert proc.returncode == 0, proc.stdout
    assert "未发现问题" in proc.stdout
    assert scheme.edition_hash(EDITION.read_text(encoding="utf-8")) in proc.stdout


def test_check_reports_each_inconsistency_in_chinese(tmp_path):
    text = EDITION.read_text(encoding="utf-8")
    broken = (text.replace("level1: {投入: 20,", "level1: {投入: 25,")  # weights do not add up
              .replace("[{min: 0.9, points: 10}, {min: 0.8, points: 8}", "[{min: 0.8, points: 8}, {min: 0.9, points: 10}")
              .replace("rule: {kind: failures, per: 2}", "rule: {kind: failure, per: 2}")
              .replace("standard: 满意度≥90%，计20分；每低于一个百分点扣1分，扣完为止。", "standard: ''")
              .replace("rule: {kind: ratio}", "rule: {kind: ratio, full: 12}"))
    # the unknown kind stops the file being read: check that message first, then the rest
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    proc = cli("schemes", "--check", str(path))
    assert proc.returncode == 1
    assert "指标“资金使用合规性”的 rule：评分方式（kind）“failure”未知" in proc.stdout
    path.write_text(broken.replace("kind: failure,", "kind: failures,"), encoding="utf-8")
    out = cli("schemes", "--check", str(path)).stdout
    assert "一级指标“投入”分值为25，其下三级指标分值合计20" in out
    assert "一级指标分值合计105，总分应为100" in out
    assert "指标“重点支出安排率”的分档顺序有误" in out
    assert "指标“重点支出安排率”的第2档得分10高于第1档8" in out
    assert "指标“社会公众或服务对象满意度”缺少评分标准原文（standard）" in out
    assert "指标“预算执行率”分值为10，评分标准满分却为12" in out


def test_a_file_cannot_take_a_built_in_id_or_expand_aliases(tmp_path):
    text = EDITION.read_text(encoding="utf-8").replace("id: example-city-dept-2024", "id: hunan-dept-2020")
    assert any("已被内置指标体系使用" in p for p in scheme.check_edition(text))
    path = tmp_path / "same-id.yaml"
    path.write_text(text, encoding="utf-8")
    proc = cli("templates", "--scheme", str(path), "-o", str(tmp_path))
    assert proc.returncode == 2 and "与内置体系相同" in proc.stderr and "Traceback" not in proc.stderr
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    assert scheme.check_edition(bomb) == ["指标体系文件中的别名（*名称）只能指向一段文字，不能指向列表或映射"]


# The bureau's edition, adapted by the unit: 预算执行率 10 → 8 分, 资金结余 不适用, one row added
# under 过程 worth 2 分 (so that the 分值 still add up to 100).
FILLED = {"sc1_value": "98%", "sc2_value": "85%", "sc3_weight": 8, "sc3_value": "95%", "sc4_na": "不适用",
          "sc5_value": "①②", "sc6_value": 1, "sc7_score": 27, "sc8_value": "95%",
          "add1_l1": "过程", "add1_l2": "预算管理", "add1_name": "内部控制制度建设", "add1_standard": "建立内控制度2分",
          "add1_weight": 2, "add1_score": 2}
REASONS = {f"sc{i}_reason": "按评分标准扣分" for i in (2, 3, 5, 6, 7)}
# 10 + 8 + 9.5×8/10 + 4 + (6−2) + 27 + 20 + 2 = 82.6 over the applicable 100 − 8 = 92 分
POINTS, APPLICABLE = D("82.60"), D(92)
TOTAL = D("89.78")  # 82.6 × 100 / 92 = 89.7826…, 按百分制折算, half-up


def _fill(path: Path, sheet: str) -> OpenpyxlBook:
    book = OpenpyxlBook.open(path)
    for name, value in {**FILLED, **REASONS}.items():
        book.set(sheet, name, value)
    return book


def test_a_bureau_edition_builds_checks_and_scores_end_to_end(tmp_path):
    template, problems = build_edition_template(EDITION, tmp_path)
    assert problems == []
    wb = openpyxl.load_workbook(template)
    assert wb[EDITION_SHEET].sheet_state == "veryHidden"
    sha = scheme.edition_hash(EDITION.read_text(encoding="utf-8"))
    assert {p.name: p.value for p in wb.custom_doc_props}[EDITION_PROP] == sha
    assert wb.sheetnames[:4] == ["附件2-1", "附件2-2", "附件3-1", "附件3-2"]  # the 2020 set, 3-1 replaced
    book = _fill(template, "附件3-1")
    a = assess(book)
    result = next(f for f in a.forms if f.sheet == "附件3-1")
    assert (result.total, result.score_sum, result.applicable, result.grade) == (TOTAL, POINTS, APPLICABLE, "良")
    assert result.scheme == f"example-city-dept-2024@{sha[:12]}" and a.edition_sha256 == sha
    # the sheet's own formulas rescale the same way (headless evaluation of the template's formulas)
    assert book.get("附件3-1", "weight_total") == 100 and book.get("附件3-1", "weight_applicable") == 92
    assert book.get("附件3-1", "score_sum") == pytest.approx(82.6)
    assert book.get("附件3-1", "score_total") == pytest.approx(float(TOTAL))
    assert book.get("附件3-1", "sc4_score") == "不适用"
    assert book.get("附件3-1", "sc3_computed") == pytest.approx(7.6)
    sheet_findings = [f for f in a.findings if f.sheet == "附件3-1"]
    assert [f.code for f in sheet_findings] == ["weight_adapted"], sheet_findings
    assert "分值由参考样表的10调整为8" in sheet_findings[0].message


def test_validation_checks_the_adapted_system(tmp_path):
    template, _ = build_edition_template(EDITION, tmp_path)
    book = _fill(template, "附件3-1")
    book.set("附件3-1", "add1_weight", 5)  # now 103 分
    book.set("附件3-1", "add1_score", 6)  # more than its 分值
    book.set("附件3-1", "sc7_score", None)  # judged row left blank
    found = {f.code: f for f in assess(book).findings if f.sheet == "附件3-1"}
    assert "各指标分值合计为103，应为100" in found["weight_total"].message
    assert found["score_out_of_range"].cell == book.address("附件3-1", "add1_score")
    # "自评得分未填写" points at the score cell, where the evaluator types it
    assert found["required"].cell == book.address("附件3-1", "sc7_score")
    assert found["level1_adapted"].severity == "warning"


def test_a_filled_book_exports_and_verifies_without_the_edition_file(tmp_path):
    standalone = tmp_path / "standalone.yaml"  # the 评分表 alone (no template set around it)
    standalone.write_text(EDITION.read_text(encoding="utf-8").replace('template: "2020"', 'template: ""'),
                          encoding="utf-8")
    template, _ = build_edition_template(standalone, tmp_path / "t")
    standalone.unlink()
    scheme._CARRIED.clear()  # as in a fresh process: only the workbook knows the edition
    src = tmp_path / "filled.xlsx"
    book = _fill(template, "评分表")
    book.wb.save(src)
    r = export(src, tmp_path / "out.xlsx")
    assert r.assessment.main.total == TOTAL and not r.assessment.errors
    assert verify(r.path).status == "通过"
    exported = assess(OpenpyxlBook.open(r.path))
    assert exported.main.total == TOTAL and exported.edition_sha256 == r.assessment.edition_sha256


def test_an_edited_edition_inside_the_book_is_an_error(tmp_path):
    template, _ = build_edition_template(EDITION, tmp_path)
    book = _fill(template, "附件3-1")
    ws = book.wb[EDITION_SHEET]
    cell = next(c for c in ws["A"] if c.value and "kind: failures, per: 2" in c.value)
    cell.value = cell.value.replace("per: 2", "per: 0.5")  # a milder rule slipped in
    a = assess(book)
    changed = [f for f in a.findings if f.code == "edition_changed"]
    assert changed and changed[0].severity == "error"
    assert a.edition_sha256 != scheme.edition_hash(EDITION.read_text(encoding="utf-8"))
