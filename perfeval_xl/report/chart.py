"""The score chart as a PNG, drawn with Pillow.

Why Pillow and not matplotlib: Pillow is one wheel with no dependencies for every Windows
Python (and usually already present beside xlwings), so it installs offline from a copied wheel;
matplotlib brings numpy, fonttools, kiwisolver, contourpy and more. A bar chart of a few
一级指标 needs rectangles and text, nothing else. Chinese text needs a CJK font file: the usual
Windows, macOS and Linux ones are tried in order; without any, the draft says so in words.
"""
from __future__ import annotations

import io
import os
from decimal import Decimal
from glob import glob
from pathlib import Path

from perfeval_xl.engine.parse import show
from perfeval_xl.report.draft import Chart

WIDTH, HEIGHT = 1600, 900
COLOURS = ["#A6A6A6", "#2F5597"]  # 分值 grey, 得分 blue: readable in black-and-white print too


def _candidates() -> list[str]:
    windir = os.environ.get("WINDIR", r"C:\Windows")
    fixed = [os.path.join(windir, "Fonts", f) for f in ("simhei.ttf", "msyh.ttc", "msyh.ttf", "simsun.ttc", "simfang.ttf")]
    fixed += ["/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/STHeiti Medium.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
    found = sorted(glob("/usr/share/fonts/**/*CJK*Regular*", recursive=True))
    return [p for p in fixed + found if Path(p).is_file()]


def cjk_font(size: int):
    """A font that has Chinese glyphs (the Simplified Chinese face of a collection), or None."""
    from PIL import ImageFont

    for path in _candidates():
        faces = []
        for index in range(10):
            try:
                faces.append(ImageFont.truetype(path, size, index=index))
            except OSError:
                break
        if faces:
            sc = [f for f in faces if f.getname()[0].endswith(" SC")]
            return (sc or faces)[0]
    return None


def render(chart: Chart) -> bytes | None:
    """PNG bytes of a grouped bar chart, or None when no Chinese font can be found."""
    from PIL import Image, ImageDraw

    font, small, title_font = cjk_font(30), cjk_font(26), cjk_font(40)
    if font is None:
        return None
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    d = ImageDraw.Draw(img)
    d.text((WIDTH // 2, 40), chart.title, fill="black", font=title_font, anchor="mt")
    left, right, top, bottom = 130, WIDTH - 60, 170, HEIGHT - 120
    top_value = max([v for _, vs in chart.series for v in vs] + [Decimal(1)])
    step = max(1, int(-(-top_value // 5)))  # five grid lines, rounded up to whole points
    scale = (bottom - top) / (step * 5)
    for k in range(6):
        y = bottom - k * step * scale
        d.line([(left, y), (right, y)], fill="#D9D9D9" if k else "black", width=2)
        d.text((left - 15, y), str(k * step), fill="black", font=small, anchor="rm")
    d.text((left - 15, top - 40), "分", fill="black", font=small, anchor="rm")
    n, m = len(chart.categories), len(chart.series)
    group = (right - left) / max(n, 1)
    bar = group * 0.7 / max(m, 1)
    for i, category in enumerate(chart.categories):
        x0 = left + i * group + group * 0.15
        for j, (_, values) in enumerate(chart.series):
            v = values[i]
            x = x0 + j * bar
            y = bottom - float(v) * scale
            d.rectangle([x, y, x + bar - 6, bottom], fill=COLOURS[j % len(COLOURS)])
            d.text((x + (bar - 6) / 2, y - 8), show(v), fill="black", font=small, anchor="mb")
        d.text((left + i * group + group / 2, bottom + 20), category, fill="black", font=font, anchor="mt")
    lx = right - 170 * m
    for j, (legend, _) in enumerate(chart.series):
        x = lx + j * 170
        d.rectangle([x, 105, x + 40, 135], fill=COLOURS[j % len(COLOURS)])
        d.text((x + 50, 120), legend, fill="black", font=font, anchor="lm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return out.getvalue()
