//! A lead as a visitor submits it: the raw form values, and the submission they become once every field's
//! value type has parsed ([`super::lead_values`]). The fields themselves are defined once in
//! [`super::lead_field`].

use std::collections::{BTreeMap, HashMap};

use super::lead_field::{FORM_TOKEN_KEY, FieldErrors, LeadField};
use super::lead_values::{Interest, LeadEmail, LeadMessage, LeadName, LeadPhone};

const FORM_TOKEN_MIN: usize = 16;
const FORM_TOKEN_MAX: usize = 64;

/// A submission that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSubmission {
    pub name: LeadName,
    /// Always present from the public form; staff may record a phone enquiry without one.
    pub email: Option<LeadEmail>,
    pub phone: LeadPhone,
    pub interest: Interest,
    pub message: LeadMessage,
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
            self.name.as_str(),
            self.email.as_ref().map_or("", LeadEmail::as_str),
            self.phone.as_str(),
            self.interest.as_str(),
            self.message.as_str(),
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
    fields: BTreeMap<LeadField, String>,
    pub form_token: String,
    /// The honeypot: people never see it, naive bots fill it in.
    pub website: String,
}

impl LeadFormValues {
    pub fn from_fields(mut fields: HashMap<String, String>) -> Self {
        let mut take = |k: &str| fields.remove(k).unwrap_or_default();
        Self {
            fields: LeadField::ALL
                .into_iter()
                .map(|field| (field, take(field.key())))
                .collect(),
            form_token: take(FORM_TOKEN_KEY),
            website: take("website"),
        }
    }

    /// An empty form carrying a fresh idempotency token.
    pub fn fresh(form_token: String) -> Self {
        Self {
            form_token,
            ..Self::default()
        }
    }

    /// What was typed into `field` (empty when nothing was).
    pub fn get(&self, field: LeadField) -> &str {
        self.fields.get(&field).map_or("", String::as_str)
    }

    /// Preselects a value (e.g. the interest a link chose).
    pub fn set(&mut self, field: LeadField, value: impl Into<String>) {
        self.fields.insert(field, value.into());
    }

    pub fn consent_checked(&self) -> bool {
        self.get(LeadField::Consent) == "yes"
    }

    pub fn is_bot(&self) -> bool {
        !self.website.trim().is_empty()
    }

    /// Applies every rule; all failures are reported at once so the visitor fixes them in one go.
    pub fn validate(&self) -> Result<LeadSubmission, FieldErrors> {
        self.validate_as(false)
    }

    /// The same rules for a lead staff add by hand (a phone call, a walk-in): an email address or a phone
    /// number is enough.
    pub fn validate_for_staff(&self) -> Result<LeadSubmission, FieldErrors> {
        self.validate_as(true)
    }

    fn validate_as(&self, by_staff: bool) -> Result<LeadSubmission, FieldErrors> {
        let mut errors = FieldErrors::default();
        let typed = |field| !self.get(field).trim().is_empty();
        if by_staff && !typed(LeadField::Email) && !typed(LeadField::Phone) {
            errors.add(
                LeadField::Email,
                "Give an email address or a phone number, so someone can reply.",
            );
        }
        let name = check(
            &mut errors,
            LeadField::Name,
            LeadName::parse(self.get(LeadField::Name)),
        );
        let email = match self.get(LeadField::Email).trim() {
            // Staff without an address: the check above asked for a phone number instead.
            "" if by_staff => Some(None),
            raw => check(
                &mut errors,
                LeadField::Email,
                LeadEmail::parse(raw).map(Some),
            ),
        };
        let phone = check(
            &mut errors,
            LeadField::Phone,
            LeadPhone::parse(self.get(LeadField::Phone)),
        );
        let interest = check(
            &mut errors,
            LeadField::Interest,
            Interest::parse(self.get(LeadField::Interest).trim()).ok_or_else(|| {
                LeadField::Interest
                    .missing_message()
                    .unwrap_or_default()
                    .to_owned()
            }),
        );
        let message = check(
            &mut errors,
            LeadField::Message,
            LeadMessage::parse(self.get(LeadField::Message)),
        );
        let consent = check(
            &mut errors,
            LeadField::Consent,
            match self.get(LeadField::Consent) {
                "" => Ok(false),
                "yes" => Ok(true),
                _ => Err("Marketing consent is a yes-or-no checkbox.".to_owned()),
            },
        );
        let form_token = self.form_token();
        if form_token.is_err() {
            errors.add_for(
                FORM_TOKEN_KEY,
                "This form has expired: please reload the page and send it again.",
            );
        }
        match (name, email, phone, interest, message, consent, form_token) {
            (
                Some(name),
                Some(email),
                Some(phone),
                Some(interest),
                Some(message),
                Some(consent),
                Ok(form_token),
            ) if errors.is_empty() => Ok(LeadSubmission {
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

    /// The idempotency token: absent, or 16–64 URL-safe characters.
    fn form_token(&self) -> Result<Option<String>, ()> {
        let token = self.form_token.trim();
        if token.is_empty() {
            Ok(None)
        } else if (FORM_TOKEN_MIN..=FORM_TOKEN_MAX).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Some(token.to_owned()))
        } else {
            Err(())
        }
    }
}

/// The parsed value, or `None` with the field's message recorded.
fn check<T>(errors: &mut FieldErrors, field: LeadField, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| errors.add(field, message)).ok()
}

#[cfg(test)]
#[path = "lead_tests.rs"]
mod tests;
