"""Report text against the tables: a number stated next to a label the tables hold (基本支出、
执行率、编制…) that the table contradicts is a finding naming the text, the number and the cell.

What is read: the workbook's report text cells (附件4 sections, 2-1 / 2-2 综述, 冷水滩 附件1 /
附件3) and, when given, a Word report. Which words mean which figure is data, per template set:
the ``labels`` of report/texts/<set>.yaml, over the same ``figures`` the Word draft is written
from; a label with no figure is a word known not to be checked (it keeps a number from being
read as the label before it). Three kinds of statement are read:
- a label, at most a few characters, a number with its unit (基本支出为586.92万元);
- a part score: 得分x分 / 得x分 after the name of a 一级指标 or of an indicator row in the same
  clause (预算执行率100%，得分10分), against the score sheet of the report (``score_sheets``);
- a sum: 合计 / 共计 / 总计 x万元 after two or more labels in the sentence, against the sum of
  those lines of the table (基本支出和项目支出合计1323.28万元).
A number is compared only with figures of its scope (report/scope.py): a sentence about another
fund source, stage, unit, year or a change is not compared, nor one whose scope only a heading
suggests.

Findings are warnings (提示), not errors: prose is read by a heuristic and must not block 锁定导出.
A number agrees when the table's value, rounded to the decimals the text states, is that number
(95% for 94.59%).
"""
from __future__ import annotations

import functools
import re
import zipfile
from decimal import InvalidOperation, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import NamedTuple

from perfeval_xl.book import Book, BookError
from perfeval_xl.checks.assess import FormResult, Finding, blank
from perfeval_xl.forms.layout import TemplateSet
from perfeval_xl.report import scope as sc
from perfeval_xl.report.draft import PLACEHOLDER, reports
from perfeval_xl.report.figures import Figure, Figures, wording

MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
GAP = 6  # characters allowed between a label and its number: 基本支出为 / 财政拨款收入为
# stated unit → (kind of figure, factor from the stated number to the table's unit)
UNITS = {"亿元": ("money", Decimal(10000)), "万元": ("money", Decimal(1)), "元": ("money", Decimal("0.0001")),
         "%": ("percent", Decimal("0.01")), "人": ("count", Decimal(1)), "名": ("count", Decimal(1)),
         "分": ("score", Decimal(1))}
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_NUMBER = (_NUM + r"(?P<unit>" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")(?P<approx>余|多)?")
_CLAIM = re.compile(f"[^\\d，。；;,！？!?：:\\n]{{0,{GAP}}}?{_NUMBER}")  # what may follow a label
_APPROX_BEFORE = ("约", "近", "超过", "逾", "将近", "不足")
_TOTALS = ("合计", "共计", "总计")
_SUM = re.compile(r"(?:合计|共计|总计)(?:为|是)?" + _NUM + r"(?P<unit>亿元|万元|元)(?P<approx>余|多)?")
_PART = re.compile(r"得(?:分)?(?:为|是)?" + _NUM + r"分")
_SENTENCE = re.compile(r"[。！？!?\n]")
_PARTS_END = re.compile(r"[；;。！？!?\n]")  # a part score's subject is named before it, up to here
_CLAUSE = re.compile(r"[，,；;。！？!?\n：:]")
_HEADING = re.compile(r"^[一二三四五六七八九十]+\s*、")  # 二、一般公共预算支出情况: the section a paragraph is in
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


class Claim(NamedTuple):
    snippet: str
    label: str
    stated: Decimal  # as written, in the stated unit
    places: int
    kind: str
    factor: Decimal
    start: int  # where the label starts in the normalized text
    end: int  # where the number starts


def _stated(n: re.Match) -> tuple[Decimal, int]:
    raw = n.group("num").replace(",", "")
    return Decimal(raw), len(raw.partition(".")[2])


def _qualifier(label: str) -> bool:
    return any(q in label for q in sc.QUALIFIERS) and not any(f in label for f in sc.FUNDS)


def claims(text: str, labels: dict):
    """Each labelled number of a text (in normalized text: no spaces or quotes)."""
    text = normalize(text)
    pattern = _pattern(tuple(labels))
    for m in pattern.finditer(text):
        if _qualifier(m.group("label")) and any(text[:m.start()].endswith(w) for w in labels):
            continue  # 项目支出年初预算: 年初预算 says which 项目支出 is meant
        n = _CLAIM.match(text, m.end())
        between = pattern.search(text, m.end(), n.start("num")) if n else None
        if between is not None and between.start() == m.end() and _qualifier(between.group("label")):
            between = pattern.search(text, between.end(), n.start("num"))
        if n is None or n.group("approx") or between:
            continue  # no number, an approximate one (690余万元), or another label in between
        if any(t in text[m.end():n.start("num")] for t in _TOTALS):
            continue  # 基本支出和项目支出合计1323.28万元: a sum, read by _sums
        before = text[:m.start()]
        if before[-1:] in ("和", "与", "及", "、") and any(before[:-1].endswith(w) for w in labels):
            continue  # 基本支出和项目支出1323.28万元: a figure of both together
        if text[max(0, n.start("num") - 2):n.start("num")].endswith(_APPROX_BEFORE):
            continue
        stated, places = _stated(n)
        kind, factor = UNITS[n.group("unit")]
        yield Claim(text[m.start():n.end()], m.group("label"), stated, places, kind, factor, m.start(), n.start("num"))


def _names(labels: dict, label: str) -> list[str]:
    """The figures a label stands for: one, several, or none (a word known not to be checked)."""
    names = labels[label]
    return [] if names is None else names if isinstance(names, list) else [names]


def _start(boundary: re.Pattern, text: str, end: int) -> int:
    """Where the sentence (or clause) holding position ``end`` starts."""
    return max((m.end() for m in boundary.finditer(text, 0, end)), default=0)


class _Reader:
    """One text read against the figures: scopes, candidates, findings."""

    def __init__(self, text: str, labels: dict, figures: Figures, heading: str, group: str | None):
        self.text, self.labels, self.figures, self.group = normalize(text), labels, figures, group
        self.heading = normalize(heading)
        self.sheet = figures.data.get("score_sheets", {}).get(group) or figures.tset.main
        self.year = str(figures["年度"].value)
        self.units = figures.unit_rows()

    def scope(self, label: str, start: int, end: int) -> sc.Scope:
        sentence = self.text[_start(_SENTENCE, self.text, start):end]
        clause = self.text[_start(_CLAUSE, self.text, start):end]
        return sc.read(label, clause, sentence, self.heading, self.year, self.units)

    def candidates(self, names: list[str], kind: str, scope: sc.Scope) -> list[Figure] | None:
        """The figures a number may be compared with; None when its scope is not the tables'."""
        if scope.elsewhere or scope.other_unit:
            return None
        found = [f for f in (self.figures[n] for n in names) if not f.missing and f.kind == kind]
        fitting = [f for f in found if self._fits(f, scope)]
        if scope.uncertain_fund and any(not self._fits(f, sc.Scope(fund=scope.uncertain_fund, stage=scope.stage,
                                                                     sentence=scope.sentence))
                                        for f in fitting):
            return None  # the heading says another fund source may be meant: no finding
        return fitting

    def _fits(self, f: Figure, scope: sc.Scope) -> bool:
        spec = self.figures.spec.get(f.name, {})
        named = spec.get("named", {}).get(self.group)  # a project's figure in the department's text
        if named and (self.figures[named].missing or normalize(str(self.figures[named].value)) not in scope.sentence):
            return False
        return (sc.stage_fits(scope.stage, spec.get("stage"))
                and sc.fund_fits(scope.fund, spec.get("fund"), self.figures.same_funds))

    def labelled(self):
        for c in claims(self.text, self.labels):
            found = self.candidates(_names(self.labels, c.label), c.kind, self.scope(c.label, c.start, c.end))
            if found and not any(_agrees(c.stated, c.places, f.value / c.factor) for f in found):
                f = found[0]
                yield c.snippet, c.label, c.stated, f"{f.name}{f.shown()}（{f.source or '计算值'}）"

    def parts(self):
        """得分x分 after a 一级指标 or an indicator row named in the same clause."""
        names = {**{r.name: r.score for r in self.figures.rows(self.sheet)},
                 **{l1: s for l1, _, s in self.figures.parts(self.sheet)}}
        if not names:
            return
        pattern = _pattern(tuple(names))
        for m in _PART.finditer(self.text):
            start = _start(_PARTS_END, self.text, m.start())
            named = list(pattern.finditer(self.text, start, m.start()))
            if not named or names[named[-1].group("label")] is None:
                continue
            label = named[-1].group("label")
            if self.scope(label, named[-1].start(), m.start()).elsewhere:
                continue
            stated, places = _stated(m)
            score = names[label]
            if not _agrees(stated, places, score):
                yield self.text[named[-1].start():m.end()], label, stated, f"{label}得分{Figure(label, score, 'score').shown()}"

    def sums(self):
        """合计 x万元 after two or more labels of the sentence: the sum of those table lines."""
        pattern = _pattern(tuple(self.labels))
        for m in _SUM.finditer(self.text):
            if m.group("approx") or any(a.start() < m.start() < a.end() for a in pattern.finditer(
                    self.text, max(0, m.start() - 8), m.end())):
                continue  # 支出合计29201万元 is a label of its own
            start = _start(_SENTENCE, self.text, m.start())
            named = {a.group("label"): a.start() for a in pattern.finditer(self.text, start, m.start())}
            lines = []
            for label, at in named.items():
                found = self.candidates(_names(self.labels, label), "money", self.scope(label, at, m.start()))
                if not found:
                    break
                lines.append(found[0])
            if len(lines) < 2 or len(lines) != len(named):
                continue
            stated, places = _stated(m)
            total = sum((f.value for f in lines), Decimal(0))
            if not _agrees(stated, places, total / UNITS[m.group("unit")][1]):
                what = "＋".join(f.name for f in lines)
                cells = "、".join(f.source for f in lines if f.source)
                yield self.text[start:m.end()][-40:], "合计", stated, f"{what}＝{Figure('', total, 'money').shown()}（{cells}）"


def check_text(text: str, labels: dict, figures, where: str, sheet: str, cell: str,
               heading: str = "", group: str | None = None) -> list[Finding]:
    """The findings of one text: labelled numbers, part scores and sums that the tables contradict.
    ``heading`` is the section the text stands under (its scope only makes a sentence uncertain);
    ``group`` the report's label group (部门 / 项目), which names its score sheet."""
    reader = _Reader(text, labels, figures, heading, group)
    out, seen = [], set()
    for snippet, label, stated, table in [*reader.labelled(), *reader.parts(), *reader.sums()]:
        if (label, stated) in seen:
            continue
        seen.add((label, stated))
        out.append(Finding(severity="warning", sheet=sheet, cell=cell, code="narrative_mismatch",
                           message=f"{where}中“{snippet}”与表中{table}不符"))
    return out


# a number of dwellings or households after the same words: 新建公租房项目705套 / 新建公租房项目4个200套
_COUNT = re.compile(r"(?P<key>[\u4e00-\u9fff]{4,})(?:\d+个)?(?P<num>\d+)(?P<unit>套|户)(?![\d余多])")


def check_counts(texts: list[tuple[str, str, str, str]]) -> list[Finding]:
    """The same thing counted differently in the unit's own texts ((where, sheet, cell, text) each):
    the words before a number of 套 / 户 name what is counted; two different numbers after the
    same words (four characters or more) contradict each other, whichever is right."""
    first: dict[tuple[str, str], tuple[str, str]] = {}
    out, seen = [], set()
    for where, sheet, cell, text in texts:
        for m in _COUNT.finditer(normalize(text)):
            key, snippet = (m.group("key"), m.group("unit")), m.group(0)
            if key not in first:
                first[key] = (m.group("num"), f"{where}“{snippet}”")
            elif first[key][0] != m.group("num") and key not in seen:
                seen.add(key)
                out.append(Finding(severity="warning", sheet=sheet, cell=cell, code="narrative_count",
                                   message=f"{where}中“{snippet}”与{first[key][1]}数量不一致"))
    return out


def _context(book: Book, tset: TemplateSet, results: list[FormResult], unit: str):
    return wording(tset.id), Figures(book, tset, results, unit)


def check_texts(book: Book, tset: TemplateSet, results: list[FormResult], unit: str = "") -> list[Finding]:
    """The workbook's own report text cells, each under its section heading."""
    data, figures = _context(book, tset, results, unit)
    out: list[Finding] = []
    read = []
    for entry in data.get("texts", []):
        sheet, _, name = entry["cell"].partition("!")
        if sheet not in book.sheets():
            continue
        text = book.get(sheet, name)
        if blank(text) or not isinstance(text, str):
            continue
        form = figures.forms.get(sheet)
        where = form.field(name).label if form else name
        group = entry["labels"]
        out += check_text(text, data["labels"][group], figures, where, sheet, book.address(sheet, name) or name,
                          heading=where, group=group)
        read.append((where, sheet, book.address(sheet, name) or name, text))
    return out + check_counts(read)


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
    data, figures = _context(book, tset, results, unit)
    groups = [r["labels"] for r in reports(figures)] or [next(iter(data["labels"]))]
    name = Path(path).name
    out: list[Finding] = []
    part, heading, open_places = -1, "", []
    paragraphs = _docx_paragraphs(path)
    for i, (is_title, text) in enumerate(paragraphs, start=1):
        part += is_title
        group = groups[min(max(part, 0), len(groups) - 1)]
        if is_title or (len(text.strip()) <= 40 and _HEADING.match(text.strip())):
            heading = text.strip()
        out += check_text(text, data["labels"][group], figures, f"报告第{i}段", name, f"第{i}段",
                          heading=heading, group=group)
        if PLACEHOLDER in text:
            open_places.append(str(i))
    out += check_counts([(f"报告第{i}段", name, f"第{i}段", text) for i, (_, text) in enumerate(paragraphs, start=1)])
    if open_places:
        out.append(Finding(severity="warning", sheet=name, cell=f"第{open_places[0]}段", code="report_placeholder",
                           message=f"报告中仍有待填写的“{PLACEHOLDER}…】”：第{'、'.join(open_places)}段"))
    return out
