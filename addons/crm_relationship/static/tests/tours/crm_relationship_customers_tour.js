import { registry } from "@web/core/registry";
import { openRelationshipEntry } from "./crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_relationship_customers_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.res_partner_menu_customers", "Tour Customer"),
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
