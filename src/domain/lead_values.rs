//! The values a lead is made of, each a type with one parse function: a `LeadEmail` is a plausible address
//! by construction, an `Interest` one of the offered choices. They are stored as text columns (the
//! conversions live in `db::lead_columns`) and read back as the same types, so nothing downstream re-parses
//! a string.

use serde::Serialize;

use super::lead_field::{EMAIL_MAX, LeadField, MESSAGE_MAX, NAME_MAX, PHONE_MAX};

/// A string newtype: parsed on the way in, trusted on the way back from storage.
macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A value read back from storage, where it was parsed on the way in.
            pub fn from_stored(value: String) -> Self {
                Self(value)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl maud::Render for $name {
            fn render_to(&self, buffer: &mut String) {
                self.0.render_to(buffer)
            }
        }
    };
}

text_value!(
    /// A person's name: inner whitespace collapsed, 1 to [`NAME_MAX`] characters, no control characters.
    LeadName
);
text_value!(
    /// An email address that looks deliverable (see [`is_plausible_email`]).
    LeadEmail
);
text_value!(
    /// A phone number, or empty: digits with the usual separators.
    LeadPhone
);
text_value!(
    /// A free-text message, or empty: line breaks normalised to `\n`.
    LeadMessage
);

impl LeadName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            Err(missing(LeadField::Name))
        } else if name.chars().count() > NAME_MAX {
            Err(format!(
                "Please keep your name under {NAME_MAX} characters."
            ))
        } else if name.chars().any(char::is_control) {
            Err("Your name contains characters we cannot store.".into())
        } else {
            Ok(Self(name))
        }
    }
}

impl LeadEmail {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        if email.is_empty() {
            Err("Please enter your email address so we can reply.".into())
        } else if email.chars().count() > EMAIL_MAX || !is_plausible_email(email) {
            Err(missing(LeadField::Email))
        } else {
            Ok(Self(email.to_owned()))
        }
    }
}

impl LeadPhone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let phone = raw.trim();
        if !phone.is_empty() && !is_plausible_phone(phone) {
            return Err("Please enter a phone number with digits only (spaces, +, - and brackets are fine), or leave it empty.".into());
        }
        Ok(Self(phone.to_owned()))
    }
}

impl LeadMessage {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let message = raw.trim().replace("\r\n", "\n");
        if message.chars().count() > MESSAGE_MAX {
            Err(format!(
                "Please keep your message under {MESSAGE_MAX} characters."
            ))
        } else if message
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            Err("Your message contains characters we cannot store.".into())
        } else {
            Ok(Self(message))
        }
    }
}

fn missing(field: LeadField) -> String {
    field.missing_message().unwrap_or_default().to_owned()
}

/// An enum stored and posted as a stable word: `ALL` in order, `as_str`, `parse`. Also used for the
/// staff's role and time zone (`staff.rs`, `time_zone.rs`); stored through `db::lead_columns`' `text_column!`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Serialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(value: &str) -> Option<$name> {
                Self::ALL.into_iter().find(|v| v.as_str() == value)
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// What the visitor is interested in. The wire values are stable (stored, filtered on, posted by forms).
    Interest {
        Subscription => "subscription",
        Wholesale => "wholesale",
        Beans => "beans",
        Classes => "classes",
        Events => "events",
        Other => "other",
    }
);

impl Interest {
    pub fn label(self) -> &'static str {
        match self {
            Interest::Subscription => "Coffee subscription",
            Interest::Wholesale => "Wholesale for my café or office",
            Interest::Beans => "Beans for home",
            Interest::Classes => "Brewing classes",
            Interest::Events => "Events & catering",
            Interest::Other => "Something else",
        }
    }
}

wire_enum!(
    /// Where a lead is in the sales workflow: new → contacted → qualified → won/lost.
    LeadStatus {
        New => "new",
        Contacted => "contacted",
        Qualified => "qualified",
        Won => "won",
        Lost => "lost",
    }
);

/// Deliberately simple: one `@`, a non-empty local part, a dotted domain of letters, digits and hyphens.
/// Deliverability is proven by replying, not by a regex.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

fn is_plausible_phone(phone: &str) -> bool {
    phone.chars().count() <= PHONE_MAX
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && phone.chars().filter(char::is_ascii_digit).count() >= 6
}
