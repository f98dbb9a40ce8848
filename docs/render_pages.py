"""Render every template, the example, an export and a 汇总 as PNG pages, to look at print layout.

    python3 docs/render_pages.py [--out pages] [--dpi 60]

Templates are rebuilt from the layout data (so the pages show the code as it is, not the
committed files), with the template of docs/example-edition.yaml; the example is exported with long 附件4 sections typed in, and a 汇总 is
collected from exports of the example under three unit names. Each workbook goes through
LibreOffice (perfeval_xl/office.py) to PDF and through pdftoppm to one PNG per page:
pages/<workbook>-<n>.png. Look for text cut at a cell's edge, merged labels split from their
rows across pages, portrait pages that should be landscape, and charts split or cramped.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_xl.book import OpenpyxlBook  # noqa: E402
from perfeval_xl.bureau.collect import collect  # noqa: E402
from perfeval_xl.bureau.summary import write_summary  # noqa: E402
from perfeval_xl.bureau.export import export  # noqa: E402
from perfeval_xl.forms.edition import build_edition_template  # noqa: E402
from perfeval_xl.forms.example import write_example  # noqa: E402
from perfeval_xl.forms.set_2023 import REPORT_SECTIONS_2023  # noqa: E402
from perfeval_xl.forms.template import build_templates  # noqa: E402
from perfeval_xl.office import convert  # noqa: E402

LONG = ("本单位严格执行预算管理制度，围绕年度重点工作任务，统筹安排基本支出和项目支出，"
        "加强资金监管和绩效目标管理，按季度开展绩效运行监控，及时纠正执行偏差。") * 12


def long_report(example: Path, out: Path, unit: str = "") -> Path:
    """The example with every 附件4 section several hundred characters long (a real report)."""
    book = OpenpyxlBook.open(example)
    for i, heading in enumerate(REPORT_SECTIONS_2023, start=1):
        book.set("附件4", f"section{i}", f"{heading}：{LONG}")
    if unit:
        for sheet in ("附件1", "附件2", "附件4"):
            book.set(sheet, "unit_name", unit)
    book.wb.save(out)
    return out


def to_pngs(xlsx: Path, out: Path, dpi: int) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        pdf = convert(xlsx, "pdf", Path(tmp))
        prefix = out / xlsx.stem
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    return sorted(out.glob(f"{xlsx.stem}-*.png"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="pages")
    ap.add_argument("--dpi", type=int, default=60)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        books = build_templates(work / "templates")
        books.append(build_edition_template(Path(__file__).parent / "example-edition.yaml", work / "edition")[0])
        example = write_example(work / "examples")
        books.append(example)
        exported = [export(long_report(example, work / f"src{i}.xlsx", unit), work / "exports" / f"{unit}.xlsx").path
                    for i, unit in enumerate(["甲单位", "乙单位", "丙单位"])]
        books.append(exported[0])
        summary = work / "汇总.xlsx"
        col = collect(exported, workers=1)
        if col.units:
            write_summary(col, summary)
            books.append(summary)
        else:
            print("汇总：没有读到任何单位，未生成（" + "；".join(s.reason for s in col.skipped) + "）")
        for book in books:
            pages = to_pngs(book, out, args.dpi)
            print(f"{book.name}：{len(pages)} 页")
    return 0


if __name__ == "__main__":
    sys.exit(main())
