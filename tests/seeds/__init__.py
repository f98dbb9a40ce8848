"""Seed fills: the figures of the real forms in ../shared/seeds, as data, and where they go."""
import re


def place(book, sheet: str, name: str) -> str:
    """The cell a seed's figure goes to: a judged row (no formula in its 评分标准) takes the
    score typed into 自评得分 itself, so the seed's score for it lands there."""
    m = re.fullmatch(r"(sc\d+)_(?:value|adjusted)", name)
    if m and book.address(sheet, m.group(1) + "_score"):
        raw = book.raw(sheet, m.group(1) + "_score")
        if not (isinstance(raw, str) and raw.startswith("=")):
            return m.group(1) + "_score"
    return name
