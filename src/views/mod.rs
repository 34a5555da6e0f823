//! Shared maud building blocks: the page layout and small components. Pure functions of their data.

pub mod contact_links;
pub mod layout;
