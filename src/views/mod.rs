//! Shared maud building blocks for both wings and the error pages: the page layout, the site header and
//! footer, icons, the lead form partial, times in the viewer's zone, small components (pure functions of
//! their data) and the one HTML response helper.

pub mod contact_links;
pub mod icons;
pub mod layout;
pub mod lead_form;
pub mod local_time;
pub mod prerendered;
mod response;
pub mod site;

pub use response::{HTML, html_builder, html_response};
