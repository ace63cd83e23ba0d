import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function hasData(chart) {
    return chart.data.datasets.some((dataset) =>
        dataset.data.some((value) => value !== null && Number(value?.y ?? value) !== 0)
    );
}

/**
 * Scroll the dashboard from top to bottom (o-spreadsheet draws only the figures in
 * view) and note, for each Chart.js chart by its title, whether it has drawn a
 * non-zero value: a chart whose data source failed or found nothing draws none.
 * The scorecards are drawn by o-spreadsheet itself, not by Chart.js.
 */
async function collectCharts(seen) {
    const scrollbar = document.querySelector(".o-spreadsheet .o-scrollbar.vertical");
    const height = scrollbar ? scrollbar.scrollHeight : 0;
    for (let top = 0; top <= height; top += 200) {
        if (scrollbar) {
            scrollbar.scrollTop = top;
            scrollbar.dispatchEvent(new Event("scroll"));
        }
        await wait(150);
        for (const canvas of document.querySelectorAll(".o-spreadsheet .o-figure canvas")) {
            const chart = window.Chart?.getChart(canvas);
            if (chart) {
                const title = chart.options.plugins?.title?.text || `chart ${seen.size + 1}`;
                seen.set(title, seen.get(title) || hasData(chart));
            }
        }
    }
    if (scrollbar) {
        scrollbar.scrollTop = 0;
        scrollbar.dispatchEvent(new Event("scroll"));
    }
}

async function checkChartsHaveData(expected) {
    const seen = new Map();
    for (let attempt = 0; attempt < 10; attempt++) {
        await collectCharts(seen);
        if (seen.size >= expected && [...seen.values()].every(Boolean)) {
            return;
        }
    }
    const empty = [...seen].filter(([, data]) => !data).map(([title]) => title);
    throw new Error(
        `Expected ${expected} charts with data, found ${seen.size}; without data: ${empty.join(", ")}`
    );
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
            run: () => checkChartsHaveData(charts),
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
