{
    "name": "Relationship CRM Analytics",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Scorecard KPIs, lifetime value and churn models, Excel reports",
    "author": "Collaborative CRM",
    "license": "LGPL-3",
    "depends": ["crm_relationship"],
    "external_dependencies": {"python": ["xlsxwriter", "numpy", "scipy"]},
    "data": [
        "views/crm_analytics_menus.xml",
    ],
    "application": False,
    "installable": True,
}
