"""The ``perfeval-xl`` command. Every subcommand is a thin shell over a library function; the
ribbon buttons call the same functions. Output and messages are Chinese."""
from __future__ import annotations

import argparse
import os
import sys

from . import scheme
from .parse import ParseError
from .rules import ScoreError


def cmd_schemes(args) -> int:
    for sid in scheme.scheme_ids():
        s = scheme.load(sid)
        print(f"{sid}\t{s.title}\t{len(s.indicators)}个指标\t来源：{s.source}")
        for problem in s.problems():
            print(f"\t⚠ {problem}")
    return 0


def cmd_indicator(args) -> int:
    from .udfs import indicator_score

    print(indicator_score(args.name, args.value, args.scheme, args.weight))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="perfeval-xl", description="预算绩效自评：评分、校验、锁定导出、汇总")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("schemes", help="列出内置指标体系及其自身的不一致之处")
    s.set_defaults(func=cmd_schemes)
    s = sub.add_parser("indicator", help="按指标体系计算单个指标得分")
    s.add_argument("name", help="三级指标名称")
    s.add_argument("value", help="指标值")
    s.add_argument("--scheme", help="指标体系编号")
    s.add_argument("--weight", help="分值")
    s.set_defaults(func=cmd_indicator)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScoreError, ParseError, OSError) as exc:  # the user sees a sentence, never a traceback
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("PERFEVAL_DEBUG"):
            raise
        print(f"内部错误：{type(exc).__name__}: {exc}（设置 PERFEVAL_DEBUG=1 查看详情）", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
