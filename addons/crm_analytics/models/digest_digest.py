from datetime import timedelta

from odoo import fields, models


class DigestDigest(models.Model):
    _inherit = "digest.digest"

    crm_kpi_ids = fields.Many2many(
        "crm.kpi",
        string="Scorecard KPIs",
        help="Company-wide values of these KPIs join the digest, over the same "
        "periods as its other figures.",
    )

    def _compute_kpis(self, company, user):
        """Add the chosen scorecard KPIs, evaluated with the recipient's rights."""
        result = super()._compute_kpis(company, user)
        kpis = self.crm_kpi_ids.with_user(user).with_company(company)
        if not kpis or not user.has_group("crm_relationship.group_relationship_user"):
            return result
        timeframes = self._compute_timeframes(company)
        periods = [
            tuple(
                (bounds[0].date(), bounds[1].date() - timedelta(days=1))
                for bounds in frames
            )
            for _name, frames in timeframes
        ]
        owner = ("company", company.id, company.id)
        values = kpis._evaluate(
            [owner],
            [p for pair in periods for p in pair],
            company._crm_tz(),
        )
        for kpi in kpis:
            entry = {
                "kpi_name": "crm_kpi_%s" % kpi.id,
                "kpi_fullname": kpi.name,
                "kpi_action": False,
            }
            for index, ((tf_name, _frames), (current, previous)) in enumerate(
                zip(timeframes, periods, strict=True), start=1
            ):
                value = values[kpi.id, owner, current]
                previous_value = values[kpi.id, owner, previous]
                entry["kpi_col%s" % index] = {
                    "value": kpi._format_value(value, company.currency_id),
                    "margin": self._get_margin_value(
                        value or 0.0, previous_value or 0.0
                    ),
                    "col_subtitle": tf_name,
                }
            result.append(entry)
        return result
