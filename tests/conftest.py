import os
import shutil

# CI runs the collect tests a second time with openpyxl writing through lxml (PERFEVAL_TEST_LXML=1)
# and once without (=0); openpyxl reads OPENPYXL_LXML when it is first imported, i.e. after this.
if os.environ.get("PERFEVAL_TEST_LXML") in ("0", "1"):
    os.environ["OPENPYXL_LXML"] = "True" if os.environ["PERFEVAL_TEST_LXML"] == "1" else "False"
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "2023_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx"
TEMPLATES = sorted((ROOT / "templates").glob("*.xlsx"))


@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the filled example."""
    dst = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, dst)
    return dst


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice is part of the set-up: a missing one fails loudly instead of skipping."""
    exe = shutil.which("soffice")
    assert exe, "LibreOffice (soffice) is not installed: run the README's set-up command"
    return exe


@pytest.fixture(scope="session")
def lo():
    """One headless LibreOffice for every test that recalculates books in it (tests/lo_server.py)."""
    from .lo_engine import LibreOffice

    office = LibreOffice()
    yield office
    office.close()
