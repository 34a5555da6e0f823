//! What a staff account is made of, parsed once at the edge (setup page, staff pages, command line):
//! its role, its sign-in email, its display name and whether it hears about new leads by email. The time zone is in `time_zone.rs`.

use serde::Serialize;

use super::lead_values::wire_enum;

/// The most characters a display name may have (the column is 120 wide on MySQL).
pub const NAME_MAX: usize = 120;
/// The longest email address there can be.
const EMAIL_MAX: usize = 254;

wire_enum!(
    /// What a staff member may do. `staff` work the leads; `admin` may also manage staff accounts,
    /// delete leads and export them.
    StaffRole {
        Staff => "staff",
        Admin => "admin",
    }
);

impl StaffRole {
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Staff => "Staff",
            StaffRole::Admin => "Admin",
        }
    }
}

wire_enum!(
    /// Whether a staff member hears about new leads by email: not at all, one email per lead, or one
    /// daily digest (at `notifications.digest_hour` in their own time zone).
    NotifyChoice {
        Off => "off",
        Each => "each",
        Digest => "digest",
    }
);

impl NotifyChoice {
    pub fn label(self) -> &'static str {
        match self {
            NotifyChoice::Off => "No emails",
            NotifyChoice::Each => "An email for each new lead",
            NotifyChoice::Digest => "One daily digest",
        }
    }
}

/// A sign-in address: trimmed and lower-cased, with an `@`, at most 254 characters.
pub fn staff_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    (email.contains('@') && email.len() <= EMAIL_MAX).then_some(email)
}

/// A display name: trimmed, 1 to [`NAME_MAX`] characters, no control characters.
pub fn display_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let length = name.chars().count();
    (length > 0 && length <= NAME_MAX && !name.chars().any(char::is_control))
        .then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_stored_as_lowercase_words() {
        assert_eq!(StaffRole::parse("admin"), Some(StaffRole::Admin));
        assert_eq!(StaffRole::parse("staff"), Some(StaffRole::Staff));
        assert_eq!(StaffRole::parse("Admin"), None);
    }

    #[test]
    fn emails_are_normalised_and_names_trimmed() {
        assert_eq!(
            staff_email("  Ana@Example.COM "),
            Some("ana@example.com".into())
        );
        assert_eq!(staff_email("no-at-sign"), None);
        assert_eq!(display_name("  Ana Lima "), Some("Ana Lima".into()));
        assert_eq!(display_name("   "), None);
        assert_eq!(display_name(&"x".repeat(NAME_MAX + 1)), None);
        assert_eq!(display_name("tab\there"), None);
    }
}
