from odoo import api, fields, models


class CrmClvFitHoldout(models.Model):
    """Predicted against actual repeat purchases over a fit's hold-out days, for the
    customers who had made as many repeat purchases before them."""

    _name = "crm.clv.fit.holdout"
    _description = "Lifetime value model hold-out check"
    _order = "fit_id, frequency"

    fit_id = fields.Many2one(
        "crm.clv.fit", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="fit_id.company_id", store=True)
    frequency = fields.Integer(
        "Repeat purchases before", help="7 stands for 7 or more.", aggregator=False
    )
    frequency_label = fields.Char("Frequency group", compute="_compute_frequency_label")
    customers = fields.Integer()
    actual = fields.Float("Actual purchases", digits=(16, 3), aggregator="avg")
    predicted = fields.Float("Predicted purchases", digits=(16, 3), aggregator="avg")
    baseline = fields.Float(
        "Baseline purchases",
        digits=(16, 3),
        aggregator="avg",
        help="The naive guess: each customer keeps buying at their past pace.",
    )
    error = fields.Float(
        "Model error",
        digits=(16, 3),
        aggregator="avg",
        help="Mean absolute error per customer of the model's prediction.",
    )
    baseline_error = fields.Float(
        digits=(16, 3),
        aggregator="avg",
        help="Mean absolute error per customer of the naive guess.",
    )

    @api.depends("frequency")
    def _compute_frequency_label(self):
        for line in self:
            line.frequency_label = (
                "%s+" % line.frequency if line.frequency >= 7 else str(line.frequency)
            )
