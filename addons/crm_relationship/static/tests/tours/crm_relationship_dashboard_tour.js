import { registry } from "@web/core/registry";
import { openRelationshipMenu } from "./crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_relationship_dashboard_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipMenu("crm_relationship.hr_department_menu_relationship"),
        {
            trigger: ".o_crm_department_dashboard .o_crm_dashboard_title:contains('Tour Logistics')",
            content: "The head's own department opens by default",
        },
        {
            trigger: "body:not(:has(.o_crm_dashboard_department option:contains('Tour Sales')))",
            content: "Only the head's own department can be chosen",
        },
        {
            trigger:
                ".o_crm_dashboard_block_handoffs .o_crm_dashboard_kpi[data-figure='handoff_in']:contains('1')",
            content: "One hand-off is open to the department",
        },
        {
            trigger:
                ".o_crm_dashboard_block_handoffs .o_crm_dashboard_kpi[data-figure='handoff_unassigned']:contains('1')",
            content: "It waits to be dispatched",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Tour Logistics')",
            content: "The list of the department's hand-offs to dispatch opens",
        },
        {
            trigger: ".o_kanban_record:contains('Pallet count for the dock')",
            content: "with the waiting hand-off",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='user_id'] input",
            content: "The head assigns it to a member of the department",
            run: "edit Tour Planner",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Planner')",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            content: "and saves",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
            content: "The hand-off is dispatched",
        },
        {
            trigger: ".o_breadcrumb a:contains('Department Dashboard')",
            content: "Back to the dashboard",
            run: "click",
        },
        {
            trigger:
                ".o_crm_dashboard_block_handoffs .o_crm_dashboard_kpi[data-figure='handoff_unassigned']:contains('0')",
            content: "Back on the department's page, nothing is left to dispatch",
        },
    ],
});
