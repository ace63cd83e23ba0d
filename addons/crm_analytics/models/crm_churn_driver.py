from odoo import _, api, fields, models
from odoo.tools.misc import formatLang

from odoo.addons.crm_relationship.models.hr_department import CRM_FUNCTIONS

#: below this p-value a driver is significant (shown on the dashboards); the same
#: level for the proportional-hazards check
SIGNIFICANCE = 0.05


class CrmChurnDriver(models.Model):
    """One health trait of a churn drivers fit: its hazard ratio, confidence
    interval and tests, and the department function that can act on it."""

    _name = "crm.churn.driver"
    _description = "Churn driver"
    _order = "fit_id desc, p_value, id"

    fit_id = fields.Many2one(
        "crm.churn.driver.fit", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="fit_id.company_id", store=True, index=True)
    covariate = fields.Selection(
        [
            ("late_payment", "Pays late"),
            ("late_delivery", "Late deliveries"),
            ("returns", "Returns"),
            ("complaints", "Complaints"),
            ("sla_breach", "SLA breaches"),
            ("detractor", "NPS detractor"),
            ("discount", "Discounts"),
            ("tier", "Tier (steps below A)"),
        ],
        "Health trait",
        required=True,
    )
    crm_function = fields.Selection(CRM_FUNCTIONS, "Department", required=True)
    hazard_ratio = fields.Float(
        # the graph's measure: one driver per trait and company in the fit in use
        aggregator="avg",
        help="How many times as fast customers with the trait churn as those "
        "without (for the tier: per step below A). 1: no difference.",
    )
    ci_low = fields.Float("95 % CI low", aggregator=False)
    ci_high = fields.Float("95 % CI high", aggregator=False)
    p_value = fields.Float(
        "p-value",
        aggregator=False,
        help="Chance of a ratio this far from 1 if the trait made no difference.",
    )
    ph_p_value = fields.Float(
        "Proportional-hazards p-value",
        aggregator=False,
        help="Test on the Schoenfeld residuals (Grambsch and Therneau, 1994): a "
        "small value says the ratio changes with the customer's age, so it is an "
        "average over time.",
    )
    is_significant = fields.Boolean("Significant", compute="_compute_flags", store=True)
    ph_ok = fields.Boolean(
        "Ratio steady over time", compute="_compute_flags", store=True
    )
    sentence = fields.Char(compute="_compute_sentence")

    @api.depends("p_value", "ph_p_value")
    def _compute_flags(self):
        for driver in self:
            driver.is_significant = driver.p_value < SIGNIFICANCE
            driver.ph_ok = driver.ph_p_value >= SIGNIFICANCE

    @api.depends("covariate", "hazard_ratio", "crm_function")
    @api.depends_context("lang")
    def _compute_sentence(self):
        for driver in self:
            driver.sentence = driver._sentence()

    def _sentence(self, with_department=True):
        """The driver in words: "Customers with late deliveries churn 1.8x as fast:
        Logistics"; below 1, how many times as slowly."""
        self.ensure_one()
        ratio = self.hazard_ratio
        if not ratio:
            return ""
        faster = ratio >= 1
        # in the user's language, as the change summary's numbers
        times = formatLang(self.env, ratio if faster else 1 / ratio, digits=1)
        words = self._sentences(times)[self.covariate][0 if faster else 1]
        if not with_department:
            return words
        functions = self._fields["crm_function"]._description_selection(self.env)
        department = dict(functions)[self.crm_function]
        return _("%(driver)s: %(department)s", driver=words, department=department)

    def _sentences(self, times):
        return {
            "late_payment": (
                _("Customers who pay late churn %(times)sx as fast", times=times),
                _("Customers who pay late churn %(times)sx as slowly", times=times),
            ),
            "late_delivery": (
                _(
                    "Customers with late deliveries churn %(times)sx as fast",
                    times=times,
                ),
                _(
                    "Customers with late deliveries churn %(times)sx as slowly",
                    times=times,
                ),
            ),
            "returns": (
                _("Customers who return goods churn %(times)sx as fast", times=times),
                _("Customers who return goods churn %(times)sx as slowly", times=times),
            ),
            "complaints": (
                _("Customers with complaints churn %(times)sx as fast", times=times),
                _("Customers with complaints churn %(times)sx as slowly", times=times),
            ),
            "sla_breach": (
                _(
                    "Customers whose complaints missed the SLA churn %(times)sx as "
                    "fast",
                    times=times,
                ),
                _(
                    "Customers whose complaints missed the SLA churn %(times)sx as "
                    "slowly",
                    times=times,
                ),
            ),
            "detractor": (
                _("NPS detractors churn %(times)sx as fast", times=times),
                _("NPS detractors churn %(times)sx as slowly", times=times),
            ),
            "discount": (
                _("Customers given discounts churn %(times)sx as fast", times=times),
                _("Customers given discounts churn %(times)sx as slowly", times=times),
            ),
            "tier": (
                _("Each tier lower, customers churn %(times)sx as fast", times=times),
                _("Each tier lower, customers churn %(times)sx as slowly", times=times),
            ),
        }
