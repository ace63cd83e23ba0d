from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import FEBRUARY, MARCH, ScorecardCase


@tagged("post_install", "-at_install")
class TestKpiDefinition(ScorecardCase):
    """A definition that cannot be evaluated is refused at save, in plain words."""

    def test_unknown_field_in_domain(self):
        with self.assertRefused(ValidationError, "cannot be evaluated"):
            self._kpi("Bad", domain="[('no_such_field', '=', 1)]")

    def test_domain_that_is_not_a_list(self):
        with self.assertRefused(ValidationError, "list of conditions"):
            self._kpi("Bad", domain="42")

    def test_domain_is_safe_evaluated(self):
        with self.assertRefused(ValidationError, "cannot be evaluated"):
            self._kpi("Bad", domain="[('id', '=', __import__('os').getpid())]")

    def test_sum_of_a_field_that_is_not_a_number(self):
        with self.assertRefused(ValidationError, "not a stored number"):
            self._kpi("Bad", measure="sum", field_id=self._field("crm.lead", "name").id)

    def test_sum_needs_a_field(self):
        with self.assertRefused(ValidationError, "choose which one"):
            self._kpi("Bad", measure="sum", field_id=False)

    def test_field_of_another_model(self):
        with self.assertRefused(ValidationError, "not a field of"):
            self._kpi("Bad", date_field_id=self._field("res.partner", "create_date").id)

    def test_date_field_required_unless_current_state(self):
        with self.assertRefused(ValidationError, "needs a date field"):
            self._kpi("Bad", date_field_id=False)
        kpi = self._kpi("Now", date_field_id=False, date_mode="none")
        self.assertEqual(kpi.date_mode, "none")

    def test_ratio_needs_both_parts_and_no_cycle(self):
        part = self._kpi("Part")
        with self.assertRefused(ValidationError, "numerator and denominator"):
            self._kpi("Ratio", measure="ratio", numerator_id=part.id)
        ratio = self._kpi(
            "Ratio", measure="ratio", numerator_id=part.id, denominator_id=part.id
        )
        outer = self._kpi(
            "Outer", measure="ratio", numerator_id=ratio.id, denominator_id=part.id
        )
        with self.assertRefused(ValidationError, "ratio of itself"):
            ratio.numerator_id = outer

    def test_form_guesses_owner_and_date_fields(self):
        form = Form(self.env["crm.kpi"])
        form.name = "Invoices"
        form.model_id = self.env["ir.model"]._get("account.move")
        self.assertEqual(form.company_field_id.name, "company_id")
        self.assertEqual(form.user_field_id.name, "invoice_user_id")
        self.assertEqual(form.team_field_id.name, "team_id")
        self.assertEqual(form.date_field_id.name, "date")
        kpi = form.save()
        self.assertEqual(kpi.measure, "count")


@tagged("post_install", "-at_install")
class TestKpiEvaluation(ScorecardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._person("kpi.seller", "base.group_user", cls.sales)
        cls.other = cls._person("kpi.other", "base.group_user", cls.logistics)
        cls._lead(date(2026, 3, 5), 1000, cls.seller)
        cls._lead(date(2026, 3, 31), 500, cls.seller)
        cls._lead(date(2026, 3, 20), 200, cls.other)
        cls._lead(date(2026, 4, 1), 9000, cls.seller)  # April: out of March
        cls._lead(date(2026, 2, 28), 50, cls.other)  # February

    def _value(self, kpi, owner, period=MARCH):
        return kpi._evaluate([owner], [period])[kpi.id, owner, period]

    def test_count_sum_avg_per_owner_type(self):
        count = self._kpi("Count")
        total = self._kpi("Sum", measure="sum")
        mean = self._kpi("Average", measure="avg")
        company = ("company", self.company.id, self.company.id)
        seller = ("user", self.seller.id, self.company.id)
        team = ("team", self.team.id, self.company.id)
        sales = ("department", self.sales.id, self.company.id)
        values = (count | total | mean)._evaluate(
            [company, seller, team, sales], [MARCH]
        )
        self.assertEqual(values[count.id, company, MARCH], 3)
        self.assertEqual(values[total.id, company, MARCH], 1700)
        self.assertAlmostEqual(values[mean.id, company, MARCH], 1700 / 3)
        self.assertEqual(values[count.id, seller, MARCH], 2)
        self.assertEqual(values[total.id, seller, MARCH], 1500)
        self.assertEqual(values[total.id, team, MARCH], 1700)
        # the department through its employees' users: the seller only
        self.assertEqual(values[total.id, sales, MARCH], 1500)
        self.assertAlmostEqual(values[mean.id, sales, MARCH], 750)

    def test_empty_period(self):
        july = (date(2026, 7, 1), date(2026, 7, 31))
        company = ("company", self.company.id, self.company.id)
        self.assertEqual(self._value(self._kpi("Count"), company, july), 0)
        self.assertEqual(self._value(self._kpi("Sum", measure="sum"), company, july), 0)
        self.assertIsNone(self._value(self._kpi("Avg", measure="avg"), company, july))

    def test_ratio_and_division_by_zero(self):
        big = self._kpi("Big", domain="[('expected_revenue', '>=', 500)]")
        everything = self._kpi("All")
        nothing = self._kpi("None", domain="[('expected_revenue', '>', 10 ** 9)]")
        share = self._kpi(
            "Share",
            measure="ratio",
            numerator_id=big.id,
            denominator_id=everything.id,
            ratio_scale="percent",
        )
        broken = self._kpi(
            "Broken", measure="ratio", numerator_id=big.id, denominator_id=nothing.id
        )
        company = ("company", self.company.id, self.company.id)
        self.assertAlmostEqual(self._value(share, company), 200 / 3)
        self.assertIsNone(self._value(broken, company))
        card = self._card(broken, 10)
        line = card.line_ids
        self.assertEqual(card.compute(*MARCH), {line.id: None})
        self.assertEqual(
            line.with_context(scorecard_date="2026-03-15").value_display, "n/a"
        )
        self.assertFalse(card.with_context(scorecard_date="2026-03-15").total_known)

    def test_ratio_days_scale(self):
        flow = self._kpi("Flow", measure="sum")
        stock = self._kpi("Stock", measure="sum", date_mode="until")
        dso = self._kpi(
            "Days",
            measure="ratio",
            numerator_id=stock.id,
            denominator_id=flow.id,
            ratio_scale="days",
        )
        company = ("company", self.company.id, self.company.id)
        # up to March 31: 1000 + 500 + 200 + 50; March: 1700; 31 days
        self.assertAlmostEqual(self._value(dso, company), 1750 / 1700 * 31)

    def test_domain_uses_period_variables(self):
        last_day = self._kpi("Last day", domain="[('date_deadline', '=', period_end)]")
        company = ("company", self.company.id, self.company.id)
        self.assertEqual(self._value(last_day, company), 1)

    def test_datetime_periods_follow_the_company_time_zone(self):
        """23:30 UTC on December 31 is already January 1 in Brussels."""
        kpi = self._kpi(
            "Closed",
            date_field_id=self._field("crm.lead", "date_closed").id,
            domain="[('active', 'in', (True, False))]",
        )
        lead = self._lead(date(2026, 1, 15), 10)
        lead.date_closed = datetime(2025, 12, 31, 23, 30)
        company = ("company", self.company.id, self.company.id)
        december = (date(2025, 12, 1), date(2025, 12, 31))
        january = (date(2026, 1, 1), date(2026, 1, 31))
        brussels = kpi._evaluate([company], [december, january], "Europe/Brussels")
        self.assertEqual(brussels[kpi.id, company, december], 0)
        self.assertEqual(brussels[kpi.id, company, january], 1)
        utc = kpi._evaluate([company], [december, january], "UTC")
        self.assertEqual(utc[kpi.id, company, december], 1)
        self.assertEqual(utc[kpi.id, company, january], 0)

    def test_year_end_quarters(self):
        kpi = self._kpi("Count")
        card = self._card(kpi, 2, period="quarter")
        card = card.with_context(scorecard_date="2026-02-10")
        self.assertEqual(
            (card.date_from, card.date_to), (date(2026, 1, 1), date(2026, 3, 31))
        )
        line = card.line_ids
        self.assertEqual(line.value, 4)  # Jan-Mar: three in March, one in February
        self._lead(date(2025, 11, 30), 1)
        line.invalidate_recordset()
        self.assertEqual(line.previous_value_display, "1")  # Q4 2025
        self.assertEqual(line.last_year_value_display, "0")  # Q1 2025

    def test_domain_evaluated_with_the_users_rights(self):
        """A salesperson who sees only their own leads counts only those."""
        kpi = self._kpi("Count")
        salesman = self._person(
            "kpi.salesman", "base.group_user,sales_team.group_sale_salesman", self.sales
        )
        self._lead(date(2026, 3, 10), 1, salesman)
        company = ("company", self.company.id, self.company.id)
        self.assertEqual(self._value(kpi, company), 4)
        self.assertEqual(self._value(kpi.with_user(salesman), company), 1)

    def test_other_company_does_not_count(self):
        other_company = self.env["res.company"].create({"name": "Other (test)"})
        self.seller.company_ids |= other_company
        self.env["crm.lead"].create(
            {
                "name": "Elsewhere",
                "type": "opportunity",
                "date_deadline": date(2026, 3, 10),
                "expected_revenue": 77,
                "user_id": self.seller.id,
                "company_id": other_company.id,
            }
        )
        total = self._kpi("Sum", measure="sum")
        here = ("user", self.seller.id, self.company.id)
        there = ("user", self.seller.id, other_company.id)
        values = total._evaluate([here, there], [MARCH])
        self.assertEqual(values[total.id, here, MARCH], 1500)
        self.assertEqual(values[total.id, there, MARCH], 77)

    def test_one_query_per_kpi_and_period_whatever_the_owners(self):
        kpi = self._kpi("Sum", measure="sum")
        few = [("user", self.seller.id, self.company.id)]
        many = (
            few
            + [("user", self.other.id, self.company.id)]
            + [
                (
                    "user",
                    self._person(f"kpi.q{i}", "base.group_user", self.sales).id,
                    self.company.id,
                )
                for i in range(5)
            ]
        )
        kpi._evaluate(few, [MARCH])  # warm the caches
        queries = self.env.cr.sql_log_count
        kpi._evaluate(few, [MARCH, FEBRUARY])
        for_few = self.env.cr.sql_log_count - queries
        queries = self.env.cr.sql_log_count
        kpi._evaluate(many, [MARCH, FEBRUARY])
        self.assertEqual(self.env.cr.sql_log_count - queries, for_few)


@tagged("post_install", "-at_install")
class TestScorecard(ScorecardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.count = cls._kpi("Count")
        cls.revenue = cls._kpi("Revenue", measure="sum")
        cls._lead(date(2026, 2, 10), 100)
        cls._lead(date(2026, 3, 10), 300)

    def test_created_with_name_and_lines_belongs_to_the_company(self):
        card = self.env["crm.scorecard"].create(
            {"name": "Company", "line_ids": [Command.create({"kpi_id": self.count.id})]}
        )
        self.assertEqual(card.owner_type, "company")
        self.assertEqual(card.company_id, self.env.company)
        self.assertEqual(card.owner_name, self.env.company.name)

    def test_form_shows_a_new_line_value_before_saving(self):
        form = Form(self.env["crm.scorecard"].with_context(scorecard_date="2026-03-20"))
        form.name = "Draft"
        with form.line_ids.new() as line:
            self.assertFalse(line.value_display)  # no KPI yet, no error
            line.kpi_id = self.revenue
            line.target = 600
            self.assertEqual(line.value_display, "300")
            self.assertEqual(line.achievement, 50)
        self.assertEqual(form.save().line_ids.light, "red")

    def test_owner_required_for_other_owner_types(self):
        with self.assertRefused(ValidationError, "choose which one"):
            self.env["crm.scorecard"].create({"name": "Nobody's", "owner_type": "user"})

    def test_achievement_lights_trend_and_total(self):
        card = self.env["crm.scorecard"].create(
            {
                "name": "March",
                "line_ids": [
                    Command.create(
                        {"kpi_id": self.revenue.id, "target": 200, "weight": 1}
                    ),
                    Command.create({"kpi_id": self.count.id, "target": 2, "weight": 3}),
                ],
            }
        )
        card = card.with_context(scorecard_date="2026-03-20")
        revenue, count = card.line_ids
        self.assertEqual(revenue.value, 300)
        self.assertEqual(revenue.achievement, 150)
        self.assertEqual(revenue.light, "green")
        self.assertEqual(revenue.trend, "up")  # 100 in February
        self.assertEqual(count.achievement, 50)
        self.assertEqual(count.light, "red")  # below 90% of the target
        self.assertEqual(count.trend, "flat")
        # (1.5 * 1 + 0.5 * 3) / 4
        self.assertAlmostEqual(card.total_achievement, 75)
        self.assertEqual(card.light, "red")
        self.assertIn("o_crm_scorecard_tile", card.tiles_html)

    def test_lower_is_better(self):
        self.revenue.direction = "lower"
        line = self._card(self.revenue, 330).line_ids.with_context(
            scorecard_date="2026-03-20"
        )
        self.assertAlmostEqual(line.alert_threshold, 363)
        self.assertAlmostEqual(line.achievement, 110)
        self.assertEqual(line.light, "green")
        line.target = 250
        line.alert_threshold = 280
        self.assertEqual(line.light, "red")
        self.assertTrue(line._is_alarming(300))

    def test_a_period_with_its_own_target(self):
        card = self._card(self.revenue, 200)
        line = card.line_ids
        self.env["crm.scorecard.target"].create(
            {"line_id": line.id, "date_from": date(2026, 3, 17), "target": 600}
        )
        override = card.target_ids
        self.assertEqual((override.date_from, override.date_to), MARCH)
        march = line.with_context(scorecard_date="2026-03-20")
        self.assertEqual(march.period_target, 600)
        self.assertEqual(march.achievement, 50)  # 300 of 600
        self.assertEqual(march.light, "red")  # the threshold moves to 540
        february = line.with_context(scorecard_date="2026-02-20")
        self.assertEqual(february.period_target, 200)
        self.assertEqual(february.achievement, 50)  # 100 of 200
        with freeze_time("2026-03-20"):
            alert = card._check_alerts()
        self.assertEqual((alert.value, alert.threshold), (300, 540))
        with freeze_time("2026-04-02"):
            snapshot = card._snapshot(periods_back=1)
        self.assertEqual((snapshot.target, snapshot.achievement), (600, 50))

    def test_same_kpi_twice_refused(self):
        card = self._card(self.count, 1)
        with self.assertRefused(ValidationError, "twice"):
            card.line_ids = [Command.create({"kpi_id": self.count.id})]

    @freeze_time("2026-04-02")
    def test_snapshots_keep_history_when_data_changes(self):
        card = self._card(self.revenue, 100)
        snapshots = card._snapshot(periods_back=2)
        self.assertEqual(len(snapshots), 2)
        march = snapshots.filtered(lambda v: v.date_from == MARCH[0])
        self.assertEqual(
            (march.value, march.date_to, march.target), (300, MARCH[1], 100)
        )
        self.assertEqual(march.achievement, 300)
        self.assertEqual(march.light, "green")
        # a later edit of March's data does not move the recorded history
        self._lead(date(2026, 3, 15), 1000)
        self.assertFalse(card._snapshot(periods_back=2))
        self.assertEqual(march.value, 300)
        line = card.line_ids
        line.invalidate_recordset()
        self.assertEqual(line.previous_value_display, "300")
        self.assertEqual(card.compute(*MARCH), {line.id: 1300})
        # until a manager rebuilds it
        card.action_rebuild_snapshots()
        rebuilt = card.value_ids.filtered(lambda v: v.date_from == MARCH[0])
        self.assertEqual(rebuilt.value, 1300)
        self.assertEqual(card.snapshot_count, 12)  # the last twelve periods

    def test_alert_once_per_line_and_period(self):
        head = self._person(
            "kpi.head",
            "base.group_user,crm_relationship.group_department_head",
            self.sales,
        )
        self.sales.manager_id = head.employee_ids
        seller = self._person("kpi.alerted", "base.group_user", self.sales)
        self._lead(date(2026, 3, 12), 50, seller)
        card = self._card(self.revenue, 1000, owner_type="user", user_id=seller.id)
        with freeze_time("2026-03-20"):
            alerts = card._check_alerts()
            self.assertEqual(len(alerts), 1)
            self.assertEqual((alerts.value, alerts.threshold), (50, 900))
            activities = card.activity_ids
            self.assertEqual(activities.user_id, seller | head)
            self.assertIn("Revenue", activities[0].summary)
            message = card.message_ids[0]
            self.assertIn("past its alert threshold", message.body)
            self.assertEqual(message.partner_ids, (seller | head).partner_id)
            # the next checkpoint of the same period says nothing again
            self.assertFalse(card._check_alerts())
            self.assertEqual(len(card.activity_ids), 2)
        with freeze_time("2026-04-03"):
            self.assertEqual(len(card._check_alerts()), 1)  # April: a new period
        self.assertEqual(len(card.alert_ids), 2)

    def test_no_alert_on_target_or_unknown(self):
        card = self._card(self.revenue, 250)
        with freeze_time("2026-03-20"):
            self.assertFalse(card._check_alerts())
        nothing = self._kpi("Nothing", domain="[('id', '<', 0)]", measure="avg")
        with freeze_time("2026-03-20"):
            self.assertFalse(self._card(nothing, 10)._check_alerts())

    def test_daily_cron_snapshots_and_alerts(self):
        card = self._card(self.revenue, 10**6)
        with freeze_time("2026-04-02"):
            self.env["crm.scorecard"]._cron_daily()
        self.assertEqual(len(card.value_ids), 12)
        self.assertEqual(len(card.alert_ids), 1)  # April, far below target

    def test_export_action(self):
        card = self._card(self.revenue, 1)
        action = card.action_export_xlsx()
        self.assertEqual(
            action["url"], "/crm_analytics/scorecards/xlsx?ids=%s" % card.id
        )

    def test_export_values_action(self):
        card = self._card(self.revenue, 1)
        with freeze_time("2026-04-02"):
            values = card._snapshot(periods_back=2)
        url = values.action_export_xlsx()["url"]
        self.assertTrue(url.startswith("/crm_analytics/kpi_values/xlsx?domain="))
        self.assertIn(str(values[0].id), url)
        everything = values.with_context(
            active_domain=[("kpi_id", "=", self.revenue.id)]
        )
        url = everything.action_export_xlsx()["url"]
        self.assertIn("kpi_id", url)
        self.assertNotIn(str(values[0].id) + "%2C", url)

    def test_digest_lists_scorecard_kpis(self):
        digest = self.env["digest.digest"].create(
            {"name": "Digest", "crm_kpi_ids": [Command.link(self.revenue.id)]}
        )
        manager = self._person(
            "kpi.digest",
            "base.group_user,crm_relationship.group_relationship_manager,"
            "sales_team.group_sale_salesman_all_leads",
            self.sales,
        )
        with freeze_time("2026-03-12 10:00"):
            kpis = digest._compute_kpis(self.company, manager)
        entry = next(k for k in kpis if k["kpi_fullname"] == "Revenue")
        # last 30 days (Feb 12 - Mar 11): March's 300; the 30 before: February's 100
        self.assertEqual(entry["kpi_col3"]["value"], "300")
        self.assertEqual(entry["kpi_col3"]["margin"], 200.0)
        self.assertEqual(entry["kpi_col3"]["col_subtitle"], "Last 30 Days")
        outsider = self._person("kpi.nodigest", "base.group_user", self.sales)
        names = [
            k["kpi_fullname"] for k in digest._compute_kpis(self.company, outsider)
        ]
        self.assertNotIn("Revenue", names)


@tagged("post_install", "-at_install")
class TestScorecardScope(ScorecardCase):
    def test_line_measures_the_company_when_the_kpi_cannot_split(self):
        no_team = self._kpi("No team", team_field_id=False)
        self._lead(date(2026, 3, 3), 5)
        card = self._card(no_team, 1, owner_type="team", team_id=self.team.id)
        line = card.line_ids
        self.assertTrue(line.company_wide)
        self.assertEqual(card.compute(*MARCH), {line.id: 1})
        # a KPI that splits by team measures the team, unless asked otherwise
        by_team = self._card(
            self._kpi("By team"), 1, owner_type="team", team_id=self.team.id
        )
        self.assertFalse(by_team.line_ids.company_wide)
        ratio = self._kpi(
            "Ratio", measure="ratio", numerator_id=no_team.id, denominator_id=no_team.id
        )
        self.assertFalse(ratio._splits_by("team"))
        self.assertTrue(ratio._splits_by("user"))

    def test_demo_scorecards(self):
        cards = self.env["crm.scorecard"]._demo_create_scorecards()
        company_card = cards.filtered(lambda c: c.owner_type == "company")
        self.assertEqual(len(company_card.line_ids), 15)
        # a year of history for every line, recorded by the cron's first run
        self.assertEqual(len(company_card.value_ids), 15 * 12)
        self.assertTrue(all(line.target > 0 for line in cards.line_ids))


@tagged("post_install", "-at_install")
class TestLoyaltyMember(ScorecardCase):
    def test_member_through_a_contact_of_this_company(self):
        company = self.env["res.partner"].create(
            {"name": "Member Co", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id}
        )
        outsider = self.env["res.partner"].create({"name": "Outsider"})
        program = self.env["loyalty.program"].create(
            {"name": "Club (test)", "program_type": "loyalty"}
        )
        self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": contact.id}
        )
        partners = company | contact | outsider
        self.assertEqual(partners.mapped("is_loyalty_member"), [True, True, False])
        members = self.env["res.partner"].search(
            [("id", "in", partners.ids), ("is_loyalty_member", "=", True)]
        )
        self.assertEqual(members, company | contact)
        # a card of another company's program makes no member here
        program.company_id = self.env["res.company"].create({"name": "Elsewhere"})
        here = partners.with_context(allowed_company_ids=self.company.ids)
        self.assertFalse(any(here.mapped("is_loyalty_member")))
