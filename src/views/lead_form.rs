//! The lead form partial: the same markup for a fresh form and for a 422 re-render (values kept, errors
//! inline, `aria-invalid` set), one control per field in the fields' definition, whose limits the server
//! enforces and whose hints the JavaScript shows (`data-missing`).

use maud::{Markup, html};

use crate::domain::lead_field::{Control, FORM_ERROR_KEY, FORM_TOKEN_KEY};
use crate::domain::{FieldErrors, LeadField, LeadFormValues};

pub struct LeadFormView<'a> {
    pub values: &'a LeadFormValues,
    pub errors: &'a FieldErrors,
}

/// Who fills the form in: the visitor ("Your name", "Send"), or staff recording an enquiry for someone
/// else ("Name", "Add lead"; an email address or a phone number is enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience<'a> {
    Visitor,
    /// With the label of the submit button.
    Staff(&'a str),
}

impl LeadFormView<'_> {
    pub fn render(&self) -> Markup {
        // Without JavaScript the answer to a post is a new page: on a 422 the error summary's `autofocus`
        // brings the visitor back down to the form. The fragment names no element on purpose: a page whose
        // fragment targets an element skips `autofocus`, and a fragment kept through the redirect to
        // /thanks must not jump anywhere either.
        self.render_for(Audience::Visitor, "/leads#enquiry", html! {})
    }

    /// The form for staff adding or correcting a lead, posting to `action` with extra hidden fields (the
    /// CSRF token) and `submit` on its button.
    pub fn render_for_staff(&self, action: &str, hidden: Markup, submit: &str) -> Markup {
        self.render_for(Audience::Staff(submit), action, hidden)
    }

    fn render_for(&self, audience: Audience, action: &str, hidden: Markup) -> Markup {
        let v = self.values;
        html! {
            form #lead-form .lead-form method="post" action=(action) data-testid="lead-form" {
                (hidden)
                @if !self.errors.is_empty() {
                    div.notice.notice--error role="alert" data-testid="form-errors" tabindex="-1" autofocus {
                        @if let Some(message) = self.errors.first_for(FORM_ERROR_KEY) {
                            p { (message) }
                        } @else {
                            p { "Please check the highlighted fields below." }
                        }
                        @if let Some(message) = self.errors.first_for(FORM_TOKEN_KEY) {
                            p { (message) }
                        }
                    }
                }
                input type="hidden" name=(FORM_TOKEN_KEY) value=(v.form_token);
                @for field in LeadField::ALL { (self.field(field, audience)) }
                div.hp aria-hidden="true" {
                    label for="website" { "Leave this field empty" }
                    input #website type="text" name="website" value=(v.website) tabindex="-1" autocomplete="off";
                }
                @match audience {
                    Audience::Visitor => {
                        button.button.button--primary type="submit" data-testid="submit" { "Send" }
                        p.form-note { "We reply within one working day. See our " a href="/privacy" { "privacy note" } "." }
                    }
                    Audience::Staff(submit) => {
                        button.button.button--primary type="submit" data-testid="submit" { (submit) }
                    }
                }
            }
        }
    }

    /// One field: its label, its control (with the limits and hints from the field's definition) and the
    /// place for its error message.
    fn field(&self, field: LeadField, audience: Audience<'_>) -> Markup {
        let key = field.key();
        let value = self.values.get(field);
        let error = self.errors.first(field);
        let error_id = format!("err-{key}");
        let invalid = error.map(|_| "true");
        let testid = format!("input-{key}");
        let hint = field.missing_message();
        let max = field.max_chars();
        let staff = matches!(audience, Audience::Staff(_));
        // Staff may take a phone number instead of an email address: the server checks one is there.
        let required = field.required() && !(staff && field == LeadField::Email);
        let label_text = match (audience, field) {
            (Audience::Visitor, _) => field.form_label(),
            (Audience::Staff(_), LeadField::Consent) => "They said yes to marketing emails",
            (Audience::Staff(_), _) => field.staff_label(),
        };
        let label = html! { label for=(key) { (label_text) } };
        let error_box = html! {
            p.field__error id=(error_id) aria-live="polite" { @if let Some(m) = error { (m) } }
        };
        match field.control() {
            Control::Checkbox => html! {
                div.field.field--checkbox.field--error[error.is_some()] {
                    input id=(key) type="checkbox" name=(key) value="yes" checked[value == "yes"]
                        aria-describedby=(error_id) data-testid=(testid);
                    (label)
                    (error_box)
                }
            },
            control => html! {
                div.field.field--error[error.is_some()] {
                    (label)
                    @match control {
                        Control::Input { input_type, autocomplete } => {
                            input id=(key) type=(input_type) name=(key) value=(value) required[required]
                                maxlength=[max] autocomplete=(autocomplete) aria-describedby=(error_id)
                                aria-invalid=[invalid] data-missing=[hint] data-testid=(testid);
                        }
                        Control::Choice => {
                            select id=(key) name=(key) required[required] aria-describedby=(error_id)
                                aria-invalid=[invalid] data-missing=[hint] data-testid=(testid) {
                                option value="" selected[value.is_empty()] { "Choose one…" }
                                @for (choice, choice_label) in field.choices() {
                                    option value=(choice) selected[value == choice] { (choice_label) }
                                }
                            }
                        }
                        Control::LongText | Control::Checkbox => {
                            textarea id=(key) name=(key) rows="4" maxlength=[max] aria-describedby=(error_id)
                                aria-invalid=[invalid] data-missing=[hint] data-testid=(testid) { (value) }
                        }
                    }
                    (error_box)
                }
            },
        }
    }
}

/// A fresh idempotency key for a newly rendered form.
pub fn new_form_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
