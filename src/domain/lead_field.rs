//! The one definition of a lead's fields: the name each has on the wire (form field, JSON error key, CSV
//! column), its labels for visitors and for staff, the control it is edited with, its limits and the
//! message shown when it is missing. The public form, its JavaScript hints (through `data-` attributes),
//! the validation messages, the admin pages and the CSV export all read from here, so adding a field
//! means a migration pair, an entry here, its value type and its view.

use std::collections::BTreeMap;

use serde::Serialize;

use super::lead_values::Interest;

pub const NAME_MAX: usize = 120;
pub const EMAIL_MAX: usize = 254;
pub const PHONE_MAX: usize = 40;
pub const MESSAGE_MAX: usize = 2000;

/// A field a visitor (or a staff member taking a phone enquiry) fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeadField {
    Name,
    Email,
    Phone,
    Interest,
    Message,
    Consent,
}

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// `<input type=…>` with its `autocomplete` token.
    Input {
        input_type: &'static str,
        autocomplete: &'static str,
    },
    /// `<select>` over [`LeadField::choices`].
    Choice,
    /// `<textarea>`.
    LongText,
    /// A `yes` checkbox whose label is the field's form label.
    Checkbox,
}

impl LeadField {
    /// In form order.
    pub const ALL: [LeadField; 6] = [
        LeadField::Name,
        LeadField::Email,
        LeadField::Phone,
        LeadField::Interest,
        LeadField::Message,
        LeadField::Consent,
    ];

    /// The field's name on the wire: the form field, the key in a 422's `errors`, the CSV column.
    pub fn key(self) -> &'static str {
        match self {
            LeadField::Name => "name",
            LeadField::Email => "email",
            LeadField::Phone => "phone",
            LeadField::Interest => "interest",
            LeadField::Message => "message",
            LeadField::Consent => "consent",
        }
    }

    /// The label on the visitors' form.
    pub fn form_label(self) -> &'static str {
        match self {
            LeadField::Name => "Your name",
            LeadField::Email => "Email",
            LeadField::Phone => "Phone (optional)",
            LeadField::Interest => "I'm interested in",
            LeadField::Message => "Message (optional)",
            LeadField::Consent => {
                "Yes, send me occasional emails about new coffees and events. Unsubscribe any time."
            }
        }
    }

    /// The label on staff pages.
    pub fn staff_label(self) -> &'static str {
        match self {
            LeadField::Name => "Name",
            LeadField::Email => "Email",
            LeadField::Phone => "Phone",
            LeadField::Interest => "Interest",
            LeadField::Message => "Message",
            LeadField::Consent => "Marketing consent",
        }
    }

    pub fn control(self) -> Control {
        match self {
            LeadField::Name => Control::Input {
                input_type: "text",
                autocomplete: "name",
            },
            LeadField::Email => Control::Input {
                input_type: "email",
                autocomplete: "email",
            },
            LeadField::Phone => Control::Input {
                input_type: "tel",
                autocomplete: "tel",
            },
            LeadField::Interest => Control::Choice,
            LeadField::Message => Control::LongText,
            LeadField::Consent => Control::Checkbox,
        }
    }

    pub fn required(self) -> bool {
        matches!(
            self,
            LeadField::Name | LeadField::Email | LeadField::Interest
        )
    }

    /// The most characters the field takes, where it has a limit.
    pub fn max_chars(self) -> Option<usize> {
        match self {
            LeadField::Name => Some(NAME_MAX),
            LeadField::Email => Some(EMAIL_MAX),
            LeadField::Phone => Some(PHONE_MAX),
            LeadField::Message => Some(MESSAGE_MAX),
            LeadField::Interest | LeadField::Consent => None,
        }
    }

    /// What to tell someone who left a required field empty (or filled it in wrongly, for the browser's
    /// own checks, which cannot say which rule failed).
    pub fn missing_message(self) -> Option<&'static str> {
        match self {
            LeadField::Name => Some("Please tell us your name."),
            LeadField::Email => Some("Please enter an email address like name@example.com."),
            LeadField::Interest => Some("Please choose what you are interested in."),
            LeadField::Phone | LeadField::Message | LeadField::Consent => None,
        }
    }

    /// `(value, label)` pairs of a [`Control::Choice`] field.
    pub fn choices(self) -> Vec<(&'static str, &'static str)> {
        match self {
            LeadField::Interest => Interest::ALL
                .iter()
                .map(|i| (i.as_str(), i.label()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Error keys that are not lead fields: the form as a whole, and its idempotency token.
pub const FORM_ERROR_KEY: &str = "form";
pub const FORM_TOKEN_KEY: &str = "form_token";

/// Field key → messages, in a stable order; serialised as the `errors` object of a 422 JSON answer.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: LeadField, message: impl Into<String>) {
        self.add_for(field.key(), message);
    }

    /// A message about the form as a whole ([`FORM_ERROR_KEY`]) or its token ([`FORM_TOKEN_KEY`]).
    pub fn add_for(&mut self, key: &'static str, message: impl Into<String>) {
        self.0.entry(key).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self, field: LeadField) -> Option<&str> {
        self.first_for(field.key())
    }

    pub fn first_for(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|m| m.first()).map(String::as_str)
    }

    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.keys().copied()
    }
}
