import { registry } from "@web/core/registry";

/** The steps of the NPS page: start, answer ``score`` out of 10, say why, submit. */
function npsAnswerSteps(score, reason) {
    return [
        {
            trigger: "button.btn:contains('Start')",
            content: "Start the survey",
            run: "click",
        },
        {
            trigger: `div.js_question-wrapper:contains('recommend') label.o_survey_choice_btn:has(input[value='${score}'])`,
            content: `Answer ${score} out of 10`,
            run: "click",
        },
        {
            trigger: "div.js_question-wrapper:contains('main reason') textarea",
            content: "Say why",
            run: `edit ${reason}`,
        },
        {
            trigger: "button[value='finish']",
            content: "Submit",
            run: "click",
        },
        {
            trigger: "h1:contains('Thank you')",
            content: "The answer is in",
        },
    ];
}

/** A customer answers the NPS from the link of the e-mail, without logging in. */
registry.category("web_tour.tours").add("crm_relationship_nps_answer_tour", {
    steps: () => npsAnswerSteps(3, "Three late deliveries in a row"),
});

/** A customer logged in to the portal finds the survey waiting and answers it. */
registry.category("web_tour.tours").add("crm_relationship_portal_survey_tour", {
    steps: () => [
        {
            trigger: "a[href='/my/surveys']:contains('Surveys')",
            content: "The home of the portal shows the surveys to answer",
            run: "click",
        },
        {
            trigger: "td:contains('recommend us') ~ td a:contains('Answer')",
            content: "Answer the waiting survey",
            run: "click",
        },
        ...npsAnswerSteps(10, "Fast answers every time"),
    ],
});

/** A service user receives the detractor follow-up, reads the answer in the customer
 * 360 and closes the follow-up. */
registry.category("web_tour.tours").add("crm_relationship_detractor_tour", {
    steps: () => [
        {
            trigger: ".o_menu_systray i[aria-label='Activities']",
            content: "Open the activities",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityGroup:contains('Contact')",
            content: "The follow-up waits on a contact",
            run: "click",
        },
        {
            trigger:
                ".o_kanban_record:contains('Tour Voice Ltd'), .o_data_row:contains('Tour Voice Ltd') td.o_data_cell",
            content: "Open the customer",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook a:contains('Customer 360')",
            content: "Open the customer 360",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='relationship_nps_category']:contains('Detractor')",
            content: "A detractor",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='relationship_nps_reason']:contains('Three late deliveries')",
            content: "Read why",
        },
        {
            trigger: ".o-mail-Activity:contains('detractor') .o-mail-Activity-markDone",
            content: "Close the follow-up",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            content: "Say what was done",
            run: "edit Called back, new delivery slot agreed",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done and Schedule Next']",
            content: "Done",
            run: "click",
        },
        {
            trigger: ".modal .o_form_button_cancel, .modal button:contains('Discard')",
            content: "No next activity",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('Called back')",
            content: "The follow-up is closed, its feedback in the chatter",
        },
    ],
});
