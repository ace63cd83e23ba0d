import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_relationship_customers_tour", {
    url: "/web",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            content: "Open the CRM app",
            run: "click",
        },
        {
            trigger:
                ".dropdown-toggle[data-menu-xmlid='crm_relationship.crm_relationship_menu_root']",
            content: "Open the Relationships menu",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_relationship.res_partner_menu_customers']",
            content: "Open the customers",
            run: "click",
        },
        {
            trigger: ".o_searchview_input",
            content: "Look the customer up",
            run: "edit Tour Customer",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Customer Ltd')",
            content: "The customer is listed",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='name'] input:value('Tour Customer Ltd')",
            content: "Its form opens",
        },
    ],
});
