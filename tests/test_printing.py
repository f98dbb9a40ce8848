"""Print whole: each text's needed height from font, width and wrap, checked on every template,
the example and an export; merged blocks kept on one page; input messages on every input."""
import openpyxl
import pytest

from perfeval_xl.book import OpenpyxlBook
from perfeval_xl.bureau.export import export
from perfeval_xl.forms.printing import (_by_row, boxes, cut_texts, height_needed, keep_blocks, lines_needed,
                                        page_height, print_whole, shown_height, title_height)
from perfeval_xl.forms.set_2023 import REPORT_SECTIONS_2023
from perfeval_xl.forms.sets import template_sets
from perfeval_xl.forms.template import build_workbook

from .conftest import EXAMPLE, ROOT, TEMPLATES

LONG = "本单位严格执行预算管理制度，围绕年度重点工作任务统筹安排支出，按季度开展绩效运行监控。" * 20


def test_height_follows_font_width_and_wrap():
    # 40 CJK characters are 80 units; a 20.8-unit cell holds 20 units a line at 11 pt: 4 lines
    assert lines_needed("汉" * 40, 20.8, 11) == 4
    assert lines_needed("a" * 40, 20.8, 11) == 2  # Latin counts half
    assert lines_needed("汉" * 40, 20.8, 5.5) == 2  # half the font, half the lines
    assert lines_needed("一\n二\n三", 50, 11) == 3  # each paragraph starts a line
    assert height_needed("汉" * 40, 20.8, 10) > height_needed("汉" * 10, 20.8, 10)
    assert height_needed("汉" * 400, 20.8, 10, wrap=False) == height_needed("汉", 20.8, 10)


def _visible(wb):
    return [ws for ws in wb.worksheets if ws.sheet_state == "visible"]


@pytest.mark.parametrize("path", TEMPLATES + [EXAMPLE], ids=lambda p: p.name)
def test_no_text_is_cut_in_templates_and_the_example(path):
    wb = openpyxl.load_workbook(path)
    cuts = [str(c) for ws in _visible(wb) for c in cut_texts(ws)]
    assert cuts == []


def _straddling(ws) -> list[str]:
    """Merged blocks that fit on a page but are split by the estimated page ends."""
    ends = keep_blocks(ws)
    by_row = _by_row(boxes(ws))
    page = page_height(ws) - title_height(ws, by_row)
    out = []
    for m in ws.merged_cells.ranges:
        inside = [e for e in ends if m.min_row <= e < m.max_row]
        if inside and shown_height(ws, m.min_row, m.max_row, by_row) <= page:
            out.append(f"{ws.title}!{m.coord}")
    return out


@pytest.mark.parametrize("tset", list(template_sets().values()), ids=lambda t: t.id)
def test_page_breaks_never_split_a_merged_label_from_its_rows(tset):
    wb = build_workbook(tset)
    assert [s for ws in wb.worksheets for s in _straddling(ws)] == []
    assert any(ws.row_breaks.brk for ws in wb.worksheets) or tset.id == "2023"  # breaks are really placed


def test_a_tool_written_sheet_grows_rows_to_its_text():
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["附件4"]
    ws["A6"].value = LONG
    assert cut_texts(ws)  # the template's reserved height is not enough for a long section
    print_whole(ws)
    assert cut_texts(ws) == []


def _long_report_export(tmp_path):
    book = OpenpyxlBook.open(EXAMPLE)
    for i, heading in enumerate(REPORT_SECTIONS_2023, start=1):
        book.set("附件4", f"section{i}", f"{heading}：{LONG}")
    src = tmp_path / "long.xlsx"
    book.wb.save(src)
    return export(src, tmp_path / "exported.xlsx").path


def test_an_export_with_long_report_sections_prints_whole(tmp_path):
    wb = openpyxl.load_workbook(_long_report_export(tmp_path))
    cuts = [str(c) for ws in _visible(wb) for c in cut_texts(ws)]
    assert cuts == []


def test_every_input_cell_says_what_to_type():
    for path in TEMPLATES:
        wb = openpyxl.load_workbook(path)
        tset = template_sets()[{p.name: p.value for p in wb.custom_doc_props}["perfeval.template"]]
        for form in tset.forms:
            ws = wb[form.sheet]
            prompts = {}
            for dv in ws.data_validations.dataValidation:
                assert len(dv.prompt or "") <= 255 and len(dv.promptTitle or "") <= 32
                for rng in dv.sqref.ranges:
                    for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                        for cell in row:
                            prompts[cell.coordinate] = (dv.promptTitle, dv.prompt)
            for f in form.fields():
                if f.computed or f.value is not None:
                    continue
                coord = (ws.defined_names.get(f.name) or wb.defined_names[f.name]).attr_text.split("!")[1].replace("$", "")
                assert coord in prompts and prompts[coord][1], (form.sheet, f.name)
                if f.kind == "percent":
                    assert "百分比" in prompts[coord][1]
                if f.kind == "money":
                    assert "万元" in prompts[coord][1]


def test_messages_come_from_the_rule_data():
    wb = openpyxl.load_workbook(ROOT / "templates" / "2020_部门整体支出绩效评价自评报告.xlsx")
    ws = wb["附件3-1"]
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                by_cell.update({cell.coordinate: dv.prompt for cell in row})
    from perfeval_xl.engine.scheme import load

    for i, ind in enumerate(load("hunan-dept-2020").indicators, start=1):
        # a judged row takes its score in 自评得分; 经济效益、社会效益… rows one score per part
        entry = "part1" if f"sc{i}_part1" in ws.defined_names else "score" if ind.rule.kind == "judged" else "value"
        coord = ws.defined_names[f"sc{i}_{entry}"].attr_text.split("!")[1].replace("$", "")
        prompt = by_cell[coord]
        if ind.rule.kind == "checklist":
            assert f"共{len(ind.rule.items)}项" in prompt, ind.name
        if ind.rule.kind == "failures":
            assert "例数" in prompt
        if ind.rule.kind == "judged":
            assert f"0至{ind.weight:g}分" in prompt
        if ind.rule.kind == "choice":
            assert all(o.label in prompt for o in ind.rule.options)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_computed_cells_shrink_a_message_to_their_width(path):
    """需加载项计算 or 有得分未算出 in a narrow 得分 column shows whole (seen cut in LibreOffice
    before): every computed score, rate and total cell shrinks to fit; typed cells do not."""
    from perfeval_xl.forms.template import addresses

    wb = openpyxl.load_workbook(path)
    checked = 0
    for form in next(t for t in template_sets().values() if t.filename == path.name).forms:
        where = addresses(form)
        for f in form.fields():
            cell = wb[form.sheet][where[f.name].replace("$", "")]
            if f.kind != "text":
                assert bool(cell.alignment.shrink_to_fit) == f.computed, (form.sheet, f.name)
                checked += f.computed
    assert checked > 50
