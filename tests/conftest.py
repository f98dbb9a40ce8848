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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    """With pytest-xdist (scripts/test.sh runs ``-n auto --dist loadgroup``) a module-scoped
    fixture would be built again on every worker that runs one of its tests: such tests go to
    one worker together. Every other test goes wherever a worker is free."""
    for item in items:
        defs = getattr(item, "_fixtureinfo", None)
        if defs and any(d.scope == "module" for ds in defs.name2fixturedefs.values() for d in ds):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


# Expensive things are built once per test process (each pytest-xdist worker is one) and shared.
@pytest.fixture(scope="session")
def lo(soffice):
    """One LibreOffice for the whole session, driven over UNO (tests/lo_server.py): recalculate,
    scan, convert to PDF or xlsx, run Basic, without starting soffice again for each book."""
    from .lo_engine import LibreOffice

    office = LibreOffice()
    yield office
    office.close()


@pytest.fixture(scope="session")
def example_export(tmp_path_factory):
    """The example exported once per session (an ExportResult): copy the file before changing it."""
    from perfeval_xl.bureau.export import export

    return export(EXAMPLE, tmp_path_factory.mktemp("example-export") / "exported.xlsx")


@pytest.fixture
def exported_example(example_export, tmp_path):
    """``example_export`` with a private copy of the file."""
    dst = tmp_path / "exported" / example_export.path.name
    dst.parent.mkdir()
    shutil.copy(example_export.path, dst)
    return example_export.model_copy(update={"path": dst})


@pytest.fixture(scope="session")
def example_pdf(lo, tmp_path_factory) -> Path:
    """The example as LibreOffice prints it (rendered once per session; read it, do not change it)."""
    return lo.convert(EXAMPLE, "pdf", tmp_path_factory.mktemp("example-pdf"))
