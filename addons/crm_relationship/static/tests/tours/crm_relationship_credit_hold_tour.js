import { registry } from "@web/core/registry";
import { openRelationshipEntry } from "./crm_relationship_tour_utils";

const SUBJECT = "Release the credit hold";
const REASON = "Paid by bank transfer this morning; remittance received.";

// 1. The salesperson meets the hold on confirming, and asks Finance in a hand-off.
registry.category("web_tour.tours").add("crm_relationship_credit_hold_request_tour", {
    steps: () => [
        {
            trigger: ".o_form_view .o_crm_credit_hold:contains('is on credit hold')",
            content: "The quotation warns of the customer's credit hold",
        },
        {
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_confirm']:visible",
            content: "The salesperson tries to confirm it anyway",
            run: "click",
        },
        {
            trigger: ".modal:contains('is on credit hold'):contains('overdue since')",
            content: "Odoo refuses: how much is overdue since when, and who releases",
        },
        {
            trigger: ".modal:contains('accounting manager') .modal-footer .btn-primary",
            content: "Close the message",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_crm_request_release']",
            content: "Ask Finance to release the order",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='to_department_id'] input:value('Tour Finance')",
            content: "A hand-off to Finance opens, filled from the order",
        },
        {
            trigger: `.o_form_view .o_field_widget[name='name'] input:value('${SUBJECT}')`,
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            content: "Send it",
            run: "click",
        },
        {
            trigger: `.o_breadcrumb .active:contains('${SUBJECT}')`,
            content: "The hand-off is saved",
        },
    ],
});

// 2. The finance head releases the order from the hand-off, with a reason.
registry.category("web_tour.tours").add("crm_relationship_credit_hold_release_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.crm_handoff_menu", SUBJECT),
        {
            trigger: `.o_kanban_record:contains('${SUBJECT}')`,
            content: "The request waits for Finance",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_statusbar_buttons button[name='action_open_release_hold']",
            content: "Release the credit hold",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='message']:contains('is on credit hold')",
            content: "The dialog recalls the hold",
        },
        {
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            content: "Say why it may be confirmed",
            run: `edit ${REASON}`,
        },
        {
            trigger: ".modal button[name='action_release']",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Done')",
            content: "The hand-off is done",
        },
    ],
});

// 3. The salesperson confirms the released order.
registry.category("web_tour.tours").add("crm_relationship_credit_hold_confirm_tour", {
    steps: () => [
        {
            trigger: ".o_form_view .alert-info:contains('Credit hold released by')",
            content: "The quotation says who released it",
        },
        {
            trigger: ".o_form_view:not(:has(.o_crm_credit_hold:visible))",
        },
        {
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_confirm']:visible",
            content: "Confirm the order",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Sales Order')",
            content: "It is a sales order",
        },
    ],
});
