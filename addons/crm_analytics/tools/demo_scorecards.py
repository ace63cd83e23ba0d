"""Demo scorecards over the demo company of ``crm_relationship``'s generator.

Targets are set a little above what the owner reached in the last complete period,
so that the demo shows lights of every colour; then the daily cron records a year
of history and raises the first alerts.
"""

from odoo import Command, fields

from odoo.addons.crm_relationship.tools import demo_texts_zh

from . import kpi as kpi_tools

COMPANY_KPIS = [
    ("kpi_revenue", 3),
    ("kpi_new_customers", 1),
    ("kpi_retention_rate", 2),
    ("kpi_churn_rate", 1),
    ("kpi_average_clv", 1),
    ("kpi_win_rate", 2),
    ("kpi_pipeline_coverage", 1),
    ("kpi_dso", 2),
    ("kpi_overdue_ratio", 1),
    ("kpi_on_time_delivery_rate", 2),
    ("kpi_complaint_resolution_time", 1),
    ("kpi_first_response_time", 1),
    ("kpi_satisfaction", 1),
    ("kpi_loyalty_member_share", 1),
    ("kpi_winback_rate", 1),
]
DEPARTMENT_KPIS = {
    "Sales": ["kpi_revenue", "kpi_win_rate", "kpi_new_customers", "kpi_winback_rate"],
    "Finance": ["kpi_dso", "kpi_overdue_ratio"],
    "Logistics": ["kpi_on_time_delivery_rate"],
    "Customer Service": [
        "kpi_complaint_resolution_time",
        "kpi_first_response_time",
        "kpi_satisfaction",
    ],
}
# Finance and Logistics answer for company-wide processes, not for their own records.
COMPANY_WIDE_DEPARTMENTS = ("Finance", "Logistics")
USER_KPIS = ["kpi_revenue", "kpi_win_rate", "kpi_new_customers"]


def create_demo_scorecards(env):
    Scorecard = env["crm.scorecard"]
    company = env.company
    # the names in the company's language, as the demo generator writes its texts
    lang = company.partner_id.lang
    texts = demo_texts_zh.TEXTS if lang == "zh_CN" else {}
    company_name = texts.get("%s balanced scorecard", "%s balanced scorecard")
    department_name = texts.get("%s department", "%s department")

    def kpi(xmlid):
        return env.ref("crm_analytics." + xmlid)

    specs = [
        {
            "name": company_name % company.name,
            "owner_type": "company",
            "lines": COMPANY_KPIS,
        }
    ]
    for department in env["hr.department"].search(
        [
            ("name", "in", list(DEPARTMENT_KPIS)),
            ("company_id", "in", (company.id, False)),
        ]
    ):
        specs.append(
            {
                "name": department_name % department.with_context(lang=lang).name,
                "owner_type": "department",
                "department_id": department.id,
                "lines": [(x, 1) for x in DEPARTMENT_KPIS[department.name]],
                "company_wide": department.name in COMPANY_WIDE_DEPARTMENTS,
            }
        )
    salespeople = env["crm.relationship.score"].search([]).user_id[:3]
    for user in salespeople:
        specs.append(
            {
                "name": user.name,
                "owner_type": "user",
                "user_id": user.id,
                "lines": [(x, 1) for x in USER_KPIS],
            }
        )
    cards = Scorecard.create(
        [
            {
                **{k: v for k, v in spec.items() if k not in ("lines", "company_wide")},
                "line_ids": [
                    Command.create(
                        {
                            "kpi_id": kpi(xmlid).id,
                            "weight": weight,
                            **(
                                {"company_wide": True}
                                if spec.get("company_wide")
                                else {}
                            ),
                        }
                    )
                    for xmlid, weight in spec["lines"]
                ],
            }
            for spec in specs
        ]
    )
    today = fields.Date.context_today(Scorecard)
    last_month = kpi_tools.previous_period(
        kpi_tools.period_bounds(today, "month")[0], "month"
    )
    this_month = kpi_tools.period_bounds(today, "month")
    reached = cards.line_ids._live_values([last_month, this_month])
    for index, line in enumerate(cards.line_ids):
        value = reached[line.id, last_month] or reached[line.id, this_month]
        if not value:
            line.target = 1.0
            continue
        # alternately a little above and a little below what was reached
        stretch = (1.1, 0.95, 1.3)[index % 3]
        if line.kpi_id.direction == "lower":
            stretch = 1 / stretch
        target = value * stretch
        if line.kpi_id.unit == "percent":
            target = min(target, 100.0)
        line.target = round(target, 2)
    # what the daily cron does, without its commits: this runs inside the install
    cards._snapshot()
    cards._check_alerts()
    return cards
