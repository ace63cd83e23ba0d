import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/views/fields/formatters";
import { Layout } from "@web/search/layout";

/**
 * Customer cohorts as a heat map: cohorts (month of first purchase) down, months
 * since the first purchase across, each cell coloured by its retention rate and
 * opening its customers. Reads the stored cohort report through one grouped read
 * (crm.cohort.report.get_heatmap_data).
 */
export class CohortHeatmap extends Component {
    static template = "crm_analytics.CohortHeatmap";
    static components = { Layout };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: { cohorts: [], columns: [] } });
        this.display = { controlPanel: {} };
        onWillStart(async () => {
            this.state.data = await this.orm.call("crm.cohort.report", "get_heatmap_data", []);
        });
    }

    /** Retention colour: from white (0 %) to the theme's green (100 %). */
    cellStyle(cell) {
        if (cell.rate === null) {
            return "";
        }
        const share = Math.min(1, Math.max(0, cell.rate / 100));
        // month 0 is 100 % by definition: a neutral grey keeps the scale for the others
        const alpha = cell.months_since === 0 ? 0.12 : 0.08 + 0.92 * Math.sqrt(share);
        const text = alpha > 0.55 ? "#fff" : "inherit";
        const rgb = cell.months_since === 0 ? "108, 117, 125" : "1, 126, 132";
        return `background-color: rgba(${rgb}, ${alpha.toFixed(3)}); box-shadow: none; color: ${text};`;
    }

    cellTitle(cohort, cell) {
        return _t("%(cohort)s, month %(months)s: %(active)s of %(size)s customers bought", {
            cohort: cohort.label,
            months: cell.months_since,
            active: cell.active,
            size: cohort.size,
        });
    }

    formatRate(rate) {
        return formatFloat(rate, { digits: [16, 0] });
    }

    async openCell(cohort, cell) {
        if (cell.rate === null || !cell.active) {
            return;
        }
        const action = await this.orm.call("crm.cohort.report", "action_open_cohort_customers", [
            cohort.month,
            cell.months_since,
        ]);
        await this.action.doAction(action);
    }
}

registry.category("actions").add("crm_cohort_heatmap", CohortHeatmap);
