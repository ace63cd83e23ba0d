{
    "name": "Relationship CRM",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Customer scoring, shared customer record, retention and win-back",
    "author": "Collaborative CRM",
    "license": "LGPL-3",
    "depends": [
        "crm",
        "sale_management",
        "account",
        "sale_stock",
        "sale_loyalty",
        "hr",
    ],
    "data": [
        "security/crm_relationship_groups.xml",
        "security/crm_relationship_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/res_partner_views.xml",
        "views/crm_relationship_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_relationship/static/tests/tours/**/*"],
    },
    "application": False,
    "installable": True,
}
