"""The ``perfeval-xl`` command. Every subcommand is a thin shell over a library function; the
ribbon buttons call the same functions. Output and messages are Chinese."""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from decimal import Decimal
from pathlib import Path

from perfeval_xl.engine import scheme
from perfeval_xl.engine.parse import ParseError, pct
from perfeval_xl.engine.rules import ScoreError
from perfeval_xl.files import os_message


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
    from perfeval_xl.formulas.udfs import indicator_echo, indicator_editions, indicator_score

    found = indicator_editions(args.name, args.scheme)
    scores = {sid: _score_or_reason(args, sid) for sid, _ in found}
    named = "、".join(f"{sid}（{scheme.load(sid).title}：{ind.name}，分值{ind.weight:g}分）" for sid, ind in found)
    if len(set(scores.values())) > 1:
        listed = "；".join(f"{sid} {got}" for sid, got in scores.items())
        raise ScoreError(f"{len(found)}个指标体系都有指标“{args.name}”，得分不同（{listed}）：请用 --scheme 指定，"
                         f"如 --scheme {found[0][0]}")
    print(indicator_score(args.name, args.value, found[0][0], args.weight))
    print(f"按指标体系 {named}" + ("，得分相同" if len(found) > 1 else ""), file=sys.stderr)
    if echo := indicator_echo(args.name, args.value, found[0][0]):
        print(f"提示：指标值“{args.value}”{echo}；如非此意，请带%号填写")
    sid, ind = found[0]
    value = ind.read(args.value)[0]
    if ind.input_kind == "rate" and isinstance(value, Decimal) and (why := ind.outside(value)):
        print(f"提示：{ind.name}为{pct(value)}，按计算公式{why}，请核对；得分仍按评分标准计算")
    return 0


def _score_or_reason(args, sid: str) -> str:
    from perfeval_xl.formulas.udfs import indicator_score

    try:
        return f"{indicator_score(args.name, args.value, sid, args.weight):f}分"
    except ScoreError as exc:
        return f"无法计分（{exc}）"


def cmd_assess(args) -> int:
    """score and validate run the same assessment; score leads with the total and grade."""
    from perfeval_xl.checks.findings import as_json, as_text
    from perfeval_xl.scoring import assess_file, write_scored_copy

    report = getattr(args, "report", None)
    book, a = assess_file(Path(args.file), Path(report) if report else None)
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
    from perfeval_xl.report.department import is_department_book, report_department

    if is_department_book(Path(args.file)):
        from perfeval_xl.bureau.department_book import read

        out, d = report_department(Path(args.file), *read(Path(args.file)), Path(args.output) if args.output else None)
        print(f"已生成部门自评报告初稿：{out}")
        print(f"部门：{d.unit or '（未填写）'}    年度：{d.year}")
        print("数字均取自部门汇总工作簿；【请填写：…】处请部门补充。")
        return 0

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
    from perfeval_xl.bureau.export import ExportExists, ExportRefused, export, lock_file
    from perfeval_xl.scoring import assess_with_texts

    src = Path(args.file)
    if (lock := lock_file(src)) is not None:
        print(f"错误：“{src.name}”正在Excel、WPS或LibreOffice中打开（旁边有锁定文件“{lock.name}”），未导出：导出读取的是"
              f"已保存的文件，未保存的修改不会导出。请保存并关闭后再导出；如工作簿并未打开（程序异常退出时会留下锁定文件），"
              f"删除“{lock.name}”后再导出", file=sys.stderr)
        return 2
    try:  # the PDF is made after the export's read, outside its bounds (LibreOffice is no hostile file)
        r = export(src, Path(args.output) if args.output else None, force=args.force,
                   reason=args.reason or "", password=args.password, pdf=False,
                   key=Path(args.key) if args.key else None, sign=not args.no_sign, assessor=assess_with_texts,
                   overwrite=args.overwrite)
    except ExportExists as exc:
        print(f"错误：“{exc.path}”已存在（此前导出的文件），未导出：为免覆盖，请用 -o 另指定文件名，"
              f"或加 --overwrite 覆盖原有的导出文件", file=sys.stderr)
        return 2
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
    print(f"校验码（SHA-256）：{r.sha256}")
    print(f"已用单位密钥签名（SM2，密钥编号 {r.signed_by}）" if r.signed_by else "未签名（未找到本单位的密钥）")
    if args.pdf:
        args.pdf_from = str(r.path)
    return 0


def _export_pdf(path: Path) -> None:
    from perfeval_xl.office import OfficeMissing, convert

    try:
        print(f"PDF：{convert(path, 'pdf', path.parent)}")
    except OfficeMissing:
        print("未生成PDF：未找到 LibreOffice")


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
    from perfeval_xl.bureau.collect import WEIGHTING_TEXT, as_json
    from perfeval_xl.bureau.summary import write_summary

    if args.output:
        write_summary(col, Path(args.output))
    if args.json:
        print(as_json(col))
        return 0
    df = col.table()
    if col.origin:
        print(col.origin)
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


def cmd_department(args) -> int:
    from perfeval_xl.bureau import department, department_book

    dep = department.build([Path(p) for p in args.inputs], Path(args.roster) if args.roster else None,
                           args.weights, Path(args.registry) if args.registry else None, args.workers,
                           args.department)
    out = department_book.write(dep, Path(args.output))
    col = dep.collection
    print(f"部门：{dep.name or '（未指定，可用 --department 给出）'}    年度：{dep.year}    模板：{dep.template}")
    print(f"列入部门各表 {len(dep.units)} 个单位；读取 {len(col.units)} 个文件，未计入 {len(col.not_counted())} 个，"
          f"未读取 {len(col.skipped)} 个，未报送 {len(col.missing())} 个")
    for u in col.not_counted():
        print(f"  未计入 {u.file}：{u.status}")
    for name, why in col.missing():
        print(f"  未报送 {name}：{why}")
    errors = sum(i.severity == "error" for i in dep.issues)
    print(f"校验：错误 {errors} 项，提示 {len(dep.issues) - errors} 项（见“校验结果”工作表）")
    for i in dep.issues:
        print(f"  [{'错误' if i.severity == 'error' else '提示'}] {i.message}")
    print(f"已写出：{out}")
    return 0


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

    pinned = None
    if args.runtime_pins:  # IT's own pins (the same JSON as the package's runtimes.json), e.g. a newer patch release
        import json

        pinned = json.loads(Path(args.runtime_pins).read_text(encoding="utf-8"))
    for path in build_bundle(Path(args.output), args.python, args.platform, runtime_url=args.runtime_url,
                             pinned=pinned):
        print(f"已生成：{path}")
    print("离线安装检查通过：自带的 Python 与登记的 SHA-256 一致；pip --no-index 可为每个 Python 版本从 wheels 解析"
          " perfeval-xl 及全部依赖。")
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
    s = sub.add_parser("report", help="生成自评报告Word初稿：数字取自工作簿，单位填写的内容留出【请填写：…】；部门汇总工作簿生成部门自评报告")
    s.add_argument("file", help="工作簿文件（.xlsx），或 department 生成的部门汇总.xlsx")
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
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖它（默认不覆盖，不导出）")
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
    s = sub.add_parser("department", help="部门汇总：由所属单位的导出文件生成部门自评用的单位得分表、“三公”经费表、项目支出表和部门合计表")
    s.add_argument("inputs", nargs="+", help="各单位导出文件或文件夹")
    s.add_argument("--roster", help="单位名单（.txt 每行一个，本级加“（本级）”或“*”；.xlsx 第一列，“本级”列标记本级），决定表中顺序")
    s.add_argument("-o", "--output", required=True, help="部门汇总工作簿，如 部门汇总.xlsx")
    s.add_argument("--weights", choices=["equal", "budget"], default="equal", help="部门平均分：算术平均（默认）或按全年预算数加权")
    s.add_argument("--registry", help="财政局的公钥登记表，用于核验签名")
    s.add_argument("--department", help="部门名称（默认：名单中本级单位的名称）")
    s.add_argument("--workers", type=int, default=2, help="并行进程数（0：不另起进程）")
    _limit_option(s)
    s.set_defaults(func=cmd_department)
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
    from perfeval_xl.excel.runtime import PYTHON_ORG, pins

    s = sub.add_parser("bundle", help="生成离线安装文件夹（自带的 Python、wheels、加载项、安装.cmd、安装说明）")
    s.add_argument("--platform", default="win_amd64", choices=["win_amd64"])
    versions = list(pins())
    s.add_argument("--python", nargs="+", default=versions, choices=versions,
                   help=f"Python 版本（默认 {' '.join(versions)}）")
    s.add_argument("--runtime-url", default=PYTHON_ORG,
                   help="Python 嵌入式版本的下载地址（python.org 或其镜像，目录结构相同；默认 %(default)s）")
    s.add_argument("--runtime-pins", metavar="FILE.json",
                   help="自行登记的 Python 版本及其 SHA-256（格式同本工具的 runtimes.json；默认用本工具登记的）")
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


# Commands that read one file from outside: each runs in one isolated worker process (the one
# collect uses for each file) under Limits.worker_mb of memory and Limits.file_seconds of time, so
# that a file the gate lets through can still cost no more than that (docs/security.md).
ISOLATED = {"score", "validate", "export", "verify", "rollup"}


def _guarded(args) -> int:
    """Run the command; the user sees a sentence, never a traceback."""
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except OSError as exc:
        print(f"错误：{os_message(exc)}", file=sys.stderr)
        return 2
    except (ScoreError, ParseError, _book_error()) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("错误：读取文件时内存不足（超出读取限制），未完成；确属正常文件时可用 --limit worker_mb=… 调整", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("PERFEVAL_DEBUG"):
            raise
        print(f"内部错误：{type(exc).__name__}: {exc}（设置 PERFEVAL_DEBUG=1 查看详情）", file=sys.stderr)
        return 3


def _reader_gone() -> int:
    """The reader of our output went away (| head): nothing more to say, to no one."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 141  # as a shell reports a command ended by SIGPIPE


def _in_worker(args) -> tuple[int, str | None]:
    """The command: its exit code, and an export to convert to PDF after."""
    if _NoNumpyForOpenpyxl not in sys.meta_path:  # a spawned worker (Windows) starts afresh
        sys.meta_path.insert(0, _NoNumpyForOpenpyxl)
    code = _guarded(args)
    sys.stdout.flush()
    sys.stderr.flush()
    return code, getattr(args, "pdf_from", None)


def _captured(args) -> tuple[int, str | None, str, str]:
    """The command inside its worker, its output kept and handed back: the parent prints it, so
    output reaches whatever stdout the caller has (a pipe, a terminal, a test's capture)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code, pdf_from = _in_worker(args)
    return code, pdf_from, out.getvalue(), err.getvalue()


def _isolated(args) -> int:
    from perfeval_xl.book.package import limits
    from perfeval_xl.bureau.workers import run_isolated

    lim = limits()
    failed: list[str] = []

    def fallback(_, why: str) -> tuple[int, None, str, str]:
        failed.append(why)
        return 2, None, "", ""

    [(code, pdf_from, out, err)] = run_isolated([args], _captured, (), fallback, 1, lim, lambda *a: None)
    sys.stderr.write(err)
    if failed:
        print(f"错误：{failed[0]}，未完成（限制：内存 {lim.worker_mb} MB，时间 {lim.file_seconds:g} 秒；"
              "确属正常文件时可用 --limit 调整）", file=sys.stderr)
    try:
        sys.stdout.write(out)
        if pdf_from:
            _export_pdf(Path(pdf_from))
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_gone()
    return code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if _NoNumpyForOpenpyxl not in sys.meta_path:
        sys.meta_path.insert(0, _NoNumpyForOpenpyxl)
    try:
        if getattr(args, "limit", None):  # through the environment, so the workers see it too
            from perfeval_xl.book.package import ENV, limits

            os.environ[ENV] = ",".join(filter(None, [os.environ.get(ENV, ""), *args.limit]))
            limits()  # an unknown name or a bad value is refused now, in Chinese
        if args.command in ISOLATED:
            return _isolated(args)
    except _book_error() as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    code, pdf_from = _in_worker(args)
    if pdf_from:
        _export_pdf(Path(pdf_from))
    return code


if __name__ == "__main__":
    sys.exit(main())
