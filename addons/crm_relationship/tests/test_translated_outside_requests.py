"""Texts written by jobs and imports are in the user's language too.

Odoo's ``_()`` finds the language in the calling frame's ``self``, ``context`` or
``kwargs``, else in the HTTP request. A call inside a comprehension, a lambda, a
nested function or a static method has none of them: in the web client the request
saves it, but in a cron, an import or the shell the text stays English (and Odoo
logs a warning with a stack per call: 2,000 of them while the load benchmark
prepared its account teams). Such calls use ``self.env._()``.
"""

import ast
from pathlib import Path

from odoo.tests import TransactionCase, tagged

ADDONS = Path(__file__).resolve().parents[2]
SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
)
#: the locals Odoo's ``_get_lang`` reads the language from
LANGUAGE_LOCALS = {"self", "context", "kwargs"}


def _scope_locals(scope):
    """Names a frame of ``scope`` has as locals: arguments and assignments of a
    function, targets of a comprehension."""
    if isinstance(scope, ast.ListComp | ast.DictComp | ast.SetComp | ast.GeneratorExp):
        return {
            node.id
            for generator in scope.generators
            for node in ast.walk(generator.target)
            if isinstance(node, ast.Name)
        }
    args = scope.args
    names = {arg.arg for arg in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {arg.arg for arg in (args.vararg, args.kwarg) if arg}
    if not isinstance(scope, ast.Lambda):
        names |= {
            node.id
            for node in ast.walk(scope)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        }
    return names


def calls_without_language(source):
    """``(line, scope)`` of each ``_()`` call of ``source`` (Python code) whose
    frame cannot give Odoo the language."""
    tree = ast.parse(source)
    parents = {
        child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
    }
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
        ):
            continue
        scope = parents.get(node)
        while scope is not None and not isinstance(scope, SCOPES):
            scope = parents.get(scope)
        if scope is None:
            found.append((node.lineno, "module or class body"))
        elif not _scope_locals(scope) & LANGUAGE_LOCALS:
            found.append((node.lineno, type(scope).__name__))
    return found


@tagged("post_install", "-at_install")
class TestTranslatedOutsideRequests(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.zh = cls.env(context={"lang": "zh_CN"})

    def test_no_translation_call_without_a_language(self):
        """Every ``_()`` of both addons runs where Odoo finds the language."""
        offenders = [
            f"{path.relative_to(ADDONS)}:{line} ({scope})"
            for addon in ("crm_relationship", "crm_analytics")
            for path in sorted((ADDONS / addon).rglob("*.py"))
            if "tests" not in path.relative_to(ADDONS).parts
            for line, scope in calls_without_language(path.read_text(encoding="utf-8"))
        ]
        self.assertEqual(offenders, [], "use self.env._() there")

    def test_the_check_sees_a_comprehension(self):
        """The check above finds the faults it is for (it would pass on nothing)."""
        sample = (
            "def f(self, rows):\n"
            "    ok = _('a')\n"
            "    return {row: _('b') for row in rows}, [lambda: _('c')]\n"
        )
        self.assertEqual(
            calls_without_language(sample), [(3, "DictComp"), (3, "Lambda")]
        )

    def test_account_team_chatter_line_in_chinese_from_a_job(self):
        """Adding account team members outside a request (an import, a job) logs
        the customer's chatter line in the user's language."""
        customer = self.zh["res.partner"].create({"name": "客户甲", "is_company": True})
        department = self.zh["hr.department"].create({"name": "财务"})
        user = self.zh["res.users"].create({"name": "王芳", "login": "wang.fang.tr"})
        self.zh["crm.account.team.member"].create(
            {
                "partner_id": customer.id,
                "user_id": user.id,
                "department_id": department.id,
            }
        )
        bodies = customer.message_ids.mapped("body")
        self.assertTrue(
            any("王芳 加入了客户团队（财务）" in str(body) for body in bodies), bodies
        )
