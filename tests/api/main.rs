//! HTTP-level tests: each test spawns the app on port 0 over a fresh database and talks to it with a real
//! client. `RR_TEST_BACKEND=mysql` runs the same tests against MariaDB (see tests/support).

mod admin_access;
mod admin_account;
mod admin_csrf;
mod admin_defects;
mod admin_leads;
mod admin_list;
mod admin_sessions;
mod admin_staff;
mod assets;
mod atomic_writes;
mod background;
mod erasure;
mod hardening;
mod health;
mod helpers;
mod jobs;
mod lead_data;
mod lead_details;
mod lead_intake;
mod lead_list_work;
mod lead_search;
mod lead_timeline;
mod leads;
mod notifications;
mod pages;
mod public_site;
mod retries;
mod sign_in_limits;
