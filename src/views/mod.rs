//! Shared maud building blocks for both wings and the error pages: the page layout, the lead form partial,
//! small components (pure functions of their data) and the one HTML response helper.

pub mod contact_links;
pub mod layout;
pub mod lead_form;
mod response;

pub use response::{HTML, html_builder, html_response};
