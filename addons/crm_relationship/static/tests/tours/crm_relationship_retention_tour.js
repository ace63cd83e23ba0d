import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import { openRelationshipMenu } from "./crm_relationship_tour_utils";

/** Steps to a CRM menu entry under one of CRM's top menus (Configuration...). */
function openCrmEntry(topXmlid, entryXmlid) {
    return [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            content: "Open the CRM app",
            run: "click",
        },
        {
            trigger: `.dropdown-toggle[data-menu-xmlid='${topXmlid}']`,
            run: "click",
        },
        {
            trigger: `.dropdown-item[data-menu-xmlid='${entryXmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_relationship_retention_tour", {
    url: "/web",
    steps: () => [
        // a complaint taken by phone, then resolved
        ...openRelationshipMenu("crm_relationship.crm_complaint_menu"),
        {
            trigger: ".o_control_panel .o-kanban-button-new",
            content: "Record a complaint",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Pallet arrived wet",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='partner_id'] input",
            run: "edit Tour Retention",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Retention Ltd')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='severity'] span:contains('High')",
            content: "High severity",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='resolution_deadline']:not(:empty)",
            content: "The SLA gives the complaint its deadlines",
        },
        {
            trigger: ".o_form_view button[name='action_close']",
            content: "Resolve it",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_reopen']",
            content: "Resolved: it can be reopened",
        },
        // the win-back pipeline
        ...openRelationshipMenu("crm_relationship.crm_lead_menu_winback"),
        {
            trigger: ".o_kanban_record:contains('Win back Tour Lapsed Ltd')",
            content: "The lapsed customer has a win-back opportunity",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook a:contains('Win-back')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='winback_state']:contains('Running')",
            content: "Its campaign runs",
        },
        // configuration and analysis
        // relationship managers configure in CRM > Relationships > Configuration
        ...openRelationshipMenu("crm_relationship.loyalty_tier_menu"),
        {
            trigger: ".o_list_view .o_group_header:contains('Tour Club')",
            content: "Tiers are listed by program",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Tour Gold')",
            content: "Loyalty tiers are configured in CRM",
        },
        ...openCrmEntry("crm.crm_menu_report", "crm_relationship.crm_winback_report_menu"),
        {
            trigger: ".o_pivot_view .o_pivot",
            content: "The win-back analysis opens as a pivot",
        },
    ],
});
