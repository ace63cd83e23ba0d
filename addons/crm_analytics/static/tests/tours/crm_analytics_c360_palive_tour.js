import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_analytics_c360_palive_tour", {
    steps: () => [
        {
            trigger: ".o_notebook_headers a[name='crm_customer_360']",
            content: "Open the Customer 360 tab",
            run: "click",
        },
        {
            trigger: ".o_crm_c360_chart_main canvas",
            content: "The 24-month chart is drawn",
        },
        {
            trigger: ".o_crm_c360_chart_curve canvas[data-curve='p_alive']",
            content: "The P(alive) curve of the purchase model in use is drawn",
            run() {
                const values = Chart.getChart(this.anchor).data.datasets[0].data;
                if (values.length < 13 || !values.every((v) => v > 0 && v <= 100)) {
                    throw new Error(`Unexpected P(alive) curve: ${values}`);
                }
            },
        },
    ],
});
