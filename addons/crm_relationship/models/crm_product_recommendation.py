from odoo import fields, models


class CrmProductRecommendation(models.Model):
    """The products to offer each customer, best first, as the daily refresh of
    ``crm.recommendation.model`` found them (rows written in SQL, one set per
    company). Read by the Customer 360 and the next-best-action rules; for figures
    that must be right the moment an invoice is posted, use
    ``res.partner._crm_recommended_products``, which computes them live."""

    _name = "crm.product.recommendation"
    _description = "Product Recommendation"
    _order = "company_id, partner_id, rank"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        index=True,
        ondelete="cascade",
        help="The commercial entity the products are recommended to.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade"
    )
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    rank = fields.Integer(required=True, help="1 is the best recommendation.")
    score = fields.Float(
        digits=(16, 3),
        help="Sum of the product's similarities to the products the customer bought "
        "(cosine of their buyers; 1 for two products always bought together).",
    )
    because_product_id = fields.Many2one(
        "product.product",
        "Because you bought",
        ondelete="cascade",
        help="The product the customer bought that is most often bought with the "
        "recommended one.",
    )
    co_customers = fields.Integer(
        "Customers who bought both",
        help="Customers who bought both the recommended product and the product it "
        "is recommended because of.",
    )

    _sql_constraints = [
        (
            "rank_unique",
            "UNIQUE(partner_id, company_id, rank)",
            "A customer has one recommendation per rank and company.",
        ),
    ]
