"""Both addons speak Simplified Chinese completely: every term of each addon's POT has
a translation in its ``i18n/zh_CN.po``, the PO keeps no term the POT lost, and each
translation keeps the placeholders of its source (a lost ``%(name)s`` raises at run
time, a lost ``<t t-out>`` empties a mail).

Odoo merges ``i18n/zh_CN.po`` with the POT when it loads it, dropping what the POT
lacks: the demo records' terms (the POT is exported without demo data) live in
``i18n_extra/zh_CN.po``, which has no POT.

``CRM_I18N_ROOT`` points the test at another tree laid out as ``addons/`` (each
``<addon>/i18n/<addon>.pot`` and ``zh_CN.po``), to check translations in progress.
"""

import os
import re
from collections import Counter
from pathlib import Path

import polib

from odoo.tests import BaseCase, tagged

ADDONS = Path(os.environ.get("CRM_I18N_ROOT") or Path(__file__).resolve().parents[2])
LANG = "zh_CN"
SHOWN = 40  # entries named in a failure message, then a count of the rest

PLACEHOLDERS = re.compile(
    r"%(?:\([\w.]+\))?[-+0#]*\d*(?:\.\d+)?[sdifrx]"  # %s, %(name)s, %.2f
    r"|\{\{.*?\}\}|\$\{.*?\}|\{[A-Za-z_][\w.]*\}"  # {{ expr }}, ${expr}, {name}
    r"|</?[A-Za-z][\w-]*"  # an HTML or QWeb tag, opening or closing
    r"|\bt-[\w-]+=\"[^\"]*\"|\bt-[\w-]+='[^']*'",  # t-out="...", t-if='...'
    re.DOTALL,
)


def placeholders(text):
    """The multiset of what a translation must carry over unchanged."""
    return Counter(PLACEHOLDERS.findall(text or ""))


def check_language(pot_path, po_path):
    """(missing, stale, broken) msgids of po_path against pot_path."""
    pot = polib.pofile(str(pot_path))
    po = polib.pofile(str(po_path))
    translated = {
        e.msgid: e.msgstr
        for e in po
        if not e.obsolete and "fuzzy" not in e.flags and e.msgstr.strip()
    }
    source = {e.msgid for e in pot if not e.obsolete}
    missing = sorted(m for m in source if m not in translated)
    stale = sorted(e.msgid for e in po if not e.obsolete and e.msgid not in source)
    broken = sorted(
        msgid
        for msgid, msgstr in translated.items()
        if placeholders(msgid) != placeholders(msgstr)
    )
    return missing, stale, broken


def listing(title, msgids):
    shown = "\n".join(f"  {msgid!r}" for msgid in msgids[:SHOWN])
    rest = f"\n  ... and {len(msgids) - SHOWN} more" if len(msgids) > SHOWN else ""
    return f"{title} ({len(msgids)}):\n{shown}{rest}"


@tagged("post_install", "-at_install")
class TestZhCnTranslations(BaseCase):
    def test_placeholders(self):
        self.assertEqual(
            placeholders('%(count)s <b>{name}</b> <t t-out="object.name"/> %s'),
            Counter(
                {
                    "%(count)s": 1,
                    "<b": 1,
                    "</b": 1,
                    "{name}": 1,
                    "<t": 1,
                    't-out="object.name"': 1,
                    "%s": 1,
                }
            ),
        )
        # A percentage sign in a sentence is no placeholder.
        self.assertFalse(placeholders("50% of the customers"))

    def test_every_term_translated(self):
        for addon in ("crm_relationship", "crm_analytics"):
            with self.subTest(addon=addon):
                i18n = ADDONS / addon / "i18n"
                pot_path, po_path = i18n / f"{addon}.pot", i18n / f"{LANG}.po"
                self.assertTrue(pot_path.exists(), pot_path)
                self.assertTrue(po_path.exists(), f"{po_path} is missing")
                missing, stale, broken = check_language(pot_path, po_path)
                total = len(polib.pofile(str(pot_path)))
                problems = [
                    listing(title, msgids)
                    for title, msgids in (
                        (f"untranslated of {total}", missing),
                        ("stale: not in the POT", stale),
                        ("placeholders changed", broken),
                    )
                    if msgids
                ]
                if problems:
                    self.fail(f"{po_path}:\n" + "\n".join(problems))

    def test_demo_terms_translated(self):
        """i18n_extra holds the demo records' terms only, all translated."""
        for po_path in sorted(ADDONS.glob(f"*/i18n_extra/{LANG}.po")):
            with self.subTest(po=po_path.parent.parent.name):
                po = polib.pofile(str(po_path))
                self.assertTrue(len(po))
                for entry in po:
                    self.assertTrue(entry.msgstr.strip(), entry.msgid)
                    self.assertEqual(
                        placeholders(entry.msgid), placeholders(entry.msgstr)
                    )
                    for ref, _line in entry.occurrences:
                        self.assertRegex(ref, r"^model:[\w.]+,\w+:\w+\.\w+_demo$")
