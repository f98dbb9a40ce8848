"""The ``perfeval-xl`` command. Every subcommand is a thin shell over a library function; the
ribbon buttons call the same functions. Output and messages are Chinese."""
from __future__ import annotations

import argparse
import os
import sys

from pathlib import Path

from perfeval_xl.engine import scheme
from perfeval_xl.engine.parse import ParseError
from perfeval_xl.engine.rules import ScoreError


def cmd_schemes(args) -> int:
    if args.check:
        return _check_editions(args.check)
    for sid in scheme.scheme_ids():
        s = scheme.load(sid)
        print(f"{sid}\t{s.title}\t{len(s.indicators)}个指标\t来源：{s.source}")
        for problem in s.problems():
            print(f"\t⚠ {problem}")
    return 0


def _check_editions(files: list[str]) -> int:
    """``schemes --check``: every inconsistency of each edition file, and the hash to publish."""
    bad = 0
    for name in files:
        text = scheme.read_edition_file(Path(name))
        problems = scheme.check_edition(text)
        print(f"{name}：SHA-256 {scheme.edition_hash(text)}")
        for problem in problems:
            print(f"  ✗ {problem}")
        print(f"  发现 {len(problems)} 处问题" if problems else "  未发现问题")
        bad += bool(problems)
    return 1 if bad else 0


def cmd_indicator(args) -> int:
    from perfeval_xl.formulas.udfs import indicator_echo, indicator_score

    print(indicator_score(args.name, args.value, args.scheme, args.weight))
    if echo := indicator_echo(args.name, args.value, args.scheme):
        print(f"提示：指标值“{args.value}”{echo}；如非此意，请带%号填写")
    return 0


def cmd_assess(args) -> int:
    """score and validate run the same assessment; score leads with the total and grade."""
    from perfeval_xl.checks.findings import as_json, as_text
    from perfeval_xl.scoring import assess_file, write_scored_copy

    book, a = assess_file(Path(args.file))
    if getattr(args, "report", None):
        from perfeval_xl.checks.assess import identify
        from perfeval_xl.checks.narrative import check_report

        a.findings += check_report(Path(args.report), book, identify(book), a.forms, a.unit)
    if args.output:
        write_scored_copy(book, a, Path(args.output))
    if args.json:
        print(as_json(a))
    else:
        if args.command == "score" and a.main is not None:
            print(f"总分：{a.main.total:f}    评价等次：{a.main.grade}")
        print(as_text(a))
        if args.output:
            print(f"已写出：{args.output}（含“校验结果”工作表；原文件未修改）")
    return 1 if a.errors else 0


def cmd_report(args) -> int:
    from perfeval_xl.report import report_file

    out, _, a = report_file(Path(args.file), Path(args.output) if args.output else None)
    print(f"已生成报告初稿：{out}")
    print(f"单位：{a.unit or '（未填写）'}    年度：{a.year}" +
          (f"    总分：{a.main.total:f}    评价等次：{a.main.grade}" if a.main and a.main.total is not None else ""))
    print("数字均取自工作簿；【请填写：…】处请单位补充。")
    return 0


def cmd_templates(args) -> int:
    from perfeval_xl.forms.example import write_example
    from perfeval_xl.forms.template import build_templates

    if args.scheme:
        from perfeval_xl.forms.edition import build_edition_template

        path, problems = build_edition_template(Path(args.scheme), Path(args.out or "."))
        for problem in problems:
            print(f"⚠ {problem}")
        print(f"已生成：{path}（指标体系已存入工作簿，SHA-256 {scheme.edition_hash(scheme.read_edition_file(Path(args.scheme)))}）")
        return 0
    out = Path(args.out or Path(__file__).resolve().parent.parent)
    for path in [*build_templates(out / "templates"), write_example(out / "examples")]:
        print(f"已生成：{path}")
    return 0


def cmd_new_project(args) -> int:
    from perfeval_xl.book import BookError, OpenpyxlBook
    from perfeval_xl.files import atomic_save
    from perfeval_xl.scoring import add_project_sheet

    src = Path(args.file)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}_新增项目{src.suffix}")
    if out.resolve() == src.resolve():
        raise BookError("输出文件不能与输入文件相同（原文件不会被修改）")
    book = OpenpyxlBook.open(src)
    sheets = add_project_sheet(book)
    atomic_save(book.wb, out)
    print(f"已添加工作表“{'”“'.join(sheets)}”，写出：{out}（原文件未修改）")
    return 0


def cmd_export(args) -> int:
    from perfeval_xl.bureau.export import ExportRefused, export

    try:
        r = export(Path(args.file), Path(args.output) if args.output else None, force=args.force,
                   reason=args.reason or "", password=args.password, pdf=args.pdf,
                   key=Path(args.key) if args.key else None, sign=not args.no_sign)
    except ExportRefused as exc:
        print(f"未导出：校验发现 {len(exc.assessment.errors)} 项错误，请修正后再导出"
              "（确需导出可用 --force --reason \"原因\"）：", file=sys.stderr)
        for f in exc.assessment.errors:
            print(f"  {f}", file=sys.stderr)
        return 1
    a = r.assessment
    print(f"已导出：{r.path}")
    if a.main is not None:
        print(f"总分 {a.main.total:f}，评价等次 {a.main.grade}；错误 {len(a.errors)} 项，提示 {len(a.warnings)} 项")
    if r.forced:
        print(f"注意：带错误强制导出，原因已记录：{args.reason}")
    if args.pdf:
        print(f"PDF：{r.pdf}" if r.pdf else "未生成PDF：未找到 LibreOffice")
    print(f"校验码（SHA-256）：{r.sha256}")
    print(f"已用单位密钥签名（SM2，密钥编号 {r.signed_by}）" if r.signed_by else "未签名（未找到本单位的密钥）")
    return 0


def cmd_verify(args) -> int:
    import json

    from perfeval_xl.bureau.stamp import verify

    v = verify(Path(args.file), Path(args.registry) if args.registry else None)
    if args.json:
        print(json.dumps(v.as_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(v.lines()))
    return 0 if v.ok else 1


def _print_collection(args, col) -> int:
    from perfeval_xl.bureau.collect import WEIGHTING_TEXT, as_json, write_summary

    if args.output:
        write_summary(col, Path(args.output))
    if args.json:
        print(as_json(col))
        return 0
    df = col.table()
    print(f"读取 {len(col.units)} 个文件，未读取 {len(col.skipped)} 个；{WEIGHTING_TEXT[col.weighting]}")
    for row in df.itertuples(index=False):
        total = f"{row.总分:.2f}" if row.总分 == row.总分 and row.总分 is not None else "—"
        print(f"  {row.名称}（{row.表类 or '无得分'}）：总分 {total}，{row.等次 or '—'}，印章{row.印章}，{row.签名}，"
              f"错误 {row.错误数} 项" + ("" if row.计入平均 == "是" else f"；未计入：{row.说明}"))
    for g in col.groups(df):
        values = "，".join(f"{k} {v:.2f}" for k, v in g.average.items() if v is not None)
        print(f"平均（{g.title}，{len(g.files)}个文件）：{values}")
    for s in col.skipped:
        print(f"  未读取 {s.file}：{s.reason}")
    for name, why in col.missing():
        print(f"  未报送 {name}：{why}")
    if args.output:
        print(f"已写出：{args.output}")
    return 0


def cmd_collect(args) -> int:
    from perfeval_xl.bureau.collect import collect

    col = collect([Path(p) for p in args.inputs], weighting=args.weights, workers=args.workers,
                  registry=Path(args.registry) if args.registry else None,
                  roster=Path(args.roster) if args.roster else None)
    return _print_collection(args, col)


def cmd_rollup(args) -> int:
    from perfeval_xl.book import OpenpyxlBook
    from perfeval_xl.bureau.collect import rollup_book

    col = rollup_book(OpenpyxlBook.open(Path(args.file)))
    col.weighting = args.weights
    return _print_collection(args, col)


def cmd_build_addin(args) -> int:
    from perfeval_xl.excel.addin_build import build

    for path in build(Path(args.out)):
        print(f"已生成：{path}")
    return 0


def cmd_addin(args) -> int:
    from perfeval_xl.excel.addin_build import ADDIN_NAME, install, uninstall

    if args.action == "install":
        addin = Path(args.bundle) / ADDIN_NAME if args.bundle else None
        for path in install(args.profile, args.interpreter, addin):
            print(f"已写入：{path}")
        print("请重新启动 Excel，功能区将出现“绩效自评”选项卡。")
    else:
        removed = uninstall(args.profile)
        print("\n".join(f"已删除：{p}" for p in removed) or "未找到已安装的加载项")
    return 0


def cmd_keys(args) -> int:
    from perfeval_xl.bureau.signing import issue

    out = Path(args.output)
    key, registry = issue(args.unit, out, Path(args.registry) if args.registry else out / "公钥登记表.json")
    print(f"已生成单位私钥：{key}（交给“{args.unit}”，安装到其用户目录 .perfeval-xl/keys 下，或导出时用 --key 指定）")
    print(f"公钥已登记：{registry}（财政局保存，核验和汇总时用 --registry 指定）")
    return 0


def _limit_option(s: argparse.ArgumentParser) -> None:
    s.add_argument("--limit", action="append", default=[], metavar="名称=值",
                   help="调整读取限制，如 --limit max_rows=100000（见 docs/security.md）")


def cmd_bundle(args) -> int:
    from perfeval_xl.excel.bundle import build_bundle

    for path in build_bundle(Path(args.output), args.python, args.platform):
        print(f"已生成：{path}")
    print("离线安装检查通过：pip --no-index 可从 wheels 解析 perfeval-xl 及全部依赖。")
    return 0


def _file_command(sub, name: str, help: str, func) -> argparse.ArgumentParser:
    s = sub.add_parser(name, help=help)
    s.add_argument("file", help="工作簿文件（.xlsx）")
    s.add_argument("-o", "--output", help="写出带“校验结果”工作表的副本")
    s.add_argument("--json", action="store_true", help="以JSON输出")
    _limit_option(s)
    s.set_defaults(func=func)
    return s


# argparse's own words, in Chinese (it looks them up through gettext at call time).
_ARGPARSE_ZH = {
    "usage: ": "用法：", "positional arguments": "参数", "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项：%(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值", "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}
argparse._ = lambda text: _ARGPARSE_ZH.get(text, text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="perfeval-xl", description="预算绩效自评：评分、校验、锁定导出、汇总")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("schemes", help="列出内置指标体系及其自身的不一致之处；--check 检查指标体系文件")
    s.add_argument("--check", nargs="+", metavar="FILE.yaml",
                   help="检查指标体系文件（分值合计、满分与分值、分档顺序、评分方式、评分标准原文等），有问题退出码为1")
    s.set_defaults(func=cmd_schemes)
    s = sub.add_parser("indicator", help="按指标体系计算单个指标得分")
    s.add_argument("name", help="三级指标名称")
    s.add_argument("value", help="指标值")
    s.add_argument("--scheme", help="指标体系编号")
    s.add_argument("--weight", help="分值")
    s.set_defaults(func=cmd_indicator)
    _file_command(sub, "score", "评分：计算各表得分、总分和等次，并校验", cmd_assess)
    s = _file_command(sub, "validate", "校验：列出错误和提示（退出码 0 无错误，1 有错误，2 文件无法读取）", cmd_assess)
    s.add_argument("--report", help="同时核对Word报告（.docx）中的数字与表中数字")
    s = sub.add_parser("report", help="生成自评报告Word初稿：数字取自工作簿，单位填写的内容留出【请填写：…】")
    s.add_argument("file", help="工作簿文件（.xlsx）")
    s.add_argument("-o", "--output", help="输出的 .docx（默认放在工作簿旁）")
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("export", help="锁定导出：校验无误后写出去除公式、保护并盖章的新文件（原文件不变）")
    s.add_argument("file")
    s.add_argument("-o", "--output", help="输出文件；默认按“年度_单位_报表名”命名，放在原文件旁")
    s.add_argument("--force", action="store_true", help="校验有错误时仍导出（须同时给出 --reason）")
    s.add_argument("--reason", help="强制导出的原因，记入文件")
    s.add_argument("--password", default="perfeval", help="工作表和工作簿保护密码（默认 perfeval）")
    s.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成打印用PDF")
    s.add_argument("--key", help="单位密钥文件（默认：用户目录 .perfeval-xl/keys 下本单位的密钥）")
    s.add_argument("--no-sign", action="store_true", help="不签名（文件标为“未签名”）")
    _limit_option(s)
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("verify", help="核验导出文件是否在导出后被改动（退出码 0 通过，1 已被修改或未盖章，2 无法读取）")
    s.add_argument("file")
    s.add_argument("--registry", help="财政局的公钥登记表（keys issue 生成），用于核验签名")
    s.add_argument("--json", action="store_true")
    _limit_option(s)
    s.set_defaults(func=cmd_verify)
    s = sub.add_parser("collect", help="汇总：读取多个导出文件（或文件夹），核验印章、重新校验并汇总")
    s.add_argument("inputs", nargs="+", help="文件或文件夹")
    s.add_argument("-o", "--output", help="汇总工作簿，如 汇总.xlsx")
    s.add_argument("--weights", choices=["equal", "budget"], default="equal", help="部门平均：等权（默认）或按全年预算数加权")
    s.add_argument("--workers", type=int, default=2, help="并行进程数（0：不另起进程）")
    s.add_argument("--registry", help="财政局的公钥登记表，用于核验签名")
    s.add_argument("--roster", help="应报送单位名单（.txt 每行一个，或 .xlsx 第一列），列出未报送单位")
    s.add_argument("--json", action="store_true")
    _limit_option(s)
    s.set_defaults(func=cmd_collect)
    s = sub.add_parser("rollup", help="同一工作簿内多个单位（或项目）评分表的部门汇总")
    s.add_argument("file")
    s.add_argument("-o", "--output")
    s.add_argument("--weights", choices=["equal", "budget"], default="equal")
    s.add_argument("--json", action="store_true")
    _limit_option(s)
    s.set_defaults(func=cmd_rollup)
    s = sub.add_parser("keys", help="财政局为单位签发签名密钥（SM2）")
    s.add_argument("action", choices=["issue"])
    s.add_argument("--unit", required=True, help="单位名称（与报表中的单位名称一致）")
    s.add_argument("-o", "--output", required=True, help="单位私钥文件写到此文件夹")
    s.add_argument("--registry", help="公钥登记表（默认：输出文件夹中的 公钥登记表.json）")
    s.set_defaults(func=cmd_keys)
    s = sub.add_parser("build-addin", help="由 xlmacros/ 源文件生成 Excel 加载项 workbook/绩效自评.xlam")
    s.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "workbook"))
    s.set_defaults(func=cmd_build_addin)
    s = sub.add_parser("addin", help="为当前 Windows 用户安装或卸载加载项")
    s.add_argument("action", choices=["install", "uninstall"])
    s.add_argument("--profile", help="用户目录（默认 %%USERPROFILE%%）")
    s.add_argument("--interpreter", help="Python 解释器（默认当前的 pythonw.exe）")
    s.add_argument("--bundle", help="离线安装文件夹（其中的加载项；默认 workbook/）")
    s.set_defaults(func=cmd_addin)
    s = sub.add_parser("bundle", help="生成离线安装文件夹（wheels、加载项、安装.cmd、安装说明）")
    s.add_argument("--platform", default="win_amd64", choices=["win_amd64"])
    s.add_argument("--python", nargs="+", default=["3.11", "3.12", "3.13"], help="Python 版本（默认 3.11 3.12 3.13）")
    s.add_argument("-o", "--output", required=True, help="输出文件夹")
    s.set_defaults(func=cmd_bundle)
    s = sub.add_parser("templates", help="由版式定义重新生成模板和示例工作簿")
    s.add_argument("-o", "--out", help="输出目录：默认为本项目目录（其下的 templates/ 和 examples/）；"
                   "与 --scheme 同用时直接写入此目录，默认当前目录")
    s.add_argument("--scheme", metavar="FILE.yaml", help="由指标体系文件（如财政局发布的版本）生成评分表模板")
    s.set_defaults(func=cmd_templates)
    s = sub.add_parser("new-project", help="新增一个项目的项目支出表（按工作簿的模板：2023 附件3，2020 附件2-2 和 附件3-2），写出新文件")
    s.add_argument("file")
    s.add_argument("-o", "--output", help="输出文件（默认在原文件旁，文件名加“_新增项目”；原文件不变）")
    s.set_defaults(func=cmd_new_project)
    return p


class _NoNumpyForOpenpyxl:
    """A command-line run imports openpyxl without numpy.

    openpyxl tries `import numpy` while it loads, only to accept numpy scalars as cell values,
    which we never write; that import is 0.15 s of CPU, a third of a whole command. This import
    hook makes that one attempt fail (openpyxl expects it may) and nothing else: afterwards
    (`collect` loads pandas, hence numpy) numpy imports normally.
    """

    @staticmethod
    def find_spec(name, path=None, target=None):
        # openpyxl/__init__.py loads compat.numbers (which tries numpy) before openpyxl.workbook
        if name == "numpy" and "openpyxl.compat.numbers" in sys.modules and "openpyxl.workbook" not in sys.modules:
            raise ModuleNotFoundError("numpy is not loaded for openpyxl", name=name)
        return None


def _book_error() -> type[Exception]:
    """book.BookError, looked up only when something failed: ``indicator`` never loads openpyxl."""
    from perfeval_xl.book import BookError

    return BookError


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if _NoNumpyForOpenpyxl not in sys.meta_path:
        sys.meta_path.insert(0, _NoNumpyForOpenpyxl)
    try:
        if getattr(args, "limit", None):  # through the environment, so collect's workers see it too
            from perfeval_xl.book.package import ENV, limits

            os.environ[ENV] = ",".join(filter(None, [os.environ.get(ENV, ""), *args.limit]))
            limits()  # an unknown name or a bad value is refused now, in Chinese
        return args.func(args)
    except (ScoreError, ParseError, OSError, _book_error()) as exc:  # the user sees a sentence, never a traceback
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("PERFEVAL_DEBUG"):
            raise
        print(f"内部错误：{type(exc).__name__}: {exc}（设置 PERFEVAL_DEBUG=1 查看详情）", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
