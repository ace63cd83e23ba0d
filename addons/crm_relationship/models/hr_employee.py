from odoo import api, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    # what record rules read of a person: ``user.department_id`` (hand-offs, notes)
    _RULE_FIELDS = {"department_id", "user_id", "company_id", "active"}

    @api.model_create_multi
    def create(self, vals_list):
        employees = super().create(vals_list)
        if any(vals.get("user_id") for vals in vals_list):
            employees._clear_rule_cache()
        return employees

    def write(self, vals):
        result = super().write(vals)
        if self._RULE_FIELDS & set(vals):
            self._clear_rule_cache()
        return result

    def unlink(self):
        linked = bool(self.user_id)
        result = super().unlink()
        if linked:
            self._clear_rule_cache()
        return result

    def _clear_rule_cache(self):
        """Record rules are cached per user; a person moving to another department
        must see that department's records at once (and in every worker: clearing
        the registry cache is signalled to the others, as Odoo does when groups
        change)."""
        self.env.registry.clear_cache()
