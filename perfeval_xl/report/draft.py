"""The 自评报告 draft as data: blocks of text with every figure taken from the workbook.

The outline and the wording are data (report/texts/<set>.yaml, one file per template set); this
module only fills them in: ``{数字}`` becomes the figure, ``[…]`` clauses go when a figure in them
is empty or zero, ``each`` items repeat over the lost points, ``table`` / ``chart`` become the
score table and the score chart. The unit's own words come first: a section (or a whole report)
whose text the workbook holds is written as typed, line by line. A paragraph whose figures are
all blank is left out whole, and so is one made only of ``[…]`` clauses that all went; what only
the unit knows and has not typed stays a 【请填写：…】 placeholder. The draft ends with the trace:
every figure it wrote, with its cells (and numerator ÷ denominator for a rate).
Same workbook, same draft: nothing here depends on time, place or order of dictionaries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from perfeval_xl.book import BookError, Book
from perfeval_xl.checks.assess import Assessment, blank, identify
from perfeval_xl.report.figures import Figure, Figures, Row, wording

BlockKind = Literal["title", "line", "heading", "sub", "para", "table", "chart", "page_break"]
PLACEHOLDER = "【请填写："
_FIELD = re.compile(r"\{([^{}]+)\}")
_CLAUSE = re.compile(r"\[([^\[\]]*)\]")


@dataclass
class Chart:
    title: str
    categories: list[str]
    series: list[tuple[str, list[Decimal]]]  # (legend, one value per category)


@dataclass
class Block:
    kind: BlockKind
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)  # table: header first
    chart: Chart | None = None
    widths: list[float] | None = None  # table: column widths in mm (equal when None)


@dataclass
class Draft:
    template: str
    year: int
    unit: str
    blocks: list[Block]

    def text(self) -> str:
        """Everything a reader sees, in order: what 'same workbook, same text' compares."""
        out = []
        for b in self.blocks:
            if b.kind == "table":
                out += ["\t".join(r) for r in b.rows]
            elif b.kind == "chart":
                out.append(f"[图] {b.chart.title}")
            elif b.kind != "page_break":
                out.append(b.text)
        return "\n".join(out)


def fill(template: str, figures: Figures, extra: dict[str, str] | None = None, whole: bool = False) -> str:
    """Put figures into one sentence template (see the head of texts/2023.yaml). With ``whole``
    (a paragraph), "" when its figures are all blank or its every ``[…]`` clause went."""
    extra = extra or {}

    def present(name: str) -> bool:
        if name in extra or name.startswith("一级指标"):
            return bool(extra.get(name, "x"))
        f = figures[name]
        return not f.missing and f.value != 0

    if whole and _empty(template, figures, present):
        return ""
    text = _CLAUSE.sub(lambda m: m.group(1) if all(present(n) for n in _FIELD.findall(m.group(1))) else "",
                       template)

    def value(m: re.Match) -> str:
        name = m.group(1)
        if name in extra:
            return extra[name] or f"{PLACEHOLDER}{name}】"
        if name.startswith("一级指标"):
            return _parts_inline(figures, name.partition(":")[2] or None)
        return figures.write(name)

    text = _FIELD.sub(value, text)
    text = re.sub(r"，其中[：:]?(?=[。；])", "", text)  # a list whose every item was dropped
    return re.sub(r"[，；：、]+(?=[。）])", "", text)


def _empty(template: str, figures: Figures, present) -> bool:
    """Nothing to say: every figure of the workbook blank, or every optional clause gone."""
    names = [n for n in _FIELD.findall(template) if n in figures and n not in figures.builtin]
    if names and all(figures[n].missing for n in names):
        return True
    outside = _FIELD.findall(_CLAUSE.sub("", template))
    clauses = _CLAUSE.findall(template)
    return bool(clauses) and not outside and not any(all(present(n) for n in _FIELD.findall(c)) for c in clauses)


def _score(v: Decimal | None) -> str:
    return Figure("", v, "score").text() if v is not None else f"{PLACEHOLDER}得分】"


def _parts_inline(figures: Figures, sheet: str | None) -> str:
    return "；".join(f"{l1}（分值{_score(w)}分）得{_score(s)}分" for l1, w, s in figures.parts(sheet))


def _row_fields(i: int, r: Row) -> dict[str, str]:
    return {"序号": str(i), "一级指标": r.l1, "二级指标": r.l2, "指标": r.name, "年度指标值": r.target,
            "实际完成值": r.actual, "分值": _score(r.weight), "得分": _score(r.score), "扣分": _score(r.lost),
            "偏差原因": r.reason.rstrip("。；;，, ")}


def score_table(figures: Figures, sheet: str | None) -> list[list[str]]:
    parts = figures.parts(sheet)
    rows = [["一级指标", "分值", "得分", "扣分"]]
    for l1, w, s in parts:
        rows.append([l1, _score(w), _score(s), _score(w - s) if s is not None else ""])
    total_w = sum((w for _, w, _ in parts), Decimal(0))
    scored = [s for _, _, s in parts if s is not None]
    total_s = sum(scored, Decimal(0)) if len(scored) == len(parts) else None
    rows.append(["合计", _score(total_w), _score(total_s), _score(total_w - total_s) if total_s is not None else ""])
    return rows


def score_chart(figures: Figures, sheet: str | None) -> Chart:
    parts = figures.parts(sheet)
    return Chart("各一级指标分值与得分", [p[0] for p in parts],
                 [("分值", [p[1] for p in parts]), ("得分", [p[2] or Decimal(0) for p in parts])])


def _para(template: str, figures: Figures, extra: dict[str, str] | None = None) -> list[Block]:
    text = fill(template, figures, extra, whole=True)
    return [Block("para", text)] if text else []


_HEADING = re.compile(r"^[一二三四五六七八九十]+\s*[、.．]")
_SUB = re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[)）]")


def typed_blocks(text: str) -> list[Block]:
    """The unit's own text, line by line as typed; its numbered lines (一、… （一）…) as headings."""
    out = []
    for line in str(text).splitlines():
        if not line.strip():
            continue
        short = len(line.strip()) <= 40 and not line.rstrip().endswith("。")
        kind = "heading" if short and _HEADING.match(line.strip()) else "sub" if short and _SUB.match(line.strip()) else "para"
        out.append(Block(kind, line.strip()))
    return out


def typed(figures: Figures, ref: str | None) -> str:
    """The text the unit typed in a report cell (附件4!section2), or ""."""
    if not ref:
        return ""
    sheet, _, name = ref.partition("!")
    if sheet not in figures.forms:
        return ""
    value = figures.book.get(sheet, name)
    return "" if blank(value) or not isinstance(value, str) else value


def _item(item, figures: Figures) -> list[Block]:
    if isinstance(item, str):
        return _para(item, figures)
    if "typed" in item:
        return typed_blocks(text) if (text := typed(figures, item["typed"])) else _para(item["else"], figures)
    if "sub" in item:
        return [Block("sub", fill(item["sub"], figures))]
    if "table" in item:
        return [Block("table", rows=score_table(figures, item.get("sheet")))]
    if "chart" in item:
        return [Block("chart", chart=score_chart(figures, item.get("sheet")))]
    if "each" in item:
        lost = [r for r in figures.rows(item.get("sheet")) if r.lost > 0]
        if not lost:
            return [Block("para", fill(item["none"], figures))]
        return [b for i, r in enumerate(lost, start=1) for b in _para(item["text"], figures, _row_fields(i, r))]
    if "when" in item or "unless" in item:
        name = item.get("when") or item.get("unless")
        f = figures[name]
        shown = not f.missing and f.value != 0
        return _para(item["text"], figures) if shown == ("when" in item) else []
    raise ValueError(f"报告提纲中无法识别的段落：{item}")


def _section(section: dict, figures: Figures) -> list[Block]:
    """A section: the unit's typed text when there is one (the score table and chart kept),
    else the outline's paragraphs; a sub-heading left without text goes, and a section left
    empty asks for its text rather than vanish from the official outline."""
    if own := typed(figures, section.get("typed")):
        body = typed_blocks(own) + [b for item in section["text"] if isinstance(item, dict)
                                    and ("table" in item or "chart" in item) for b in _item(item, figures)]
    else:
        items = [b for item in section["text"] for b in _item(item, figures)]
        body = [b for i, b in enumerate(items)
                if b.kind != "sub" or (i + 1 < len(items) and items[i + 1].kind not in ("sub", "heading"))]
    if not body:
        body = [Block("para", f"{PLACEHOLDER}{section['heading'].split('、', 1)[-1]}】")]
    return [Block("heading", section["heading"]), *body]


def included(report: dict, figures: Figures) -> bool:
    name = report.get("when")
    return name is None or not figures[name].missing


def reports(figures: Figures) -> list[dict]:
    """The report outlines of the set that apply to this workbook (a project report only when
    the project form is filled)."""
    return [r for r in wording(figures.tset.id)["reports"] if included(r, figures)]


def build(book: Book, a: Assessment) -> Draft:
    tset = identify(book)
    if not wording(tset.id)["reports"]:
        raise BookError(f"模板“{tset.title}”没有自评报告范文，无法生成报告初稿")
    figures = Figures(book, tset, a.forms, a.unit)
    blocks: list[Block] = []
    for n, report in enumerate(reports(figures)):
        if n:
            blocks.append(Block("page_break"))
        blocks.append(Block("title", fill(report["title"], figures)))
        blocks += [Block("line", fill(line, figures)) for line in report.get("lines", [])]
        if own := typed(figures, report.get("typed")):  # the whole text typed (2020 综述)
            blocks += typed_blocks(own) + [b for item in report.get("after_typed", []) for b in _item(item, figures)]
            continue
        for section in report["sections"]:
            blocks += _section(section, figures)
    return Draft(tset.id, a.year, a.unit, blocks + trace(figures))


def trace(figures: Figures) -> list[Block]:
    """Where every figure of the draft comes from, on a page of its own for the unit to check."""
    rows = [["数字", "数值", "来源（工作表!单元格；比率为分子 ÷ 分母）"]]
    for name in figures.used:
        rows.append([name, figures[name].shown(), figures[name].source or "—"])
    if len(rows) == 1:
        return []
    return [Block("page_break"), Block("heading", "附：数字来源（供核对，报送前删除）"),
            Block("table", rows=rows, widths=[42, 40, 74])]
