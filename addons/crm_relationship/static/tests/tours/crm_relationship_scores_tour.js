import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_relationship_scores_tour", {
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
            trigger: ".dropdown-item[data-menu-xmlid='crm_relationship.crm_relationship_score_menu']",
            content: "Open the customer scores",
            run: "click",
        },
        {
            trigger: ".o_searchview_input",
            content: "Look the customer up",
            run: "edit Tour Scored",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Scored Ltd')",
            content: "Its score card is listed",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='tier']:contains('A')",
            content: "The form shows the tier",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='explanation']:contains('Bought recently')",
            content: "and says why, in words",
        },
        {
            trigger: ".o_form_view button[name='action_recompute_now']",
            content: "A manager recomputes now",
            run: "click",
        },
        {
            trigger: ".o_notification:contains('Relationship scores recomputed')",
            content: "and is told it is done",
        },
    ],
});
