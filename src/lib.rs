//! Ritual Roast: the marketing site, the lead form, the staff dashboard and the health endpoints in one
//! binary. `main.rs` only parses the command line; everything else lives here so tests can link it.
//!
//! Layout: `public/` (what visitors see), `db/` (pools, migrations, queries), `domain/` (parsed input),
//! `views/` (shared maud layout), `config/`, `assets`, `telemetry`, `startup`, `cli`.

pub mod admin;
pub mod assets;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod forwarded;
pub mod head_requests;
pub mod public;
pub mod request_limits;
pub mod secrets;
pub mod security_headers;
pub mod sensitive;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
