import { registry } from "@web/core/registry";
import { openRelationshipMenu } from "@crm_relationship/../tests/tours/crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_analytics_kpi_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipMenu("crm_analytics.crm_kpi_menu"),
        {
            trigger: ".o_list_view .o_group_header:contains('Financial')",
            content: "The catalogue, by perspective",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Revenue')",
        },
        {
            trigger: ".o_control_panel .o_list_button_add",
            content: "Define a new KPI",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour Meetings",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='model_id'] input",
            content: "Count opportunities",
            run: "edit Lead/Opp",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Lead/Opportunity')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='user_field_id'] input:value(Salesperson)",
            content: "The form guessed how to split it by salesperson",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='date_field_id'] input:value(Created on)",
            content: "and its date",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
