import { registry } from "@web/core/registry";
import { openRelationshipEntry } from "./crm_relationship_tour_utils";

const CUSTOMER = "Handoff Customer Ltd";
const SUBJECT = "Trace the late delivery";
const OUTCOME = "The pallet left the dock on Monday; the carrier delivers on Thursday.";

/** The hand-off's status bar shows ``label`` as its current state. */
function stateIs(label) {
    return `.o_form_view .o_statusbar_status .o_arrow_button_current:contains('${label}')`;
}

// 1. A sales user opens the customer, reads the 360 and asks logistics for a trace.
registry.category("web_tour.tours").add("crm_relationship_handoff_request_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.res_partner_menu_customers", "Handoff Customer"),
        {
            trigger: `.o_kanban_record:contains('${CUSTOMER}')`,
            content: "The customer is listed",
            run: "click",
        },
        {
            trigger: `.o_form_view .o_field_widget[name='name'] input:value('${CUSTOMER}')`,
            content: "Its form opens",
        },
        {
            // the form opens on Odoo's first page; the 360 is one tab among them
            trigger: ".o_form_view .o_notebook .nav-link:contains('Customer 360')",
            content: "Read the Customer 360",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link.active:contains('Customer 360')",
        },
        {
            trigger: ".o_form_view .o_notebook .tab-pane.active label:contains('Open quotations')",
            content: "which has the Sales figures",
        },
        {
            trigger:
                ".o_form_view button[name='action_open_c360'] .o_field_widget[name='c360_quotation_count']:contains(/^\\s*1\\s*$/)",
            content: "with the one open quotation",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='c360_quotation_amount']:contains('1,250.00')",
            content: "and its amount",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='handoff_open_count']:contains(/^\\s*0\\s*$/)",
            content: "No hand-off is open yet",
        },
        {
            trigger: ".o_form_view button[name='action_request_handoff']",
            content: "Ask another department",
            run: "click",
        },
        {
            trigger: `.modal .o_form_view .o_field_widget[name='partner_id'] input:value('${CUSTOMER}')`,
            content: "A hand-off opens in a dialog, about the customer",
        },
        {
            trigger:
                ".modal .o_form_view .o_field_widget[name='from_department_id'] input:value('Tour Sales')",
            content: "from the user's own department",
        },
        {
            trigger: ".modal .o_form_view .o_field_widget[name='name'] input",
            content: "Say what is needed",
            run: `edit ${SUBJECT}`,
        },
        {
            trigger: ".modal .o_form_view .o_field_widget[name='to_department_id'] input",
            content: "and ask logistics",
            run: "edit Tour Logistics",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Logistics')",
            run: "click",
        },
        {
            trigger:
                ".modal .o_form_view .o_field_widget[name='to_department_id'] input:value('Tour Logistics')",
        },
        {
            trigger: ".modal .o_field_html[name='description'] .odoo-editor-editable p",
            content: "Explain the request",
            run: "editor The customer's order of last week has not arrived.",
        },
        {
            trigger: ".modal .o_form_button_save:enabled",
            content: "and send it",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
            content: "The dialog closes",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='handoff_open_count']:contains(/^\\s*1\\s*$/)",
            content: "and the customer has one open hand-off",
        },
    ],
});

// 2. A logistics user accepts the hand-off, writes the outcome and completes it.
registry.category("web_tour.tours").add("crm_relationship_handoff_handle_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.crm_handoff_menu", "Trace the late"),
        {
            trigger: `.o_kanban_group:contains('Requested') .o_kanban_record:contains('${SUBJECT}')`,
            content: "The requested hand-off waits for logistics",
            run: "click",
        },
        {
            trigger: `.o_form_view .o_field_widget[name='partner_id'] input:value('${CUSTOMER}')`,
            content: "It is about the customer",
        },
        {
            trigger: stateIs("Requested"),
        },
        {
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_accept']",
            content: "Logistics accepts it",
            run: "click",
        },
        {
            trigger: stateIs("Accepted"),
            content: "The hand-off is accepted",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='user_id'] input:value('Tour Planner')",
            content: "and assigned to whoever accepted it",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains('Outcome')",
            content: "Open the Outcome page",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_html[name='result'] .odoo-editor-editable p",
            content: "Say what was found",
            run: `editor ${OUTCOME}`,
        },
        {
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_done']",
            content: "Mark it as done",
            run: "click",
        },
        {
            trigger: stateIs("Done"),
            content: "The hand-off is done",
        },
        {
            trigger: ".o_form_view .o_form_saved, .o_form_view .o_form_readonly",
        },
        {
            trigger: "body:not(:has(.o_form_view .o_statusbar_buttons button[name='action_done']))",
            content: "and cannot be completed twice",
        },
    ],
});

// 3. The sales user finds the hand-off done, with the outcome.
registry.category("web_tour.tours").add("crm_relationship_handoff_result_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.crm_handoff_menu", "Trace the late"),
        {
            trigger: ".o_searchview_dropdown_toggler",
            content: "Open the filters",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains('Open')",
            content: "Not only the open hand-offs",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains('Done')",
            content: "but the done ones",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains('Done'):not(:contains('Open'))",
        },
        {
            trigger: `.o_kanban_group:contains('Done') .o_kanban_record:contains('${SUBJECT}')`,
            content: "The hand-off is done",
            run: "click",
        },
        {
            trigger: stateIs("Done"),
            content: "Its form says so",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='user_id'] input:value('Tour Planner')",
            content: "and who handled it",
        },
        {
            trigger: ".o-mail-Message:contains('completed the hand-off')",
            content: "The requester was told in the chatter",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains('Outcome')",
            content: "Read the outcome",
            run: "click",
        },
        {
            trigger: `.o_form_view .o_field_html[name='result']:contains('${OUTCOME}')`,
            content: "which is the one logistics wrote",
        },
    ],
});
