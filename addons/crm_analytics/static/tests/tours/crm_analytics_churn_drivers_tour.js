import { registry } from "@web/core/registry";
import { openRelationshipMenu } from "@crm_relationship/../tests/tours/crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_analytics_churn_drivers_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipMenu("crm_relationship.hr_department_menu_relationship"),
        {
            trigger:
                ".o_crm_department_dashboard:has(.o_crm_dashboard_title:contains('Tour Drivers Logistics')) .o_crm_dashboard_block_churn_drivers:contains('Why customers leave')",
            content: "The department's dashboard says why customers leave",
        },
        {
            trigger:
                ".o_crm_dashboard_block_churn_drivers .o_crm_dashboard_clickable:contains('Customers with late deliveries churn')",
            content: "Late deliveries, owned by logistics",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='sentence']:contains('as fast: Logistics')",
            content: "The driver opens in the report, with its hazard ratio",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='hazard_ratio']",
        },
    ],
});
