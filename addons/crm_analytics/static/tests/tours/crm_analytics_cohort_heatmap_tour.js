import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_analytics_cohort_heatmap_tour", {
    url: "/web",
    steps: () => [
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
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_cohort_report_menu_heatmap']",
            content: "Open the cohort heat map, next to the cohort pivot",
            run: "click",
        },
        {
            trigger: ".o_crm_cohort_heatmap_table .o_crm_cohort_cell[data-months='1']",
            content: "The cells are coloured by retention",
            run() {
                const cells = [
                    ...document.querySelectorAll(".o_crm_cohort_heatmap_table .o_crm_cohort_cell"),
                ];
                const colours = new Set(cells.map((cell) => cell.style.backgroundColor));
                if (colours.size < 3 || colours.has("")) {
                    throw new Error(`Cells are not coloured by retention: ${[...colours]}`);
                }
            },
        },
        {
            trigger: ".o_crm_cohort_heatmap_table tbody tr:last-child .o_crm_cohort_cell[data-months='0']",
            content: "Open the customers of the oldest cohort",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Heat Alpha')",
            content: "Its customers are listed",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Heat Beta')",
        },
    ],
});
