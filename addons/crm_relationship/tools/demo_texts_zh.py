"""Simplified Chinese names and texts of the demo company, for a demo built in zh_CN.

Each list has the length of its English counterpart in ``demo_generator`` and
``demo_collaboration``: the random stream draws by position only, so a Chinese demo
is the same company (same customers, orders and scores) with Chinese names.
"""

# fmt: off
NAME_PREFIXES = [
    "北辰", "蓝海", "铁桥", "峰顶", "红杉", "港湾", "银线", "橡岭",
    "磐石", "先锋", "新月", "长青", "猎鹰", "基石", "湖畔", "子午",
    "地平线", "阿特拉斯", "灯塔", "雪松", "铜田", "远帆", "东门", "狐山",
    "金冠", "高原", "杜松", "王道", "枫叶", "西溪",
]
NAME_SECTORS = [
    "制造", "物流", "工程", "工业供应", "食品",
    "包装", "汽车配件", "建筑", "机械", "塑料",
    "金属制品", "能源系统", "设施服务", "农业科技", "印刷",
]
NAME_FORMS = ["有限公司", "股份有限公司", "集团有限公司", "实业有限公司", "集团"]
FIRST_NAMES = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
    "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平",
]
LAST_NAMES = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗",
]
# fmt: on
JOB_TITLES = ["采购经理", "采购员", "厂长", "运营总监"]
# City, state code of Odoo's Chinese provinces, postcode.
CITIES = [
    ("上海", "沪", "200000"),
    ("北京", "京", "100000"),
    ("广州", "粤", "510000"),
    ("深圳", "粤", "518000"),
    ("杭州", "浙", "310000"),
    ("苏州", "苏", "215000"),
    ("南京", "苏", "210000"),
    ("天津", "津", "300000"),
    ("重庆", "渝", "400000"),
    ("成都", "川", "610000"),
    ("武汉", "鄂", "430000"),
    ("西安", "陕", "710000"),
    ("青岛", "鲁", "266000"),
    ("宁波", "浙", "315000"),
    ("无锡", "苏", "214000"),
    ("长沙", "湘", "410000"),
]
STREETS = ["工业大道", "商业路", "中山路", "创业大街", "纺织路"]
SALESPEOPLE = ["陈静", "王磊", "刘芳"]
OPPORTUNITY_TOPICS = [
    "产线改造",
    "备件框架协议",
    "维保合同",
    "新厂设备",
    "输送线扩建",
    "安全升级",
    "年度供货协议",
]
FORMATS = {
    "company": "{prefix}{sector}{form}",
    "company_in_city": "{city}{prefix}{sector}{form}",
    "person": "{last}{first}",
    "street": "{street}{number}号",
    "phone": "+86 21 5555 {digits}",
    "opportunity": "{topic} - {customer}",
}

# The other demo texts, by their English wording.
TEXTS = {
    # departments, their people and their roles on account teams
    "Sales": "销售部",
    "Finance": "财务部",
    "Logistics": "物流部",
    "Customer Service": "客户服务部",
    "Maria Lopez": "赵敏",
    "Tom Becker": "孙涛",
    "Aisha Khan": "林霞",
    "Account manager": "客户经理",
    "Credit controller": "信用管理专员",
    "Delivery planner": "交货计划员",
    "Service agent": "客服专员",
    # notes
    "Prefers one consolidated order a month.": "希望每月合并下一张订单。",
    "Paid late three times this year; keep terms short.": (
        "今年已三次逾期付款；付款条件宜从短。"
    ),
    "Receiving dock closes at 3 pm; no Saturdays.": "收货码头下午3点关闭；周六不收货。",
    "Asks for spare parts after each retrofit.": "每次改造后都会采购备件。",
    "A competitor quoted 8% below our last offer.": "竞争对手的报价比我们上次低8%。",
    "Invoices must quote the purchase order number.": "发票上必须注明采购订单号。",
    # complaints
    "Crates arrived broken": "木箱到货时已破损",
    "Invoice charged twice": "发票重复扣款",
    "Conveyor belt worn after a month": "输送带使用一个月就已磨损",
    "Delivery two days late": "交货延迟两天",
    "Technician missed the visit": "技术员未按约上门",
    "Wrong spare part sent": "发错了备件",
    # hand-offs
    "Review the credit limit": "复核信用额度",
    "Trace the late delivery": "追踪延迟的交货",
    "Confirm the date of the next delivery": "确认下次交货日期",
    "Confirmed for Tuesday, first slot.": "已确认周二第一个时段送达。",
    "Agree a payment plan for the overdue invoices": "就逾期发票商定付款计划",
    "Credit note for the damaged crate": "为破损木箱开具贷项通知单",
    "Already credited on the last invoice.": "已在上一张发票中抵扣。",
    "Visit after the line retrofit": "产线改造后回访",
    # NPS answers' reasons
    "Deliveries always on time.": "交货总是准时。",
    "The account manager knows our business.": "客户经理了解我们的业务。",
    "Quick answers when something goes wrong.": "出了问题能很快得到答复。",
    "Good products, prices a little high.": "产品不错，价格略高。",
    "Fine, but ordering takes too many e-mails.": "还行，但下单要来回发太多邮件。",
    "Three late deliveries in a row.": "连续三次交货延迟。",
    "Invoices are often wrong and take weeks to correct.": (
        "发票经常出错，更正要等好几周。"
    ),
    "Nobody called back about the broken crates.": "木箱破损的事没人回电。",
    # next best actions dismissed, an order released from credit hold
    "Already discussed with the customer last week.": "上周已与客户沟通过。",
    "Dispute under review by the account manager.": "争议正由客户经理处理。",
    "Not worth a call: small balance, paid by direct debit.": (
        "无需致电：余额很小，已通过直接扣款支付。"
    ),
    "Customer paid the oldest invoice by transfer; the rest by month end.": (
        "客户已转账支付最早的发票；其余将于月底前付清。"
    ),
    # the loyalty program and its tiers
    "Partner Rewards": "合作伙伴奖励计划",
    "Silver": "银卡",
    "Gold": "金卡",
    "Platinum": "白金卡",
    # the scorecards
    "%s balanced scorecard": "%s平衡计分卡",
    "%s department": "%s计分卡",
    # the partner tag of the demo customers
    "Relationship demo": "客户关系演示",
}
