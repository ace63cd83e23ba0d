import { Component, onWillStart, onWillUnmount, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { getColor } from "@web/core/colors/colors";
import { cookie } from "@web/core/browser/cookie";

/**
 * A small Chart.js chart of a dashboard block, loaded as web's GraphRenderer does.
 * A click on a bar or slice that carries an ``open`` calls ``onOpen`` with it.
 */
export class DepartmentDashboardChart extends Component {
    static template = "crm_relationship.DepartmentDashboardChart";
    static props = { chart: Object, onOpen: Function };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => {
                this.renderChart();
                return () => this.chart?.destroy();
            },
            () => [this.props.chart]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    renderChart() {
        const spec = this.props.chart;
        const scheme = cookie.get("color_scheme");
        const datasets = spec.datasets.map((dataset, index) => ({
            label: dataset.label,
            data: dataset.data,
            backgroundColor: dataset.color || getColor(index, scheme, "odoo"),
            borderRadius: 2,
            maxBarThickness: 48,
        }));
        this.chart = new Chart(this.canvasRef.el, {
            type: spec.type,
            data: { labels: spec.labels, datasets },
            options: {
                maintainAspectRatio: false,
                animation: false,
                plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
                scales:
                    spec.type === "bar"
                        ? {
                              x: { stacked: spec.stacked, grid: { display: false } },
                              y: {
                                  stacked: spec.stacked,
                                  beginAtZero: true,
                                  ticks: { precision: 0 },
                              },
                          }
                        : {},
                onHover: (ev, elements) => {
                    ev.native.target.style.cursor = this.openAt(elements) ? "pointer" : "";
                },
                onClick: (ev, elements) => {
                    const open = this.openAt(elements);
                    if (open) {
                        this.props.onOpen(open);
                    }
                },
            },
        });
    }

    openAt(elements) {
        if (!elements.length) {
            return null;
        }
        const { datasetIndex, index } = elements[0];
        return this.props.chart.datasets[datasetIndex].opens?.[index] || null;
    }
}
