import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** The main screens in Simplified Chinese: the labels the translators wrote, dates
 * as zh_CN writes them (2026年12月04日) and month names in Chinese (三月 2025). */
registry.category("web_tour.tours").add("crm_analytics_zh_cn_tour", {
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
                ".dropdown-toggle[data-menu-xmlid='crm_relationship.crm_relationship_menu_root']:contains('客户关系')",
            content: "The Relationships menu speaks Chinese",
            run: "click",
        },
        {
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_relationship.crm_relationship_score_menu']:contains('客户评分')",
            content: "Open the customer scores",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('客户评分')",
        },
        {
            trigger: ".o_switch_view.o_list",
            content: "As a list",
            run: "click",
        },
        {
            trigger: ".o_list_view th[data-name='health_score']:contains('健康度评分')",
            content: "Column headers in Chinese",
        },
        {
            trigger: ".o_list_view th[data-name='tier']:contains('等级')",
        },
        {
            trigger: ".o_list_view .o_data_row td[name='partner_id']:contains('Tour Zh Ltd')",
            content: "Open the customer's scores",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_label:contains('最近发票')",
            content: "Field labels in Chinese",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='last_invoice_date']:contains('年'):contains('月'):contains('日')",
            content: "Dates as zh_CN writes them",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='monetary']:contains('12,345')",
            content: "Amounts grouped by thousands",
        },
        {
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            content: "Open the Reporting menu",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_scorecard_menu']:contains('计分卡')",
            content: "Open the scorecards",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains('Tour Zh Scorecard')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] th[data-name='target']:contains('目标')",
            content: "The scorecard's columns in Chinese",
        },
        {
            trigger: ".o_field_widget[name='line_ids'] .o_data_row td[name='kpi_id']:contains('Tour Zh Leads')",
        },
        {
            trigger: ".dropdown-toggle[data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_kpi_value_menu']:contains('KPI 历史')",
            content: "Open the KPI history",
            run: "click",
        },
        {
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: ".o_list_view",
        },
        {
            trigger: ".o_searchview_dropdown_toggler",
            content: "Group by period",
            run: "click",
        },
        {
            trigger: ".o_group_by_menu .o_accordion_toggle:contains('期间')",
            run: "click",
        },
        {
            trigger: ".o_group_by_menu .o_item_option:contains('月')",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_group_name:contains('三月 2025')",
            content: "Month names in Chinese",
        },
    ],
});
