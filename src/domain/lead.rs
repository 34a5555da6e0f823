//! A lead as a visitor submits it: each field a type with one parse function, so the browser's HTML5
//! constraints, the JavaScript hints and the server all apply the same rules (limits are `pub const`s the
//! form view renders as `maxlength`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub const NAME_MAX: usize = 120;
pub const EMAIL_MAX: usize = 254;
pub const PHONE_MAX: usize = 40;
pub const MESSAGE_MAX: usize = 2000;
const FORM_TOKEN_MIN: usize = 16;
const FORM_TOKEN_MAX: usize = 64;

/// Field name → messages, in a stable order; serialised as the `errors` object of a 422 JSON answer.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn first(&self, field: &str) -> Option<&str> {
        self.0
            .get(field)
            .and_then(|m| m.first())
            .map(String::as_str)
    }
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.keys().copied()
    }
}

/// What the visitor is interested in. The wire values are stable (stored, filtered on, posted by forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interest {
    Subscription,
    Wholesale,
    Beans,
    Classes,
    Events,
    Other,
}

impl Interest {
    pub const ALL: [Interest; 6] = [
        Interest::Subscription,
        Interest::Wholesale,
        Interest::Beans,
        Interest::Classes,
        Interest::Events,
        Interest::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interest::Subscription => "subscription",
            Interest::Wholesale => "wholesale",
            Interest::Beans => "beans",
            Interest::Classes => "classes",
            Interest::Events => "events",
            Interest::Other => "other",
        }
    }

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

    pub fn parse(value: &str) -> Option<Interest> {
        Interest::ALL.into_iter().find(|i| i.as_str() == value)
    }
}

/// Where a lead is in the sales workflow: new → contacted → qualified → won/lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 5] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Won,
        LeadStatus::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
        }
    }

    pub fn parse(value: &str) -> Option<LeadStatus> {
        LeadStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A submission that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSubmission {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub interest: Interest,
    pub message: String,
    pub consent: bool,
    /// Idempotency key from the rendered form: a double click or a resubmission stores one lead.
    pub form_token: Option<String>,
}

impl LeadSubmission {
    /// What makes two submissions "the same": the form token *and* everything the visitor sent. A double
    /// click or a resend stores one lead; Back → edit → send under the same token is a new enquiry, never
    /// dropped. Stored in the unique `form_token` column (a SHA-256, 64 hex characters).
    pub fn idempotency_key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let token = self.form_token.as_deref()?;
        let mut digest = Sha256::new();
        for part in [
            token,
            &self.name,
            &self.email,
            &self.phone,
            self.interest.as_str(),
            &self.message,
            if self.consent { "yes" } else { "no" },
        ] {
            // Length-prefixed, so no two different payloads concatenate to the same bytes.
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part.as_bytes());
        }
        Some(hex::encode(digest.finalize()))
    }
}

/// The raw values as typed, kept to re-render the form after a 422.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFormValues {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub interest: String,
    pub message: String,
    /// The checkbox's raw value: `yes` when ticked, empty when not.
    pub consent: String,
    pub form_token: String,
    /// The honeypot: people never see it, naive bots fill it in.
    pub website: String,
}

impl LeadFormValues {
    pub fn from_fields(mut fields: HashMap<String, String>) -> Self {
        let mut take = |k: &str| fields.remove(k).unwrap_or_default();
        Self {
            name: take("name"),
            email: take("email"),
            phone: take("phone"),
            interest: take("interest"),
            message: take("message"),
            consent: take("consent"),
            form_token: take("form_token"),
            website: take("website"),
        }
    }

    pub fn consent_checked(&self) -> bool {
        self.consent == "yes"
    }

    pub fn is_bot(&self) -> bool {
        !self.website.trim().is_empty()
    }

    /// Applies every rule; all failures are reported at once so the visitor fixes them in one go.
    pub fn validate(&self) -> Result<LeadSubmission, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = collapse_whitespace(&self.name);
        if name.is_empty() {
            errors.add("name", "Please tell us your name.");
        } else if name.chars().count() > NAME_MAX {
            errors.add(
                "name",
                format!("Please keep your name under {NAME_MAX} characters."),
            );
        } else if name.chars().any(char::is_control) {
            errors.add("name", "Your name contains characters we cannot store.");
        }
        let email = self.email.trim().to_owned();
        if email.is_empty() {
            errors.add("email", "Please enter your email address so we can reply.");
        } else if email.chars().count() > EMAIL_MAX || !is_plausible_email(&email) {
            errors.add(
                "email",
                "Please enter an email address like name@example.com.",
            );
        }
        let phone = self.phone.trim().to_owned();
        if !phone.is_empty() && !is_plausible_phone(&phone) {
            errors.add("phone", "Please enter a phone number with digits only (spaces, +, - and brackets are fine), or leave it empty.");
        }
        let interest = Interest::parse(self.interest.trim());
        if interest.is_none() {
            errors.add("interest", "Please choose what you are interested in.");
        }
        let message = self.message.trim().replace("\r\n", "\n");
        if message.chars().count() > MESSAGE_MAX {
            errors.add(
                "message",
                format!("Please keep your message under {MESSAGE_MAX} characters."),
            );
        } else if message
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            errors.add(
                "message",
                "Your message contains characters we cannot store.",
            );
        }
        let consent = match self.consent.as_str() {
            "" => false,
            "yes" => true,
            _ => {
                errors.add("consent", "Marketing consent is a yes-or-no checkbox.");
                false
            }
        };
        let token = self.form_token.trim();
        let form_token = if token.is_empty() {
            None
        } else if (FORM_TOKEN_MIN..=FORM_TOKEN_MAX).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Some(token.to_owned())
        } else {
            errors.add(
                "form_token",
                "This form has expired: please reload the page and send it again.",
            );
            None
        };
        match (errors.is_empty(), interest) {
            (true, Some(interest)) => Ok(LeadSubmission {
                name,
                email,
                phone,
                interest,
                message,
                consent,
                form_token,
            }),
            _ => Err(errors),
        }
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

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

#[cfg(test)]
#[path = "lead_tests.rs"]
mod tests;
