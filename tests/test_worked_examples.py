"""Worked examples, computed by hand from each 评分标准 text (the comment shows the sum)."""
from decimal import Decimal

import pytest

from perfeval_xl.engine import scheme
from perfeval_xl.engine.rules import ScoreError

D = Decimal

# (scheme, indicator, input, expected points) — one or more per computable rule.
EXAMPLES = [
    # seed 004 附件3-1, hunan-dept-2020
    ("hunan-dept-2020", "财政供养人员控制率", "108.7%", "0.65"),    # 5 − 8.7 × 0.5
    ("hunan-dept-2020", "在职人员控制率", 0.875, "5"),           # ≦100%
    ("hunan-dept-2020", "在职人员控制率", "120%", "0"),             # 5 − 20 × 0.5 < 0 → 0
    ("hunan-dept-2020", "“三公经费”变动率", -0.1, "5"),          # ≦0
    ("hunan-dept-2020", "三公经费变动率", 0.034, "3.3"),          # 5 − 3.4 × 0.5
    ("hunan-dept-2020", "重点支出安排率", 0.9, "5"),              # ≥90%
    ("hunan-dept-2020", "重点支出安排率", 0.8999, "4"),           # 80%（含）-90%
    ("hunan-dept-2020", "重点支出安排率", 0.6, "2"),              # 60%（含）
    ("hunan-dept-2020", "重点支出安排率", 0.59, "0"),
    ("hunan-dept-2020", "预算调整率", 0, "3"),                    # =0
    ("hunan-dept-2020", "预算调整率", 0.1, "2"),                  # 0-10%（含）
    ("hunan-dept-2020", "预算调整率", 0.25, "0.5"),               # 20-30%（含）
    ("hunan-dept-2020", "预算调整率", 0.31, "0"),                 # 大于30%
    ("hunan-dept-2020", "支付进度", 3, "1.5"),                    # 3 − 3 × 0.5
    ("hunan-dept-2020", "支付进度", 7, "0"),                      # 扣完为止
    ("hunan-dept-2020", "资金结余", "无结余", "3"),
    ("hunan-dept-2020", "资金结余", 0.4, "2"),                    # 结余/上年结转 ≤ 1
    ("hunan-dept-2020", "资金结余", 1.2, "0"),                    # 超过上年结转
    ("hunan-dept-2020", "“三公经费”控制率", "102.5%", "3.5"),        # 6 − 2.5 × 1
    ("hunan-dept-2020", "管理制度健全性", "①③", "2"),
    ("hunan-dept-2020", "资金使用合规性", 1, "2"),                # 3 − 1
    ("hunan-dept-2020", "预决算信息公开性和完善性", "①②④", "2"),  # 1 + 0.5 + 0.5
    ("hunan-dept-2020", "政府采购执行率", 0.9, "1"),              # 3 − 10 × 0.2
    ("hunan-dept-2020", "政府采购执行率", "110%", "3"),              # only 减少 is penalised
    ("hunan-dept-2020", "公务卡刷卡率", 0.65, "2"),               # 3 − 5 × 0.2
    ("hunan-dept-2020", "公务卡刷卡率", 0.75, "3"),
    ("hunan-dept-2020", "资产管理制度健全性", "①", "2"),
    ("hunan-dept-2020", "资产管理安全性", 2, "2"),                # 4 − 2
    ("hunan-dept-2020", "固定资产利用率", 0.955, "2.55"),         # 3 − 4.5 × 0.1
    ("hunan-dept-2020", "社会公众或服务对象满意度", 0.95, "5"),
    ("hunan-dept-2020", "满意度", 0.9, "3"),
    ("hunan-dept-2020", "满意度", 0.8, "1"),
    ("hunan-dept-2020", "满意度", 0.7, "0"),
    # seed 004 附件3-2, hunan-project-2020
    ("hunan-project-2020", "目标内容", "全部", "4"),
    ("hunan-project-2020", "决策依据", "1,2,4", "3"),
    ("hunan-project-2020", "决策程序", "①③", "3"),               # 2 + 1
    ("hunan-project-2020", "分配办法", "②", "1"),
    ("hunan-project-2020", "分配结果", "②", "3"),
    ("hunan-project-2020", "到位率", 5057 / 13742, "1.1"),         # 0.368 × 3 = 1.104
    ("hunan-project-2020", "到位时效", "不及时但未影响项目进度", "1"),
    ("hunan-project-2020", "到位时效", 3, "0.5"),                 # option ③
    ("hunan-project-2020", "财务管理", "①②③", "3"),
    ("hunan-project-2020", "组织机构", "无", "0"),
    ("hunan-project-2020", "支撑条件", "①", "1"),
    ("hunan-project-2020", "项目实施", "①②", "2"),
    ("hunan-project-2020", "管理制度", "②", "3"),
    ("hunan-project-2020", "产出数量", 0.9, "4.5"),               # 90% × 5
    ("hunan-project-2020", "产出数量", "120%", "5"),
    ("hunan-project-2020", "产出质量", "85%", "3.4"),             # 85% × 4
    ("hunan-project-2020", "产出时效", "未如期完成且无充分理由", "0"),
    ("hunan-project-2020", "产出成本", "110%", "2.7"),               # 超支10% → 3 × 0.9
    ("hunan-project-2020", "产出成本", 0.95, "3"),
    ("hunan-project-2020", "服务对象满意度", 0.85, "6"),
    ("hunan-project-2020", "服务对象满意度", 0.6, "2"),
    ("hunan-project-2020", "服务对象满意度", 0.59, "0"),
    # seed 002 附件4, lengshuitan-dept-2021
    ("lengshuitan-dept-2021", "在职人员控制率", 22 / 40, "5"),
    ("lengshuitan-dept-2021", "在职人员控制率", "105%", "2.5"),     # 5 − 5 × 0.5
    ("lengshuitan-dept-2021", "“三公经费”变动率", 0.02, "5"),     # 计8分 − 1.6 = 6.4, capped at 分值 5
    ("lengshuitan-dept-2021", "“三公经费”变动率", 0.05, "4"),     # 8 − 5 × 0.8
    ("lengshuitan-dept-2021", "预算完成率", 1, "5"),
    ("lengshuitan-dept-2021", "预算完成率", 0.93, "3"),           # one whole 5% below → −2
    ("lengshuitan-dept-2021", "预算完成率", 0.89, "1"),           # two whole 5% steps
    ("lengshuitan-dept-2021", "预算控制率", 0, "5"),
    ("lengshuitan-dept-2021", "预算控制率", 0.15, "3"),
    ("lengshuitan-dept-2021", "新建楼堂馆所面积控制率", None, "5"),   # 没有项目按满分
    ("lengshuitan-dept-2021", "新建楼堂馆所面积控制率", "112%", "1"),   # two 5% steps over
    ("lengshuitan-dept-2021", "新建楼堂馆所投资概算控制率", "105%", "3"),
    ("lengshuitan-dept-2021", "公用经费控制率", "102%", "6"),       # 8 − 2
    ("lengshuitan-dept-2021", "“三公经费”控制率", 0, "7"),
    ("lengshuitan-dept-2021", "“三公经费”控制率", "103.5%", "3.5"),  # 7 − 3.5
    ("lengshuitan-dept-2021", "政府采购执行率", "110%", "2"),        # 超过 two 5% steps
    ("lengshuitan-dept-2021", "政府采购执行率", 0.94, "4"),       # 降低 one 5% step
    ("lengshuitan-dept-2021", "管理制度健全性", "①②④", "6"),
    ("lengshuitan-dept-2021", "资金使用合规性", 1, "5"),
    ("lengshuitan-dept-2021", "预决算信息公开性", "全部", "5"),
    ("lengshuitan-dept-2021", "重点工作实际完成率", 315, "7.2"),  # 315/350 × 8
    ("lengshuitan-dept-2021", "行政效能", "一般", "3"),
    ("lengshuitan-dept-2021", "行政效能", "较好", "6"),
    ("lengshuitan-dept-2021", "满意度", 0.98, "6"),
    ("lengshuitan-dept-2021", "满意度", 0.85, "4"),
    ("lengshuitan-dept-2021", "满意度", 0.72, "2"),
    # seed 002 附件2, lengshuitan-project-2021
    ("lengshuitan-project-2021", "资金到位率", 1, "4"),
    ("lengshuitan-project-2021", "到位及时率", 0.75, "3"),        # 75% × 4
    ("lengshuitan-project-2021", "实际完成率", 208 / 208, "7"),
    ("lengshuitan-project-2021", "质量达标率", 0.875, "7"),        # 87.5% × 8
    # seed 001, selfeval-2023
    ("selfeval-2023", "预算执行率", 1323.28 / 1323.28, "10"),
    ("selfeval-2023", "预算执行率", 0.76, "7.6"),                 # the published example
    ("selfeval-2023", "预算执行率", "120%", "10"),                   # capped
]


@pytest.mark.parametrize("scheme_id,name,value,expected", EXAMPLES)
def test_worked_example(scheme_id, name, value, expected):
    assert scheme.load(scheme_id).find(name).score(value) == D(expected)


def test_every_computable_rule_has_a_worked_example():
    covered = {(s, scheme.load(s).find(n).id) for s, n, _, _ in EXAMPLES}
    for sid in scheme.scheme_ids():
        for ind in scheme.load(sid).indicators:
            if ind.rule.kind != "judged":
                assert (sid, ind.id) in covered, f"{sid}:{ind.name} has no worked example"


def test_judged_scores_stay_within_weight():
    ind = scheme.load("hunan-dept-2020").find("经济效益、社会效益、生态效益")
    assert ind.score(13) == D(13)  # seed 004 scored 13 of 15
    with pytest.raises(ScoreError, match="超出0至15分"):
        ind.score(16)


def test_seed_totals_add_up_from_their_rows():
    """The seeds' own 自评得分 columns reproduce their totals (98, 99, 91, 92)."""
    seeds = {
        "hunan-dept-2020": ([5, 5, 5, 3, 3, 3, 6, 3, 3, 3, 3, 3, 3, 4, 3, 8, 5, 4, 4, 4, 13, 5], 98),
        "hunan-project-2020": ([4, 4, 4, 3, 5, 3, 2, 7, 3, 1, 1, 3, 5, 5, 4, 3, 3, 8, 8, 8, 7, 8], 99),
        "lengshuitan-dept-2021": ([5, 5, 5, 5, 5, 5, 6, 5, 5, 7, 5, 5, 8, 9, 6, 5], 91),
        "lengshuitan-project-2021": ([4, 4, 4, 3, 3, 3, 2, 3, 5, 7, 8, 7, 7, 7, 7, 4, 3, 3, 3, 5], 92),
    }
    for sid, (scores, total) in seeds.items():
        inds = scheme.load(sid).indicators
        assert len(scores) == len(inds)
        for ind, s in zip(inds, scores):
            assert 0 <= s <= ind.weight, (sid, ind.name)
        assert sum(scores) == total


def test_scheme_reports_the_seed_inconsistencies():
    assert scheme.load("lengshuitan-dept-2021").problems() == ["指标“三公经费”变动率分值为5，评分标准满分却为8"]
    assert any("/100%" in p for p in scheme.load("lengshuitan-project-2021").problems())
    assert scheme.load("hunan-dept-2020").problems() == []


def test_scheme_problems_catch_broken_weights():
    s = scheme.load("hunan-dept-2020").model_copy(deep=True)
    s.indicators[0].weight = D(6)
    problems = s.problems()
    assert any("一级指标“投入”分值为15，其下三级指标分值合计16" in p for p in problems)
    assert any("评分标准满分却为6" not in p for p in problems)


def test_unknown_names_are_reported_in_chinese():
    with pytest.raises(ScoreError, match="没有指标“不存在的指标”"):
        scheme.load("hunan-dept-2020").find("不存在的指标")
    with pytest.raises(ScoreError, match="没有指标体系"):
        scheme.load("no-such-scheme")
