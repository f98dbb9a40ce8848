"""Property tests: every input gives a score in [0, 分值] or a clear error."""
import inspect
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_xl.engine import rules, scheme
from perfeval_xl.formulas import udfs
from perfeval_xl.engine.rules import ScoreError

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["≥90%", "≤68.4万元", "12月31日", "①②", "全部", "达成", "约九成", "", "0", "-5"]),
)
weights = st.sampled_from([1, 3, 5, 8, 10, 20, 0.5])
all_indicators = [ind for sid in scheme.scheme_ids() for ind in scheme.load(sid).indicators]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(all_indicators), anything)
def test_library_indicators_score_in_range_or_explain(ind, value):
    try:
        points = ind.score(value)
    except ScoreError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    assert Decimal(0) <= points <= ind.weight
    assert points == points.quantize(Decimal("0.01"))


@settings(max_examples=400, deadline=None)
@given(weights, anything, anything, st.sampled_from(["A", "B"]))
def test_quantitative_in_range_or_explain(weight, target, actual, variant):
    out = udfs.PE_QUANT_SCORE(weight, target, actual, variant)
    assert (isinstance(out, str) and out.startswith("错误：")) or 0 <= out <= weight


@settings(max_examples=300, deadline=None)
@given(weights, anything, anything)
def test_qualitative_in_range_or_explain(weight, level, ratio):
    out = udfs.PE_QUAL_SCORE(weight, level, ratio)
    assert (isinstance(out, str) and out.startswith("错误：")) or 0 <= out <= weight


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["≥", "", "=", "≤"]), st.decimals(1, 10000, places=2),
       st.decimals(0, 20000, places=2), st.decimals(0, 20000, places=2), weights)
def test_forward_scores_never_fall_when_actual_rises(comp, target, a1, a2, weight):
    low, high = sorted([a1, a2])
    rule = rules.Quantitative(kind="quantitative")
    s_low = rules.score(rule, weight, (f"{comp}{target}万元", f"{low}万元"))
    s_high = rules.score(rule, weight, (f"{comp}{target}万元", f"{high}万元"))
    if comp == "≤":  # reverse: never rises when the actual rises
        assert s_high <= s_low
    else:
        assert s_high >= s_low


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([i for i in all_indicators if i.rule.kind in ("ratio", "bands", "threshold")
                        and getattr(i.rule, "better", "higher") == "higher"
                        and not (i.rule.kind == "bands" and i.rule.bands[0].max is not None)]),
       st.decimals(0, 3, places=4), st.decimals(0, 3, places=4))
def test_higher_is_better_rules_are_monotone(ind, a, b):
    low, high = sorted([a, b])
    if ind.input_kind == "rate":  # rates written with their sign: a bare 1.5 is a question
        low, high = f"{low * 100}%", f"{high * 100}%"
    assert ind.score(high) >= ind.score(low)


@settings(max_examples=200, deadline=None)
@given(anything, anything, anything)
def test_udfs_never_raise(a, b, c):
    for f in udfs.UDFS:
        required = sum(p.default is inspect.Parameter.empty for p in inspect.signature(f).parameters.values())
        out = f(*[a, b, c][:max(required, 1)])
        assert out == "" or not isinstance(out, str) or out.startswith("错误：") or f is udfs.PE_GRADE
