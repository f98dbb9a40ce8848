"""Indicator systems (指标体系) as data: one YAML file per edition, checked with pydantic.

A scheme names its 一级/二级/三级 indicators, their 分值, the 评分标准 and formula texts
verbatim, and each indicator's rule with its parameters. ``problems()`` reports where the
official text contradicts itself (weights that do not add up, 计8分 on a 5-point row…).
"""
from __future__ import annotations

import functools
import os
import re
from decimal import Decimal
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from perfeval_xl.engine.parse import normalize, quote
from perfeval_xl.engine.rules import DEFAULT_GRADES, Grade, Qualitative, Quantitative, Rule, ScoreError, score


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    l1: str
    l2: str
    name: str
    aliases: list[str] = []
    weight: Decimal
    input: str = ""  # what the input cell asks for
    explain: str = ""  # 指标解释
    formula: str = ""  # 计算公式 / 指标说明
    standard: str = ""  # 评分标准, verbatim
    rule: Rule
    basis: Literal["seed", "infer"] = "seed"  # rule read from the text, or inferred

    def score(self, value: object) -> Decimal:
        return score(self.rule, self.weight, value)

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class RowRules(BaseModel):
    quantitative: Quantitative = Quantitative(kind="quantitative")
    qualitative: Qualitative = Qualitative(kind="qualitative")


class Scheme(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    source: str
    kind: Literal["dept", "project"]
    year: int
    total: Decimal = Decimal(100)
    level1: dict[str, Decimal]
    level2: dict[str, Decimal] = {}
    grades: list[Grade] = DEFAULT_GRADES
    open_rows: dict[str, list[str]] = {}  # 一级 → 二级 headings under which the unit adds rows
    row_rules: RowRules = RowRules()
    indicators: list[Indicator]

    def find(self, name: str) -> Indicator:
        key = _key(name)
        for ind in self.indicators:
            if key in [_key(n) for n in ind.names()] or key == ind.id:
                return ind
        raise ScoreError(f"指标体系{self.id}中没有指标“{name}”")

    def problems(self) -> list[str]:
        """Inconsistencies of the official text itself, in Chinese, for the loader's report."""
        out = []
        weights = {name: sum((i.weight for i in self.indicators if i.l1 == name), Decimal(0))
                   for name in self.level1}
        for name, declared in self.level1.items():
            if name not in self.open_rows and weights[name] != declared:
                out.append(f"一级指标“{name}”分值为{declared}，其下三级指标分值合计{weights[name]}")
        for name, declared in self.level2.items():
            got = sum((i.weight for i in self.indicators if i.l2 == name), Decimal(0))
            if got != declared:
                out.append(f"二级指标“{name}”分值为{declared}，其下三级指标分值合计{got}")
        if sum(self.level1.values()) != self.total:
            out.append(f"一级指标分值合计{sum(self.level1.values())}，总分应为{self.total}")
        for ind in self.indicators:
            if ind.l1 not in self.level1:
                out.append(f"指标{quote(ind.name)}的一级指标“{ind.l1}”不在体系中")
            full = ind.rule.full_marks(ind.weight)
            if full != ind.weight:
                out.append(f"指标{quote(ind.name)}分值为{ind.weight}，评分标准满分却为{full}")
            if re.search(r"[)）]\s*/\s*100%", ind.formula):
                out.append(f"指标{quote(ind.name)}的公式写作“/100%”，应为“×100%”")
        seen: dict[str, str] = {}
        for ind in self.indicators:
            for n in ind.names():
                if _key(n) in seen and seen[_key(n)] != ind.id:
                    out.append(f"指标名称“{n}”重复")
                seen[_key(n)] = ind.id
        return out


def _key(name: str) -> str:
    """Names compare without quotes, brackets' style or spaces: “三公经费”变动率 = 三公经费变动率."""
    return re.sub(r"[“”\"'‘’《》]", "", normalize(str(name)))


SCHEME_DIR = resources.files(__package__) / "schemes"
DEFAULT_SCHEME = "selfeval-2023"


# libyaml's parser when PyYAML was built with it: the same documents, seven times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(scheme_id: str = DEFAULT_SCHEME) -> Scheme:
    """One edition, parsed once per process (and again only if its file changes)."""
    path = SCHEME_DIR / f"{scheme_id}.yaml"
    if not path.is_file():
        raise ScoreError(f"没有指标体系“{scheme_id}”，可用：{'、'.join(scheme_ids())}")
    return _parse(path, _file_stamp(path))


def _file_stamp(path) -> tuple:
    """Changes when the file does, so that a long-lived process (Excel's) never sees a stale edition."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=64)
def _parse(path, stamp: tuple) -> Scheme:
    return Scheme.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER))


def scheme_ids() -> list[str]:
    return sorted(p.name[:-5] for p in SCHEME_DIR.iterdir() if p.name.endswith(".yaml"))
