//! Ritual Roast: the marketing site, the lead form, the staff dashboard and the health endpoints in one
//! binary. `main.rs` only parses the command line; everything else lives here so tests can link it.
//!
//! Layout, each layer importing only the ones below it: `cli/` → `startup` (composes the app) → the two wings
//! `public/` (what visitors see) and `admin/` (staff), neither importing the other → shared ground: `state/`
//! (`AppState`), `error` (the one error type), `views/` (shared markup and the HTML response helper),
//! `forwarded`, middleware → `db/`, `secrets/`, `email/` (SES) and `jobs/` (background work) → `domain/`, `config/`, `assets` (lookup only), `metrics/`
//! (counters every layer adds to).

pub mod admin;
pub mod assets;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod forwarded;
pub mod head_requests;
pub mod jobs;
pub mod metrics;
pub mod public;
pub mod request_limits;
pub mod secrets;
pub mod security_headers;
pub mod sensitive;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
