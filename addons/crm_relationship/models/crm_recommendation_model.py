import logging
from datetime import timedelta

import numpy as np
from scipy import sparse

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import cron, recommend
from ..tools.cron import in_user_language

_logger = logging.getLogger(__name__)

HOLDOUT_DAYS = 90
GRADES = [("A", "A"), ("B", "B"), ("C", "C")]


def _pg_array(values):
    """A numpy array as the text of a PostgreSQL array: an ARRAY[...] of 500k
    parameters costs the parser seconds, the text '{...}' cast once does not."""
    return "{%s}" % ",".join(map(str, values.tolist()))


class CrmRecommendationModel(models.Model):
    """The product recommender of a company: when it last ran, on what, and how good
    it is. Refreshing it rewrites the company's ``crm.product.recommendation`` rows
    and grades the recommender on the last 90 days (hold-out)."""

    _name = "crm.recommendation.model"
    _description = "Product Recommender"
    _order = "company_id"
    _rec_name = "company_id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    refresh_date = fields.Datetime("Last refresh", readonly=True)
    date_cutoff = fields.Date(
        "Hold-out from",
        readonly=True,
        help="The recommender is graded by training it on the purchases before this "
        "day and checking it on the purchases from this day (the last 90 days).",
    )
    customer_count = fields.Integer("Customers", readonly=True)
    product_count = fields.Integer("Products", readonly=True)
    recommendation_count = fields.Integer("Recommendations", readonly=True)
    evaluated_count = fields.Integer(
        "Customers evaluated",
        readonly=True,
        help="Customers who bought before the hold-out and, during it, bought a "
        "product they did not buy regularly before.",
    )
    hit_rate = fields.Float(
        "Hit rate at 5",
        digits=(16, 3),
        readonly=True,
        help="Share of the customers evaluated who bought, during the hold-out, one "
        "of the five products recommended to them on the purchases before it.",
    )
    baseline_hit_rate = fields.Float(
        "Most popular: hit rate at 5",
        digits=(16, 3),
        readonly=True,
        help="The same measure when everyone is offered the five products most "
        "customers bought (minus their regular products).",
    )
    lift = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Hit rate of the recommender divided by the most-popular baseline's "
        "(0 when the baseline has no hit).",
    )
    grade = fields.Selection(
        GRADES,
        readonly=True,
        help="A: hit rate at least 1.5 times the most-popular baseline's. "
        "B: at least 1.1 times. C: less, or fewer than 20 customers evaluated.",
    )
    explanation = fields.Text(compute="_compute_explanation")

    _sql_constraints = [
        (
            "company_unique",
            "UNIQUE(company_id)",
            "A company has one product recommender.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------
    @api.depends("grade", "hit_rate", "baseline_hit_rate", "evaluated_count")
    def _compute_explanation(self):
        for model in self:
            if not model.refresh_date:
                model.explanation = _("Not refreshed yet.")
            elif model.evaluated_count < recommend.MIN_EVALUATED:
                model.explanation = _(
                    "Only %(count)s customers could be evaluated on the last 90 days: "
                    "too few to tell whether the recommendations beat offering the "
                    "most popular products.",
                    count=model.evaluated_count,
                )
            else:
                model.explanation = _(
                    "Trained on the purchases before %(cutoff)s, the recommendations "
                    "named a product that %(rate).0f%% of the %(count)s customers "
                    "evaluated went on to buy in the last 90 days; offering everyone "
                    "the most popular products would have found %(baseline).0f%%.",
                    cutoff=model.date_cutoff,
                    rate=100 * model.hit_rate,
                    count=model.evaluated_count,
                    baseline=100 * model.baseline_hit_rate,
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_refresh(self):
        """Refresh the selected companies' recommenders (the current companies' when
        nothing is selected)."""
        companies = self.company_id or self.env.companies
        self.refresh(company_ids=companies.ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Product recommendations refreshed."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------
    @api.model
    @in_user_language
    def _cron_refresh(self, companies=None):
        """Daily: every company's recommendations (or ``companies``'), one
        committed batch a company, run again after a concurrency failure (see
        ``tools.cron.run_batch``)."""
        if companies is None:
            companies = self.env["res.company"].search([])
        for done, company in enumerate(companies, start=1):
            cron.run_batch(
                self.env,
                lambda company=company: self.refresh(company_ids=company.ids),
                done,
                len(companies) - done,
            )

    @api.model
    def refresh(self, company_ids=None):
        if not (
            self.env.su
            or self.env.user.has_group("crm_relationship.group_relationship_manager")
        ):
            raise AccessError(
                _("Only Relationship Managers can refresh product recommendations.")
            )
        # sudo: the recommender reads every customer's invoices; rights checked above
        companies = self.env["res.company"].sudo().browse(company_ids or [])
        for company in companies or self.env["res.company"].sudo().search([]):
            self.sudo()._refresh_company(company)
        self.env["crm.product.recommendation"].invalidate_model()
        return True

    def _refresh_company(self, company, date_ref=None):
        """Rewrite the company's recommendations (all purchases) and grade the
        recommender on the 90 days up to ``date_ref`` (default: today in the
        company's time zone), from one read of the invoice lines."""
        today = date_ref or company._crm_today()
        cutoff = today - timedelta(days=HOLDOUT_DAYS)
        data = self._purchase_data(company, cutoff)
        train, test = data["train"], data["test"]
        everything = train + test
        bought, regular = everything >= 1, everything >= 2
        similarity, co_customers = recommend.item_similarity(bought)
        result = recommend.recommend(bought, regular, similarity, co_customers, k=5)
        self._store(company, data, result)
        grade = recommend.evaluate(train, test, k=5)
        model = self.search([("company_id", "=", company.id)]) or self.create(
            {"company_id": company.id}
        )
        model.write(
            {
                "refresh_date": fields.Datetime.now(),
                "date_cutoff": cutoff,
                "customer_count": len(data["partner_ids"]),
                "product_count": len(data["product_ids"]),
                "recommendation_count": len(result["product"]),
                "evaluated_count": grade["evaluated"],
                "hit_rate": grade["hit_rate"],
                "baseline_hit_rate": grade["baseline_hit_rate"],
                "lift": grade["lift"],
                "grade": grade["grade"],
            }
        )
        return model

    def _store(self, company, data, result):
        """Bring the company's stored rows to ``result``, writing only what changed.

        The new rows are staged in a temporary table, then rows whose product or
        reason changed are deleted and inserted, scores updated in place, the rest
        left alone. Inserting costs four foreign-key checks a row (partner, company,
        two products): at 100k customers, rewriting all 500k rows every night would
        cost several times reading the invoices. Scores are stored to the field's
        three decimals, so that a day's new invoices, moving the similarities in
        their fourth decimal, do not rewrite every row."""
        cr = self.env.cr
        partners, products = data["partner_ids"], data["product_ids"]
        cr.execute(SQL("DROP TABLE IF EXISTS pg_temp.crm_product_recommendation_stage"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE crm_product_recommendation_stage AS
                SELECT * FROM unnest(%(partner)s::int[], %(product)s::int[],
                                     %(rank)s::int[], %(score)s::float8[],
                                     %(because)s::int[], %(co)s::int[])
                       AS t(partner_id, product_id, rank, score, because_product_id,
                            co_customers)
                """,
                partner=_pg_array(partners[result["customer"]]),
                product=_pg_array(products[result["product"]]),
                rank=_pg_array(result["rank"]),
                score=_pg_array(np.round(result["score"], 3)),
                because=_pg_array(products[result["because"]]),
                co=_pg_array(result["co_customers"]),
            )
        )
        cr.execute(SQL("ANALYZE pg_temp.crm_product_recommendation_stage"))
        # Hash joins over the whole set: a nested loop, which the planner picks when
        # the table's statistics predate rows written in this transaction (or count
        # none for pages of rolled-back rows), runs for minutes at 100k customers
        cr.execute(SQL("SELECT current_setting('enable_nestloop')"))
        nestloop = cr.fetchone()[0]
        cr.execute(SQL("SELECT set_config('enable_nestloop', 'off', true)"))
        cr.execute(
            SQL(
                """
                DELETE FROM crm_product_recommendation r
                 WHERE r.company_id = %(company)s
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_product_recommendation_stage s
                        WHERE s.partner_id = r.partner_id AND s.rank = r.rank
                          AND s.product_id = r.product_id
                          AND s.because_product_id = r.because_product_id);
                UPDATE crm_product_recommendation r
                   SET score = s.score, co_customers = s.co_customers,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM crm_product_recommendation_stage s
                 WHERE r.company_id = %(company)s
                   AND s.partner_id = r.partner_id AND s.rank = r.rank
                   AND (r.score IS DISTINCT FROM s.score
                        OR r.co_customers IS DISTINCT FROM s.co_customers);
                INSERT INTO crm_product_recommendation
                    (partner_id, company_id, product_id, rank, score,
                     because_product_id, co_customers,
                     create_uid, write_uid, create_date, write_date)
                SELECT s.partner_id, %(company)s, s.product_id, s.rank, s.score,
                       s.because_product_id, s.co_customers,
                       %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM crm_product_recommendation_stage s
                 WHERE NOT EXISTS (
                       SELECT 1 FROM crm_product_recommendation r
                        WHERE r.company_id = %(company)s
                          AND r.partner_id = s.partner_id AND r.rank = s.rank);
                DROP TABLE pg_temp.crm_product_recommendation_stage;
                """,
                company=company.id,
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        cr.execute(SQL("SELECT set_config('enable_nestloop', %s, true)", nestloop))

    @api.model
    def _excluded_products(self):
        """Products that are not goods a customer chooses: loyalty rewards and
        payment-program discounts, the sale discount product, delivery charges."""
        env = self.env(su=True)
        products = (
            env["loyalty.reward"]
            .with_context(active_test=False)
            .search([])
            .discount_line_product_id
        )
        products |= (
            env["loyalty.program"]
            .with_context(active_test=False)
            .search([])
            .payment_program_discount_product_id
        )
        products |= env["res.company"].search([]).sale_discount_product_id
        if "delivery.carrier" in env:
            products |= (
                env["delivery.carrier"]
                .with_context(active_test=False)
                .search([])
                .product_id
            )
        return products.ids

    @api.model
    def _purchase_data(self, company, cutoff):
        """The company's purchases as customers x products matrices of distinct
        invoice days before ``cutoff`` (``train``) and from it (``test``), with the
        partner and product ids of their rows and columns (ascending).

        One query over the posted customer invoice lines of the company: product
        lines of products that can be sold, down payments and the products of
        ``_excluded_products`` left out. Quantities are in the product's unit. A
        credit note's quantities subtract from
        the day of the invoice it reverses (its own day when it reverses none); a
        day counts when the net quantity stays positive, so a purchase refunded in
        full does not count."""
        self.env.flush_all()
        query = SQL(
            """
            WITH lines AS (
                SELECT am.commercial_partner_id AS partner_id, aml.product_id,
                       CASE WHEN am.move_type = 'out_refund'
                            THEN COALESCE(origin.invoice_date, am.invoice_date)
                            ELSE am.invoice_date END AS day,
                       -- in the product's unit, as uom.uom._compute_quantity
                       -- converts: a dozen refunded is twelve units
                       SUM(CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END
                           * aml.quantity
                           / COALESCE(NULLIF(line_uom.factor, 0), 1)
                           * COALESCE(product_uom.factor, 1)) AS quantity
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                  JOIN product_product pp ON pp.id = aml.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN uom_uom line_uom ON line_uom.id = aml.product_uom_id
                  LEFT JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                  LEFT JOIN account_move origin ON origin.id = am.reversed_entry_id
                 WHERE am.company_id = %(company)s
                   AND am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'out_refund')
                   AND am.commercial_partner_id IS NOT NULL
                   AND aml.display_type = 'product'
                   AND aml.is_downpayment IS NOT TRUE
                   AND pt.sale_ok AND pt.active AND pp.active
                   AND aml.product_id != ALL(%(excluded)s::int[])
                 GROUP BY 1, 2, 3
            )
            SELECT partner_id, product_id,
                   COUNT(*) FILTER (WHERE day < %(cutoff)s) AS train_days,
                   COUNT(*) FILTER (WHERE day >= %(cutoff)s) AS test_days
              FROM lines
             WHERE quantity > 0
             GROUP BY partner_id, product_id
            """,
            company=company.id,
            cutoff=cutoff,
            excluded=self._excluded_products(),
        )
        cr = self.env.cr
        cr.execute(query)
        # in batches: 600k rows as Python tuples at once would weigh 150 MB
        batches = [np.zeros((0, 4), dtype=np.int64)]
        while batch := cr.fetchmany(100_000):
            batches.append(np.array(batch, dtype=np.int64))
        return self._matrices(np.concatenate(batches))

    @api.model
    def _matrices(self, rows):
        partner_ids, customers = np.unique(rows[:, 0], return_inverse=True)
        product_ids, products = np.unique(rows[:, 1], return_inverse=True)
        shape = (len(partner_ids), len(product_ids))

        def matrix(values):
            return sparse.csr_matrix((values, (customers, products)), shape=shape)

        return {
            "partner_ids": partner_ids,
            "product_ids": product_ids,
            "train": matrix(rows[:, 2]),
            "test": matrix(rows[:, 3]),
        }

    @api.model
    def _recommend_live(self, company, partner_ids, limit=5):
        """``{commercial partner id: [product ids, best first]}`` for
        ``partner_ids`` in ``company``, from the invoice lines as they are now (the
        similarities need the whole company's purchases: one query, no cache)."""
        data = self._purchase_data(company, cutoff=fields.Date.to_date("9999-12-31"))
        result = {partner_id: [] for partner_id in partner_ids}
        known = data["partner_ids"]
        rows = np.flatnonzero(np.isin(known, list(partner_ids)))
        if not len(rows) or not limit:
            return result
        days = data["train"]
        bought, regular = days >= 1, days >= 2
        similarity, co_customers = recommend.item_similarity(bought)
        found = recommend.recommend(
            bought, regular, similarity, co_customers, k=limit, rows=rows
        )
        for customer, product in zip(
            known[found["customer"]].tolist(),
            data["product_ids"][found["product"]].tolist(),
            strict=True,
        ):
            result[customer].append(product)
        return result
