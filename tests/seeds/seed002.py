"""Seed 002 (冷水滩区保障性住房服务中心, 2021), copied from its text as data: sheet → defined name → value.

The 评价表 give 得分 only. A judged row's 得分 is its value; a rate row whose rate the seed does
not state gets the seed's 得分 as 调整后得分 (ADJUSTED), leaving its 指标值 blank."""
TEMPLATE = "2021-lengshuitan"

UNIT = "冷水滩区保障性住房服务中心"
PROFILE = ("冷水滩区保障性住房服务中心属全额拨款公益一类事业单位。注要负责全区保障性安居工程的分配管理与运营，"
           "以及全区农村危房改造工作。中心内下设4个股室：主任室、办公室、住保股、危改股。单位编制人数40人，实有在职职工总数22人")

VALUES = {
    "附件1": {
        "unit_name": UNIT, "report_year": 2021,
        "section1": "（一）项目单位基本情况。\n" + PROFILE + "，\n（二）项目预算和绩效目标情况简介。\n2021年项目支出3167.19万元。",
        "section2": "1.资金管理情况：按照相关预算管理文件要求，结合区住保中心财务管理办法，进行部门专项资金预算，实施动态管理监控的方式，"
                    "实时监督调整。依规进行专款专用、规范记账等措施，真实的反应收支动态。\n"
                    "2.资金执行情况：截止2021年项目支出3167.19万元，全部完毕。",
        "section3": "1.产出指标完成情况分析。\n（1）项目完成数量。完成208户危房改造任务。\n"
                    "（2）项目完成质量。各镇严格按照住建部门相关标准规范建设，房屋的验收合格率为100%。\n"
                    "（3）项目时效指标。208户危房改造开工率为100%，完工率为100%。\n（4）项目成本指标。……",
        "section4": "无",
        "section5": "本单位2021年度专项（项目）资金绩效等级为优。绩效情况已在规定时间内在政府网站公开。",
        "section6": "无", "section7": "无",
    },
    # 项目立项规范性 … 社会公众或服务对象满意度; rows 4, 5, 12, 14 are rates (ADJUSTED below)
    "附件2": {f"sc{i}_value": s for i, s in enumerate(
        [4, 4, 4, None, None, 3, 2, 3, 5, 7, 8, None, 7, None, 7, 4, 3, 3, 3, 5], start=1) if s is not None},
    "附件3": {
        # The seed's subtitle names 冷水滩区公路建设养护中心 while its text and signature name the
        # 保障性住房服务中心: copied as printed (the cross-sheet check reports it).
        "unit_name": "冷水滩区公路建设养护中心", "signed_by": UNIT, "report_date": "二0二二年八月二十三日",
        "section1": "（一）部门基本情况。\n" + PROFILE + "。",
        "section2": "（一）基本支出情况\n1.2021年度财政拨款支出3,401.95万元，占本年支出合计的100%。……\n"
                    "（2） 项目支出情况\n2021年整体项目支出3167.19 万元。\n（三）“三公”经费情况\n"
                    "2021年度“三公”经费财政拨款支出预算为0.4万元，支出决算为0万元，完成预算的0%……",
        "section3": "无", "section4": "无", "section5": "无",
        "section6": "本年度我中心除确保正常运转经费，经请示区政府同意，已完成农村危房改造208户。",
        "section7": "本单位2021年整体支出绩效自评得分91分。",
        "section8": "无。",
        "section9": "财政安排的日常公用经费不足，对保证区保障性住房服务中心正常工作运转产生了一定影响，建议区财政增加日常公用经费预算安排；"
                    "进一步规范财务支出，严格遵守单位财务制度。",
        "section10": "无。",
    },
    "附件4": {
        "sc1_value": "55%",  # 22 在职 / 40 编制 (附件3 一、部门概况)
        "sc8_value": "0%",  # “三公经费”决算 0 / 预算 0.4 万元 (附件3 二、（三）)
        "sc14_part1": 5, "sc14_part2": 4,  # 经济效益 5, 社会效益 4 on rows of their own
    },
}

# The seed's 得分 where its text gives no figure to score from: sheet → row → 调整后得分.
ADJUSTED = {
    "附件2": {4: 3, 5: 3, 12: 7, 14: 7},
    "附件4": {2: 5, 3: 5, 4: 5, 7: 6, 9: 5, 10: 7, 11: 5, 12: 5, 13: 8, 15: 6, 16: 5},
}
