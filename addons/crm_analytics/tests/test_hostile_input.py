"""KPI definitions an attacker or a careless manager writes: domains that reach
other companies, other models' secrets or Python internals, script in names, and
oversized domains. Each is refused at save with a clear message, or computed
safely within the user's own rights."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import MANAGER, USER

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


@tagged("post_install", "-at_install")
class TestKpiAuthorRights(ScorecardCase):
    """A KPI counts only what the person who defined it may read, whoever reads its
    values: the snapshot job (superuser), a manager who sees more, a ratio's author.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a relationship manager who, in Sales, sees his own opportunities only
        cls.own_rep = cls._person(
            "hostile_own_leads", f"{MANAGER},sales_team.group_sale_salesman", cls.sales
        )
        cls.all_leads = cls._person(
            "hostile_all_leads",
            f"{MANAGER},sales_team.group_sale_salesman_all_leads",
            cls.sales,
        )
        cls.colleague = cls._person(
            "hostile_colleague", f"{USER},sales_team.group_sale_salesman", cls.sales
        )
        for revenue in (100, 200):
            cls._lead(MARCH[0], revenue, user=cls.own_rep)
        for revenue in (1000, 2000, 4000):
            cls._lead(MARCH[0], revenue, user=cls.colleague)

    def _won_revenue(self, user, name="Won revenue (own rep)"):
        """The KPI as ``user`` saves it from the form."""
        return (
            self.env["crm.kpi"]
            .with_user(user)
            .create(
                {
                    "name": name,
                    "measure": "sum",
                    "perspective": "financial",
                    "model_id": self.env["ir.model"]._get("crm.lead").id,
                    "domain": "[]",
                    "field_id": self._field("crm.lead", "expected_revenue").id,
                    "date_field_id": self._field("crm.lead", "date_deadline").id,
                    "company_field_id": self._field("crm.lead", "company_id").id,
                    "user_field_id": self._field("crm.lead", "user_id").id,
                    "team_field_id": self._field("crm.lead", "team_id").id,
                }
            )
        )

    def _snapshot_value(self, card):
        with freeze_time("2026-04-02"):
            return card._snapshot(periods_back=1)

    def _march(self, card):
        return card.value_ids.filtered(lambda v: v.date_from == MARCH[0]).value

    def test_snapshot_of_an_own_leads_salesman_kpi_counts_his_leads(self):
        kpi = self._won_revenue(self.own_rep)
        self.assertEqual(kpi.author_id, self.own_rep)
        card = self._card(kpi, 1000)
        # the daily job, as superuser: his 300, not the company's 7,300
        snapshot = self._snapshot_value(card)
        self.assertEqual(snapshot.value, 300)
        # live, whoever looks: what the author and the reader may both read
        line = card.line_ids
        for reader in (self.env.user, self.all_leads, self.own_rep):
            with freeze_time("2026-03-20"):
                self.assertEqual(
                    card.with_user(reader).compute(*MARCH), {line.id: 300}, reader.name
                )
        # a manager's rebuild records the same figure as the job
        with freeze_time("2026-04-02"):
            card.with_user(self.all_leads).action_rebuild_snapshots()
        self.assertEqual(self._march(card), 300)
        # renaming it changes nothing; whoever changes what it counts is its author
        kpi.with_user(self.all_leads).name = "Won revenue (renamed)"
        self.assertEqual(kpi.author_id, self.own_rep)
        kpi.with_user(self.all_leads).domain = "[('id', '!=', 0)]"
        self.assertEqual(kpi.author_id, self.all_leads)
        with freeze_time("2026-04-02"):
            card._snapshot(rebuild=True, periods_back=1)
        self.assertEqual(self._march(card), 7300)
        # nobody names the author but the superuser
        kpi.with_user(self.own_rep).write({"author_id": self.own_rep.id})
        self.assertEqual(kpi.author_id, self.all_leads)

    def test_a_ratio_is_bounded_by_its_authors_rights(self):
        """A ratio of KPIs shipped with the module (the superuser's) counts, for
        the salesman who defines it, his own opportunities only."""
        revenue = self._kpi("All revenue", measure="sum")
        count = self._kpi("All opportunities")
        self.assertTrue(revenue.author_id._is_superuser())
        average = (
            self.env["crm.kpi"]
            .with_user(self.own_rep)
            .create(
                {
                    "name": "Average opportunity (own rep)",
                    "measure": "ratio",
                    "perspective": "financial",
                    "numerator_id": revenue.id,
                    "denominator_id": count.id,
                }
            )
        )
        card = self._card(average, 100)
        self.assertEqual(self._snapshot_value(card).value, 150)
        # the parts alone still count the company's
        self.assertEqual(self._snapshot_value(self._card(revenue, 1)).value, 7300)

    def test_api_keys_count_only_the_authors_own(self):
        """res.users.apikeys shows each user their own keys: a KPI over users that
        have an RPC key counts, for its author, only themself. (A KPI on the keys
        themselves is refused, see below.)"""
        Keys = self.env["res.users.apikeys"]
        for user in (self.own_rep, self.all_leads, self.colleague):
            # sudo: as the API key wizard does, for the user's own key
            Keys.with_user(user).sudo()._generate("rpc", f"key of {user.login}", None)
        # the path searches the keys with the searcher's rights (Odoo's "!= False"
        # on a one2many would not: it tests the inverse column alone)
        domain = "[('api_key_ids.scope', '=', 'rpc')]"
        self.assertGreaterEqual(
            self.env["res.users"].search_count([("api_key_ids.scope", "=", "rpc")]), 3
        )
        kpi = (
            self.env["crm.kpi"]
            .with_user(self.own_rep)
            .create(
                {
                    "name": "Users with an API key",
                    "measure": "count",
                    "perspective": "learning",
                    "date_mode": "none",
                    "model_id": self.env["ir.model"]._get("res.users").id,
                    "domain": domain,
                    "company_field_id": self._field("res.users", "company_id").id,
                }
            )
        )
        card = self._card(kpi, 1)
        self.assertEqual(self._snapshot_value(card).value, 1)
        with freeze_time("2026-03-20"):
            self.assertEqual(card.compute(*MARCH), {card.line_ids.id: 1})

    def test_an_archived_authors_kpi_is_not_measured(self):
        kpi = self._won_revenue(self.own_rep)
        card = self._card(kpi, 1000)
        self.assertFalse(card.kpi_warning)
        self.own_rep.active = False
        kpi.invalidate_recordset()
        card.invalidate_recordset()
        # neither the superuser's figure nor anybody else's: not measured, and said
        self.assertFalse(self._snapshot_value(card))
        with freeze_time("2026-03-20"):
            self.assertEqual(card.compute(*MARCH), {card.line_ids.id: None})
            self.assertEqual(card.line_ids.value_display, "n/a")
        self.assertIn("archived", card.kpi_warning)
        self.assertIn(self.own_rep.name, card.kpi_warning)
        self.assertEqual(kpi.author_warning, card.kpi_warning)
        # a ratio built on it is not measured either
        ratio = self._kpi(
            "Share", measure="ratio", numerator_id=kpi.id, denominator_id=kpi.id
        )
        self.assertIn("archived", ratio.author_warning)
        # once someone saves its definition again, the job fills the missed period
        kpi.with_user(self.all_leads).write({"domain": "[]"})
        self.assertFalse(card.kpi_warning)
        self.assertEqual(self._snapshot_value(card).value, 7300)

    def test_technical_sources_are_refused_for_every_group(self):
        """A denylist, whatever the author's rights: a relationship manager, a
        system administrator, the superuser."""
        admin = self._person(
            "hostile_kpi_admin", f"{MANAGER},base.group_system", self.sales
        )
        Kpi = self.env["crm.kpi"]
        models = [
            "res.users.apikeys",
            "ir.config_parameter",
            "ir.mail_server",
            "ir.cron",
            "ir.attachment",
            "ir.rule",
            "mail.mail",
            "mail.thread",  # abstract
            "mail.compose.message",  # transient
        ]
        for user in (self.all_leads, admin, self.env.user):
            for model in models:
                with self.subTest(user=user.login, model=model):
                    with self.assertRaises(ValidationError) as caught:
                        Kpi.with_user(user).create(
                            {
                                "name": f"Secret {model}",
                                "measure": "count",
                                "perspective": "process",
                                "date_mode": "none",
                                "model_id": self.env["ir.model"]._get(model).id,
                            }
                        )
                    self.assertIn("technical records", str(caught.exception))
        self.assertFalse(Kpi.search([("name", "=like", "Secret %")]))
        # the form offers none of them
        offered = self.env["ir.model"].search(Kpi._source_domain())
        self.assertFalse(set(offered.mapped("model")) & set(models))
        self.assertIn("crm.lead", offered.mapped("model"))
        # one made before they were refused is not measured, and says so
        legacy = self._kpi("Legacy", date_mode="none")
        legacy.flush_recordset()
        self.env.cr.execute(
            "UPDATE crm_kpi SET model_id = %s, date_field_id = NULL,"
            " company_field_id = NULL, user_field_id = NULL, team_field_id = NULL"
            " WHERE id = %s",
            [self.env["ir.model"]._get("ir.config_parameter").id, legacy.id],
        )
        legacy.invalidate_recordset()
        card = self._card(legacy, 1)
        self.assertIn("technical records", card.kpi_warning)
        self.assertFalse(self._snapshot_value(card))
