"""Every measure of the graph and pivot views of both addons can be aggregated.

The web client asks ``read_group`` for ``field:aggregator`` of each measure, with
the aggregator the field declares: a measure declared with ``aggregator=False``
breaks the view with "Invalid aggregate method" (as the churn drivers' graph did).
"""

from lxml import etree

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestViewMeasures(TransactionCase):
    def test_every_measure_has_an_aggregator_and_reads(self):
        views = self.env["ir.ui.view"].search(
            [("type", "in", ("graph", "pivot")), ("model", "!=", False)]
        )
        ours = views.filtered(
            lambda view: (
                view.xml_id.split(".")[0] in ("crm_relationship", "crm_analytics")
            )
        )
        self.assertGreater(len(ours), 10)
        checked = 0
        for view in ours:
            Model = self.env[view.model]
            arch = etree.fromstring(Model.get_view(view.id)["arch"])
            for node in arch.iter("field"):
                if node.get("type") != "measure" or node.get("name") == "__count":
                    continue
                name = node.get("name")
                with self.subTest(view=view.xml_id, measure=name):
                    aggregator = Model.fields_get([name])[name].get("aggregator")
                    self.assertTrue(aggregator, "a measure needs an aggregator")
                    # what the web client asks, on whatever rows there are
                    Model.read_group([], [f"{name}:{aggregator}"], [])
                    checked += 1
        self.assertGreater(checked, 5)
