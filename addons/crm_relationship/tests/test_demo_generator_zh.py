"""A demo built in Chinese is the same company with Chinese names: the Chinese lists
have the English lists' lengths, so the random stream draws the same customers,
orders and payments."""

import dataclasses
from datetime import date

from odoo.tests import TransactionCase, tagged

from ..tools import demo_texts_zh
from ..tools.demo_generator import WORD_LISTS, DemoDataGenerator, demo_words

DATE_REF = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestDemoGeneratorZh(TransactionCase):
    def test_lists_match_the_english_ones(self):
        english, chinese = demo_words("en_US"), demo_words("zh_CN")
        for key in WORD_LISTS:
            with self.subTest(key=key):
                self.assertEqual(len(getattr(chinese, key)), len(getattr(english, key)))
        self.assertEqual(set(chinese.FORMATS), set(english.FORMATS))
        for key in ("NAME_PREFIXES", "FIRST_NAMES", "LAST_NAMES"):
            values = getattr(chinese, key)
            self.assertEqual(len(set(values)), len(values), key)

    def test_same_company_in_chinese(self):
        def plan(lang):
            return DemoDataGenerator(
                self.env, seed=7, date_ref=DATE_REF, lang=lang
            ).plan(customers=40)

        english, chinese = plan("en_US"), plan("zh_CN")
        self.assertEqual(len(english.customers), len(chinese.customers))
        texts = ("name", "city", "street", "contact_name", "contact_function")
        blank = dict.fromkeys(texts, None) | {"orders": [], "opportunity": None}
        for en, zh in zip(english.customers, chinese.customers, strict=True):
            self.assertEqual(
                dataclasses.replace(en, **blank),
                dataclasses.replace(zh, **blank),
            )
            self.assertEqual(
                en.opportunity and en.opportunity.outcome,
                zh.opportunity and zh.opportunity.outcome,
            )
            self.assertEqual(
                [(o.date_order, o.lines) for o in en.orders],
                [(o.date_order, o.lines) for o in zh.orders],
            )
            self.assertTrue(en.name.isascii())
            self.assertFalse(zh.name.isascii(), zh.name)
            self.assertFalse(zh.contact_name.isascii(), zh.contact_name)
            self.assertIn(zh.city, demo_texts_zh.CITIES)
        names = [c.name for c in chinese.customers]
        self.assertEqual(len(set(names)), len(names))

    def test_language_of_the_company(self):
        self.env.company.partner_id.lang = "en_US"
        self.assertEqual(DemoDataGenerator(self.env).lang, "en_US")
        self.assertEqual(DemoDataGenerator(self.env)._text("Finance"), "Finance")
        zh = DemoDataGenerator(self.env, lang="zh_CN")
        self.assertEqual(zh._text("Finance"), "财务部")
        # a text without a translation stays as it is
        self.assertEqual(zh._text("Unknown text"), "Unknown text")

    def test_translatable_names_keep_english(self):
        """Departments, loyalty tiers and programs are named in English with a zh_CN
        translation: English users of a Chinese demo read English."""
        self.env["res.lang"]._activate_lang("zh_CN")
        department = self.env["hr.department"].create({"name": "Finance"})
        DemoDataGenerator(self.env, lang="zh_CN")._translate(
            department, "name", "Finance"
        )
        self.assertEqual(department.with_context(lang="en_US").name, "Finance")
        self.assertEqual(department.with_context(lang="zh_CN").name, "财务部")

    def test_every_demo_text_has_chinese(self):
        from ..tools import (
            demo_actions,
            demo_collaboration,
            demo_generator,
            demo_service,
            demo_voice,
        )

        texts = {demo_generator.PARTNER_TAG, demo_generator.LOYALTY_PROGRAM}
        texts |= {"Silver", "Gold", "Platinum", demo_service.RELEASE_REASON}
        texts |= set(demo_actions.DISMISS_REASONS)
        for _key, name, _login, user, role in demo_collaboration.DEPARTMENTS:
            texts |= {name, role} | ({user} if user else set())
        texts |= {text for *_rest, text in demo_collaboration.NOTES}
        texts |= {subject for subject, *_rest in demo_collaboration.COMPLAINTS}
        for _f, _t, subject, _s, outcome in demo_collaboration.HANDOFFS:
            texts |= {subject} | ({outcome} if outcome else set())
        texts |= {r for reasons in demo_voice.REASONS.values() for r, _t in reasons}
        self.assertFalse(texts - set(demo_texts_zh.TEXTS))
