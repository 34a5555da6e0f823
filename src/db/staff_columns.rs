//! How a staff account's typed values ([`StaffRole`], [`TimeZone`]) are stored: as text, through the same
//! `text_column!` as the lead's values (`lead_columns.rs`). An unknown word in the table is an error
//! naming it, never a silently different role.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{NotifyChoice, StaffRole, TimeZone};

fn stored<T>(what: &str, text: &str, parsed: Option<T>) -> deserialize::Result<T> {
    parsed.ok_or_else(|| format!("unknown {what} {text:?} in the staff_users table").into())
}

text_column!(
    StaffRole,
    |role: &StaffRole| role.as_str(),
    |text: String| stored("role", &text, StaffRole::parse(&text))
);
text_column!(TimeZone, |zone: &TimeZone| zone.name(), |text: String| {
    stored("time zone", &text, TimeZone::parse(&text))
});
text_column!(
    NotifyChoice,
    |choice: &NotifyChoice| choice.as_str(),
    |text: String| stored("notification choice", &text, NotifyChoice::parse(&text))
);
