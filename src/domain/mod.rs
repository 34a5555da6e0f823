//! Domain types, parsed once at the edge: a value of these types is valid by construction.

pub mod form_body;
pub mod lead;
pub mod lead_field;
pub mod lead_values;
pub mod search_terms;
pub mod staff;
pub mod time_zone;
pub mod working_days;

pub use lead::{LeadFormValues, LeadSubmission};
pub use lead_field::{FieldErrors, LeadField};
pub use lead_values::{Interest, LeadEmail, LeadMessage, LeadName, LeadPhone, LeadStatus};
pub use staff::{NotifyChoice, StaffRole};
pub use time_zone::TimeZone;
