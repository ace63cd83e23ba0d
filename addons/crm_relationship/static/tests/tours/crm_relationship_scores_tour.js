import { registry } from "@web/core/registry";
import { openRelationshipEntry } from "./crm_relationship_tour_utils";

registry.category("web_tour.tours").add("crm_relationship_scores_tour", {
    url: "/web",
    steps: () => [
        ...openRelationshipEntry("crm_relationship.crm_relationship_score_menu", "Tour Scored"),
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
