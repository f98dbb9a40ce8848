"""The 自评报告 draft in Word: figures (what the workbook says), draft (the outline and wording
of texts/<set>.yaml filled in), chart (the score chart), word (the .docx in 公文 layout)."""
from __future__ import annotations

import re
from pathlib import Path


def default_output(path: Path, year: int, unit: str) -> Path:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", unit).strip("_") or "单位"  # a name Windows accepts
    return Path(path).with_name(f"{year}年度_{safe}_绩效自评报告（初稿）.docx")


def report_file(path: Path, out: Path | None = None, book=None):
    """Assess a workbook and write its draft report; returns (written path, draft, assessment).
    ``book`` may be an open book (the ribbon's live workbook) instead of reading ``path``."""
    from perfeval_xl.book import BookError, OpenpyxlBook
    from perfeval_xl.checks.assess import assess
    from perfeval_xl.report import draft, word

    book = book or OpenpyxlBook.open(path)
    a = assess(book)
    d = draft.build(book, a)
    out = Path(out) if out else default_output(path, a.year, a.unit)
    if out.suffix.lower() != ".docx":
        raise BookError(f"报告文件应以 .docx 结尾：{out.name}")
    return word.write(d, out), d, a
