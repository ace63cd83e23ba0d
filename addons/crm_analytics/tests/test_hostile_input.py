"""KPI definitions an attacker or a careless manager writes: domains that reach
other companies, other models' secrets or Python internals, script in names, and
oversized domains. Each is refused at save with a clear message, or computed
safely within the user's own rights."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import MANAGER

from .common import MARCH, ScorecardCase

SCRIPT = "<script>alert('owned')</script>"


@tagged("post_install", "-at_install")
class TestHostileKpi(ScorecardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._person(
            "hostile_kpi_manager",
            f"{MANAGER},sales_team.group_sale_salesman_all_leads",
            cls.sales,
        )

    def _refused(self, domain, model="crm.lead", name="Hostile KPI"):
        """Saving the KPI as the manager is refused with a ValidationError that
        names the KPI, and no KPI is written."""
        company_field = self.env["ir.model.fields"]._get(model, "company_id")
        with self.assertRaises(ValidationError) as caught:
            self.env["crm.kpi"].with_user(self.manager).create(
                {
                    "name": name,
                    "measure": "count",
                    "perspective": "process",
                    "date_mode": "none",
                    "model_id": self.env["ir.model"]._get(model).id,
                    "domain": domain,
                    "company_field_id": company_field.id,
                }
            )
        self.assertIn(name, str(caught.exception))
        self.assertFalse(self.env["crm.kpi"].search([("name", "=", name)]))
        return str(caught.exception)

    def test_python_internals_are_refused(self):
        lead = self._lead(MARCH[0], 100)
        for domain in (
            "__import__('os').system('touch /tmp/owned')",
            "[('name', '=', ().__class__.__bases__[0].__subclasses__())]",
            "[('name', '=', user.__class__)]",
            "[('name', '=', eval('1+1'))]",
            "[('name', '=', open('/etc/passwd').read())]",
            "[('name', '=', user._cr.execute('DELETE FROM crm_lead'))]",
            "lambda: 1",
            "{'a': 1}",
        ):
            self._refused(domain)
        # the user record of a domain is values only: no SQL, no write, no sudo
        for domain in (
            "[('name', '=', user.env.cr.execute('DELETE FROM crm_lead'))]",
            "[('name', '=', user.write({'name': 'owned'}))]",
            "[('name', '=', user.sudo().name)]",
        ):
            self._refused(domain)
        self.assertTrue(lead.exists())
        self.assertNotEqual(self.manager.name, "owned")
        # what a domain may use of the user still works
        kpi = self._kpi(
            "Mine",
            domain="[('user_id', '=', user.id), "
            "('company_id', 'in', user.company_ids.ids + [user.company_id.id])]",
        )
        self.assertEqual(kpi.name, "Mine")

    def test_paths_to_secrets_are_refused(self):
        for domain in (
            "[('user_id.password', '=', 'admin')]",
            "[('create_uid.password', '!=', False)]",
            "[('company_id.user_ids.password', 'like', 'a')]",
            "[('user_id.nonexistent', '=', 1)]",
        ):
            self._refused(domain)

    def test_fields_hidden_by_groups_cannot_be_probed(self):
        """Counting leads whose customer owes more than X would read, one count at a
        time, a receivable the manager may not see."""
        self.assertFalse(self.manager.has_group("account.group_account_invoice"))
        for domain in (
            "[('partner_id.credit', '>', 1000)]",
            "[('partner_id.credit_limit', '>', 1000)]",
        ):
            message = self._refused(domain)
            self.assertIn("not readable", message)
        # an accountant may (the refusal is about the author's groups)
        kpi = self._kpi("Owing customers", domain="[('partner_id.credit', '>', 1000)]")
        self.assertTrue(kpi)

    def test_technical_sources_are_refused(self):
        """A KPI manager is not a system administrator: a KPI must not count
        records they may not read (its values are stored by a superuser job and
        shown to every relationship user)."""
        for model in ("ir.config_parameter", "ir.mail_server", "ir.cron"):
            message = self._refused("[('id', '!=', 0)]", model=model)
            self.assertNotIn("Traceback", message)

    def test_domains_do_not_reach_other_companies(self):
        other = self.env["res.company"].create({"name": "Other Co (hostile)"})
        for _index in range(3):
            self._lead(MARCH[0], 100, company_id=other.id, team_id=False)
        self._lead(MARCH[0], 100, user=self.manager)
        self.assertEqual(self.manager.company_ids, self.company)
        kpi = self._kpi(
            "Everyone's leads",
            domain=f"['|', ('company_id', '=', {other.id}), ('company_id', '!=', 0)]",
        )
        card = self._card(kpi, 10)
        # the manager of this company computes it: their own company's lead only
        values = card.with_user(self.manager).compute(*MARCH)
        self.assertEqual(values, {card.line_ids.id: 1})

    def test_the_snapshot_job_does_not_reach_other_companies(self):
        """The daily job records values as superuser: a KPI of this company's
        manager that names another company's records and leaves out the company
        field must not store that company's figures for this one."""
        other = self.env["res.company"].create({"name": "Other Co (snapshot)"})
        for _index in range(3):
            self._lead(MARCH[0], 100, company_id=other.id, team_id=False)
        self._lead(MARCH[0], 100)
        values = {
            "name": "Their leads",
            "measure": "count",
            "perspective": "process",
            "model_id": self.env["ir.model"]._get("crm.lead").id,
            "domain": f"[('company_id', '=', {other.id})]",
            "date_field_id": self._field("crm.lead", "date_deadline").id,
        }
        with self.assertRaises(ValidationError) as caught:
            self.env["crm.kpi"].with_user(self.manager).create(values)
        self.assertIn("company field", str(caught.exception))
        # with its company field, the job counts this company's records only
        values["company_field_id"] = self._field("crm.lead", "company_id").id
        kpi = self.env["crm.kpi"].with_user(self.manager).create(values)
        card = self._card(kpi, 10)
        with freeze_time("2026-04-02"):
            snapshot = card._snapshot(periods_back=1)
        self.assertEqual(snapshot.company_id, self.company)
        self.assertEqual(snapshot.value, 0, "another company's leads were counted")

    def test_oversized_domain(self):
        huge = "[('name', '=', '%s')]" % ("x" * 100_000)
        kpi = self._kpi("Huge but valid", domain=huge)
        card = self._card(kpi, 1)
        self.assertEqual(card.compute(*MARCH), {card.line_ids.id: 0})
        garbage = "[" + "(" * 100_000
        message = self._refused(garbage, name="Huge garbage")
        self.assertLess(len(message), 5000)

    def test_script_in_kpi_name_is_escaped(self):
        kpi = self._kpi(f"Leads {SCRIPT}")
        card = self._card(kpi, 10)
        self.assertNotIn(SCRIPT, str(card.tiles_html))
        self.assertIn("&lt;script&gt;", str(card.tiles_html))
