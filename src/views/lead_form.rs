//! The lead form partial: the same markup for a fresh form and for a 422 re-render (values kept, errors
//! inline, `aria-invalid` set). The HTML5 limits come from the domain constants the server enforces.

use maud::{Markup, html};

use crate::domain::lead::{EMAIL_MAX, LeadFormValues, MESSAGE_MAX, NAME_MAX, PHONE_MAX};
use crate::domain::{FieldErrors, Interest};

pub struct LeadFormView<'a> {
    pub values: &'a LeadFormValues,
    pub errors: &'a FieldErrors,
}

impl LeadFormView<'_> {
    pub fn render(&self) -> Markup {
        self.render_with_action("/leads", html! {})
    }

    /// The same form posting elsewhere (the staff "add lead" page), with extra hidden fields.
    pub fn render_with_action(&self, action: &str, hidden: Markup) -> Markup {
        let v = self.values;
        html! {
            form #lead-form .lead-form method="post" action=(action) data-testid="lead-form" {
                (hidden)
                @if !self.errors.is_empty() {
                    div.notice.notice--error role="alert" data-testid="form-errors" tabindex="-1" {
                        @if let Some(message) = self.errors.first("form") {
                            p { (message) }
                        } @else {
                            p { "Please check the highlighted fields below." }
                        }
                        @if let Some(message) = self.errors.first("form_token") {
                            p { (message) }
                        }
                    }
                }
                input type="hidden" name="form_token" value=(v.form_token);
                (self.field("name", "Your name", html! {
                    input #name type="text" name="name" value=(v.name) required maxlength=(NAME_MAX)
                        autocomplete="name" aria-describedby="err-name" aria-invalid=[self.invalid("name")] data-testid="input-name";
                }))
                (self.field("email", "Email", html! {
                    input #email type="email" name="email" value=(v.email) required maxlength=(EMAIL_MAX)
                        autocomplete="email" aria-describedby="err-email" aria-invalid=[self.invalid("email")] data-testid="input-email";
                }))
                (self.field("phone", "Phone (optional)", html! {
                    input #phone type="tel" name="phone" value=(v.phone) maxlength=(PHONE_MAX)
                        autocomplete="tel" aria-describedby="err-phone" aria-invalid=[self.invalid("phone")] data-testid="input-phone";
                }))
                (self.field("interest", "I'm interested in", html! {
                    select #interest name="interest" required aria-describedby="err-interest" aria-invalid=[self.invalid("interest")] data-testid="input-interest" {
                        option value="" selected[v.interest.is_empty()] { "Choose one…" }
                        @for interest in Interest::ALL {
                            option value=(interest.as_str()) selected[v.interest == interest.as_str()] { (interest.label()) }
                        }
                    }
                }))
                (self.field("message", "Message (optional)", html! {
                    textarea #message name="message" rows="4" maxlength=(MESSAGE_MAX)
                        aria-describedby="err-message" aria-invalid=[self.invalid("message")] data-testid="input-message" { (v.message) }
                }))
                div.field.field--checkbox.field--error[self.errors.first("consent").is_some()] {
                    input #consent type="checkbox" name="consent" value="yes" checked[v.consent_checked()]
                        aria-describedby="err-consent" data-testid="input-consent";
                    label for="consent" { "Yes, send me occasional emails about new coffees and events. Unsubscribe any time." }
                    p.field__error #err-consent aria-live="polite" { @if let Some(m) = self.errors.first("consent") { (m) } }
                }
                div.hp aria-hidden="true" {
                    label for="website" { "Leave this field empty" }
                    input #website type="text" name="website" value=(v.website) tabindex="-1" autocomplete="off";
                }
                button.button.button--primary type="submit" data-testid="submit" { "Send" }
                p.form-note { "We reply within one working day. See our " a href="/privacy" { "privacy note" } "." }
            }
        }
    }

    fn field(&self, name: &str, label: &str, control: Markup) -> Markup {
        let error = self.errors.first(name);
        html! {
            div.field.field--error[error.is_some()] {
                label for=(name) { (label) }
                (control)
                p.field__error id={ "err-" (name) } aria-live="polite" { @if let Some(m) = error { (m) } }
            }
        }
    }

    fn invalid(&self, name: &str) -> Option<&'static str> {
        self.errors.first(name).map(|_| "true")
    }
}

/// A fresh idempotency key for a newly rendered form.
pub fn new_form_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
