"""Every Python file of both addons gives up its translatable terms: Odoo's export
(Babel's extractor) evaluates the arguments of ``_()`` and drops a whole file's terms
when one of them is not a literal (an f-string, an attribute)."""

import io
from pathlib import Path

from babel.messages.extract import extract_python

from odoo.tests import BaseCase, tagged

ADDONS = Path(__file__).resolve().parents[2]


@tagged("post_install", "-at_install")
class TestTranslatableTerms(BaseCase):
    def test_every_file_extracts(self):
        files = sorted(
            path
            for addon in ("crm_relationship", "crm_analytics")
            for path in (ADDONS / addon).rglob("*.py")
            if "tests" not in path.parts
        )
        self.assertGreater(len(files), 50)
        for path in files:
            with self.subTest(path=path.relative_to(ADDONS)):
                terms = list(
                    extract_python(io.BytesIO(path.read_bytes()), ["_", "_lt"], [], {})
                )
                self.assertIsInstance(terms, list)
