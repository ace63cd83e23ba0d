import { registry } from "@web/core/registry";

/** The 360's chart is drawn and holds the customer's invoiced revenue. */
export function c360ChartSteps() {
    return [
        {
            trigger: ".o_notebook_headers a[name='crm_customer_360']",
            content: "Open the Customer 360 tab",
            run: "click",
        },
        {
            trigger: ".o_crm_c360_chart_main canvas",
            content: "The 24-month chart shows the invoiced revenue and the history",
            run() {
                const chart = Chart.getChart(this.anchor);
                const byAxis = (axis, type) =>
                    chart.data.datasets.find(
                        (dataset) => dataset.yAxisID === axis && (dataset.type || "bar") === type
                    );
                if (!byAxis("y", "bar").data.some((value) => value > 0)) {
                    throw new Error("The chart has no invoiced revenue");
                }
                if (!byAxis("y", "line").data.length) {
                    throw new Error("The chart has no purchases");
                }
                if (!byAxis("yHealth", "line").data.some((value) => value !== null)) {
                    throw new Error("The chart has no health score");
                }
            },
        },
    ];
}

registry.category("web_tour.tours").add("crm_relationship_c360_chart_tour", {
    steps: () => [
        ...c360ChartSteps(),
        {
            trigger: ".o_crm_c360_loyalty .progress-bar",
            content: "The loyalty tier's progress is shown",
        },
    ],
});
