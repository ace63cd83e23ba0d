from odoo import _, fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.loyalty.controllers.portal import CustomerPortalLoyalty
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.crm_complaint import DESCRIPTION_MAX, SUBJECT_MAX


class ComplaintPortal(CustomerPortal):
    """Customers file complaints and follow them from their portal."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "complaint_count" in counters:
            Complaint = request.env["crm.complaint"]
            values["complaint_count"] = (
                Complaint.search_count([]) if Complaint.has_access("read") else 0
            )
        return values

    @http.route(
        ["/my/complaints", "/my/complaints/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_complaints(self, page=1, **kw):
        Complaint = request.env["crm.complaint"]
        # the record rule keeps portal users to their company's complaints
        total = Complaint.search_count([])
        pager = portal_pager(
            url="/my/complaints", total=total, page=page, step=self._items_per_page
        )
        complaints = Complaint.search(
            [], order="create_date desc", limit=self._items_per_page,
            offset=pager["offset"],
        )  # fmt: skip
        values = self._prepare_portal_layout_values()
        values.update(
            complaints=complaints,
            pager=pager,
            page_name="complaint",
            default_url="/my/complaints",
        )
        return request.render("crm_relationship.portal_my_complaints", values)

    @http.route("/my/complaints/<int:complaint_id>", type="http", auth="public",
                website=True)  # fmt: skip
    def portal_my_complaint(self, complaint_id, access_token=None, **kw):
        try:
            complaint = self._document_check_access(
                "crm.complaint", complaint_id, access_token
            )
        except (AccessError, MissingError):
            if request.env.user._is_public():
                return request.redirect(
                    f"/web/login?redirect=/my/complaints/{complaint_id}"
                )
            # the same answer whether the complaint exists or is someone else's
            raise request.not_found() from None
        values = self._get_page_view_values(
            complaint,
            access_token,
            {"complaint": complaint, "page_name": "complaint"},
            "my_complaints_history",
            False,
            **kw,
        )
        return request.render("crm_relationship.portal_my_complaint", values)

    @http.route("/my/complaints/new", type="http", auth="user", website=True,
                methods=["GET", "POST"])  # fmt: skip
    def portal_new_complaint(self, **post):
        categories = request.env["crm.complaint.category"].search([])
        error = None
        if request.httprequest.method == "POST":
            subject = (post.get("subject") or "").strip()
            # a browser sends a line break as two characters; a person typed one
            description = (post.get("description") or "").replace("\r\n", "\n")
            if not subject:
                error = _("Give your complaint a subject.")
            else:
                # too long: said on the form, nothing written
                error = request.env["crm.complaint"]._length_error(subject, description)
            if not error:
                return self._create_complaint(subject, description, categories, post)
        values = self._prepare_portal_layout_values()
        values.update(
            categories=categories,
            error=error,
            post=post,
            page_name="complaint",
            subject_max=SUBJECT_MAX,
            description_max=DESCRIPTION_MAX,
        )
        return request.render("crm_relationship.portal_new_complaint", values)

    def _create_complaint(self, subject, description, categories, post):
        user = request.env.user
        category = categories.filtered(
            lambda c: str(c.id) == (post.get("category_id") or "")
        )
        # sudo: portal users cannot create complaints in the backend; what they send
        # is only a subject, a text and one of the listed categories, for themselves
        complaint = (
            request.env["crm.complaint"]
            .sudo()
            .create(
                {
                    "name": subject,
                    "description": plaintext2html(description),
                    # stored on the commercial entity, the user as contact
                    "partner_id": user.partner_id.id,
                    "email_from": user.partner_id.email_formatted,
                    "channel": "portal",
                    "category_id": category[:1].id,
                    "company_id": user.company_id.id,
                    "user_id": False,
                }
            )
        )
        return request.redirect(f"/my/complaints/{complaint.id}")


class SurveyPortal(CustomerPortal):
    """The relationship surveys addressed to the portal user that wait for an
    answer, each opening Odoo's own survey page with its answer token."""

    def _crm_pending_surveys_domain(self):
        return [
            ("partner_id", "=", request.env.user.partner_id.id),
            ("state", "in", ("new", "in_progress")),
            ("test_entry", "=", False),
            ("survey_id.active", "=", True),
            "|",
            ("crm_asks_nps", "=", True),
            ("crm_complaint_id", "!=", False),
            "|",
            ("deadline", "=", False),
            ("deadline", ">", fields.Datetime.now()),
        ]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "crm_survey_count" in counters:
            # sudo: portal users cannot read survey answers in the backend; the
            # domain keeps to the surveys addressed to the user's own contact
            values["crm_survey_count"] = (
                request.env["survey.user_input"]
                .sudo()
                .search_count(self._crm_pending_surveys_domain())
            )
        return values

    @http.route("/my/surveys", type="http", auth="user", website=True)
    def portal_my_surveys(self, **kw):
        # sudo: as above, the user's own invitations only
        answers = (
            request.env["survey.user_input"]
            .sudo()
            .search(self._crm_pending_surveys_domain(), order="crm_sent_date desc")
        )
        values = self._prepare_portal_layout_values()
        values.update(answers=answers, page_name="crm_survey")
        return request.render("crm_relationship.portal_my_surveys", values)


class LoyaltyPortal(CustomerPortalLoyalty):
    """A customer's membership is theirs as a company: the contacts of a company
    see its loyalty cards (as they see its orders and invoices), with the balance,
    tier, qualifying points, what the next tier needs and the next points to
    expire."""

    def _loyalty_membership_card(self, card_id):
        """The loyalty card ``card_id`` if the portal user's company (commercial
        entity) holds it through another partner than the user's own; else None
        (Odoo's own routes then answer as usual)."""
        user_partner = request.env.user.partner_id
        # sudo: the portal user reads only cards of their own commercial entity
        card = (
            request.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("id", "=", int(card_id)),
                    ("program_id.program_type", "=", "loyalty"),
                    (
                        "partner_id",
                        "child_of",
                        user_partner.commercial_partner_id.id,
                    ),
                    ("partner_id", "!=", user_partner.id),
                ]
            )
        )
        return card or None

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if not counters and "cards_per_programs" in values:
            partner = request.env.user.partner_id
            # sudo: the membership cards of the user's own company
            shared = (
                request.env["loyalty.card"]
                .sudo()
                .search(
                    [
                        ("partner_id", "child_of", partner.commercial_partner_id.id),
                        ("partner_id", "!=", partner.id),
                        ("program_id.active", "=", True),
                        ("program_id.program_type", "=", "loyalty"),
                        "|",
                        ("expiration_date", ">=", fields.Date.today()),
                        ("expiration_date", "=", False),
                    ]
                )
            )
            cards = values["cards_per_programs"]
            for card in shared:
                cards[card.program_id] = (
                    cards.get(card.program_id, card.browse()) | card
                )
        return values

    @http.route()
    def portal_my_loyalty_card_history(self, card_id, page=1, sortby="date", **kw):
        card = self._loyalty_membership_card(card_id)
        if card is None:
            response = super().portal_my_loyalty_card_history(
                card_id, page=page, sortby=sortby, **kw
            )
            if getattr(response, "qcontext", None) is not None:
                # sudo: the parent route has checked that the card is the user's
                response.qcontext["card"] = (
                    request.env["loyalty.card"].sudo().browse(int(card_id))
                )
            return response
        # the company's card, read by one of its contacts: Odoo's page, on it
        History = request.env["loyalty.history"].sudo()
        sortings = self._get_loyalty_searchbar_sortings()
        sortby = sortby if sortby in sortings else "date"
        total = History.search_count([("card_id", "=", card.id)])
        pager = portal_pager(
            url=f"/my/loyalty_card/{card.id}/history",
            url_args={"sortby": sortby},
            total=total,
            page=page,
            step=self._items_per_page,
        )
        lines = History.search(
            [("card_id", "=", card.id)],
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        return request.render(
            "loyalty.loyalty_card_history_template",
            {
                "pager": pager,
                "searchbar_sortings": sortings,
                "page_name": "loyalty_history",
                "sortby": sortby,
                "history_lines": lines,
                "card": card,
            },
        )

    @http.route()
    def portal_get_card_history_values(self, card_id):
        card = self._loyalty_membership_card(card_id)
        if card is None:
            return super().portal_get_card_history_values(card_id)
        # Odoo's values (loyalty/controllers/portal.py), for the company's card
        # read by one of its contacts: the parent looks the card up by the user's
        # own partner only
        program_type = card.program_id.program_type
        rewards = (
            request.env["loyalty.reward"]
            # sudo: the rewards of a program whose card the portal user may see
            .sudo()
            .search(
                [
                    ("program_id", "=", card.program_id.id),
                    ("required_points", "<=", card.points),
                ],
                order="required_points desc",
                limit=3,
            )
        )
        return {
            "card": {
                "id": card.id,
                "points_display": card.points_display,
                "expiration_date": card.expiration_date,
                "code": card.code,
            },
            "program": {
                "program_name": card.program_id.name,
                "program_type": program_type,
            },
            "history_lines": [
                {
                    "order_id": line.order_id,
                    "description": line.description,
                    "order_portal_url": line._get_order_portal_url(),
                    "points": "{}{}".format(
                        "-" if line.issued < line.used else "+",
                        card._format_points(abs(line.issued - line.used)),
                    ),
                }
                for line in card.history_ids[:5]
            ],
            "rewards": [
                {
                    "description": reward.description,
                    "points": card._format_points(reward.required_points),
                }
                for reward in rewards
            ],
            "img_path": f"/loyalty/static/src/img/{program_type}.svg",
        }
