"""Every finding code the package can report has a Chinese title in the catalogue."""
import re
from pathlib import Path

from perfeval_xl.checks.catalogue import CATALOGUE

PACKAGE = Path(__file__).resolve().parent.parent / "perfeval_xl"
# c.report(name, "code", …), Finding(… code="code" …) and finding("code", …) call sites
CALLS = re.compile(r'(?:\.report\([^,]+,\s*|code=|\bfinding\()"([a-z_]+)"')


def test_every_reported_code_is_catalogued():
    used = {m for p in PACKAGE.rglob("*.py") for m in CALLS.findall(p.read_text(encoding="utf-8"))}
    assert len(used) >= 20, used  # the pattern still finds the call sites
    assert sorted(used - set(CATALOGUE)) == []


def test_titles_are_chinese():
    for code, entry in CATALOGUE.items():
        assert re.search(r"[\u4e00-\u9fff]", entry.title), code
