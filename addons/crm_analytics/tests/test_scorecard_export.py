import io
import json
from datetime import date, datetime
from urllib.parse import quote

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from odoo.addons.crm_analytics.controllers.main import XLSX_MIMETYPE
from odoo.addons.crm_analytics.tools import kpi as kpi_tools
from odoo.addons.crm_analytics.tools import xlsx_export

USER = "base.group_user,crm_relationship.group_relationship_user"
MANAGER = "base.group_user,crm_relationship.group_relationship_manager"
# 1-based Excel rows of the scorecard sheet's lines table
HEADER_ROW = xlsx_export.LINES_HEADER_ROW + 1
FIRST_LINE_ROW = HEADER_ROW + 1


def _open(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def _column(key):
    return openpyxl.utils.get_column_letter(xlsx_export.COL[key] + 1)


def _rules(worksheet):
    """``{range: [(formula, fill colour)]}`` of the sheet's conditional formats."""
    return {
        str(cf.sqref): [
            (rule.formula[0], rule.dxf.fill.bgColor.rgb[-6:]) for rule in cf.rules
        ]
        for cf in worksheet.conditional_formatting
    }


@tagged("post_install", "-at_install")
class TestScorecardXlsxTools(TransactionCase):
    """The workbooks as written from plain data, read back cell by cell."""

    def _line(self, kpi, **values):
        return {
            "kpi": kpi,
            "perspective": "Financial",
            "unit": "currency",
            "unit_label": "Currency",
            "weight": 2.0,
            "target": 1000.0,
            "alert_threshold": 900.0,
            "alert_achievement": 0.9,
            "value": 870.0,
            "achievement": 0.87,
            "light": "amber",
            "light_label": "Behind",
            "previous": "800.00 €",
            "last_year": "n/a",
            "trend": "up",
            "trend_label": "Up",
            **values,
        }

    def _card(self, name="Sales North", **values):
        return {
            "name": name,
            "owner": "Sales Team: North",
            "period": "Month",
            "date_from": date(2026, 3, 1),
            "date_to": date(2026, 3, 31),
            "score": 0.92,
            "light": "amber",
            "light_label": "Behind",
            "currency": {"symbol": "€", "position": "after", "digits": 2},
            "lines": [
                self._line("Revenue"),
                self._line(
                    "=Deals won",  # text, never a formula
                    unit="number",
                    unit_label="Number",
                    target=10.0,
                    alert_threshold=9.0,
                    value=None,
                    achievement=None,
                    light=None,
                    light_label="",
                    trend=None,
                    trend_label="",
                ),
            ],
            "history": [
                {
                    "label": "Feb 2026",
                    "date_from": date(2026, 2, 1),
                    "date_to": date(2026, 2, 28),
                    "values": [1100.0, 7.0],
                    "achievements": [1.1, 0.7],
                },
                {
                    "label": "Mar 2026",
                    "date_from": date(2026, 3, 1),
                    "date_to": date(2026, 3, 31),
                    "values": [870.0, None],
                    "achievements": [0.87, None],
                },
            ],
            **values,
        }

    def _write(self, cards):
        buffer = io.BytesIO()
        xlsx_export.write_scorecards(buffer, cards)
        return _open(buffer.getvalue())

    def test_scorecard_sheet(self):
        sheet = self._write([self._card()])["Sales North"]
        self.assertEqual(sheet["A1"].value, "Sales North")
        self.assertEqual(sheet["B2"].value, "Sales Team: North")
        self.assertEqual(sheet["B3"].value, "Month")
        self.assertEqual(sheet["C3"].value, datetime(2026, 3, 1))
        self.assertEqual(sheet["D3"].value, datetime(2026, 3, 31))
        self.assertEqual(sheet["B4"].value, 0.92)
        self.assertEqual(sheet["B4"].number_format, "0.0%")
        header = [cell.value for cell in sheet[HEADER_ROW]][:13]
        self.assertEqual(
            header,
            [
                "KPI",
                "Perspective",
                "Unit",
                "Weight",
                "Target",
                "Alert at",
                "Value",
                "Achievement",
                "Light",
                "Previous period",
                "Last year",
                "Trend",
                "Red below",
            ],
        )
        revenue = [cell.value for cell in sheet[FIRST_LINE_ROW]][:13]
        self.assertEqual(
            revenue,
            [
                "Revenue",
                "Financial",
                "Currency",
                2,
                1000,
                900,
                870,
                0.87,
                "Behind",
                "800.00 €",
                "n/a",
                "▲ Up",
                0.9,
            ],
        )
        self.assertEqual(sheet[f"G{FIRST_LINE_ROW}"].number_format, '#,##0.00\xa0"€"')
        self.assertEqual(sheet[f"H{FIRST_LINE_ROW}"].number_format, "0.0%")
        deals = FIRST_LINE_ROW + 1
        self.assertEqual(sheet[f"A{deals}"].value, "=Deals won")
        self.assertEqual(sheet[f"A{deals}"].data_type, "s")
        self.assertEqual(sheet[f"E{deals}"].value, 10)
        self.assertEqual(sheet[f"E{deals}"].number_format, "#,##0")
        # unknown: empty, not zero
        self.assertIsNone(sheet[f"G{deals}"].value)
        self.assertIsNone(sheet[f"H{deals}"].value)

    def test_traffic_lights(self):
        """Green from 100%, amber from the line's threshold, red below: on the
        achievement column, and on each KPI's history."""
        sheet = self._write([self._card()])["Sales North"]
        achievement, threshold = _column("achievement"), _column("alert_achievement")
        first, last = FIRST_LINE_ROW, FIRST_LINE_ROW + 1
        cell = f"{achievement}{first}"
        rules = _rules(sheet)
        self.assertEqual(
            rules[f"{cell}:{achievement}{last}"],
            [
                (f"AND(ISNUMBER({cell}),{cell}>=1)", "C6EFCE"),
                (f"AND(ISNUMBER({cell}),{cell}>=${threshold}{first})", "FFEB9C"),
                (f"AND(ISNUMBER({cell}),{cell}<${threshold}{first})", "FFC7CE"),
            ],
        )
        self.assertTrue(
            all(r.stopIfTrue for cf in sheet.conditional_formatting for r in cf.rules)
        )
        # history: the achievements of the second KPI against its own threshold
        history = {r: f for r, f in rules.items() if not r.startswith(achievement)}
        self.assertEqual(len(history), 2)
        self.assertTrue(
            any(f"${threshold}${last}" in f[1][0] for f in history.values()),
            history,
        )

    def test_history_and_chart(self):
        sheet = self._write([self._card()])["Sales North"]
        rows = list(sheet.iter_rows(values_only=True))
        top = next(i for i, row in enumerate(rows) if row[0] == "History")
        self.assertEqual(
            rows[top + 2][:7],
            ("Period", "From", "To", "Revenue", "=Deals won", "Revenue", "=Deals won"),
        )
        self.assertEqual(
            rows[top + 3][:7],
            (
                "Feb 2026",
                datetime(2026, 2, 1),
                datetime(2026, 2, 28),
                1100,
                7,
                1.1,
                0.7,
            ),
        )
        self.assertEqual(
            rows[top + 4][:7],
            (
                "Mar 2026",
                datetime(2026, 3, 1),
                datetime(2026, 3, 31),
                870,
                None,
                0.87,
                None,
            ),
        )
        self.assertEqual(len(sheet._charts), 1)
        chart = sheet._charts[0]
        self.assertEqual(chart.tagname, "lineChart")
        self.assertEqual(len(chart.series), 2)
        self.assertIn("$F$", chart.series[0].val.numRef.f)

    def test_sheet_names(self):
        """Unique whatever the case, at most 31 characters, no forbidden ones."""
        long_name = "Quarterly customer satisfaction and retention"
        workbook = self._write(
            [
                self._card(long_name),
                self._card(long_name.upper()),
                self._card("Sales: North/South [2026]?"),
                self._card("History"),
                self._card(""),
            ]
        )
        names = workbook.sheetnames
        self.assertEqual(
            names,
            [
                long_name[:31],
                long_name.upper()[:27] + " (2)",
                "Sales  North South  2026",
                "History (1)",
                "Scorecard",
            ],
        )
        self.assertTrue(all(len(name) <= 31 for name in names))
        self.assertEqual(len({name.lower() for name in names}), len(names))
        # the title keeps the full name
        self.assertEqual(workbook.worksheets[0]["A1"].value, long_name)

    def test_scorecard_without_lines(self):
        sheet = self._write([self._card(lines=[], history=[], score=None)])[
            "Sales North"
        ]
        self.assertIsNone(sheet["B4"].value)
        self.assertEqual(sheet._charts, [])
        self.assertEqual(list(sheet.conditional_formatting), [])

    def test_write_values(self):
        def rows():
            for i in range(3):
                yield ["Card %s" % i, date(2026, 1, i + 1), i * 1.5, None, "=1+1"]

        buffer = io.BytesIO()
        count = xlsx_export.write_values(
            buffer, rows(), ["Card", "From", "Value", "Empty", "Text"]
        )
        self.assertEqual(count, 3)
        sheet = _open(buffer.getvalue()).active
        self.assertEqual(
            list(sheet.iter_rows(values_only=True)),
            [
                ("Card", "From", "Value", "Empty", "Text"),
                ("Card 0", datetime(2026, 1, 1), 0, None, "=1+1"),
                ("Card 1", datetime(2026, 1, 2), 1.5, None, "=1+1"),
                ("Card 2", datetime(2026, 1, 3), 3, None, "=1+1"),
            ],
        )
        self.assertEqual(sheet["B2"].number_format, "yyyy-mm-dd")
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, "A1:E4")

    def test_write_values_empty(self):
        buffer = io.BytesIO()
        self.assertEqual(xlsx_export.write_values(buffer, iter(()), ["A", "B"]), 0)
        sheet = _open(buffer.getvalue()).active
        self.assertEqual(list(sheet.iter_rows(values_only=True)), [("A", "B")])


@tagged("post_install", "-at_install")
class TestScorecardExportRoutes(HttpCase):
    """The downloads, through HTTP, with the rights of the user who asks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.user, cls.other, cls.manager = (
            new_test_user(cls.env, login=login, name=name, groups=groups)
            for login, name, groups in (
                ("export_user", "Export User", USER),
                ("export_other", "Export Other", USER),
                ("export_manager", "Export Manager", MANAGER),
            )
        )
        fields = cls.env["ir.model.fields"]
        cls.kpi = cls.env["crm.kpi"].create(
            {
                "name": "Export customers (test)",
                "perspective": "customer",
                "measure": "count",
                "model_id": cls.env["ir.model"]._get("res.partner").id,
                "domain": "[('name', 'like', 'Export customer (test)')]",
                "date_mode": "none",
                "company_field_id": fields._get("res.partner", "company_id").id,
                "user_field_id": fields._get("res.partner", "user_id").id,
            }
        )
        # three customers of the user, one of the other
        cls.env["res.partner"].create(
            [
                {
                    "name": "Export customer (test) %s" % i,
                    "company_id": cls.company.id,
                    "user_id": user.id,
                }
                for i, user in enumerate([cls.user] * 3 + [cls.other])
            ]
        )
        cls.card = cls._card("Export scorecard (test)", cls.user)
        cls.other_card = cls._card("Other scorecard (test)", cls.other)
        cls.line = cls.card.line_ids
        current = cls.card.date_from
        cls.previous = kpi_tools.previous_period(current, "month")
        cls.older = kpi_tools.previous_period(cls.previous[0], "month")
        Value = cls.env["crm.kpi.value"]
        cls.snapshots = Value.create(
            [
                cls._snapshot(cls.card, cls.previous, 2.0, 50.0, "red"),
                cls._snapshot(cls.card, cls.older, 0.0, 0.0, False, known=False),
                cls._snapshot(cls.other_card, cls.previous, 1.0, 25.0, "red"),
            ]
        )

    @classmethod
    def _card(cls, name, user):
        return cls.env["crm.scorecard"].create(
            {
                "name": name,
                "owner_type": "user",
                "user_id": user.id,
                "period": "month",
                "line_ids": [Command.create({"kpi_id": cls.kpi.id, "target": 4.0})],
            }
        )

    @classmethod
    def _snapshot(cls, card, period, value, achievement, light, known=True):
        return {
            "scorecard_id": card.id,
            "line_id": card.line_ids.id,
            "kpi_id": cls.kpi.id,
            "company_id": card.company_id.id,
            "date_from": period[0],
            "date_to": period[1],
            "value": value,
            "value_known": known,
            "target": 4.0,
            "achievement": achievement,
            "light": light,
        }

    def _get(self, url, login):
        self.authenticate(login, login)
        return self.url_open(url, allow_redirects=False)

    def assertXlsx(self, response, filename):
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        self.assertEqual(
            response.headers["Content-Disposition"],
            "attachment; filename*=UTF-8''" + quote(filename, safe=""),
        )
        return _open(response.content)

    def test_scorecard_download(self):
        response = self._get(
            "/crm_analytics/scorecards/xlsx?ids=%s" % self.card.id, "export_user"
        )
        workbook = self.assertXlsx(response, "Export scorecard (test).xlsx")
        self.assertEqual(workbook.sheetnames, ["Export scorecard (test)"])
        sheet = workbook.active
        self.assertEqual(sheet["A1"].value, "Export scorecard (test)")
        self.assertEqual(sheet["B2"].value, "User: Export User")
        self.assertEqual(sheet["C3"].value.date(), self.card.date_from)
        row = [cell.value for cell in sheet[FIRST_LINE_ROW]][:13]
        # three customers live, against 4: 75%, below the 90% alert threshold
        self.assertEqual(
            row,
            [
                "Export customers (test)",
                "Customer",
                "Number",
                1,
                4,
                3.6,
                3,
                0.75,
                "Alert",
                "2",
                # the current state of the customers, as it is, last year too
                "3",
                "▲ Up",
                0.9,
            ],
        )
        self.assertEqual(sheet["B4"].value, 0.75)
        self.assertEqual(len(_rules(sheet)), 2)
        self.assertEqual(len(sheet._charts), 1)
        rows = list(sheet.iter_rows(values_only=True))
        top = next(i for i, r in enumerate(rows) if r[0] == "History")
        history = [r[1:5] for r in rows[top + 3 :] if r[0]]
        self.assertEqual(
            history,
            [
                # the oldest snapshot could not be said: empty, not zero
                (*self._datetimes(self.older), None, None),
                (*self._datetimes(self.previous), 2, 0.5),
                # the current period, live
                (*self._datetimes((self.card.date_from, self.card.date_to)), 3, 0.75),
            ],
        )

    def test_scorecard_data_without_http(self):
        """The workbook's figures, built on the model with the user's rights."""
        (data,) = self.card.with_user(self.user)._export_data()
        self.assertEqual(data["name"], "Export scorecard (test)")
        (line,) = data["lines"]
        self.assertEqual(
            (line["kpi"], line["value"], line["target"], line["achievement"]),
            ("Export customers (test)", 3, 4, 0.75),
        )
        self.assertEqual(
            [(row["values"], row["achievements"]) for row in data["history"]],
            [([None], [None]), ([2], [0.5]), ([3], [0.75])],
        )
        with self.assertRaises(AccessError):
            self.card.with_user(self.other)._export_data()

    @staticmethod
    def _datetimes(period):
        return tuple(datetime.combine(day, datetime.min.time()) for day in period)

    def test_scorecard_of_someone_else(self):
        """Refused, and nothing of it in the answer."""
        for ids in (self.other_card.ids, (self.card | self.other_card).ids):
            response = self._get(
                "/crm_analytics/scorecards/xlsx?ids=%s" % ",".join(map(str, ids)),
                "export_user",
            )
            self.assertEqual(response.status_code, 403)
            self.assertNotIn("spreadsheetml", response.headers["Content-Type"])
            self.assertNotIn("Other scorecard", response.text)

    def test_manager_downloads_several(self):
        response = self._get(
            "/crm_analytics/scorecards/xlsx?ids=%s,%s"
            % (self.card.id, self.other_card.id),
            "export_manager",
        )
        workbook = self.assertXlsx(response, "Scorecards.xlsx")
        self.assertEqual(
            workbook.sheetnames, ["Export scorecard (test)", "Other scorecard (test)"]
        )
        # the other user's one customer, live
        self.assertEqual(workbook.worksheets[1][f"G{FIRST_LINE_ROW}"].value, 1)

    def test_scorecard_bad_requests(self):
        self.assertEqual(
            self._get(
                "/crm_analytics/scorecards/xlsx?ids=1,x", "export_user"
            ).status_code,
            400,
        )
        self.assertEqual(
            self._get("/crm_analytics/scorecards/xlsx", "export_user").status_code, 400
        )
        missing = self.card.id + 1_000_000
        self.assertEqual(
            self._get(
                "/crm_analytics/scorecards/xlsx?ids=%s" % missing, "export_user"
            ).status_code,
            404,
        )

    def test_values_download(self):
        """Only the user's own snapshots; unknown values are empty."""
        domain = json.dumps([["kpi_id", "=", self.kpi.id]])
        response = self._get(
            "/crm_analytics/kpi_values/xlsx?domain=%s" % quote(domain), "export_user"
        )
        rows = list(
            self.assertXlsx(response, "KPI values.xlsx").active.iter_rows(
                values_only=True
            )
        )
        self.assertEqual(
            rows[0],
            (
                "Scorecard",
                "KPI",
                "Perspective",
                "Company",
                "From",
                "To",
                "Value",
                "Target",
                "Achievement (%)",
                "Light",
            ),
        )
        self.assertEqual(
            rows[1:],
            [
                (
                    "Export scorecard (test)",
                    "Export customers (test)",
                    "Customer",
                    self.company.name,
                    *self._datetimes(self.previous),
                    2,
                    4,
                    50,
                    "Alert",
                ),
                (
                    "Export scorecard (test)",
                    "Export customers (test)",
                    "Customer",
                    self.company.name,
                    *self._datetimes(self.older),
                    None,
                    4,
                    0,
                    None,
                ),
            ],
        )

    def test_values_of_manager_and_without_domain(self):
        response = self._get("/crm_analytics/kpi_values/xlsx", "export_manager")
        rows = list(self.assertXlsx(response, "KPI values.xlsx").active.values)
        cards = {row[0] for row in rows[1:]}
        self.assertIn("Export scorecard (test)", cards)
        self.assertIn("Other scorecard (test)", cards)
        self.assertEqual(
            len(rows) - 1,
            self.env["crm.kpi.value"].with_user(self.manager).search_count([]),
        )

    def test_values_bad_domain(self):
        for domain in ("[", '{"a": 1}', '[["no_such_field", "=", 1]]'):
            response = self._get(
                "/crm_analytics/kpi_values/xlsx?domain=%s" % quote(domain),
                "export_user",
            )
            self.assertEqual(response.status_code, 400, domain)

    def test_write_kpi_values_in_batches(self):
        """The model method behind the route, as the benchmark calls it, without
        HTTP: same rows whatever the batch size, and the user's rules applied."""
        buffer = io.BytesIO()
        env = self.env(user=self.other)
        count = env["crm.kpi.value"]._export_xlsx(buffer, [], batch_size=1)
        self.assertEqual(count, 1)
        rows = list(_open(buffer.getvalue()).active.values)
        self.assertEqual(rows[1][0], "Other scorecard (test)")
        self.assertEqual(rows[1][6], 1)
