import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** Steps from the home screen to CRM > Reporting > Scorecards. */
function openScorecards() {
    return [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            content: "Open the CRM app",
            run: "click",
        },
        {
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            content: "Open the Reporting menu",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_scorecard_menu']",
            content: "Open the scorecards",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_analytics_scorecard_tour", {
    url: "/web",
    steps: () => [
        ...openScorecards(),
        {
            trigger: ".o_control_panel .o-kanban-button-new",
            content: "Create a scorecard",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour Team Scorecard",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_field_x2many_list_row_add a",
            content: "Add a KPI",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row .o_field_widget[name='kpi_id'] input",
            run: "edit Tour Opportunities",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Opportunities')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row .o_field_widget[name='target'] input",
            content: "Aim for four opportunities a month",
            run: "edit 4",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row td[name='value_display']:contains('3')",
            content: "The live value of this month: three opportunities",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row td[name='achievement']:contains('75')",
            content: "Three of four: 75% of the target",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row .o_field_widget[name='light'] span:contains('Alert')",
            content: "Below the alert threshold: red",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='light'] span:contains('Alert')",
            content: "The scorecard's total is red too",
        },
        {
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb a:contains('Scorecards')",
            content: "Back to the scorecards",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Team Scorecard') .o_crm_scorecard_tile:contains('Tour Opportunities'):contains('3')",
            content: "The kanban card shows the KPI as a tile",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Team Scorecard') .o_crm_scorecard_tile .fa-arrow-up",
            content: "Up against last month",
        },
    ],
});

registry.category("web_tour.tours").add("crm_analytics_head_scorecard_tour", {
    url: "/web",
    steps: () => [
        ...openScorecards(),
        {
            trigger: ".o_kanban_record:contains('Tour Department Scorecard') .o_crm_scorecard_tile:contains('Tour Opportunities')",
            content: "The head sees the department's scorecard",
        },
        {
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains('Tour Other Department')))",
            content: "and not another department's",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Department Scorecard')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='line_ids'] .o_data_row td[name='value_display']",
            content: "The lines of the department's scorecard, read only for a head",
        },
        {
            trigger: ".o_form_view:not(:has(button[name='action_rebuild_snapshots']))",
            content: "Only managers rebuild history",
        },
    ],
});
