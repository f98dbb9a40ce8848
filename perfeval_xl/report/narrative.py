"""Report text against the tables: a number stated next to a label the tables hold (基本支出、
执行率、编制…) that the table contradicts is a finding naming the text, the number and the cell.

What is read: the workbook's report text cells (附件4 sections, 2-1 / 2-2 综述) and, when given,
a Word report. Which words mean which figure is data, per template set: the ``labels`` of
report/texts/<set>.yaml, over the same ``figures`` the Word draft is written from.

Findings are warnings (提示), not errors: prose is read by a heuristic (a label, at most a few
characters, a number with its unit), and a sentence may legitimately speak of another scope (one
二级单位, last year, a part of a total); such a reading must not block 锁定导出. A number agrees
when the table's value, rounded to the decimals the text states, is that number (95% for 94.59%).
"""
from __future__ import annotations

import functools
import re
import zipfile
from decimal import InvalidOperation, ROUND_HALF_UP, Decimal
from pathlib import Path

from perfeval_xl.book import Book, BookError
from perfeval_xl.checks.assess import FormResult, Finding, blank
from perfeval_xl.forms.layout import TemplateSet

MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
GAP = 6  # characters allowed between a label and its number: 基本支出为 / 财政拨款收入为
# stated unit → (kind of figure, factor from the stated number to the table's unit)
UNITS = {"亿元": ("money", Decimal(10000)), "万元": ("money", Decimal(1)), "元": ("money", Decimal("0.0001")),
         "%": ("percent", Decimal("0.01")), "人": ("count", Decimal(1)), "名": ("count", Decimal(1)),
         "分": ("score", Decimal(1))}
_NUMBER = (r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<unit>" +
           "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")(?P<approx>余|多)?")
_CLAIM = re.compile(f"[^\\d，。；;,！？!?：:\\n]{{0,{GAP}}}?{_NUMBER}")  # what may follow a label
_APPROX_BEFORE = ("约", "近", "超过", "逾", "将近", "不足")
_TRANSLATE = {**{ord("０") + i: str(i) for i in range(10)}, ord("％"): "%", ord("．"): "."}
_DROP = re.compile(r"[\s“”‘’\"'「」『』]")  # quotes and spaces: “三公”经费 → 三公经费, 586. 92 → 586.92


def normalize(text: str) -> str:
    return _DROP.sub("", text.translate(_TRANSLATE))


@functools.lru_cache(maxsize=None)
def _pattern(words: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # longest first
    return re.compile(f"(?P<label>{alternatives})")


def _agrees(stated: Decimal, places: int, table: Decimal) -> bool:
    try:
        return table.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP) == stated
    except InvalidOperation:  # a table figure far beyond any stated one (1e308) cannot agree
        return False


def claims(text: str, labels: dict[str, str | list[str]]):
    """(snippet, label, number as written, number in the table's unit, decimals, kind) of each
    labelled number in a text."""
    text = normalize(text)
    pattern = _pattern(tuple(labels))
    for m in pattern.finditer(text):
        n = _CLAIM.match(text, m.end())
        if n is None or n.group("approx") or pattern.search(text, m.end(), n.start("num")):
            continue  # no number, an approximate one (690余万元), or another label in between
        before = text[:m.start()]
        if before[-1:] in ("和", "与", "及", "、") and any(before[:-1].endswith(w) for w in labels):
            continue  # 基本支出和项目支出1323.28万元: a figure of both together
        if text[max(0, n.start("num") - 2):n.start("num")].endswith(_APPROX_BEFORE):
            continue
        raw = n.group("num").replace(",", "")
        kind, factor = UNITS[n.group("unit")]
        places = len(raw.partition(".")[2])
        yield text[m.start():n.end()], m.group("label"), Decimal(raw), places, kind, factor


def check_text(text: str, labels: dict, figures, where: str, sheet: str, cell: str) -> list[Finding]:
    out, seen = [], set()
    for snippet, label, stated, places, kind, factor in claims(text, labels):
        names = labels[label] if isinstance(labels[label], list) else [labels[label]]
        candidates = [f for f in (figures[n] for n in names)
                      if not f.missing and f.kind == kind]
        if not candidates or any(_agrees(stated, places, f.value / factor) for f in candidates):
            continue
        key = (label, stated)
        if key in seen:
            continue
        seen.add(key)
        f = candidates[0]
        shown = f.text() + {"money": "万元", "count": "人", "score": "分"}.get(f.kind, "")
        out.append(Finding(severity="warning", sheet=sheet, cell=cell, code="narrative_mismatch",
                           message=f"{where}中“{snippet}”与表中{f.name}{shown}（{'、'.join(f.cells) or '计算值'}）不符"))
    return out


def _context(book: Book, tset: TemplateSet, results: list[FormResult], unit: str):
    from perfeval_xl.report.figures import Figures, wording  # report/ builds on checks/, not the reverse

    data = wording(tset.id)
    return data, Figures(book, tset, results, unit)


def check_texts(book: Book, tset: TemplateSet, results: list[FormResult], unit: str = "") -> list[Finding]:
    """The workbook's own report text cells (hooked into assess)."""
    data, figures = _context(book, tset, results, unit)
    out: list[Finding] = []
    for entry in data.get("texts", []):
        sheet, _, name = entry["cell"].partition("!")
        if sheet not in book.sheets():
            continue
        text = book.get(sheet, name)
        if blank(text) or not isinstance(text, str):
            continue
        form = figures.forms.get(sheet)
        where = form.field(name).label if form else name
        out += check_text(text, data["labels"][entry["labels"]], figures, where, sheet, book.address(sheet, name) or name)
    return out


def _docx_paragraphs(path: Path) -> list[tuple[bool, str]]:
    """(is a report title, text) of every paragraph and table cell, after checking the size."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCX_BYTES:
            raise BookError(f"报告文件过大（超过{MAX_DOCX_BYTES // 1024 // 1024}MB）：{path.name}")
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_DOCX_UNPACKED:
                raise BookError(f"报告文件解压后过大：{path.name}")
        import docx

        doc = docx.Document(str(path))
    except BookError:
        raise
    except FileNotFoundError:
        raise BookError(f"报告文件不存在：{path}") from None
    except Exception as exc:  # not a zip, not a Word document
        raise BookError(f"无法作为Word文档打开：{path.name}（{type(exc).__name__}）") from None
    out = [(p.style is not None and p.style.name == "Title", p.text) for p in doc.paragraphs]
    for table in doc.tables:
        out += [(False, cell.text) for row in table.rows for cell in row.cells]
    return out


def check_report(path: Path, book: Book, tset: TemplateSet, results: list[FormResult], unit: str = "") -> list[Finding]:
    """A Word report against the workbook: contradicting numbers, and placeholders still open.
    Paragraphs belong to the report whose title (style 标题 / Title) comes before them."""
    from perfeval_xl.report.draft import PLACEHOLDER, reports

    data, figures = _context(book, tset, results, unit)
    groups = [r["labels"] for r in reports(figures)] or [next(iter(data["labels"]))]
    name = Path(path).name
    out: list[Finding] = []
    part, open_places = -1, []
    for i, (is_title, text) in enumerate(_docx_paragraphs(path), start=1):
        part += is_title
        labels = data["labels"][groups[min(max(part, 0), len(groups) - 1)]]
        out += check_text(text, labels, figures, f"报告第{i}段", name, f"第{i}段")
        if PLACEHOLDER in text:
            open_places.append(str(i))
    if open_places:
        out.append(Finding(severity="warning", sheet=name, cell=f"第{open_places[0]}段", code="report_placeholder",
                           message=f"报告中仍有待填写的“{PLACEHOLDER}…】”：第{'、'.join(open_places)}段"))
    return out
