//! Domain types, parsed once at the edge: a value of these types is valid by construction.

pub mod form_body;
pub mod lead;

pub use lead::{FieldErrors, Interest, LeadStatus, LeadSubmission};
