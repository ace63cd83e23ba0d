import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * The Chart.js charts of the open dashboard: each must have drawn at least one
 * non-zero value (a chart whose data source failed or found nothing draws none).
 * The scorecards are drawn by o-spreadsheet itself, not by Chart.js.
 */
function checkChartsHaveData(expected) {
    const canvases = [...document.querySelectorAll(".o-spreadsheet .o-figure canvas")];
    const charts = canvases.map((canvas) => window.Chart?.getChart(canvas)).filter(Boolean);
    if (charts.length < expected) {
        throw new Error(`Expected ${expected} charts, found ${charts.length}`);
    }
    const empty = charts.filter(
        (chart) =>
            !chart.data.datasets.some((dataset) =>
                dataset.data.some((value) => Number(value?.y ?? value) !== 0 && value !== null)
            )
    );
    if (empty.length) {
        const titles = empty.map((chart) => chart.options.plugins?.title?.text || "?");
        throw new Error(`Charts without data: ${titles.join(", ")}`);
    }
}

function openDashboard(name, charts) {
    return [
        {
            trigger: `.o_spreadsheet_dashboard_search_panel li:contains('${name}')`,
            content: `Open the ${name} dashboard`,
            run: "click",
        },
        {
            trigger: `.o_spreadsheet_dashboard_search_panel li.active:contains('${name}')`,
        },
        {
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet .o-figure canvas",
            content: "The charts are drawn",
        },
        {
            // the data sources load asynchronously: wait until every chart is drawn
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet",
            content: "Every chart shows data",
            run: async () => {
                let error;
                for (let attempt = 0; attempt < 50; attempt++) {
                    try {
                        checkChartsHaveData(charts);
                        return;
                    } catch (e) {
                        error = e;
                        await new Promise((resolve) => setTimeout(resolve, 200));
                    }
                }
                throw error;
            },
        },
    ];
}

registry.category("web_tour.tours").add("crm_analytics_dashboards_tour", {
    url: "/web",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='spreadsheet_dashboard.spreadsheet_dashboard_menu_root']",
            content: "Open the Dashboards app",
            run: "click",
        },
        {
            trigger: ".o_spreadsheet_dashboard_search_panel header:contains('Customer Relationships')",
        },
        ...openDashboard("Customer Relationships", 10),
        ...openDashboard("Balanced Scorecard", 3),
    ],
});
