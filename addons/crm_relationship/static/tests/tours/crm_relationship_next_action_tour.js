import { registry } from "@web/core/registry";
import { openRelationshipEntry, openRelationshipMenu } from "./crm_relationship_tour_utils";

const CUSTOMER = "Detractor Tour Ltd";

// 1. The head of Customer service opens the department's queue and accepts an action.
registry.category("web_tour.tours").add("crm_relationship_next_action_queue_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipMenu("crm_relationship.crm_next_action_menu_queue"),
        {
            trigger: `.o_list_view .o_data_row:contains('${CUSTOMER}'):contains('NPS survey')`,
            content: "The queue shows the customer and why to act",
        },
        {
            trigger: `.o_data_row:contains('${CUSTOMER}') button[name='action_accept']`,
            content: "Accept the action",
            run: "click",
        },
        {
            trigger: `.o_data_row:contains('${CUSTOMER}') .o_field_badge:contains('Accepted')`,
            content: "It is accepted",
        },
        {
            trigger: `.o_data_row:contains('${CUSTOMER}') td[name='partner_id']`,
            content: "Open it",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_open_outcome']",
            content: "Open the hand-off it created",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='to_department_id'] input:value('Tour Sales')",
            content: "The hand-off goes to Sales",
        },
    ],
});

// 2. A salesperson of the receiving department finds it among the hand-offs.
registry.category("web_tour.tours").add("crm_relationship_next_action_receive_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.crm_handoff_menu", "Call back the detractor"),
        {
            trigger: `.o_kanban_record:contains('Call back the detractor'):contains('${CUSTOMER}')`,
            content: "The hand-off reached Sales",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='description']:contains('NPS survey')",
            content: "It says why",
        },
    ],
});
