"""Two invoices of one loyalty member posted at the same moment by two users.

Each user works in a transaction of their own, committed for real (as two web client
requests are): no test transaction hides the conflict. The second posting reads the
card before the first commits; PostgreSQL refuses its update of the card
(serialization failure under Odoo's REPEATABLE READ) and Odoo's request handler
(``odoo.service.model.retrying``) runs it again. Both awards must be there, once.
"""

import threading
import time

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestLoyaltyConcurrentInvoices(TransactionCase):
    def _setup_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent member"})
            program = env["loyalty.program"].create(
                {
                    "name": "Concurrent club",
                    "program_type": "loyalty",
                    "invoice_points_rate": 1.0,
                }
            )
            card = env["loyalty.card"].create(
                {"program_id": program.id, "partner_id": partner.id, "points": 0}
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": "2026-05-04",
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Goods", "price_unit": amount, "tax_ids": []}
                            )
                        ],
                    }
                    for amount in (100.0, 250.0)
                ]
            )
            return partner.id, program.id, card.id, invoices.ids

    def _cleanup(self, partner_id, program_id, card_id, invoice_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            invoices = env["account.move"].browse(invoice_ids).exists()
            invoices.filtered(lambda m: m.state == "posted").button_draft()
            invoices.unlink()
            env["loyalty.card"].browse(card_id).exists().unlink()
            program = env["loyalty.program"].browse(program_id).exists()
            program.active = False
            program.unlink()
            env["res.partner"].browse(partner_id).exists().unlink()

    def test_two_invoices_posted_at_once(self):
        partner_id, program_id, card_id, invoice_ids = self._setup_data()
        self.addCleanup(self._cleanup, partner_id, program_id, card_id, invoice_ids)
        first_posted = threading.Event()
        second_started = threading.Event()
        tries = {"first": 0, "second": 0}
        errors = []

        def post(name, invoice_id, before=None, after=None):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})

                    def work():
                        tries[name] += 1
                        if before:
                            before(env)
                        env["account.move"].browse(invoice_id).action_post()
                        if after:
                            after(env)

                    retrying(work, env)
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(error)

        def first_after(env):
            env.cr.flush()
            first_posted.set()
            # hold the transaction open until the second one has its snapshot
            second_started.wait(30)
            time.sleep(1.0)

        def second_before(env):
            first_posted.wait(30)
            if tries["second"] == 1:
                # the snapshot is taken now, before the first commits
                env.cr.execute(
                    "SELECT points FROM loyalty_card WHERE id = %s", [card_id]
                )
                second_started.set()

        threads = [
            threading.Thread(
                target=post,
                args=("first", invoice_ids[0]),
                kwargs={"after": first_after},
            ),
            threading.Thread(
                target=post,
                args=("second", invoice_ids[1]),
                kwargs={"before": second_before},
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse(errors, "no error reaches the users")
        self.assertEqual(tries["first"], 1)
        self.assertGreaterEqual(tries["second"], 2, "the conflict was retried")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 350.0)
            self.assertEqual(sorted(card.lot_ids.mapped("points")), [100.0, 250.0])
            self.assertEqual(card.tier_points, 350.0)
