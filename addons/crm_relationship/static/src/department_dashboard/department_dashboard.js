import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { DepartmentDashboardChart } from "./dashboard_chart";

/**
 * The department head's page: the blocks ``hr.department.get_crm_dashboard``
 * returns, rendered as cards without knowing what they measure, so that other
 * modules add blocks on the server. Every figure, bar and row opens its records.
 */
export class DepartmentDashboard extends Component {
    static template = "crm_relationship.DepartmentDashboard";
    static components = { Layout, DepartmentDashboardChart };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null });
        // back from a figure's records (breadcrumb), the department chosen stays
        this.departmentId =
            this.props.state?.departmentId || this.props.action.context?.active_id || null;
        useSetupAction({ getLocalState: () => ({ departmentId: this.departmentId }) });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("hr.department", "get_crm_dashboard", [], {
            department_id: this.departmentId,
        });
        this.departmentId = this.state.data.department?.id || null;
    }

    async onDepartmentChange(ev) {
        this.departmentId = parseInt(ev.target.value);
        await this.load();
    }

    blockClass(block) {
        return block.width === "wide" ? "col-12 col-xl-6" : "col-12 col-lg-6 col-xxl-4";
    }

    kpiGroups(block) {
        if (!block.groups) {
            return [{ key: "", title: "", kpis: block.kpis }];
        }
        return block.groups
            .map((group) => ({
                ...group,
                kpis: block.kpis.filter((kpi) => kpi.group === group.key),
            }))
            .filter((group) => group.kpis.length);
    }

    kpiClass(kpi) {
        const classes = ["o_crm_dashboard_kpi"];
        if (kpi.main) {
            classes.push("o_crm_dashboard_kpi_main");
        }
        if (kpi.tone) {
            classes.push(`text-${kpi.tone}`);
        }
        if (kpi.open) {
            classes.push("o_crm_dashboard_clickable");
        }
        return classes.join(" ");
    }

    async open(open) {
        if (!open) {
            return;
        }
        if (open.res_model) {
            return this.actionService.doAction({
                type: "ir.actions.act_window",
                res_model: open.res_model,
                res_id: open.res_id,
                views: [[false, "form"]],
            });
        }
        const action = await this.orm.call(
            "hr.department",
            "action_crm_dashboard_open",
            [[this.departmentId], open.figure, open.params]
        );
        return this.actionService.doAction(action);
    }

    get noDepartmentText() {
        return _t(
            "You have no department: set it on your employee record (Employees app) to see its dashboard."
        );
    }
}

registry
    .category("actions")
    .add("crm_relationship.department_dashboard", DepartmentDashboard);
