"""Indicator systems (指标体系) as data: one YAML file per edition, checked with pydantic.

A scheme names its 一级/二级/三级 indicators, their 分值, the 评分标准 and formula texts
verbatim, and each indicator's rule with its parameters. ``problems()`` reports where the
official text contradicts itself (weights that do not add up, 计8分 on a 5-point row…).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
from decimal import Decimal
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perfeval_xl.engine.parse import MAX_RATE, ParseError, normalize, pct, quote, read_rate, show
from perfeval_xl.engine.rules import (DEFAULT_GRADES, MAX_WEIGHT, ZERO, Bands, Checklist, Choice, Grade, Qualitative,
                                      Quantitative, Rule, ScoreError, finish, score)


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    l1: str
    l2: str
    name: str
    aliases: list[str] = []
    weight: Decimal
    input: str = ""  # what the input cell asks for
    # "rate": the input is a rate (控制率, 满意度…), read by the one percent rule (parse.read_rate)
    input_kind: Literal["rate", "other"] = "other"
    # The range the official formula implies for a rate ([0, 1]: a part of a whole; [0, null]:
    # never negative). A rate outside it is scored as typed, with a 提示 asking to check it.
    within: tuple[Decimal | None, Decimal | None] | None = None
    explain: str = ""  # 指标解释
    formula: str = ""  # 计算公式 / 指标说明
    standard: str = ""  # 评分标准, verbatim
    rule: Rule
    basis: Literal["seed", "infer"] = "seed"  # rule read from the text, or inferred

    def score(self, value: object, weight: object = None) -> Decimal:
        """Points for the input as typed (a rate read by the one percent rule)."""
        return self.points(self.read(value)[0], weight)

    def points(self, value: object, weight: object = None) -> Decimal:
        """Points for an input already read, at the edition's 分值 or at a 分值 the unit adapted.

        A judged row takes the typed score within [0, new 分值]; every other rule is scored at
        the edition's 分值 and scaled by new / old, rounded once (half-up to 0.01).
        """
        if weight is None or Decimal(str(weight)) == self.weight:
            return score(self.rule, self.weight, value)
        new = Decimal(str(weight))
        if self.rule.kind == "judged" or self.weight == 0 or not ZERO <= new <= MAX_WEIGHT:
            return score(self.rule, new, value)  # which refuses a 分值 beyond [0, MAX_WEIGHT]
        points = min(max(self.rule.score(value, self.weight), ZERO), self.weight)
        return finish(points * new / self.weight, new)

    def read(self, value: object) -> tuple[object, str]:
        """The input as the rule takes it, and the echo of a non-obvious reading ("按85%计")."""
        if self.input_kind != "rate" or self.rule.blank_input(value):
            return value, ""
        try:
            reading = read_rate(value, self.input or self.name)
        except ParseError as exc:
            raise ScoreError(f"{exc}") from None
        if abs(reading.fraction) > MAX_RATE:
            raise ScoreError(f"{self.input or self.name}为{pct(reading.fraction)}，超出±{pct(MAX_RATE)}")
        return reading.fraction, reading.echo

    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def departure(self) -> str:
        """Where the rule departs from the row as printed, in a sentence for the row's note and
        the 提示 ("" if it does not): 计8分 on a 5-point row is deducted from 8, capped at 5."""
        full = self.rule.full_marks(self.weight)
        if full > self.weight:
            return (f"评分标准写满分{show(full)}分，本行分值为{show(self.weight)}分："
                    f"按评分标准自{show(full)}分起扣，得分以{show(self.weight)}分为上限")
        if full < self.weight:
            return f"评分标准最高{show(full)}分，低于本行分值{show(self.weight)}分：得分最高为{show(full)}分"
        return ""

    def outside(self, fraction: Decimal) -> str:
        """The range a rate breaks, in words ("0至100%"), or "" when it is within or unbounded."""
        if self.within is None:
            return ""
        low, high = self.within
        if (low is None or fraction >= low) and (high is None or fraction <= high):
            return ""
        if high is None:
            return "不应为负数" if low == 0 else f"不应低于{pct(low)}"
        if low is None:
            return f"不应超过{pct(high)}"
        return f"应在{pct(low)}至{pct(high)}之间"


class RowRules(BaseModel):
    quantitative: Quantitative = Quantitative(kind="quantitative")
    qualitative: Qualitative = Qualitative(kind="qualitative")


class Scheme(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*(@[0-9a-f]{12})?$")  # @hash: carried by a workbook
    title: str
    source: str
    kind: Literal["dept", "project"]
    year: int
    total: Decimal = Decimal(100)
    level1: dict[str, Decimal]
    level2: dict[str, Decimal] = {}
    grades: list[Grade] = DEFAULT_GRADES
    open_rows: dict[str, list[str]] = {}  # 一级 → 二级 headings under which the unit adds rows
    # A built-in template set (e.g. "2020") whose 评分表 of this kind the edition replaces;
    # empty: the edition's workbook holds its 评分表 alone.
    template: str = ""
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
        ids = [ind.id for ind in self.indicators]
        out += [f"指标编号“{i}”重复" for i in sorted({i for i in ids if ids.count(i) > 1})]
        out += [p for ind in self.indicators for p in _indicator_problems(ind, self.level2)]
        out += [f"open_rows 中的一级指标“{name}”不在 level1 中" for name in self.open_rows if name not in self.level1]
        mins = [g.min for g in self.grades]
        if None in mins[:-1] or mins != sorted(mins, key=lambda m: -1 if m is None else m, reverse=True):
            out.append("评价等次（grades）应按分数线从高到低排列，最后一档不写分数线")
        return out


def _indicator_problems(ind: Indicator, level2: dict[str, Decimal]) -> list[str]:
    """What an analyst may get wrong on one indicator: missing text, bands that never apply…"""
    name, rule, out = quote(ind.name), ind.rule, []
    if not ind.standard.strip():
        out.append(f"指标{name}缺少评分标准原文（standard）")
    if level2 and ind.l2 not in level2:
        out.append(f"指标{name}的二级指标“{ind.l2}”不在 level2 中")
    if ind.weight < 0:
        out.append(f"指标{name}的分值{ind.weight}为负数")
    if getattr(rule, "per", 1) <= 0:
        out.append(f"指标{name}的扣分（per）应大于0")
    if isinstance(rule, Bands):
        out += _band_problems(name, rule)
    if isinstance(rule, Checklist) and not rule.items:
        out.append(f"指标{name}的条目（items）为空")
    if isinstance(rule, Choice):
        labels = [normalize(o.label) for o in rule.options]
        out += [f"指标{name}的情形“{x}”重复" for x in sorted({x for x in labels if labels.count(x) > 1})]
    return out


def _band_problems(name: str, rule: Bands) -> list[str]:
    """Bands are tried in order and the first that applies wins: a band after a wider one never
    applies, and a better value must not earn fewer points."""
    out = []
    if not rule.bands:
        return [f"指标{name}的分档（bands）为空"]
    if any((b.min is None) == (b.max is None) for b in rule.bands):
        out.append(f"指标{name}的每一档须只写下限（min）或只写上限（max）之一")
        return out
    kinds = {b.min is None for b in rule.bands}
    if len(kinds) > 1:
        return [f"指标{name}的分档混用了下限（min）和上限（max），请统一"]
    ends = [b.min if b.min is not None else b.max for b in rule.bands]
    by_min = rule.bands[0].min is not None
    for i in range(1, len(ends)):
        if (ends[i] >= ends[i - 1]) if by_min else (ends[i] <= ends[i - 1]):
            word = "下限应从高到低" if by_min else "上限应从低到高"
            out.append(f"指标{name}的分档顺序有误：第{i + 1}档{'下限' if by_min else '上限'}{ends[i]:f}，"
                       f"第{i}档为{ends[i - 1]:f}（{word}排列，否则后面的档永远用不到）")
        if rule.bands[i].points > rule.bands[i - 1].points:
            out.append(f"指标{name}的第{i + 1}档得分{rule.bands[i].points:f}高于第{i}档{rule.bands[i - 1].points:f}")
    if rule.otherwise > min(b.points for b in rule.bands):
        out.append(f"指标{name}的其余情况得分（otherwise）高于最低一档")
    return out


def _key(name: str) -> str:
    """Names compare without quotes, brackets' style or spaces: “三公经费”变动率 = 三公经费变动率."""
    return re.sub(r"[“”\"'‘’《》]", "", normalize(str(name)))


SCHEME_DIR = resources.files(__package__) / "schemes"
DEFAULT_SCHEME = "selfeval-2023"
MAX_EDITION_CHARS = 500_000  # the largest built-in edition is 10 000 characters


class EditionError(ScoreError):
    """An edition file that cannot be read; the message lists every problem, in Chinese."""


class _ScalarAliases(yaml.SafeLoader):
    """YAML whose aliases name texts only (``standard: *duty``): aliases of lists or mappings
    can nest into gigabytes from a few lines (billion laughs)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            node = self.anchors.get(self.peek_event().anchor)
            if node is not None and not isinstance(node, yaml.ScalarNode):
                raise EditionError("指标体系文件中的别名（*名称）只能指向一段文字，不能指向列表或映射")
        return super().compose_node(parent, index)


def canonical_text(text: str) -> str:
    """The edition's text as hashed and embedded: Unix line ends, no trailing blank lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def edition_hash(text: str) -> str:
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()


def _where(loc: tuple, data: object) -> str:
    """A pydantic error location as an analyst reads it: 指标“支付进度”的 rule.per."""
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        items = data.get("indicators") if isinstance(data, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        head = f"指标“{name}”" if name else f"第{loc[1] + 1}个指标"
        rest = _dotted(loc[2:])
        return f"{head}的 {rest}" if rest else head
    return _dotted(loc)


def _dotted(loc: tuple) -> str:
    return "".join(f"[第{k + 1}项]" if isinstance(k, int) else f".{k}" for k in loc).lstrip(".")


_KINDS = "threshold、bands、ratio、checklist、failures、choice、qualitative、quantitative、judged"
_ERRORS = {
    "missing": "缺少必填项",
    "extra_forbidden": "是未知的字段（拼写错误？）",
    "union_tag_invalid": f"评分方式（kind）未知，可用：{_KINDS}",
    "union_tag_not_found": f"缺少评分方式（kind），可用：{_KINDS}",
    "decimal_parsing": "应为数字", "decimal_type": "应为数字", "int_parsing": "应为整数",
    "string_type": "应为文字", "string_pattern_mismatch": "含有不允许的字符（编号只用英文字母、数字、下划线和短横线）",
    "dict_type": "应为“名称: 值”的映射", "list_type": "应为列表", "literal_error": "取值不在可选范围内",
}


def _validation_messages(exc: ValidationError, data: object) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k in _KINDS.split("、")))
        what = _ERRORS.get(err["type"], f"格式不对（{err['msg']}）")
        if err["type"] == "union_tag_invalid":
            what = f"评分方式（kind）“{err['ctx']['tag']}”未知，可用：{_KINDS}"
        if err["type"] == "literal_error" and "expected" in err.get("ctx", {}):
            what = f"应为 {err['ctx']['expected']}"
        out.append(f"{_where(loc, data) or '文件'}：{what}")
    return out


def parse_edition(text: str) -> tuple[Scheme | None, list[str]]:
    """An edition from YAML text (bounded, no aliases): the scheme, or None and the reasons."""
    if len(text) > MAX_EDITION_CHARS:
        return None, [f"指标体系文件过大（{len(text)}个字符，上限{MAX_EDITION_CHARS}）"]
    try:
        data = yaml.load(text, Loader=_ScalarAliases)
    except EditionError as exc:
        return None, [str(exc)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark is not None else ""
        return None, [f"YAML 格式错误{where}：{getattr(exc, 'problem', None) or exc}"]
    if not isinstance(data, dict):
        return None, ["指标体系文件应为“字段: 值”的映射（见 docs/schemes.md）"]
    try:
        return Scheme.model_validate(data), []
    except ValidationError as exc:
        return None, _validation_messages(exc, data)


def check_edition(text: str) -> list[str]:
    """Every inconsistency of an edition file: unreadable parts first, then the text's own."""
    scheme, errors = parse_edition(text)
    if scheme is None:
        return errors
    out = scheme.problems()
    if scheme.id in scheme_ids() and edition_hash(text) != edition_hash(_builtin_text(scheme.id)):
        out.append(f"编号“{scheme.id}”已被内置指标体系使用，请另取编号")
    return out


def read_edition_file(path) -> str:
    """An edition file's text, size-checked before it is read whole."""
    from pathlib import Path

    path = Path(path)
    if path.stat().st_size > MAX_EDITION_CHARS * 4:
        raise EditionError(f"{path.name}：指标体系文件过大")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EditionError(f"{path.name}：请以 UTF-8 编码保存指标体系文件") from None


# Editions carried by workbooks, by key "id@first 12 hex of their SHA-256": content-addressed,
# so two files carrying different texts under one id never meet, and no file can replace a
# built-in edition (built-in ids are refused).
_CARRIED: dict[str, Scheme] = {}


def register(text: str) -> str:
    """Make an edition from outside the package loadable; returns its key for formulas."""
    scheme, errors = parse_edition(text)
    if scheme is None:
        raise EditionError("指标体系无法读取：" + "；".join(errors))
    if scheme.id in scheme_ids():
        raise EditionError(f"指标体系编号“{scheme.id}”与内置体系相同，不能由文件替换")
    key = f"{scheme.id}@{edition_hash(text)[:12]}"
    _CARRIED.setdefault(key, scheme.model_copy(update={"id": key}))
    return key


def _builtin_text(scheme_id: str) -> str:
    return (SCHEME_DIR / f"{scheme_id}.yaml").read_text(encoding="utf-8")


def load(scheme_id: str = DEFAULT_SCHEME) -> Scheme:
    if scheme_id in _CARRIED:
        return _CARRIED[scheme_id]
    return _load_builtin(scheme_id)


# libyaml's parser when PyYAML was built with it: the same documents, seven times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_package_yaml(path) -> object:
    """A data file shipped in the package (editions, report texts, examples)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _load_builtin(scheme_id: str) -> Scheme:
    """A built-in edition, parsed once per process (and again only if its file changes)."""
    if scheme_id not in scheme_ids():  # also keeps ids from a hostile file out of the file system
        raise ScoreError(f"没有指标体系“{scheme_id}”，可用：{'、'.join(scheme_ids())}")
    path = SCHEME_DIR / f"{scheme_id}.yaml"
    return _parse(path, _file_stamp(path))


def _file_stamp(path) -> tuple:
    """Changes when the file does, so that a long-lived process (Excel's) never sees a stale edition."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=64)
def _parse(path, stamp: tuple) -> Scheme:
    return Scheme.model_validate(read_package_yaml(path))


def scheme_ids() -> list[str]:
    return sorted(p.name[:-5] for p in SCHEME_DIR.iterdir() if p.name.endswith(".yaml"))
