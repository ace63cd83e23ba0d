from odoo import fields, models

from .crm_clv_fit import GRADES, MODEL_SELECTION


class CrmClvFitCandidate(models.Model):
    """One purchase model fitted for a fit, with its hold-out error against the
    naive baseline: the evidence the fit's model was chosen on."""

    _name = "crm.clv.fit.candidate"
    _description = "Lifetime value model candidate"
    _order = "fit_id, chosen desc, holdout_error, id"

    fit_id = fields.Many2one(
        "crm.clv.fit", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="fit_id.company_id", store=True)
    model = fields.Selection(MODEL_SELECTION, "Purchase model", required=True)
    chosen = fields.Boolean(help="The model the fit predicts with.")
    log_likelihood = fields.Float(digits=(16, 2))
    parameters = fields.Char()
    holdout_error = fields.Float(
        "Model error",
        digits=(16, 3),
        help="Mean absolute error per customer of predicted against actual repeat "
        "purchases over the hold-out days.",
    )
    baseline_error = fields.Float(
        digits=(16, 3),
        help="The same error for the naive guess that each customer keeps buying at "
        "their past pace.",
    )
    improvement = fields.Float(
        "Better than baseline (%)",
        digits=(16, 1),
        help="1 - model error / baseline error, in percent.",
    )
    grade = fields.Selection(GRADES)
    note = fields.Char(help="Why the model has no fit or no hold-out error.")
