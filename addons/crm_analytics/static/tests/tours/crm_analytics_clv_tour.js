import { registry } from "@web/core/registry";
import { openRelationshipMenu } from "@crm_relationship/../tests/tours/crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_analytics_clv_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipMenu("crm_analytics.crm_clv_fit_menu"),
        {
            trigger: ".o_list_view .o_data_row:contains('Fitted') td[name='calibration_date']",
            content: "The fit in use",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='r']:contains('0.24')",
            content: "Its parameters",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='model']:contains('BG/NBD')",
            content: "The purchase model in use",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='grade'] .badge:contains('B')",
            content: "Its grade against the naive baseline",
        },
        {
            trigger: ".o_form_view .o_notebook a:contains('Hold-out Check')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='holdout_line_ids'] .o_data_row:contains('7+')",
            content: "Predicted and actual purchases per frequency group",
        },
        {
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            content: "Then the cohorts",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_cohort_report_menu']",
            run: "click",
        },
        {
            trigger: ".o_pivot_view, .o_graph_view, .o_list_view",
            content: "The cohort matrix opens",
        },
        {
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            content: "Then why customers leave",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_churn_driver_menu']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('late deliveries'):contains('Logistics') td[name='sentence']",
            content: "The drivers report: late deliveries, owned by Logistics",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='hazard_ratio']:contains('1.8')",
            content: "Its hazard ratio",
        },
    ],
});
