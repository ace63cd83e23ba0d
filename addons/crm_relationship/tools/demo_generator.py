"""A believable B2B company, made deterministically for demos, tests and benchmarks.

Two phases. ``plan()`` is pure Python: it draws every customer, order, delivery,
invoice, payment, return, credit note, opportunity and loyalty card from
``random.Random(seed)``, dated relative to ``date_ref``, so that one seed and one date
always give the same company and tests can read the plan without the database.
``generate()`` then writes the plan in batches through Odoo's own flows (order
confirmation, picking validation, return wizard, invoice posting, reconciliation), so
that the records are as consistent as those a user makes.

Scaling note for the benchmark at 100k customers (over 500k orders): this ORM path
costs about 0.15 s per order on two cores. At that size these steps need an SQL path
(bulk INSERT of finished documents): order confirmation (procurement, reservation and
one loyalty evaluation per order), delivery validation (moves, move lines, quants),
invoice and credit note creation and posting (taxes, sequence numbers), payments and
their reconciliation (partials, payment state). The benchmarks' SQL path
(``tests/benchmarks/bulk_generator.py``, outside the addon) writes directly
what scoring reads (invoices, payments and their reconciliation, deliveries, returns).
Partners, products, opportunities and loyalty cards can stay on batched ``create()``;
the date fixes are SQL already.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tools import SQL, float_round

from . import demo_texts_zh
from .demo_actions import ActionsDemoMixin
from .demo_collaboration import CollaborationDemoMixin
from .demo_service import ServiceDemoMixin
from .demo_voice import VoiceDemoMixin

# Reference, name, list price, cost, usual quantity on an order line (min, max).
GOODS = [
    ("IS-1001", "Hydraulic Pump HP-200", 1250.0, 780.0, (1, 4)),
    ("IS-1002", "Pressure Valve PV-50", 185.0, 96.0, (2, 12)),
    ("IS-1003", "Conveyor Belt Module 2 m", 940.0, 610.0, (1, 6)),
    ("IS-1004", "Industrial Bearing Set", 64.0, 31.0, (5, 40)),
    ("IS-1005", "Control Panel CP-8", 2890.0, 1900.0, (1, 2)),
    ("IS-1006", "Safety Sensor Kit", 420.0, 240.0, (1, 8)),
    ("IS-1007", "Stainless Fastener Box (500 pcs)", 38.0, 17.5, (5, 60)),
    ("IS-1008", "Electric Motor 5.5 kW", 1640.0, 1090.0, (1, 3)),
    ("IS-1009", "Air Filter Cartridge", 29.0, 12.0, (10, 80)),
    ("IS-1010", "Lubricant Drum 20 L", 145.0, 82.0, (2, 15)),
    ("IS-1011", "Cable Tray 3 m", 52.0, 27.0, (10, 50)),
    ("IS-1012", "Gearbox GB-40", 2150.0, 1400.0, (1, 2)),
]
SERVICES = [
    ("SV-2001", "Installation and Commissioning (day)", 950.0, 520.0, (1, 3)),
    ("SV-2002", "Annual Maintenance Contract", 3600.0, 1800.0, (1, 1)),
]
CATALOGUE = GOODS + SERVICES
GOODS_CODES = {code for code, *_rest in GOODS}
SERVICE_INDEXES = range(len(GOODS), len(CATALOGUE))

# fmt: off
NAME_PREFIXES = [
    "Northwind", "Bluewater", "Ironbridge", "Summit", "Redwood", "Harbor", "Silverline",
    "Oakridge", "Granite", "Pioneer", "Crescent", "Evergreen", "Falcon", "Keystone",
    "Lakeside", "Meridian", "Horizon", "Atlas", "Beacon", "Cedar", "Copperfield",
    "Driftwood", "Eastgate", "Foxhill", "Goldcrest", "Highland", "Juniper", "Kingsway",
    "Maple Leaf", "Westbrook",
]
NAME_SECTORS = [
    "Manufacturing", "Logistics", "Engineering", "Industrial Supply", "Foods",
    "Packaging", "Automotive", "Construction", "Machine Works", "Plastics",
    "Metalworks", "Energy Systems", "Facility Services", "Agritech", "Printing",
]
NAME_FORMS = ["Inc.", "LLC", "Corp.", "Co.", "Group"]
FIRST_NAMES = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
    "Amelia", "Mason", "Harper", "Logan", "Evelyn", "Daniel", "Abigail", "Henry",
    "Ella", "Jack",
]
LAST_NAMES = [
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Lee", "Walker", "Hall", "Young", "King",
    "Wright", "Scott", "Green",
]
# fmt: on
JOB_TITLES = ["Purchasing Manager", "Buyer", "Plant Manager", "Operations Director"]
# City, state code, zip. Customers are in the company's country, the US by default.
CITIES = [
    ("Chicago", "IL", "60601"),
    ("Houston", "TX", "77002"),
    ("Phoenix", "AZ", "85004"),
    ("Columbus", "OH", "43215"),
    ("Indianapolis", "IN", "46204"),
    ("Charlotte", "NC", "28202"),
    ("Denver", "CO", "80202"),
    ("Nashville", "TN", "37203"),
    ("Detroit", "MI", "48226"),
    ("Milwaukee", "WI", "53202"),
    ("Kansas City", "MO", "64105"),
    ("Atlanta", "GA", "30303"),
    ("Minneapolis", "MN", "55401"),
    ("Pittsburgh", "PA", "15222"),
    ("Portland", "OR", "97204"),
    ("Louisville", "KY", "40202"),
]
STREETS = ["Industrial Pkwy", "Commerce Dr", "Main St", "Enterprise Ave", "Mill Rd"]
SALESPEOPLE = ["Rachel Porter", "David Kim", "Laura Bennett"]
OPPORTUNITY_TOPICS = [
    "Line retrofit",
    "Spare parts framework",
    "Maintenance contract",
    "New plant equipment",
    "Conveyor extension",
    "Safety upgrade",
    "Annual supply agreement",
]
FORMATS = {
    "company": "{prefix} {sector} {form}",
    "company_in_city": "{prefix} {sector} of {city} {form}",
    "person": "{first} {last}",
    "street": "{number} {street}",
    "phone": "+1 555 {digits}",
    "opportunity": "{topic} - {customer}",
}
# What a demo in another language replaces (demo_texts_zh: same lengths, same draws).
WORD_LISTS = (
    "NAME_PREFIXES", "NAME_SECTORS", "NAME_FORMS", "FIRST_NAMES", "LAST_NAMES",
    "JOB_TITLES", "CITIES", "STREETS", "SALESPEOPLE", "OPPORTUNITY_TOPICS", "FORMATS",
)  # fmt: skip


def demo_words(lang):
    """The name lists and formats of a demo in ``lang``: Chinese for zh_CN."""
    source = vars(demo_texts_zh) if lang == "zh_CN" else globals()
    return SimpleNamespace(**{key: source[key] for key in WORD_LISTS})


class Profile(NamedTuple):
    share: float  # of all customers
    interval: tuple | None  # days between two orders (min, max); None: never orders
    lines: tuple  # goods lines per order (min, max)
    quantity: float  # factor on the catalogue's usual quantities
    discount: float  # percent, on every line
    loyalty: float  # chance to hold a loyalty card
    opportunity: float  # chance to have an opportunity


# Few key accounts buy often and much, many occasional ones little: about 70% of the
# revenue comes from the top 20% of customers (Pareto-like). Over the two years some
# customers stop buying (lapsed: they churn, one after the other), some stop and come
# back after a win-back campaign (returning), and regular ones buy more or less as
# time goes by, so that monthly scoring shows churn, win-back and tier changes.
PROFILES = {
    "key": Profile(0.10, (32, 50), (2, 4), 2.0, 7.5, 0.8, 0.4),
    "regular": Profile(0.27, (110, 170), (1, 3), 1.0, 0.0, 0.55, 0.4),
    "occasional": Profile(0.25, (180, 300), (1, 2), 0.6, 0.0, 0.3, 0.4),
    "lapsed": Profile(0.15, (30, 60), (1, 3), 1.0, 0.0, 0.25, 0.6),
    "returning": Profile(0.08, (30, 60), (1, 3), 1.0, 0.0, 0.4, 1.0),
    "new": Profile(0.10, (15, 30), (1, 3), 0.8, 0.0, 0.3, 1.0),
    "prospect": Profile(0.05, None, (0, 0), 0.0, 0.0, 0.0, 1.0),
}
# Regular customers whose rhythm changes over the period: the interval between their
# orders is multiplied by up to this factor by the end (faster, or slower), which
# moves them up or down the tiers month after month.
RHYTHM_DRIFT = (0.45, 2.2)
# Payment habit: share of customers, then chances of paying on time, late, partly;
# the rest stays unpaid.
PAYMENT_HABITS = {
    "prompt": (0.35, (0.86, 0.06, 0.03)),
    "average": (0.45, (0.68, 0.18, 0.05)),
    "slow": (0.20, (0.40, 0.36, 0.08)),
}
PAYMENT_TERMS = {
    15: "account.account_payment_term_15days",
    30: "account.account_payment_term_30days",
    45: "account.account_payment_term_45days",
}
RETURN_RATE = 0.05
FULL_CREDIT_NOTE_RATE = 0.012
POINTS_PER_CURRENCY_UNIT = 0.1  # one loyalty point per ten currency units spent
LOYALTY_PROGRAM = "Partner Rewards"
PARTNER_TAG = "Relationship demo"

# Bulk writing: no chatter tracking, followers, or loyalty and sale mails.
BULK_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
    "loyalty_no_mail": True,
    "skip_sms": True,
}
# What generate() counts, as named in self.records.
COUNTED_RECORDS = [
    "customers", "contacts", "salespeople", "products", "orders", "invoices", "refunds",
    "payments", "deliveries", "returns", "opportunities", "loyalty_cards",
    "account_team", "notes", "handoffs", "complaints",
]  # fmt: skip
ANALYZED_TABLES = [
    "res_partner",
    "sale_order",
    "sale_order_line",
    "stock_picking",
    "stock_move",
    "stock_move_line",
    "stock_quant",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "account_payment",
]


@dataclass
class OrderPlan:
    key: str
    date_order: datetime
    promised: datetime  # commitment_date, then the deliveries' date_deadline
    on_contact: bool  # ordered by the contact person rather than the company
    lines: list  # [(catalogue index, quantity, discount %)]
    late_delivery: bool = False
    delivered: datetime | None = None  # None: still open at date_ref
    invoice_date: date | None = None  # None: not invoiced yet
    due_date: date | None = None
    payment: str = "none"  # on_time, late, partial, unpaid, none (nothing to pay)
    payment_date: date | None = None
    payment_ratio: float = 1.0
    return_line: int | None = None  # index in lines
    return_qty: float = 0.0
    return_date: datetime | None = None
    credit_note: str | None = None  # "return" (goods sent back) or "full"
    credit_note_date: date | None = None
    opportunity_key: str | None = None

    @property
    def fully_credited(self):
        """Nothing is left to pay: commercial credit, or all goods sent back."""
        if self.credit_note == "return":
            return len(self.lines) == 1 and self.return_qty == self.lines[0][1]
        return self.credit_note == "full"

    @property
    def amount_untaxed(self):
        # As Odoo computes it: discounted unit price times quantity, rounded per line.
        return sum(
            float_round(CATALOGUE[p][2] * (1 - disc / 100.0) * qty, precision_digits=2)
            for p, qty, disc in self.lines
        )


@dataclass
class OpportunityPlan:
    key: str
    name: str
    created: datetime
    outcome: str  # won, lost, open
    stage_index: int  # open ones: 0 New, 1 Qualified, 2 Proposition
    expected_revenue: float
    probability: float
    closed: datetime | None = None
    deadline: date | None = None
    lost_reason_index: int = 0
    winback: bool = False  # a win-back campaign of a customer who had stopped


@dataclass
class CustomerPlan:
    key: str  # also the partner's ref: D<seed>-<number>
    name: str
    profile: str
    city: tuple
    street: str
    contact_name: str
    contact_function: str
    salesperson: int
    payment_term: int
    payment_habit: str
    late_delivery_rate: float
    since: datetime
    orders: list = field(default_factory=list)
    opportunity: OpportunityPlan | None = None
    loyalty_points: float | None = None  # None: no loyalty card
    returned: date | None = None  # returning customers: the day they bought again


@dataclass
class DemoPlan:
    seed: int
    date_ref: date
    months: int
    customers: list

    @property
    def orders(self):
        return [order for customer in self.customers for order in customer.orders]

    def goods_quantities(self):
        """Quantity of each good the plan delivers, to have it in stock."""
        quantities = defaultdict(float)
        for order in self.orders:
            for product, qty, _discount in order.lines:
                quantities[product] += qty
        return quantities


class DemoDataGenerator(
    CollaborationDemoMixin, VoiceDemoMixin, ServiceDemoMixin, ActionsDemoMixin
):
    """Plan (pure Python, deterministic), then write (ORM, batched) a B2B company."""

    def __init__(self, env, seed=42, date_ref=None, lang=None):
        self.env = env(context=dict(env.context, **BULK_CONTEXT))
        self.seed = seed
        self.date_ref = date_ref or fields.Date.context_today(env["res.partner"])
        self.company = self.env.company
        # names and texts in the company's language (ODOO_DEMO_LANG sets it)
        self.lang = lang or self.company.partner_id.lang or "en_US"
        self.words = demo_words(self.lang)
        self.records = {}

    # ------------------------------------------------------------
    # PLANNING: NO DATABASE ACCESS
    # ------------------------------------------------------------

    def plan(self, customers=200, months=24):
        """Draw the company from one random stream: it depends on seed and date only."""
        rng = random.Random(self.seed)
        profiles = self._plan_profiles(rng, customers)
        names = self._plan_names(rng, customers)
        plan = DemoPlan(self.seed, self.date_ref, months, customers=[])
        for index, (profile, name) in enumerate(zip(profiles, names, strict=True)):
            customer = self._plan_customer(rng, index, profile, name, months)
            self._plan_orders(rng, customer, months)
            self._plan_opportunity(rng, customer)
            self._plan_loyalty(rng, customer)
            plan.customers.append(customer)
        self._plan_guaranteed_events(rng, plan)
        return plan

    def _plan_profiles(self, rng, count):
        """Largest-remainder split, with one customer of each profile at least.

        So that a small demo (the tests use 15 customers) shows every kind of customer.
        """
        shares = {name: profile.share * count for name, profile in PROFILES.items()}
        counts = {name: int(share) for name, share in shares.items()}
        if count >= len(PROFILES):
            counts = {name: max(number, 1) for name, number in counts.items()}
        by_remainder = sorted(shares, key=lambda n: int(shares[n]) - shares[n])
        while sum(counts.values()) < count:
            for name in by_remainder[: count - sum(counts.values())]:
                counts[name] += 1
        while sum(counts.values()) > count:
            counts[max(counts, key=counts.get)] -= 1
        profiles = [name for name, number in counts.items() for _i in range(number)]
        rng.shuffle(profiles)
        return profiles

    def _plan_names(self, rng, count):
        """Each prefix and sector once, then with a city to tell the names apart."""
        words = self.words
        pairs = [
            (prefix, sector)
            for prefix in words.NAME_PREFIXES
            for sector in words.NAME_SECTORS
        ]
        rng.shuffle(pairs)
        names, seen = [], set()
        for index in range(count):
            prefix, sector = pairs[index % len(pairs)]
            form = rng.choice(words.NAME_FORMS)
            parts = {"prefix": prefix, "sector": sector, "form": form}
            name = words.FORMATS["company"].format(**parts)
            if index >= len(pairs):
                city = rng.choice(words.CITIES)[0]
                name = words.FORMATS["company_in_city"].format(city=city, **parts)
            if name in seen:
                name = f"{name} ({index + 1})"
            seen.add(name)
            names.append(name)
        return names

    def _plan_customer(self, rng, index, profile, name, months):
        habits = list(PAYMENT_HABITS)
        habit = rng.choices(habits, [PAYMENT_HABITS[h][0] for h in habits])[0]
        if profile == "key" and rng.random() < 0.6:
            habit = "prompt"
        known_since = self._window_start(months) - timedelta(days=rng.randint(0, 700))
        words = self.words
        return CustomerPlan(
            key=f"D{self.seed}-{index + 1:05d}",
            name=name,
            profile=profile,
            city=rng.choice(words.CITIES),
            street=words.FORMATS["street"].format(
                number=rng.randint(10, 9800), street=rng.choice(words.STREETS)
            ),
            contact_name=words.FORMATS["person"].format(
                first=rng.choice(words.FIRST_NAMES), last=rng.choice(words.LAST_NAMES)
            ),
            contact_function=rng.choice(words.JOB_TITLES),
            salesperson=index % 3 if profile == "key" else rng.randrange(3),
            payment_term=45 if profile == "key" else rng.choice([15, 30, 30, 30, 45]),
            payment_habit=habit,
            late_delivery_rate=min(max(rng.gauss(0.15, 0.07), 0.02), 0.4),
            since=datetime.combine(known_since, time(9)),
        )

    def _window_start(self, months):
        return self.date_ref - relativedelta(months=months)

    def _plan_orders(self, rng, customer, months):
        """Orders follow the customer's own rhythm within the profile's active period.

        Lapsed customers stop 6 to 20 months before date_ref, spread over the
        period, so that one after the other becomes lost; returning ones stop long
        enough to be lost, then buy again within the last five months; new ones
        start within the last two months; some others were won during the period;
        a third of the regular ones speed up or slow down.
        """
        profile = PROFILES[customer.profile]
        if not profile.interval:
            return
        start, end = self._window_start(months), self.date_ref - timedelta(days=1)
        interval = rng.uniform(*profile.interval)
        drift = 1.0
        pause = None
        if customer.profile == "lapsed":
            end = self.date_ref - relativedelta(months=rng.randint(6, 20))
            end = max(end, start + timedelta(days=90))  # short history: a few orders
        elif customer.profile == "returning":
            back = self.date_ref - timedelta(days=rng.randint(20, 150))
            # silent for longer than the churn rule's four usual intervals, however
            # the jitter of the orders (up to 1.4 times the interval) made them look
            gone = back - timedelta(days=round(5.6 * interval) + rng.randint(30, 90))
            pause = (max(gone, start + timedelta(days=60)), back)
        elif customer.profile == "new":
            start = self.date_ref - timedelta(days=rng.randint(10, 60))
            customer.since = datetime.combine(start, time(9))
        elif rng.random() < 0.3:
            # won during the period: one after the other, up to two months ago
            start += timedelta(days=rng.randint(0, (end - start).days - 60))
            customer.since = datetime.combine(start, time(9))
        elif customer.profile == "regular" and rng.random() < 0.35:
            drift = rng.choice(RHYTHM_DRIFT)
        favourites = rng.sample(range(len(GOODS)), rng.randint(3, 6))
        day = start + timedelta(days=rng.uniform(0, min(interval, 20)))
        span = max((end - start).days, 1)
        while day <= end:
            if pause and pause[0] < day < pause[1]:
                day = pause[1]
                customer.returned = day
            self._plan_order(rng, customer, day, favourites)
            # the rhythm drifts linearly from the usual interval to drift times it
            factor = 1 + (drift - 1) * (day - start).days / span
            day += timedelta(days=interval * factor * rng.uniform(0.6, 1.4))
        if not customer.orders:
            self._plan_order(rng, customer, end, favourites)

    def _plan_order(self, rng, customer, day, favourites):
        profile = PROFILES[customer.profile]
        count = min(rng.randint(*profile.lines), len(favourites))
        lines = []
        for product in rng.sample(favourites, count):
            low, high = CATALOGUE[product][4]
            qty = max(1, round(rng.uniform(low, high) * profile.quantity))
            lines.append((product, float(qty), profile.discount))
        if rng.random() < 0.08:
            service = rng.choice(SERVICE_INDEXES)
            lines.append((service, float(rng.randint(*CATALOGUE[service][4])), 0.0))
        hour = time(rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
        date_order = datetime.combine(day, hour)
        order = OrderPlan(
            key=f"{customer.key}-{len(customer.orders) + 1:03d}",
            date_order=date_order,
            promised=date_order + timedelta(days=rng.randint(3, 10)),
            on_contact=rng.random() < 0.35,
            lines=lines,
        )
        customer.orders.append(order)
        self._plan_fulfilment(rng, customer, order)

    def _plan_fulfilment(self, rng, customer, order, force=None):
        """Delivery, invoice, return, credit note and payment, all before date_ref.

        ``force`` names an event the order must show (see _plan_guaranteed_events).
        """
        order.late_delivery = (
            force == "late_delivery" or rng.random() < customer.late_delivery_rate
        )
        if order.late_delivery:
            delay = timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 6))
            delivered = order.promised + delay
        else:
            lead = (order.promised - order.date_order).days
            delivered = order.date_order + timedelta(days=rng.randint(1, lead))
        order.delivered = delivered if delivered.date() < self.date_ref else None
        order.invoice_date = order.due_date = order.payment_date = None
        order.return_line = order.return_date = None
        order.credit_note = order.credit_note_date = None
        order.return_qty, order.payment, order.payment_ratio = 0.0, "none", 1.0
        if not order.delivered:
            return
        invoice_date = order.delivered.date() + timedelta(days=rng.randint(0, 2))
        if invoice_date >= self.date_ref:
            return
        order.invoice_date = invoice_date
        order.due_date = invoice_date + timedelta(days=customer.payment_term)
        self._plan_credit_note(rng, order, force)
        if not order.fully_credited:
            self._plan_payment(rng, customer, order, force)

    def _plan_credit_note(self, rng, order, force):
        draw = rng.random()
        if force == "return" or (force is None and draw < RETURN_RATE):
            goods = [i for i, line in enumerate(order.lines) if line[0] < len(GOODS)]
            order.return_line = rng.choice(goods)
            qty = order.lines[order.return_line][1]
            partly = qty > 1 and rng.random() < 0.6
            order.return_qty = float(math.ceil(qty / 3)) if partly else qty
            order.return_date = order.delivered + timedelta(days=rng.randint(2, 20))
            if order.return_date.date() >= self.date_ref:
                order.return_line, order.return_qty, order.return_date = None, 0.0, None
                return
            credit_date = order.return_date.date() + timedelta(days=rng.randint(0, 3))
            if credit_date < self.date_ref:
                order.credit_note, order.credit_note_date = "return", credit_date
        elif force == "full_credit_note" or (
            force is None and draw < RETURN_RATE + FULL_CREDIT_NOTE_RATE
        ):
            credit_date = order.invoice_date + timedelta(days=rng.randint(3, 25))
            if credit_date < self.date_ref:
                order.credit_note, order.credit_note_date = "full", credit_date

    def _plan_payment(self, rng, customer, order, force):
        on_time, late, partial = PAYMENT_HABITS[customer.payment_habit][1]
        forced = {"late_payment": "late", "partial_payment": "partial"}
        draw = rng.random()
        if force in forced:
            kind = forced[force]
        elif force == "overdue":
            kind = "unpaid"
        elif draw < on_time:
            kind = "on_time"
        elif draw < on_time + late:
            kind = "late"
        elif draw < on_time + late + partial:
            kind = "partial"
        else:
            kind = "unpaid"
        # Customers wait for the credit note of a return before paying the rest.
        earliest = order.invoice_date + timedelta(days=3)
        earliest = min(
            max(earliest, order.credit_note_date or earliest), order.due_date
        )
        pay_date = None
        if kind in ("on_time", "partial"):
            days = rng.randint(0, (order.due_date - earliest).days)
            pay_date = earliest + timedelta(days=days)
        elif kind == "late":
            pay_date = order.due_date + timedelta(days=rng.randint(3, 75))
        order.payment_ratio = (
            round(rng.uniform(0.3, 0.7), 2) if kind == "partial" else 1
        )
        if pay_date and pay_date >= self.date_ref:
            kind, pay_date = "unpaid", None  # not paid yet at date_ref
        order.payment, order.payment_date = kind, pay_date

    def _plan_opportunity(self, rng, customer):
        """Prospects have an opportunity only; new customers came through a won one;
        returning customers through a won win-back campaign, lapsed ones had one
        that failed (or still runs)."""
        if rng.random() >= PROFILES[customer.profile].opportunity:
            return
        if customer.profile in ("lapsed", "returning"):
            self._plan_winback(rng, customer)
            return
        ref = datetime.combine(self.date_ref, time(10))
        orders = customer.orders
        typical = (
            sum(o.amount_untaxed for o in orders) / len(orders) if orders else 5000
        )
        if customer.profile == "new" or (orders and rng.random() < 0.4):
            outcome = "won"
        elif customer.profile == "prospect":
            outcome = "open" if rng.random() < 0.7 else "lost"
        else:
            outcome = "lost" if rng.random() < 0.5 else "open"
        opportunity = OpportunityPlan(
            key=f"{customer.key}-OPP",
            name=self.words.FORMATS["opportunity"].format(
                topic=rng.choice(self.words.OPPORTUNITY_TOPICS), customer=customer.name
            ),
            created=ref - timedelta(days=rng.randint(5, 120)),
            outcome=outcome,
            stage_index=rng.randrange(3),
            expected_revenue=round(typical * rng.uniform(1, 3), -2) or 1000.0,
            probability=0.0,
            lost_reason_index=rng.randrange(3),
        )
        if outcome == "won":
            won = orders[0] if customer.profile == "new" else rng.choice(orders)
            won.opportunity_key = opportunity.key
            opportunity.created = won.date_order - timedelta(days=rng.randint(10, 60))
            opportunity.closed = won.date_order
            opportunity.expected_revenue = won.amount_untaxed
            opportunity.probability = 100.0
        elif outcome == "lost":
            opportunity.created = ref - timedelta(days=rng.randint(60, 400))
            opportunity.closed = opportunity.created + timedelta(rng.randint(10, 50))
        else:
            opportunity.probability = (10.0, 30.0, 60.0)[opportunity.stage_index]
            opportunity.deadline = self.date_ref + timedelta(days=rng.randint(10, 90))
        customer.opportunity = opportunity

    def _plan_winback(self, rng, customer):
        """A win-back campaign some months after the last purchase before the pause:
        won by the first order after it, else lost after a month or two."""
        ref = datetime.combine(self.date_ref, time(10))
        returning = customer.returned and [
            o for o in customer.orders if o.date_order.date() >= customer.returned
        ]
        opportunity = OpportunityPlan(
            key=f"{customer.key}-OPP",
            name=f"Win back {customer.name}",
            created=ref,
            outcome="open",
            stage_index=rng.randrange(2),
            expected_revenue=0.0,
            probability=0.0,
            lost_reason_index=rng.randrange(3),
            winback=True,
        )
        if returning:
            won = returning[0]
            won.opportunity_key = opportunity.key
            opportunity.outcome, opportunity.probability = "won", 100.0
            opportunity.created = won.date_order - timedelta(days=rng.randint(15, 45))
            opportunity.closed = won.date_order
            opportunity.expected_revenue = won.amount_untaxed
        else:
            last = max(o.date_order for o in customer.orders)
            typical = sum(o.amount_untaxed for o in customer.orders)
            opportunity.expected_revenue = round(typical / len(customer.orders), -2)
            opportunity.created = last + timedelta(days=rng.randint(120, 200))
            closed = opportunity.created + timedelta(days=rng.randint(30, 60))
            if closed < ref:
                opportunity.outcome, opportunity.closed = "lost", closed
            elif opportunity.created < ref:
                opportunity.probability = 10.0
            else:
                return  # not yet noticed: the demo's own win-back run opens it
        customer.opportunity = opportunity

    def _plan_loyalty(self, rng, customer):
        """Members earned a point per ten currency units and spent some of them."""
        if not customer.orders or rng.random() >= PROFILES[customer.profile].loyalty:
            return
        spent = sum(o.amount_untaxed for o in customer.orders if o.invoice_date)
        points = spent * POINTS_PER_CURRENCY_UNIT * rng.uniform(0.6, 1.0)
        customer.loyalty_points = float(round(points))

    def _plan_guaranteed_events(self, rng, plan):
        """Make each rare event happen at least once, even in a tiny demo."""
        events = {
            "late_delivery": lambda o: o.late_delivery and o.delivered,
            "return": lambda o: o.return_date,
            "full_credit_note": lambda o: o.credit_note == "full",
            "late_payment": lambda o: o.payment == "late",
            "partial_payment": lambda o: o.payment == "partial",
            "overdue": lambda o: o.payment == "unpaid" and o.due_date < self.date_ref,
        }
        old_enough = self.date_ref - timedelta(days=100)
        customer_of = {o.key: c for c in plan.customers for o in c.orders}
        taken = set()
        for event, present in events.items():
            orders = plan.orders
            if any(present(order) for order in orders):
                continue
            candidates = [
                o
                for o in orders
                if o.key not in taken
                and o.date_order.date() < old_enough
                and o.invoice_date
                and not (o.return_date or o.credit_note or o.opportunity_key)
            ]
            if candidates:
                order = rng.choice(candidates)
                taken.add(order.key)
                self._plan_fulfilment(rng, customer_of[order.key], order, force=event)

    # ------------------------------------------------------------
    # WRITING: ORM, IN BATCHES
    # ------------------------------------------------------------

    def generate(self, customers=200, months=24):
        """Write the plan in the current company; return the number of records made."""
        plan = self.plan(customers=customers, months=months)
        self.records = {"plan": plan}
        self._create_salespeople()
        self._create_products()
        self._create_stock(plan)
        self._create_customers(plan)
        self._create_opportunities(plan)
        self._create_orders(plan)
        self._deliver_orders(plan)
        self._analyze()
        self._create_invoices(plan)
        self._return_deliveries(plan)
        self._create_credit_notes(plan)
        self._analyze()
        self._register_payments(plan)
        self._close_opportunities(plan)
        self._create_loyalty_cards(plan)
        self._create_collaboration(plan)
        self._backdate_creation(plan)
        self.env.flush_all()
        counts = {key: len(self.records[key]) for key in COUNTED_RECORDS}
        counts["sale_orders"] = counts.pop("orders")
        return counts

    def score_history(self, months=24):
        """Score the company at every month end of the last ``months`` months,
        oldest first, then as of ``date_ref``: the recompute's back-testing date.

        Each run reads the documents as they stood that day and compares with the
        previous month's snapshot, so the score history, trends, tier changes and
        churn states move as they would have had the scoring run all along. One
        set-based recompute per month. Returns the days scored.
        """
        last = self.date_ref + relativedelta(day=31)
        if last != self.date_ref:  # the month runs: the last one ended before it
            last = self.date_ref.replace(day=1) - timedelta(days=1)
        days = [
            last - relativedelta(months=back, day=31)
            for back in range(months - 1, -1, -1)
        ]
        if days[-1] != self.date_ref:
            days.append(self.date_ref)
        Score = self.env["crm.relationship.score"]
        for day in days:
            Score.recompute(company_ids=self.company.ids, date_ref=day)
        return days

    def _create_salespeople(self):
        """Three salespeople in the sales team, reused when an earlier run made them."""
        Users = self.env["res.users"].with_context(active_test=False)
        names = self.words.SALESPEOPLE
        logins = [f"demo.sales{i + 1}" for i in range(len(names))]
        existing = {u.login: u for u in Users.search([("login", "in", logins)])}
        group = self.env.ref("sales_team.group_sale_salesman")
        created = Users.with_context(no_reset_password=True).create(
            [
                {
                    "name": name,
                    "login": login,
                    "email": f"{login}@example.com",
                    "company_id": self.company.id,
                    "company_ids": [Command.link(self.company.id)],
                    "groups_id": [Command.set(group.ids)],
                }
                for login, name in zip(logins, names, strict=True)
                if login not in existing
            ]
        )
        existing.update({user.login: user for user in created})
        users = Users.browse([existing[login].id for login in logins])
        team = self.env.ref("sales_team.team_sales_department", False)
        if team and users - team.member_ids:
            team.member_ids = [Command.link(u.id) for u in users - team.member_ids]
        self.records.update(salespeople=users, team=team)

    def _create_products(self):
        """The catalogue, reused by reference when an earlier run made it."""
        Product = self.env["product.product"].with_context(active_test=False)
        codes = [code for code, *_rest in CATALOGUE]
        domain = [("default_code", "in", codes), *self._company_domain()]
        existing = {p.default_code: p for p in Product.search(domain)}
        created = Product.create(
            [
                {
                    "name": name,
                    "default_code": code,
                    "type": "consu" if code in GOODS_CODES else "service",
                    "is_storable": code in GOODS_CODES,
                    "invoice_policy": "delivery" if code in GOODS_CODES else "order",
                    "list_price": price,
                    "standard_price": cost,
                    "purchase_ok": code in GOODS_CODES,
                }
                for code, name, price, cost, _qty in CATALOGUE
                if code not in existing
            ]
        )
        existing.update({product.default_code: product for product in created})
        self.records["products"] = Product.browse([existing[c].id for c in codes])

    def _text(self, text):
        """A demo text (a note, a subject, a department) in the demo's language."""
        return demo_texts_zh.TEXTS.get(text, text) if self.lang == "zh_CN" else text

    def _translate(self, records, fname, text):
        """Give the translatable field ``fname`` of records, written in English, its
        translation in the demo's language."""
        if self.lang == "zh_CN" and text in demo_texts_zh.TEXTS:
            records.with_context(lang=self.lang)[fname] = demo_texts_zh.TEXTS[text]

    def _company_domain(self):
        return [("company_id", "in", (False, self.company.id))]

    def _create_stock(self, plan):
        """One inventory adjustment that covers the planned deliveries, with margin."""
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        location = warehouse.lot_stock_id
        products = self.records["products"]
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        on_hand = dict(
            Quant._read_group(
                [("location_id", "=", location.id), ("product_id", "in", products.ids)],
                ["product_id"],
                ["quantity:sum"],
            )
        )
        needed = plan.goods_quantities()
        quants = []
        for index, product in enumerate(products[: len(GOODS)]):
            target = on_hand.get(product, 0) + math.ceil(needed[index] * 1.2) + 50
            quants.append(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "inventory_quantity": target,
                }
            )
        Quant.create(quants).action_apply_inventory()

    def _create_customers(self, plan):
        """Companies with one contact person each, tagged to be found again."""
        country = self.company.country_id or self.env.ref("base.us")
        states = {
            state.code: state.id
            for state in self.env["res.country.state"].search(
                [("country_id", "=", country.id)]
            )
        }
        terms = self._payment_terms()
        users = self.records["salespeople"]
        Tag = self.env["res.partner.category"]
        tag_name = self._text(PARTNER_TAG)
        tag = Tag.search([("name", "=", tag_name)], limit=1)
        tag = tag or Tag.create({"name": tag_name})
        companies = self.env["res.partner"].create(
            [
                {
                    "name": c.name,
                    "ref": c.key,
                    "is_company": True,
                    "street": c.street,
                    "city": c.city[0],
                    "zip": c.city[2],
                    "state_id": states.get(c.city[1], False),
                    "country_id": country.id,
                    "email": f"orders@{c.key.lower()}.example.com",
                    "phone": self.words.FORMATS["phone"].format(digits=c.key[-4:]),
                    "user_id": users[c.salesperson].id,
                    "property_payment_term_id": terms[c.payment_term].id,
                    "category_id": [Command.link(tag.id)],
                }
                for c in plan.customers
            ]
        )
        contacts = self.env["res.partner"].create(
            [
                {
                    "name": c.contact_name,
                    "parent_id": company.id,
                    "type": "contact",
                    "function": c.contact_function,
                    "email": "{}@{}.example.com".format(
                        c.contact_name.lower().replace(" ", ".")
                        if c.contact_name.isascii()
                        else "contact",
                        c.key.lower(),
                    ),
                }
                for c, company in zip(plan.customers, companies, strict=True)
            ]
        )
        keys = [c.key for c in plan.customers]
        self.records.update(
            customers=companies,
            contacts=contacts,
            partner_by_key=dict(zip(keys, companies, strict=True)),
            contact_by_key=dict(zip(keys, contacts, strict=True)),
        )

    def _payment_terms(self):
        """Odoo's 15, 30 and 45 days terms, or the same made anew if deleted."""
        terms = {}
        for days, xmlid in PAYMENT_TERMS.items():
            line = {"value": "percent", "value_amount": 100, "nb_days": days}
            terms[days] = self.env.ref(xmlid, False) or self.env[
                "account.payment.term"
            ].create({"name": f"{days} Days", "line_ids": [Command.create(line)]})
        return terms

    def _create_opportunities(self, plan):
        """Created open; won and lost ones are closed once their orders exist."""
        customers = [c for c in plan.customers if c.opportunity]
        stages = self.env["crm.stage"].search(
            [("is_won", "=", False)], order="sequence, id", limit=3
        )
        users = self.records["salespeople"]
        team = self.records["team"]
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": c.opportunity.name,
                    "type": "opportunity",
                    "partner_id": self.records["partner_by_key"][c.key].id,
                    "user_id": users[c.salesperson].id,
                    "team_id": team.id if team else False,
                    "stage_id": stages[
                        min(c.opportunity.stage_index, len(stages) - 1)
                    ].id,
                    "expected_revenue": c.opportunity.expected_revenue,
                    "probability": c.opportunity.probability or 10.0,
                    "date_deadline": c.opportunity.deadline,
                    "company_id": self.company.id,
                    **(
                        {
                            "is_winback": True,
                            "winback_churn_state": "lost",
                            "winback_date_start": c.opportunity.created.date(),
                        }
                        if c.opportunity.winback
                        else {}
                    ),
                }
                for c in customers
            ]
        )
        keys = [c.opportunity.key for c in customers]
        self.records.update(
            opportunities=leads, lead_by_key=dict(zip(keys, leads, strict=True))
        )

    def _create_orders(self, plan):
        """Create and confirm all orders at once, then give back their planned dates.

        Confirmation stamps ``date_order`` with now; the promised date stays in
        ``commitment_date``, which sale_stock copies to the moves' ``date_deadline``.
        """
        products = self.records["products"]
        users = self.records["salespeople"]
        team = self.records["team"]
        link_opportunity = "opportunity_id" in self.env["sale.order"]._fields
        values = []
        for customer in plan.customers:
            company = self.records["partner_by_key"][customer.key]
            contact = self.records["contact_by_key"][customer.key]
            for order in customer.orders:
                vals = {
                    "partner_id": (contact if order.on_contact else company).id,
                    "date_order": order.date_order,
                    "commitment_date": order.promised,
                    "user_id": users[customer.salesperson].id,
                    "team_id": team.id if team else False,
                    "client_order_ref": f"PO {order.key}",
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": products[product].id,
                                "product_uom_qty": qty,
                                "price_unit": CATALOGUE[product][2],
                                "discount": discount,
                            }
                        )
                        for product, qty, discount in order.lines
                    ],
                }
                if link_opportunity and order.opportunity_key:
                    lead = self.records["lead_by_key"][order.opportunity_key]
                    vals["opportunity_id"] = lead.id
                values.append(vals)
        orders = self.env["sale.order"].create(values)
        # The history predates the loyalty program: it must not earn points on the
        # program of an earlier run (members get their points at the end).
        program = self._loyalty_program()
        program.active = False
        orders.action_confirm()
        program.active = True
        planned = plan.orders
        self._sql_update(
            "sale_order",
            ["date_order", "create_date"],
            [
                (o.id, p.date_order, p.date_order)
                for o, p in zip(orders, planned, strict=True)
            ],
        )
        self.records.update(
            orders=orders,
            order_by_key={p.key: o for p, o in zip(planned, orders, strict=True)},
        )

    def _orders(self, order_plans):
        by_key = self.records["order_by_key"]
        return self.env["sale.order"].concat(*(by_key[o.key] for o in order_plans))

    def _deliver_orders(self, plan):
        """Validate every delivery made before date_ref at once, then date it."""
        delivered = [o for o in plan.orders if o.delivered]
        orders = self._orders(delivered)
        pending = orders.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        for _step in range(3):  # multi-step routes: pick, pack, then ship
            ready = pending.filtered(lambda p: p.state == "assigned")
            if not ready:
                break
            ready.move_ids.filtered(
                lambda m: m.state not in ("done", "cancel")
            ).picked = True
            ready.with_context(skip_backorder=True).button_validate()
            pending -= ready
        deliveries = orders.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        dates = {}
        for order_plan, order in zip(delivered, orders, strict=True):
            for picking in order.picking_ids & deliveries:
                dates[picking.id] = (order_plan.delivered, order_plan.promised)
        self._set_picking_dates(dates, promised=True)
        self._sql_update(
            "sale_order",
            ["effective_date"],
            [(o.id, p.delivered) for o, p in zip(orders, delivered, strict=True)],
        )
        self.records["deliveries"] = deliveries

    def _set_picking_dates(self, dates, promised=False):
        """Date done pickings, their moves and move lines, which the ORM did "now".

        ``dates`` maps picking ids to (done, promised); a delivery's promised date is
        its ``date_deadline`` and ``scheduled_date``.
        """
        columns = ["date_done", "scheduled_date"] + (
            ["date_deadline"] if promised else []
        )
        self._sql_update(
            "stock_picking",
            columns,
            [
                (pid, done, when, when)[: len(columns) + 1]
                for pid, (done, when) in dates.items()
            ],
        )
        moves = self.env["stock.picking"].browse(list(dates)).move_ids
        self._sql_update(
            "stock_move", ["date"], [(m.id, dates[m.picking_id.id][0]) for m in moves]
        )
        self._sql_update(
            "stock_move_line",
            ["date"],
            [(line.id, dates[line.picking_id.id][0]) for line in moves.move_line_ids],
        )
        # the stored on-time flag was judged on the ORM's dates: judge it again
        Picking = self.env["stock.picking"]
        Picking.invalidate_model(["date_done", "scheduled_date", "date_deadline"])
        Picking._fill_delivered_on_time(self.company)

    def _create_invoices(self, plan):
        """One invoice per delivered order, dated after its delivery, posted at once."""
        invoiced = [o for o in plan.orders if o.invoice_date]
        invoices = self._orders(invoiced)._create_invoices(grouped=True)
        invoice_of = {
            inv.invoice_line_ids.sale_line_ids.order_id: inv for inv in invoices
        }
        by_key, by_date = {}, defaultdict(list)
        for order_plan in invoiced:
            invoice = invoice_of[self.records["order_by_key"][order_plan.key]]
            by_key[order_plan.key] = invoice
            by_date[order_plan.invoice_date].append(invoice.id)
        # One write per date: every invoice of a day gets its date in one call.
        Move = self.env["account.move"]
        for day, ids in by_date.items():
            Move.browse(ids).write({"invoice_date": day})
        Move.browse([i for day in sorted(by_date) for i in by_date[day]]).action_post()
        self.records.update(invoices=invoices, invoice_by_key=by_key)

    def _return_deliveries(self, plan):
        """Returns go through Odoo's return wizard, one per picking as in the UI."""
        returned = [o for o in plan.orders if o.return_date]
        Picking = self.env["stock.picking"]
        deliveries = self.records["deliveries"]
        products = self.records["products"]
        originals = Picking.concat(
            *(
                (self.records["order_by_key"][o.key].picking_ids & deliveries)[:1]
                for o in returned
            )
        )
        wizards = self.env["stock.return.picking"].create(
            [{"picking_id": picking.id} for picking in originals]
        )
        returns, dates = Picking, {}
        for order_plan, wizard in zip(returned, wizards, strict=True):
            product = products[order_plan.lines[order_plan.return_line][0]]
            for line in wizard.product_return_moves:
                line.quantity = (
                    order_plan.return_qty if line.product_id == product else 0
                )
            picking = Picking.browse(wizard.action_create_returns()["res_id"])
            returns |= picking
            dates[picking.id] = (order_plan.return_date, order_plan.return_date)
        if returns:
            returns.move_ids.picked = True
            returns.with_context(skip_backorder=True).button_validate()
            self._set_picking_dates(dates)
        self.records["returns"] = returns

    def _create_credit_notes(self, plan):
        """Create all credit notes at once, then post and reconcile them.

        A return credits the returned quantity of its invoice line, a commercial credit
        note the whole invoice; both keep the links Odoo's own flows make, to the order
        lines (``sale_line_ids``) and to the invoice (``reversed_entry_id``). Building
        them directly avoids the per-move cost of ``_reverse_moves`` (a ``copy`` each)
        and of sale's refund path (an ``action_switch_move_type`` each). Reconciled
        with their invoice, as an accountant would, they leave the payments that
        follow only what is still due.
        """
        invoice_by_key = self.records["invoice_by_key"]
        products = self.records["products"]
        credited = [o for o in plan.orders if o.credit_note]
        values = []
        for order in credited:
            invoice = invoice_by_key[order.key]
            lines = invoice.invoice_line_ids.filtered(
                lambda x: x.display_type == "product"
            )
            quantity = None
            reason = f"Commercial credit on {invoice.name}"
            if order.credit_note == "return":
                product = products[order.lines[order.return_line][0]]
                lines = lines.filtered(lambda x, p=product: x.product_id == p)[:1]
                quantity = order.return_qty
                reason = f"Returned goods, {invoice.name}"
            values.append(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "journal_id": invoice.journal_id.id,
                    "currency_id": invoice.currency_id.id,
                    "invoice_date": order.credit_note_date,
                    "invoice_origin": invoice.invoice_origin,
                    "reversed_entry_id": invoice.id,
                    "ref": reason,
                    "invoice_user_id": invoice.invoice_user_id.id,
                    "team_id": invoice.team_id.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "name": line.name,
                                "quantity": quantity or line.quantity,
                                "product_uom_id": line.product_uom_id.id,
                                "price_unit": line.price_unit,
                                "discount": line.discount,
                                "tax_ids": [Command.set(line.tax_ids.ids)],
                                "sale_line_ids": [Command.set(line.sale_line_ids.ids)],
                            }
                        )
                        for line in lines
                    ],
                }
            )
        refunds = self.env["account.move"].create(values)
        pairs = list(zip(credited, refunds, strict=True))
        refunds.browse(
            [r.id for _o, r in sorted(pairs, key=lambda p: p[0].credit_note_date)]
        ).action_post()
        self._reconcile(
            [(invoice_by_key[order.key], refund) for order, refund in pairs]
        )
        self.records["refunds"] = refunds

    def _reconcile(self, pairs):
        """Reconcile the receivable lines of (move, counterpart move) pairs at once."""
        self.env["account.move.line"]._reconcile_plan(
            [
                (move.line_ids | other.line_ids).filtered(
                    lambda x: x.account_type == "asset_receivable" and not x.reconciled
                )
                for move, other in pairs
            ]
        )

    def _register_payments(self, plan):
        """Create, post and reconcile all payments in three batched calls.

        This is what ``account.payment.register`` does for each of its batches, here
        once for the whole history: the wizard takes one payment date, so it would run
        once per day, and each run leaves an environment alive (its ``active_ids``
        context) that every later ``with_context`` scans: quadratic over thousands of
        invoices. A partial payment is a smaller amount; the invoice stays partly open.
        """
        invoice_by_key = self.records["invoice_by_key"]
        paid = [o for o in plan.orders if o.payment in ("on_time", "late", "partial")]
        Journal = self.env["account.journal"]
        journal = Journal.search(
            [("type", "=", "bank"), *Journal._check_company_domain(self.company)],
            limit=1,
        )
        invoices = [invoice_by_key[o.key] for o in paid]
        payments = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": invoice.currency_id.round(
                        invoice.amount_residual * order.payment_ratio
                    ),
                    "currency_id": invoice.currency_id.id,
                    "date": order.payment_date,
                    "journal_id": journal.id,
                    "memo": invoice.name,
                    "invoice_ids": [Command.link(invoice.id)],
                }
                for order, invoice in zip(paid, invoices, strict=True)
            ]
        )
        payments.action_post()
        self._reconcile(
            [(pay.move_id, inv) for pay, inv in zip(payments, invoices, strict=True)]
        )
        self.records["payments"] = payments

    def _close_opportunities(self, plan):
        """Close won and lost opportunities now that their orders exist; date them."""
        Lead = self.env["crm.lead"]
        lead_of = self.records["lead_by_key"]
        opportunities = [c.opportunity for c in plan.customers if c.opportunity]
        won = [o for o in opportunities if o.outcome == "won"]
        Lead.concat(*(lead_of[o.key] for o in won)).action_set_won()
        reasons = self.env["crm.lost.reason"].search([], order="id", limit=3)
        reasons = reasons or self.env["crm.lost.reason"].create(
            {"name": "Too expensive"}
        )
        lost_by_reason = defaultdict(list)
        for o in opportunities:
            if o.outcome == "lost":
                reason = reasons[o.lost_reason_index % len(reasons)]
                lost_by_reason[reason].append(lead_of[o.key].id)
        for reason, ids in lost_by_reason.items():
            Lead.browse(ids).action_set_lost(lost_reason_id=reason.id)
        self._sql_update(
            "crm_lead",
            ["create_date", "date_open", "date_last_stage_update"],
            [
                (lead_of[o.key].id, o.created, o.created, o.closed or o.created)
                for o in opportunities
            ],
        )
        # Apart: a column of NULLs only would give its VALUES no type.
        self._sql_update(
            "crm_lead",
            ["date_closed"],
            [(lead_of[o.key].id, o.closed) for o in opportunities if o.closed],
        )

    def _create_loyalty_cards(self, plan):
        """A loyalty program launched after the orders; members got points for them.

        It comes last, so that confirming the demo orders did not earn points already.
        """
        program = self._loyalty_program() or self.env["loyalty.program"].create(
            {
                "name": LOYALTY_PROGRAM,
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "company_id": self.company.id,
                "rule_ids": [
                    Command.clear(),
                    Command.create(
                        {
                            "reward_point_mode": "money",
                            "reward_point_amount": POINTS_PER_CURRENCY_UNIT,
                        }
                    ),
                ],
                "reward_ids": [
                    Command.clear(),
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 5,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                            "required_points": 500,
                        }
                    ),
                ],
            }
        )
        self._translate(program, "name", LOYALTY_PROGRAM)
        self._create_loyalty_tiers(program, plan)
        cards = self.env["loyalty.card"].create(
            [
                {
                    "program_id": program.id,
                    "partner_id": self.records["partner_by_key"][c.key].id,
                    "points": c.loyalty_points,
                }
                for c in plan.customers
                if c.loyalty_points is not None
            ]
        )
        self.records.update(loyalty_program=program, loyalty_cards=cards)

    def _create_loyalty_tiers(self, program, plan):
        """Silver, Gold and Platinum at the plan's median, 80th and 95th percentile
        of points (rounded to hundreds), so that every tier has members; the cards
        made next take their tier at once."""
        if program.tier_ids:
            return
        points = sorted(
            c.loyalty_points for c in plan.customers if c.loyalty_points is not None
        )
        if not points:
            return
        tiers = [("Silver", 0.5, 1.0, 0.0), ("Gold", 0.8, 1.25, 2.0)]
        tiers.append(("Platinum", 0.95, 1.5, 5.0))
        thresholds = set()
        values = []
        for sequence, (name, quantile, multiplier, discount) in enumerate(tiers):
            threshold = max(100.0, round(points[int(quantile * (len(points) - 1))], -2))
            if threshold in thresholds:
                continue
            thresholds.add(threshold)
            values.append(
                {
                    "program_id": program.id,
                    "name": name,
                    "sequence": sequence,
                    "threshold": threshold,
                    "points_multiplier": multiplier,
                    "discount": discount,
                }
            )
        for tier in self.env["loyalty.tier"].create(values):
            self._translate(tier, "name", tier.name)

    def _loyalty_program(self):
        domain = [("name", "=", LOYALTY_PROGRAM), *self._company_domain()]
        return self.env["loyalty.program"].search(domain, limit=1)

    def _backdate_creation(self, plan):
        """Customers look created when they became known, not when the demo loaded."""
        rows = []
        for customer in plan.customers:
            for partner_by_key in ("partner_by_key", "contact_by_key"):
                partner = self.records[partner_by_key][customer.key]
                rows.append((partner.id, customer.since))
        self._sql_update("res_partner", ["create_date"], rows)

    # ------------------------------------------------------------
    # SQL HELPERS
    # ------------------------------------------------------------

    def _analyze(self):
        """Refresh the planner's statistics of the tables this generator fills.

        Tables filled inside one transaction still look empty to PostgreSQL, whose
        plans then go quadratic: account's payment state query alone took minutes at
        200 customers on a new database. ANALYZE counts the transaction's own rows.
        """
        self.env.flush_all()
        for table in ANALYZED_TABLES:
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))

    def _sql_update(self, table, columns, rows, chunk=5000):
        """Set one value per row and column, ``rows`` being (id, value, ...) tuples.

        The ORM would write record by record, as every row has its own values. Table
        and column names come from this module; values are query parameters.
        """
        if not rows:
            return
        self.env.flush_all()
        assignments = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(col), SQL.identifier(col))
            for col in columns
        )
        names = SQL(", ").join(SQL.identifier(col) for col in ["id", *columns])
        for start in range(0, len(rows), chunk):
            values = SQL(", ").join(
                SQL("(%s)", SQL(", ").join(SQL("%s", value) for value in row))
                for row in rows[start : start + chunk]
            )
            self.env.cr.execute(
                SQL(
                    "UPDATE %s AS t SET %s FROM (VALUES %s) AS v(%s) WHERE t.id = v.id",
                    SQL.identifier(table),
                    assignments,
                    values,
                    names,
                )
            )
        self.env.invalidate_all()
