"""Concurrent writes on loyalty points and relationship scores, committed for real.

Every test runs two transactions of their own (``registry.cursor()``), committed as
two web client requests or a request and a cron are: no test transaction hides the
conflict. Odoo runs them in REPEATABLE READ: a transaction that read a card (or a
score, or a mark) before another committed a change of it cannot update it
(PostgreSQL's serialization failure, "first updater wins"); Odoo's request handler
(``odoo.service.model.retrying``) and our batched crons (``tools.cron.run_batch``)
roll back and run again on a fresh snapshot. The interleaving is forced, not hoped
for: the late transaction takes its snapshot, the early one commits, then the late
one writes; each test asserts that the conflict happened (a retry logged by
``odoo.service.model``, a lock wait seen in ``pg_stat_activity``, a recompute that
did not see the posting) and that the points and scores are exact afterwards.
"""

import json
import logging
import random
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from werkzeug.test import Client

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

RETRY_LOGGER = "odoo.service.model"
#: a company cannot be deleted: made once per database, archived between classes
SECOND_COMPANY = "Concurrency second company"


class _Logs:
    def __init__(self, output):
        self.output = output


def _delete(env, created):
    """Delete what a test committed (``(model, ids)``), in reverse order."""
    for model, ids in reversed(created):
        records = env[model].browse(ids).exists()
        if model == "account.move":
            records.filtered(lambda m: m.state != "draft").button_draft()
            records.with_context(force_delete=True).unlink()
        elif model == "loyalty.program":
            env["loyalty.card"].with_context(active_test=False).search(
                [("program_id", "in", records.ids)]
            ).unlink()
            records.active = False
            records.unlink()
        elif model == "res.users":
            try:
                with env.cr.savepoint():
                    partners = records.partner_id
                    records.unlink()
                    partners.unlink()
            except Exception:  # noqa: BLE001 - referenced: kept archived
                records.active = False
        elif model == "crm.next.action.rule":
            for dependent in ("crm.next.action", "crm.next.action.uplift"):
                env[dependent].search([("rule_id", "in", records.ids)]).unlink()
            records.unlink()
        elif model == "crm.scorecard":
            records.value_ids.unlink()
            records.alert_ids.unlink()
            records.unlink()
        elif model == "res.partner":
            env["crm.relationship.event"].search(
                [("partner_id", "in", records.ids)]
            ).unlink()
            records.child_ids.unlink()
            records.unlink()
        else:
            records.unlink()


class ConcurrencyCase(TransactionCase):
    """Committed set-up and clean-up, and the two ways to interleave."""

    def setUp(self):
        super().setUp()
        self.created = []  # (model, ids), deleted in reverse order
        self.addCleanup(self._cleanup)

    @staticmethod
    def _env(cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    @classmethod
    def _committed(cls, work):
        """``work(env)`` in a transaction of its own, committed."""
        with cls.registry.cursor() as cr:
            # the commit flushes through the transaction's live environments: keep
            # this one alive until then
            env = cls._env(cr)
            result = work(env)
            env.flush_all()
            return result

    def _keep(self, records):
        self.created.append((records._name, records.ids))
        return records

    def _cleanup(self):
        self._committed(lambda env: _delete(env, self.created))

    # ------------------------------------------------------------
    # DATA
    # ------------------------------------------------------------
    def _customer(self, env, name, contacts=0):
        partner = env["res.partner"].create({"name": name, "is_company": True})
        self._keep(partner)
        for number in range(contacts):
            env["res.partner"].create(
                {"name": f"{name} contact {number + 1}", "parent_id": partner.id}
            )
        return partner

    def _program(self, env, rate=1.0, **values):
        return self._keep(
            env["loyalty.program"].create(
                {
                    "name": "Concurrent club",
                    "program_type": "loyalty",
                    "invoice_points_rate": rate,
                    **values,
                }
            )
        )

    def _invoice(self, env, partner, amount, date="2026-12-01", post=False):
        invoice = self._keep(
            env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
        )
        if post:
            invoice.action_post()
        return invoice

    def _refund(self, env, invoice, date="2026-12-02"):
        return self._keep(invoice._reverse_moves([{"invoice_date": date}]))

    def _card(self, env, program, partner):
        return env["loyalty.card"].search(
            [("program_id", "=", program.id), ("partner_id", "=", partner.id)]
        )

    @classmethod
    def _second_company(cls, env):
        """A second company with the main one's chart of accounts: made once per
        database (a company with accounts cannot be deleted), active while the
        class runs, archived afterwards, so that other suites' crons over every
        company do not see it.

        :return: an environment of that company
        """
        Company = env["res.company"].with_context(active_test=False)
        company = Company.search([("name", "=", SECOND_COMPANY)], limit=1)
        if not company:
            company = Company.create(
                {"name": SECOND_COMPANY, "currency_id": env.company.currency_id.id}
            )
            env["account.chart.template"].try_loading(
                env.company.chart_template or "generic_coa", company
            )
        company.active = True
        cls.addClassCleanup(
            cls._committed,
            lambda env: env["res.company"].browse(company.id).write({"active": False}),
        )
        return env["res.company"].with_company(company).env

    # ------------------------------------------------------------
    # INTERLEAVING
    # ------------------------------------------------------------
    def _late_in_thread(self, late, early):
        """Run ``late(env)`` in a thread of its own (not a test thread: crons
        commit and retry there) on a snapshot taken before ``early(env)`` commits
        in another transaction; ``late`` writes only after that commit.

        :return: what ``late`` returned
        """
        snapshot_taken = threading.Event()
        early_committed = threading.Event()
        outcome = {}

        def run():
            try:
                with self.registry.cursor() as cr:
                    # REPEATABLE READ: the snapshot is taken by the first statement
                    cr.execute("SELECT 1")
                    snapshot_taken.set()
                    early_committed.wait(60)
                    outcome["value"] = late(self._env(cr))
            except Exception as error:  # noqa: BLE001 - reported to the test
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        try:
            self.assertTrue(snapshot_taken.wait(60))
            self._committed(early)
        finally:
            early_committed.set()
            thread.join(180)
        self.assertFalse(thread.is_alive(), "the late transaction ended")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    def _as_user(self, work):
        """``work(env)`` as a user's request: retried on a serialization failure.

        :return: the number of tries
        """
        tries = []

        def late(env):
            def attempt():
                tries.append(1)
                work(env)

            retrying(attempt, env)
            return len(tries)

        return late

    def _while_held(self, hold, run):
        """``hold(env)`` in a transaction kept open until ``run()``, started in a
        thread of its own, waits for a lock (seen in ``pg_stat_activity``); then
        committed, and ``run`` waited for."""
        errors = []

        def target():
            try:
                run()
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(error)

        thread = threading.Thread(target=target)
        waited = False
        with self.registry.cursor() as cr:
            env = self._env(cr)
            hold(env)
            env.flush_all()
            thread.start()
            deadline = time.monotonic() + 60
            while not waited and time.monotonic() < deadline:
                with self.registry.cursor() as poll:
                    poll.execute(
                        """SELECT count(*) FROM pg_stat_activity
                            WHERE datname = current_database()
                              AND wait_event_type = 'Lock'"""
                    )
                    waited = bool(poll.fetchone()[0])
                time.sleep(0.1)
        thread.join(180)
        self.assertFalse(thread.is_alive(), "the waiting transaction ended")
        if errors:
            raise errors[0]
        self.assertTrue(waited, "the other transaction waited for the held rows")

    def _post_both_at_once(self, first_id, second_id):
        """A user posts ``second_id`` on a snapshot taken before another user's
        posting of ``first_id`` commits.

        :return: the number of tries of the second posting
        """

        def post(env, move_id):
            # as a user working in the document's company
            move = env["account.move"].browse(move_id)
            move.with_company(move.company_id).action_post()

        return self._late_in_thread(
            self._as_user(lambda env: post(env, second_id)),
            lambda env: post(env, first_id),
        )

    def _cron_job(self, xmlid):
        """The cron job ``xmlid``, due now, as a cron worker runs it
        (``ir.cron._process_job``, in its own transactions); its schedule comes
        back after the test.

        :return: (the cron's id, a function running the job)
        """
        cron_id = self.env.ref(xmlid).id

        def ready(env):
            cron = env["ir.cron"].browse(cron_id)
            kept = cron.read(["active", "nextcall", "lastcall"])[0]
            cron.write({"active": True, "nextcall": "2000-01-01 00:00:00"})
            return kept

        kept = self._committed(ready)

        def restore(env):
            env["ir.cron"].browse(cron_id).write(
                {key: kept[key] for key in ("active", "nextcall", "lastcall")}
            )
            env["ir.cron.progress"].search([("cron_id", "=", cron_id)]).unlink()

        self.addCleanup(self._committed, restore)
        IrCron = type(self.env["ir.cron"])

        def run_job():
            db = odoo.sql_db.db_connect(self.env.cr.dbname)
            with db.cursor() as cron_cr:
                job = IrCron._acquire_one_job(cron_cr, cron_id)
                self.assertTrue(job, "the job was ready")
                IrCron._process_job(db, cron_cr, job)

        return cron_id, run_job

    def _assert_cron_done(self, env, cron_id):
        """The job ended fully done, not failed: ir.cron, which does not retry,
        would count a failure and wait a day."""
        cron = env["ir.cron"].browse(cron_id)
        self.assertEqual(cron.failure_count, 0, "the job did not fail")
        self.assertGreater(cron.nextcall, fields.Datetime.now())

    def _assert_retried(self, logs):
        self.assertTrue(
            any("SERIALIZATION_FAILURE" in line for line in logs.output),
            "a serialization failure happened and was retried",
        )

    @contextmanager
    def _retries(self):
        """Collect the retries logged by ``odoo.service.model.retrying``, from
        every thread."""
        logger = logging.getLogger(RETRY_LOGGER)
        lines = []

        class Collect(logging.Handler):
            def emit(self, record):
                lines.append(record.getMessage())

        handler = Collect(logging.INFO)
        previous = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield _Logs(lines)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)


@tagged("post_install", "-at_install")
class TestConcurrentPostings(ConcurrencyCase):
    """Two users post documents of one loyalty member at the same moment."""

    def test_two_invoices_posted_at_once(self):
        """Threads, locks: the second posting reads the card before the first
        commits and waits for the first's lock on the card; PostgreSQL then
        refuses its update and Odoo runs it again."""

        def setup(env):
            partner = self._customer(env, "Concurrent member")
            program = self._program(env)
            card = env["loyalty.card"].create(
                {"program_id": program.id, "partner_id": partner.id, "points": 0}
            )
            invoices = self._invoice(env, partner, 100.0) | self._invoice(
                env, partner, 250.0
            )
            return card.id, invoices.ids

        card_id, invoice_ids = self._committed(setup)
        first_posted = threading.Event()
        second_started = threading.Event()
        tries = {"first": 0, "second": 0}
        errors = []

        def post(name, invoice_id, before=None, after=None):
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)

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

        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 350.0)
            self.assertEqual(sorted(card.lot_ids.mapped("points")), [100.0, 250.0])
            self.assertEqual(card.tier_points, 350.0)

        self._committed(check)

    def test_two_credit_notes_posted_at_once(self):
        def setup(env):
            partner = self._customer(env, "Refunded member")
            program = self._program(env)
            invoices = self._invoice(env, partner, 100.0, post=True) | self._invoice(
                env, partner, 250.0, post=True
            )
            refunds = self._refund(env, invoices[0]) | self._refund(env, invoices[1])
            card = self._card(env, program, partner)
            self.assertEqual(card.points, 350.0)
            return card.id, refunds.ids

        card_id, refund_ids = self._committed(setup)
        with self._retries() as logs:
            tries = self._post_both_at_once(*refund_ids)
        self._assert_retried(logs)
        self.assertEqual(tries, 2)

        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 0.0)
            self.assertEqual(card.tier_points, 0.0)
            self.assertEqual(card.lot_ids.mapped("state"), ["reversed", "reversed"])
            reversals = card.points_use_ids.filtered(lambda u: u.kind == "reverse")
            self.assertEqual(sorted(reversals.mapped("points")), [100.0, 250.0])

        self._committed(check)

    def test_contacts_invoicing_for_their_company_at_once(self):
        """Two contact persons of a company buy at the same moment, its first
        purchases: one membership card is made, both awards go to it, once each.
        The company is already waiting for a score recompute (a complaint, a
        delivery): nothing else makes the two postings meet."""

        def setup(env):
            company = self._customer(env, "Member company", contacts=2)
            program = self._program(env)
            env["crm.relationship.score"]._mark_customers(
                [(company.id, env.company.id)]
            )
            invoices = self._invoice(env, company.child_ids[0], 100.0) | (
                self._invoice(env, company.child_ids[1], 250.0)
            )
            return company.id, program.id, invoices.ids

        company_id, program_id, invoice_ids = self._committed(setup)
        with self._retries() as logs:
            self._post_both_at_once(*invoice_ids)
        self._assert_retried(logs)

        def check(env):
            cards = env["loyalty.card"].search([("program_id", "=", program_id)])
            self.assertEqual(cards.partner_id.id, company_id, "one membership card")
            self.assertEqual(cards.points, 350.0)
            self.assertEqual(sorted(cards.lot_ids.mapped("points")), [100.0, 250.0])

        self._committed(check)

    def test_two_cards_of_one_customer_at_once(self):
        """A customer member of two programs: each invoice awards on both cards."""

        def setup(env):
            partner = self._customer(env, "Member of two clubs")
            programs = self._program(env) | self._program(env, rate=0.5)
            for program in programs:
                env["loyalty.card"].create(
                    {"program_id": program.id, "partner_id": partner.id}
                )
            invoices = self._invoice(env, partner, 100.0) | self._invoice(
                env, partner, 250.0
            )
            return partner.id, programs.ids, invoices.ids

        partner_id, program_ids, invoice_ids = self._committed(setup)
        with self._retries() as logs:
            self._post_both_at_once(*invoice_ids)
        self._assert_retried(logs)

        def check(env):
            cards = env["loyalty.card"].search(
                [("partner_id", "=", partner_id)], order="program_id"
            )
            self.assertEqual(cards.program_id.ids, program_ids)
            self.assertEqual(cards.mapped("points"), [350.0, 175.0])
            self.assertEqual(cards.mapped("tier_points"), [350.0, 175.0])

        self._committed(check)

    def test_partial_credit_note_and_another_invoice_at_once(self):
        """A credit note of half an invoice takes back half of that invoice's
        award, while the member's next invoice awards in full, at the same
        moment."""

        def setup(env):
            partner = self._customer(env, "Half refunded member")
            program = self._program(env)
            first = self._invoice(env, partner, 200.0, post=True)
            refund = self._refund(env, first)
            refund.invoice_line_ids.price_unit = 100.0
            second = self._invoice(env, partner, 300.0)
            card = self._card(env, program, partner)
            self.assertEqual(card.points, 200.0)
            return card.id, first.id, refund.id, second.id

        card_id, first_id, refund_id, second_id = self._committed(setup)
        with self._retries() as logs:
            tries = self._post_both_at_once(refund_id, second_id)
        self._assert_retried(logs)
        self.assertEqual(tries, 2)

        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 400.0, "200 - 100 + 300")
            self.assertEqual(card.tier_points, 400.0)
            lots = card.lot_ids.sorted("points")
            self.assertEqual(lots.mapped("points"), [200.0, 300.0])
            self.assertEqual(lots.mapped("remaining"), [100.0, 300.0])
            reversal = card.points_use_ids.filtered(lambda u: u.kind == "reverse")
            self.assertEqual(reversal.mapped("points"), [100.0])
            self.assertEqual(reversal.origin_id, refund_id)
            self.assertEqual(reversal.reversed_lot_id.origin_id, first_id)

        self._committed(check)

    def test_two_customers_of_a_second_company_at_once(self):
        """Two customers of another company than the user's post their first
        invoices at the same moment, for a program of that company: each gets
        one card of that program, with its own points; nothing is written in the
        main company."""

        def setup(env):
            other = self._second_company(env)
            program = self._program(other, company_id=other.company.id)
            partners = self._customer(env, "Second company member") | self._customer(
                env, "Other second company member"
            )
            invoices = self._invoice(other, partners[0], 100.0) | self._invoice(
                other, partners[1], 250.0
            )
            self.assertEqual(invoices.company_id, other.company)
            return other.company.id, program.id, partners.ids, invoices.ids

        company_id, program_id, partner_ids, invoice_ids = self._committed(setup)
        tries = self._post_both_at_once(*invoice_ids)
        self.assertEqual(tries, 1, "two customers' postings do not meet")

        def check(env):
            cards = env["loyalty.card"].search([("partner_id", "in", partner_ids)])
            self.assertEqual(
                {card.partner_id.id: card.points for card in cards},
                dict(zip(partner_ids, [100.0, 250.0], strict=True)),
                "one card each, its own points",
            )
            self.assertEqual(len(cards), 2)
            self.assertEqual(cards.program_id.ids, [program_id])
            self.assertEqual(cards.company_id.ids, [company_id])
            self.assertEqual(cards.lot_ids.company_id.ids, [company_id])
            marks = env["crm.relationship.score.queue"].search(
                [("partner_id", "in", partner_ids)]
            )
            self.assertEqual(marks.company_id.ids, [company_id])

        self._committed(check)


@tagged("post_install", "-at_install")
class TestPointsExpiryConcurrency(ConcurrencyCase):
    """A credit note posted while the points expiry job runs on the same card."""

    def _setup_member(self):
        def setup(env):
            program = self._program(env, points_validity_days=30)
            members = []
            for name in ("Expiring member", "Other expiring member"):
                partner = self._customer(env, name)
                old = self._invoice(env, partner, 100.0, "2026-10-01", post=True)
                recent = self._invoice(env, partner, 250.0, "2026-12-01", post=True)
                card = self._card(env, program, partner)
                self.assertEqual(card.points, 350.0)
                members.append((card.id, old, recent))
            (card_id, old, recent), (other_id, *_rest) = members
            refunds = self._refund(env, old) | self._refund(env, recent)
            return card_id, other_id, refunds.ids

        return self._committed(setup)

    def _expire(self, env):
        env["loyalty.card"]._cron_expire_points(date=None, batch_size=1)

    def _uses(self, card, kind):
        return sorted(
            card.points_use_ids.filtered(lambda u: u.kind == kind).mapped("points")
        )

    def test_expiry_job_reads_before_a_credit_note_commits(self):
        """The job's batch of this card is refused, runs again and expires the
        old lot once; the next batch (another card) goes on."""
        card_id, other_id, (_old_refund, recent_refund) = self._setup_member()
        with self._retries() as logs:
            self._late_in_thread(
                self._expire,
                lambda env: env["account.move"].browse(recent_refund).action_post(),
            )
        self._assert_retried(logs)

        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 0.0)
            self.assertEqual(self._uses(card, "expire"), [100.0])
            self.assertEqual(self._uses(card, "reverse"), [250.0])
            other = env["loyalty.card"].browse(other_id)
            self.assertEqual(other.points, 250.0, "the next batch expired its lot")
            self.assertEqual(self._uses(other, "expire"), [100.0])

        self._committed(check)

    def test_credit_note_reads_before_the_expiry_job_commits(self):
        """The credit note of the expired award is posted again after the job:
        what expired is not taken a second time from the balance."""
        card_id, _other_id, (old_refund, _recent_refund) = self._setup_member()
        with self._retries() as logs:
            tries = self._late_in_thread(
                self._as_user(
                    lambda env: env["account.move"].browse(old_refund).action_post()
                ),
                self._expire,
            )
        self._assert_retried(logs)
        self.assertEqual(tries, 2)

        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 250.0)
            self.assertEqual(self._uses(card, "expire"), [100.0])
            reversal = card.points_use_ids.filtered(lambda u: u.kind == "reverse")
            self.assertEqual(reversal.mapped("points"), [100.0])
            self.assertFalse(reversal.balance_effect, "the expired points lapsed")

        self._committed(check)

    def test_expiry_cron_job_waits_for_a_credit_note(self):
        """Through Odoo's cron runner (``ir.cron._process_job``, as a cron worker
        runs it): the job's batch waits for the card a user's credit note holds,
        is refused at its commit, runs again; the job ends fully done, not failed
        (ir.cron, which does not retry, would count a failure and wait a day)."""
        card_id, other_id, (_old_refund, recent_refund) = self._setup_member()
        cron_id, run_job = self._cron_job(
            "crm_relationship.ir_cron_loyalty_expire_points"
        )
        with self._retries() as logs:
            self._while_held(
                lambda env: env["account.move"].browse(recent_refund).action_post(),
                run_job,
            )
        self._assert_retried(logs)

        def check(env):
            self._assert_cron_done(env, cron_id)
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 0.0)
            self.assertEqual(self._uses(card, "expire"), [100.0])
            self.assertEqual(self._uses(card, "reverse"), [250.0])
            self.assertEqual(env["loyalty.card"].browse(other_id).points, 250.0)

        self._committed(check)


@tagged("post_install", "-at_install")
class TestTierConcurrency(ConcurrencyCase):
    """Tier evaluation while points are awarded."""

    def _setup_gold(self):
        def setup(env):
            partner = self._customer(env, "Gold member")
            program = self._program(env, tier_grace_days=0)
            gold = env["loyalty.tier"].create(
                {
                    "program_id": program.id,
                    "name": "Gold",
                    "threshold_type": "points",
                    "threshold": 300.0,
                    "points_multiplier": 1.0,
                }
            )
            card = env["loyalty.card"].create(
                {"program_id": program.id, "partner_id": partner.id}
            )
            # a Gold member whose period ended without the points to keep it
            card.write({"tier_id": gold.id, "tier_period_end": "2025-12-31"})
            invoice = self._invoice(env, partner, 350.0)
            return card.id, gold.id, invoice.id

        return self._committed(setup)

    def _check_gold(self, card_id, gold_id):
        def check(env):
            card = env["loyalty.card"].browse(card_id)
            self.assertEqual(card.points, 350.0)
            self.assertEqual(card.tier_points, 350.0)
            self.assertEqual(card.tier_id.id, gold_id, "the member qualifies")

        self._committed(check)

    def test_tier_job_reads_before_an_award_commits(self):
        card_id, gold_id, invoice_id = self._setup_gold()
        with self._retries() as logs:
            self._late_in_thread(
                lambda env: env["loyalty.card"]._cron_evaluate_tiers(),
                lambda env: env["account.move"].browse(invoice_id).action_post(),
            )
        self._assert_retried(logs)
        self._check_gold(card_id, gold_id)

    def test_award_reads_before_the_tier_job_commits(self):
        card_id, gold_id, invoice_id = self._setup_gold()
        with self._retries() as logs:
            tries = self._late_in_thread(
                self._as_user(
                    lambda env: env["account.move"].browse(invoice_id).action_post()
                ),
                lambda env: env["loyalty.card"]._cron_evaluate_tiers(),
            )
        self._assert_retried(logs)
        self.assertEqual(tries, 2)
        self._check_gold(card_id, gold_id)


@tagged("post_install", "-at_install")
class TestScoreRecomputeConcurrency(ConcurrencyCase):
    """A recompute of the scores while invoices are posted."""

    def _setup_customer(self):
        def setup(env):
            partner = self._customer(env, "Scored customer")
            self._invoice(env, partner, 100.0, post=True)
            second = self._invoice(env, partner, 250.0)
            return partner.id, second.id

        return self._committed(setup)

    def _monetary(self, env, partner_id):
        return (
            env["crm.relationship.score"]
            .search(
                [("partner_id", "=", partner_id), ("company_id", "=", env.company.id)]
            )
            .monetary
        )

    def _marks(self, env, partner_id):
        return env["crm.relationship.score.queue"].search_count(
            [("partner_id", "=", partner_id)]
        )

    def _assert_mark_survives(self, recompute, one_snapshot=True):
        """``one_snapshot``: the recompute scores the customer on the snapshot
        taken before the posting. The daily recompute in chunks commits each
        chunk: when the database holds other customers (``make test`` commits
        some), the customer's chunk may come after a commit and see the posting;
        the mark of the posting must survive either way (the old code emptied
        every mark of the company at the end)."""
        partner_id, invoice_id = self._setup_customer()
        self._late_in_thread(
            recompute,
            lambda env: env["account.move"].browse(invoice_id).action_post(),
        )

        def after_race(env):
            self.assertIn(
                self._monetary(env, partner_id),
                (100.0,) if one_snapshot else (100.0, 350.0),
                "the recompute ran on a snapshot without the second invoice",
            )
            self.assertTrue(self._marks(env, partner_id), "its posting stays marked")

        self._committed(after_race)
        self._committed(
            lambda env: env["crm.relationship.score"]._cron_recompute_marked()
        )

        def finally_exact(env):
            self.assertEqual(self._monetary(env, partner_id), 350.0)
            self.assertFalse(self._marks(env, partner_id))

        self._committed(finally_exact)

    def test_frequent_recompute_keeps_the_mark_of_an_unseen_posting(self):
        self._assert_mark_survives(
            lambda env: env["crm.relationship.score"]._cron_recompute_marked()
        )

    def test_daily_recompute_in_chunks_keeps_the_mark_of_an_unseen_posting(self):
        self._assert_mark_survives(
            lambda env: env["crm.relationship.score"]._cron_recompute_all(chunk_size=1),
            one_snapshot=False,
        )


@tagged("post_install", "-at_install")
class TestConcurrencyThroughTheWebClient(ConcurrencyCase):
    """A user's JSON-RPC request meets a transaction holding the same rows: it
    waits for the lock, is refused at the other's commit, and Odoo's request
    handler runs it again; the user gets the result, never an error."""

    def _user(self, env):
        login = f"concurrency_{time.time_ns()}"
        user = env["res.users"].create(
            {
                "name": "Concurrent accountant",
                "login": login,
                "password": login,
                "groups_id": [
                    Command.link(env.ref("account.group_account_invoice").id),
                    Command.link(
                        env.ref("crm_relationship.group_relationship_manager").id
                    ),
                ],
            }
        )
        self._keep(user)
        return login

    def _rpc(self, client, url, params):
        response = client.post(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        return json.loads(response.get_data())

    def _request_while_held(self, login, hold, call):
        """``hold(env)`` in a transaction kept open until the request ``call``
        (model, method, ids) waits for its lock; then committed."""
        client = Client(odoo.http.root)
        auth = self._rpc(
            client,
            "/web/session/authenticate",
            {"db": self.env.cr.dbname, "login": login, "password": login},
        )
        self.assertFalse(auth.get("error"), auth)
        outcome = {}

        def request():
            model, method, ids = call
            outcome["response"] = self._rpc(
                client,
                f"/web/dataset/call_kw/{model}/{method}",
                {"model": model, "method": method, "args": [ids], "kwargs": {}},
            )

        self._while_held(hold, request)
        return outcome["response"]

    def test_invoice_posted_by_a_user_while_another_holds_the_card(self):
        def setup(env):
            partner = self._customer(env, "Web member")
            program = self._program(env)
            invoices = self._invoice(env, partner, 100.0) | self._invoice(
                env, partner, 250.0
            )
            return self._user(env), program.id, partner.id, invoices.ids

        login, program_id, partner_id, invoice_ids = self._committed(setup)
        with self._retries() as logs:
            response = self._request_while_held(
                login,
                lambda env: env["account.move"].browse(invoice_ids[0]).action_post(),
                ("account.move", "action_post", [invoice_ids[1]]),
            )
        self.assertFalse(response.get("error"), response)
        self._assert_retried(logs)

        def check(env):
            card = env["loyalty.card"].search(
                [("program_id", "=", program_id), ("partner_id", "=", partner_id)]
            )
            self.assertEqual(card.points, 350.0)

        self._committed(check)

    def test_recompute_asked_while_the_cron_rescores_the_customer(self):
        def setup(env):
            partner = self._customer(env, "Web scored customer")
            self._invoice(env, partner, 100.0, post=True)
            env["crm.relationship.score"].recompute(
                company_ids=env.company.ids, partner_ids=partner.ids
            )
            self._invoice(env, partner, 250.0, post=True)
            score = env["crm.relationship.score"].search(
                [("partner_id", "=", partner.id), ("company_id", "=", env.company.id)]
            )
            return self._user(env), partner.id, score.id

        login, partner_id, score_id = self._committed(setup)
        with self._retries() as logs:
            response = self._request_while_held(
                login,
                lambda env: env["crm.relationship.score"].recompute(
                    company_ids=env.company.ids, partner_ids=[partner_id]
                ),
                ("crm.relationship.score", "action_recompute_now", [score_id]),
            )
        self.assertFalse(response.get("error"), response)
        self._assert_retried(logs)
        self._committed(
            lambda env: self.assertEqual(
                env["crm.relationship.score"].browse(score_id).monetary, 350.0
            )
        )


@tagged("post_install", "-at_install")
class TestBatchedCronsRetry(ConcurrencyCase):
    """Every batched cron runs a batch again after a serialization failure (a
    user's transaction changed a row the batch then writes), instead of ending
    the run as a failure (ir.cron does not retry: a first batch failed is tried
    again a day later). The jobs run in a second company holding a small history
    of its own (twelve customers buying three products over the past year),
    committed once for the class; each test asserts the result exact afterwards:
    nothing doubled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # archived last: class clean-ups run in reverse order
        cls.company_id = cls._committed(lambda env: cls._second_company(env).company.id)
        cls.fixture = []
        cls.addClassCleanup(cls._committed, cls._clean_fixture)
        cls.customer_ids = cls._committed(cls._build_fixture)

    @classmethod
    def _build_fixture(cls, env):
        company = env["res.company"].browse(cls.company_id)
        env = env["res.company"].with_company(company).env
        rng = random.Random(19)
        products = env["product.product"].create(
            [{"name": f"Retried product {n}"} for n in range(3)]
        )
        cls.fixture.append(("product.product", products.ids))
        customers = env["res.partner"].create(
            [{"name": f"Retried customer {i}", "is_company": True} for i in range(12)]
        )
        cls.fixture.append(("res.partner", customers.ids))
        today = company._crm_today()
        # due at once: every customer is overdue
        immediate = env.ref("account.account_payment_term_immediate").id
        vals_list = []
        for i, customer in enumerate(customers):
            for n in range(2 + i % 3):
                vals_list.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.id,
                        "invoice_payment_term_id": immediate,
                        "invoice_date": today - timedelta(days=rng.randint(20, 330)),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": products[(i + n) % 3].id,
                                    "price_unit": float(rng.randint(50, 500)),
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                )
        # a sale of the current period: the scorecard's line has a value to alert on
        vals_list.append(dict(vals_list[0], invoice_date=today))
        vals_list.sort(key=lambda vals: vals["invoice_date"])
        invoices = env["account.move"].create(vals_list)
        cls.fixture.append(("account.move", invoices.ids))
        invoices.action_post()
        env["crm.relationship.score"].recompute(company_ids=company.ids)
        return customers.ids

    @classmethod
    def _clean_fixture(cls, env):
        """What the jobs wrote in the company, then the fixture."""
        company_id = cls.company_id
        for model in (
            "crm.next.action",
            "crm.next.action.uplift",
            "crm.product.recommendation",
            "crm.recommendation.model",
            "crm.clv.fit",
        ):
            env[model].with_context(active_test=False).search(
                [("company_id", "=", company_id)]
            ).unlink()
        for model in ("crm.cohort.report", "crm.churn.report"):
            env.cr.execute(
                SQL(
                    "DELETE FROM %s WHERE company_id = %s",
                    SQL.identifier(env[model]._table),
                    company_id,
                )
            )
        _delete(env, cls.fixture)

    def _company(self, env):
        return env["res.company"].browse(self.company_id)

    def _scores(self, env):
        return env["crm.relationship.score"].search(
            [
                ("company_id", "=", self.company_id),
                ("partner_id", "in", self.customer_ids),
            ],
            order="partner_id",
        )

    # ------------------------------------------------------------
    # KPI SNAPSHOTS AND ALERTS
    # ------------------------------------------------------------
    def test_scorecard_job_through_the_cron_runner(self):
        """A manager rebuilds a scorecard's history while the daily job's first
        batch snapshots it: the job waits for the manager's lock on the
        scorecard, is refused at the commit, runs the batch again and adds
        nothing to the history the manager wrote; the alert is raised once."""

        def setup(env):
            card = env["crm.scorecard"].create(
                {
                    "name": "Retried scorecard",
                    "company_id": self.company_id,
                    "responsible_id": False,
                    # first in the job's first batch, whatever other suites left
                    "sequence": -100,
                    "line_ids": [
                        Command.create(
                            {
                                "kpi_id": env.ref("crm_analytics.kpi_revenue").id,
                                "target": 1e9,
                            }
                        )
                    ],
                }
            )
            self._keep(card)
            return card.id

        card_id = self._committed(setup)
        cron_id, run_job = self._cron_job("crm_analytics.ir_cron_scorecard_daily")
        with self._retries() as logs:
            self._while_held(
                lambda env: (
                    env["crm.scorecard"].browse(card_id)._snapshot(rebuild=True)
                ),
                run_job,
            )
        self._assert_retried(logs)

        def check(env):
            self._assert_cron_done(env, cron_id)
            card = env["crm.scorecard"].browse(card_id)
            values = card.value_ids
            self.assertEqual(len(values), 12, "one value per KPI and period")
            self.assertEqual(len(set(values.mapped("date_from"))), 12)
            for value in values:
                invoices = env["account.move"].search(
                    [
                        ("company_id", "=", self.company_id),
                        ("move_type", "in", ("out_invoice", "out_refund")),
                        ("state", "=", "posted"),
                        ("invoice_date", ">=", value.date_from),
                        ("invoice_date", "<=", value.date_to),
                    ]
                )
                self.assertAlmostEqual(
                    value.value, sum(invoices.mapped("amount_untaxed_signed"))
                )
            self.assertEqual(
                card.alert_ids.mapped("date_from"),
                [card._current_period()[0]],
                "the line far behind its target is alerted once",
            )

        self._committed(check)

    # ------------------------------------------------------------
    # LIFETIME VALUE
    # ------------------------------------------------------------
    def _fit_in_use(self, env):
        """The company's fit of today, made and written on the scores if none."""
        company = self._company(env)
        Fit = env["crm.clv.fit"]
        fit = Fit.search(
            [("company_id", "=", company.id), ("is_current", "=", True)], limit=1
        )
        if not fit or fit.calibration_date != company._crm_today():
            fit = Fit.fit_company(company)
            self.assertEqual(fit.state, "done", fit.failure_reason)
            fit._write_scores()
        return fit.id

    def _predictions(self, env):
        return [
            (s.partner_id.id, s.clv_fit_id.id, s.p_alive, s.predicted_clv)
            for s in self._scores(env)
        ]

    def test_clv_rescore_reads_before_a_score_changes(self):
        fit_id = self._committed(self._fit_in_use)
        clean = self._committed(self._predictions)
        self.assertEqual({row[1] for row in clean}, {fit_id})
        score_id = self._committed(lambda env: self._scores(env)[0].id)
        with self._retries() as logs:
            self._late_in_thread(
                lambda env: env["crm.clv.fit"]._cron_rescore(
                    companies=self._company(env)
                ),
                lambda env: (
                    env["crm.relationship.score"]
                    .browse(score_id)
                    .write({"predicted_clv": 0.0, "p_alive": 0.0})
                ),
            )
        self._assert_retried(logs)
        self._committed(
            lambda env: self.assertEqual(
                self._predictions(env), clean, "every customer's, from the fit"
            )
        )

    def test_clv_refit_waits_for_a_score_being_written(self):
        """The monthly refit writes its predictions on a score row another
        transaction holds: refused at that commit, the company's batch runs again
        (its advisory lock taken again on the fresh snapshot) and makes one fit."""

        def setup(env):
            env["crm.clv.fit"].search([("company_id", "=", self.company_id)]).unlink()
            return self._scores(env)[0].id

        score_id = self._committed(setup)

        def refit():
            with self.registry.cursor() as cr:
                env = self._env(cr)
                env["crm.clv.fit"]._cron_refit(companies=self._company(env))

        with self._retries() as logs:
            self._while_held(
                lambda env: (
                    env["crm.relationship.score"]
                    .browse(score_id)
                    .write({"predicted_clv": 0.0})
                ),
                refit,
            )
        self._assert_retried(logs)

        def check(env):
            fits = env["crm.clv.fit"].search([("company_id", "=", self.company_id)])
            self.assertEqual(len(fits), 1, "one fit")
            self.assertEqual(fits.state, "done")
            scores = self._scores(env)
            self.assertEqual(scores.clv_fit_id, fits)
            self.assertTrue(all(score.predicted_clv > 0 for score in scores))

        self._committed(check)

    # ------------------------------------------------------------
    # STORED REPORTS, RECOMMENDATIONS
    # ------------------------------------------------------------
    def _report_rows(self, env, query=False):
        Report = env["crm.cohort.report"]
        columns = SQL(", ").join(map(SQL.identifier, Report._stored_report_columns()))
        source = (
            SQL("(%s) AS report", Report._stored_report_query(self._company(env)))
            if query
            else SQL(
                "%s WHERE company_id = %s",
                SQL.identifier(Report._table),
                self.company_id,
            )
        )
        env.cr.execute(SQL("SELECT %s FROM %s ORDER BY %s", columns, source, columns))
        return env.cr.fetchall()

    def test_stored_report_job_and_a_manager_refresh(self):
        """A manager's refresh commits after the job started, before its first
        batch, whether the company had rows or none: the job replaces them, it
        does not add its own beside them. The job takes the table's lock in a
        fresh transaction, before its snapshot: it sees the manager's rows, so no
        conflict arises (in a company without rows, none would have told it: its
        old snapshot doubled every row)."""

        def refresh(env, commit=False):
            env["crm.cohort.report"]._refresh(self._company(env), commit=commit)

        def empty(env):
            env.cr.execute(
                SQL(
                    "DELETE FROM %s WHERE company_id = %s",
                    SQL.identifier(env["crm.cohort.report"]._table),
                    self.company_id,
                )
            )

        def check(env):
            rows = self._report_rows(env)
            self.assertTrue(rows)
            self.assertEqual(rows, self._report_rows(env, query=True), "once each")

        for before in (empty, refresh):
            with self.subTest(before=before.__name__):
                self._committed(before)
                self._late_in_thread(lambda env: refresh(env, commit=True), refresh)
                self._committed(check)

    def _recommendations(self, env):
        env.cr.execute(
            SQL(
                """
                SELECT partner_id, rank, product_id, because_product_id
                  FROM crm_product_recommendation WHERE company_id = %s
                 ORDER BY partner_id, rank
                """,
                self.company_id,
            )
        )
        return env.cr.fetchall()

    def test_recommendations_read_before_a_manager_refreshes(self):
        def refresh(env):
            env["crm.recommendation.model"].refresh(company_ids=[self.company_id])

        self._committed(refresh)
        before = self._committed(self._recommendations)
        self.assertTrue(before)
        with self._retries() as logs:
            self._late_in_thread(
                lambda env: env["crm.recommendation.model"]._cron_refresh(
                    companies=self._company(env)
                ),
                refresh,
            )
        self._assert_retried(logs)

        def check(env):
            self.assertEqual(self._recommendations(env), before, "nothing doubled")
            models = env["crm.recommendation.model"].search(
                [("company_id", "=", self.company_id)]
            )
            self.assertEqual(len(models), 1)

        self._committed(check)

    # ------------------------------------------------------------
    # NEXT BEST ACTIONS
    # ------------------------------------------------------------
    def test_next_actions_job_expires_an_action_a_user_assigns(self):
        """The job's first step expires an action a user assigns meanwhile:
        refused, run again, it expires the action once (the assignment kept) and
        proposes once to each customer the rule finds."""

        def setup(env):
            company = self._company(env)
            today = company._crm_today()
            partner = self._customer(env, "Customer of an old proposal")
            rule = self._keep(
                env["crm.next.action.rule"].create(
                    {
                        "name": "Retried overdue",
                        "company_id": company.id,
                        "kind": "overdue_payment",
                        # the job's first step, whatever rules other suites left
                        "sequence": -100,
                        "threshold": 0.0,
                    }
                )
            )
            action = env["crm.next.action"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "rule_id": rule.id,
                    "kind": rule.kind,
                    "date_proposed": today - timedelta(days=20),
                    "date_expiry": today - timedelta(days=2),
                }
            )
            return rule.id, action.id

        rule_id, action_id = self._committed(setup)
        with self._retries() as logs:
            self._late_in_thread(
                lambda env: env["crm.next.action"]._cron_generate(self._company(env)),
                lambda env: (
                    env["crm.next.action"]
                    .browse(action_id)
                    .write({"user_id": env.ref("base.user_admin").id})
                ),
            )
        self._assert_retried(logs)

        def check(env):
            action = env["crm.next.action"].browse(action_id)
            self.assertEqual((action.state, action.expiry_reason), ("expired", "time"))
            self.assertEqual(action.user_id, env.ref("base.user_admin"))
            proposals = env["crm.next.action"].search(
                [("rule_id", "=", rule_id), ("id", "!=", action_id)]
            )
            self.assertEqual(
                sorted(proposals.partner_id.ids),
                sorted(self.customer_ids),
                "each overdue customer once",
            )

        self._committed(check)

    # ------------------------------------------------------------
    # NPS
    # ------------------------------------------------------------
    def test_nps_round_reads_before_the_profile_changes(self):
        """The round's invitations are queued in its transaction: run again after
        the conflict, it asks each customer once and queues one e-mail each."""

        def setup(env):
            company = self._company(env)
            partners = self._customer(env, "Asked customer") | self._customer(
                env, "Other asked customer"
            )
            for number, partner in enumerate(partners):
                partner.email = f"asked{number}@retry.example"
                env["crm.relationship.score"].create(
                    {"partner_id": partner.id, "company_id": company.id, "tier": "A"}
                )
            profile = env["crm.relationship.scoring.profile"]._get_for_company(company)
            kept = profile.read(
                [
                    "nps_interval_days",
                    "nps_tiers",
                    "nps_sample_percent",
                    "nps_quiet_days",
                    "nps_last_date",
                ]
            )[0]
            kept.pop("id")
            profile.write(
                {
                    "nps_interval_days": 90,
                    "nps_tiers": "A",
                    "nps_sample_percent": 100.0,
                    "nps_quiet_days": 60,
                    "nps_last_date": False,
                }
            )
            return profile.id, kept, partners.ids

        profile_id, kept, partner_ids = self._committed(setup)

        def restore(env):
            answers = env["survey.user_input"].search(
                [("crm_partner_id", "in", partner_ids)]
            )
            env["mail.mail"].search(
                [("model", "=", "survey.user_input"), ("res_id", "in", answers.ids)]
            ).unlink()
            answers.unlink()
            env["crm.relationship.scoring.profile"].browse(profile_id).write(kept)

        self.addCleanup(self._committed, restore)
        with self._retries() as logs:
            self._late_in_thread(
                lambda env: env["crm.relationship.scoring.profile"]._cron_send_nps(
                    companies=self._company(env)
                ),
                lambda env: (
                    env["crm.relationship.scoring.profile"]
                    .browse(profile_id)
                    .write({"nps_quiet_days": 61})
                ),
            )
        self._assert_retried(logs)

        def check(env):
            profile = env["crm.relationship.scoring.profile"].browse(profile_id)
            self.assertEqual(profile.nps_last_date, self._company(env)._crm_today())
            self.assertEqual(profile.nps_quiet_days, 61, "the manager's change kept")
            answers = env["survey.user_input"].search(
                [("crm_partner_id", "in", partner_ids)], order="crm_partner_id"
            )
            self.assertEqual(answers.crm_partner_id.ids, partner_ids)
            self.assertEqual(len(answers), 2, "one invitation each")
            mails = env["mail.mail"].search(
                [("model", "=", "survey.user_input"), ("res_id", "in", answers.ids)]
            )
            self.assertEqual(sorted(mails.mapped("res_id")), sorted(answers.ids))
            self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "queued")

        self._committed(check)
