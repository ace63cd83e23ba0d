import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** Steps from the home screen to an entry of CRM > Relationships, then a search. */
export function openRelationshipEntry(menuXmlid, search) {
    return [
        ...openRelationshipMenu(menuXmlid),
        {
            trigger: ".o_searchview_input",
            content: "Look the customer up",
            run: `edit ${search}`,
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
    ];
}

/** Steps from the home screen to an entry of CRM > Relationships. */
export function openRelationshipMenu(menuXmlid) {
    return [
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
            trigger: `.dropdown-item[data-menu-xmlid='${menuXmlid}']`,
            content: "Open the entry",
            run: "click",
        },
    ];
}
