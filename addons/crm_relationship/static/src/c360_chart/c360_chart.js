import { Component, onWillStart, onWillUpdateProps, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { hexToRGBA } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatMonetary } from "@web/views/fields/formatters";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/** Tiers best first, as the server's scoring.TIERS: A is drawn highest. */
const TIERS = ["A", "B", "C", "D", "E", "F"];

/** Colours of Odoo's chart palette, one per series, readable on each other. */
const COLORS = {
    revenue: "#4EA7F2",
    purchases: "#F4A261",
    health: "#8481DD",
    tier: "#43C5B1",
    curve: "#EA6175",
    marker: "#374151",
};

function color(name, opacity = 1) {
    return opacity === 1 ? COLORS[name] : hexToRGBA(COLORS[name], opacity);
}

/**
 * The customer 360's chart: invoiced revenue per month over 24 months, purchases
 * as dots, health score and tier from the score history, further curves sent by
 * the server (P(alive) when crm_analytics is installed) and the loyalty tier's
 * progress. Chart.js is loaded as web's GraphRenderer loads it.
 */
export class C360Chart extends Component {
    static template = "crm_relationship.C360Chart";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.mainCanvas = useRef("main");
        this.curvesRef = useRef("curves");
        this.state = useState({ data: null });
        this.charts = [];
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load(this.props.record.resId);
        });
        onWillUpdateProps(async (next) => {
            if (next.record.resId !== this.props.record.resId) {
                await this.load(next.record.resId);
            }
        });
        useEffect(
            () => {
                this.renderCharts();
                return () => this.destroyCharts();
            },
            () => [this.state.data]
        );
    }

    async load(resId) {
        this.state.data = resId
            ? await this.orm.call("res.partner", "c360_chart_data", [[resId]])
            : null;
    }

    get hasHistory() {
        const data = this.state.data;
        return Boolean(
            data &&
                (data.revenue.some((value) => value) ||
                    data.purchases.length ||
                    data.health.some((value) => value !== null))
        );
    }

    money(value) {
        return formatMonetary(value, { currencyId: this.state.data.currency_id, digits: [16, 0] });
    }

    formatValue(value) {
        return formatFloat(value, { digits: [16, 0] });
    }

    loyaltyText(loyalty) {
        if (!loyalty.next_tier) {
            return _t("Highest tier reached");
        }
        const missing = loyalty.spend ? this.money(loyalty.missing) : this.formatValue(loyalty.missing);
        return loyalty.spend
            ? _t("%(missing)s more spend (12 months) to reach %(tier)s", {
                  missing,
                  tier: loyalty.next_tier,
              })
            : _t("%(missing)s more points to reach %(tier)s", {
                  missing,
                  tier: loyalty.next_tier,
              });
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        if (!this.state.data) {
            return;
        }
        if (this.mainCanvas.el) {
            this.charts.push(new Chart(this.mainCanvas.el, this.mainConfig()));
        }
        for (const curve of this.state.data.curves) {
            const canvas = this.curvesRef.el?.querySelector(`canvas[data-curve="${curve.key}"]`);
            if (canvas) {
                this.charts.push(new Chart(canvas, this.curveConfig(curve)));
            }
        }
    }

    mainConfig() {
        const data = this.state.data;
        const tierValue = (tier) => (tier ? TIERS.length - TIERS.indexOf(tier) : null);
        return {
            type: "bar",
            data: {
                labels: data.months,
                datasets: [
                    {
                        type: "line",
                        label: _t("Purchases"),
                        data: data.purchases.map((p) => ({
                            x: data.months[p.month],
                            y: p.amount,
                            date: p.date,
                        })),
                        showLine: false,
                        pointRadius: 5,
                        pointHoverRadius: 7,
                        backgroundColor: color("purchases"),
                        borderColor: "#fff",
                        borderWidth: 1,
                        yAxisID: "y",
                        order: 0,
                    },
                    {
                        type: "line",
                        label: _t("Health score"),
                        data: data.health,
                        borderColor: color("health"),
                        backgroundColor: color("health"),
                        borderWidth: 2,
                        pointRadius: 2,
                        spanGaps: true,
                        yAxisID: "yHealth",
                        order: 1,
                    },
                    {
                        type: "line",
                        label: _t("Tier"),
                        data: data.tier.map(tierValue),
                        tiers: data.tier,
                        stepped: "middle",
                        borderColor: color("tier"),
                        backgroundColor: color("tier"),
                        borderWidth: 2,
                        borderDash: [6, 3],
                        pointRadius: 0,
                        spanGaps: true,
                        yAxisID: "yTier",
                        order: 2,
                    },
                    {
                        label: _t("Invoiced revenue"),
                        data: data.revenue,
                        backgroundColor: color("revenue", 0.45),
                        borderColor: color("revenue"),
                        borderWidth: 1,
                        yAxisID: "y",
                        order: 3,
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "nearest", intersect: false },
                plugins: {
                    legend: { position: "bottom" },
                    tooltip: {
                        callbacks: {
                            title: (items) => {
                                const raw = items[0].raw;
                                return raw && raw.date ? raw.date : items[0].label;
                            },
                            label: (item) => {
                                const label = item.dataset.label;
                                if (item.dataset.yAxisID === "yTier") {
                                    return `${label}: ${item.dataset.tiers[item.dataIndex]}`;
                                }
                                if (item.dataset.yAxisID === "yHealth") {
                                    return `${label}: ${formatFloat(item.parsed.y, { digits: [16, 1] })}`;
                                }
                                return `${label}: ${this.money(item.parsed.y)}`;
                            },
                        },
                    },
                },
                scales: {
                    x: { ticks: { autoSkip: true, maxRotation: 0 } },
                    y: {
                        position: "left",
                        beginAtZero: true,
                        title: { display: true, text: _t("Invoiced (untaxed)") },
                        ticks: { callback: (value) => this.money(value) },
                    },
                    yHealth: {
                        position: "right",
                        min: 0,
                        max: 100,
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: _t("Health score") },
                    },
                    yTier: {
                        position: "right",
                        min: 0.5,
                        max: TIERS.length + 0.5,
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: _t("Tier") },
                        // one tick per tier, A at the top
                        afterBuildTicks: (axis) => {
                            axis.ticks = TIERS.map((_tier, index) => ({ value: index + 1 }));
                        },
                        ticks: { callback: (value) => TIERS[TIERS.length - value] },
                    },
                },
            },
        };
    }

    curveConfig(curve) {
        return {
            type: "line",
            data: {
                labels: curve.labels,
                datasets: [
                    {
                        label: curve.label,
                        data: curve.values,
                        borderColor: color("curve"),
                        backgroundColor: color("curve", 0.12),
                        borderWidth: 2,
                        fill: "origin",
                        pointRadius: 0,
                        tension: 0.2,
                    },
                    {
                        label: curve.marker_label,
                        data: curve.values.map((value, index) =>
                            index === curve.marker ? value : null
                        ),
                        pointStyle: "rectRot",
                        pointRadius: 7,
                        borderColor: color("marker"),
                        backgroundColor: color("marker"),
                        showLine: false,
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                plugins: {
                    legend: { position: "bottom" },
                    tooltip: {
                        filter: (item) => item.datasetIndex === 0,
                        callbacks: {
                            label: (item) =>
                                `${item.dataset.label}: ${formatFloat(item.parsed.y, { digits: [16, 1] })} %`,
                        },
                    },
                },
                scales: {
                    x: { ticks: { autoSkip: true, maxRotation: 0 } },
                    y: {
                        min: 0,
                        max: 100,
                        title: { display: true, text: curve.label },
                        ticks: { callback: (value) => `${value} %` },
                    },
                },
            },
        };
    }
}

export const c360Chart = { component: C360Chart };

registry.category("view_widgets").add("crm_c360_chart", c360Chart);
