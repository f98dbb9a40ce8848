"""Every command works with the runtime dependencies alone (pyproject.toml's dependencies, no
dev extra): its --help and its cheapest real call, in the virtual environment that
scripts/runtime-venv.sh makes (scripts/setup.sh calls it). A module that only the dev extra
brings (as `packaging` was for `bundle`) fails here."""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from .test_bundle import mirror
from .conftest import EXAMPLE, ROOT

VENV = ROOT / ".runtime-venv"
PYTHON = VENV / "bin" / "python"
DEV_ONLY = ("pytest", "xdist", "hypothesis", "oletools", "antlr4_vba", "openxml_audit")

# Each command in one process: a module missing from the environment fails whichever command
# imports it first, and cli.main turns any failure into exit code 2 or 3 with a sentence.
DRIVER = """
import contextlib, io, json, sys
from perfeval_xl import cli
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # --help
            code = exc.code
    results.append([argv, code, out.getvalue(), err.getvalue()[-1500:]])
print(json.dumps({"results": results, "package": cli.__file__,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
""" % (DEV_ONLY,)


def cheapest_calls(tmp) -> list[list[str]]:
    """The cheapest real call of every command, in the order a unit and a bureau use them."""
    book, exported = str(tmp / EXAMPLE.name), str(tmp / "导出.xlsx")
    return [["schemes"], ["indicator", "在职人员控制率", "108.7%", "--scheme", "hunan-dept-2020"],
            ["score", book], ["validate", book], ["report", book, "-o", str(tmp / "报告.docx")],
            ["new-project", book, "-o", str(tmp / "新增项目.xlsx")], ["rollup", book],
            ["export", book, "-o", exported, "--no-sign"], ["verify", exported],
            ["keys", "issue", "--unit", "甲单位", "-o", str(tmp / "keys")],
            ["collect", exported, "-o", str(tmp / "汇总.xlsx"), "--workers", "0"],
            ["department", exported, "--roster", str(tmp / "名单.txt"), "-o", str(tmp / "部门汇总.xlsx"), "--workers", "0"],
            ["templates", "--scheme", str(ROOT / "docs" / "example-edition.yaml"), "-o", str(tmp / "edition")],
            ["build-addin", "--out", str(tmp / "addin")], ["addin", "uninstall", "--profile", str(tmp / "profile")],
            ["bundle", "--platform", "win_amd64", "--python", "3.11", "-o", str(tmp / "离线安装"),
             "--runtime-url", (tmp / "mirror").as_uri(), "--runtime-pins", str(tmp / "pins.json")]]


@pytest.fixture(scope="module")
def runtime_python():
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    made = (VENV / "pyproject.sha256").read_text().strip() if (VENV / "pyproject.sha256").exists() else None
    assert PYTHON.exists() and made == stamp, ".runtime-venv is missing or older than pyproject.toml: run scripts/setup.sh"
    return PYTHON


def run_in_venv(python, args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_the_environment_has_no_dev_extra(runtime_python, tmp_path):
    proc = run_in_venv(runtime_python, ["-c", "import importlib.util as u; print([m for m in %r if u.find_spec(m)])"
                                        % (DEV_ONLY,)], tmp_path)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_every_command_runs_with_the_runtime_dependencies_only(runtime_python, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    # python.org is out of reach here: a mirror of stand-in runtimes and pins that match them
    (tmp_path / "名单.txt").write_text("岳阳市公共租赁房屋运营服务中心（本级）\n", encoding="utf-8")
    (tmp_path / "pins.json").write_text(json.dumps(mirror(tmp_path / "mirror", ["3.11"])), encoding="utf-8")
    calls = cheapest_calls(tmp_path)
    helps = [[argv[0], "--help"] for argv in calls] + [["--help"]]
    proc = run_in_venv(runtime_python, ["-c", DRIVER, json.dumps(helps + calls)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout.splitlines()[-1])
    assert answer["package"].startswith(str(ROOT / "perfeval_xl")), answer["package"]  # this checkout's code
    assert answer["loaded"] == []
    for argv, code, out, err in answer["results"]:
        assert code == 0, (argv, code, out, err)
        assert "内部错误" not in err and "Traceback" not in err, (argv, err)
        if argv[-1] == "--help":
            assert "用法：" in out, (argv, out)
    done = {argv[0]: out for argv, _, out, _ in answer["results"][len(helps):]}
    assert "总分：98.00" in done["score"] and "通过" in done["verify"] and "离线安装检查通过" in done["bundle"]
    assert sorted(done) == sorted(cli_commands()), "a command without its cheapest call here"


def test_the_console_script_starts(runtime_python, tmp_path):
    proc = run_in_venv(VENV / "bin" / "perfeval-xl", ["indicator", "在职人员控制率", "108.7%", "--scheme",
                                                       "hunan-dept-2020"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "0.65", proc.stdout + proc.stderr  # 108.7% → 0.65


def cli_commands() -> list[str]:
    from perfeval_xl.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)
