import shutil
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
