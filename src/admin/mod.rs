//! The staff area under `/admin`: every route sits behind the one guard in [`guard`]; pages are one file
//! each; state-changing forms use [`guard::CsrfForm`]; admin-only routes are wrapped in
//! [`roles::require_admin`] here ([`is_admin_only`] says which).

mod account;
mod bulk;
mod charts;
mod dashboard;
mod erase;
mod export;
pub mod guard;
mod jobs;
mod layout;
mod lead_details;
mod lead_new;
mod lead_note_new;
mod lead_page;
mod lead_timeline;
mod leads_list;
mod list_params;
mod login;
mod news;
mod not_found;
pub mod passwords;
mod paths;
mod pending_form;
mod roles;
pub mod session;
pub mod setup;
mod staff_changes;
mod staff_list;

use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::web;

/// Every admin route, as (method, path) with `{id}` for ids: the guard test walks this list.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/leads"),
    ("GET", "/admin/leads/new"),
    ("POST", "/admin/leads/new"),
    ("GET", "/admin/leads/export.csv"),
    ("POST", "/admin/leads/bulk"),
    ("GET", "/admin/leads/{id}"),
    ("POST", "/admin/leads/{id}/edit"),
    ("POST", "/admin/leads/{id}/notes"),
    ("GET", "/admin/leads/{id}/details"),
    ("POST", "/admin/leads/{id}/details"),
    ("GET", "/admin/leads/{id}/delete"),
    ("POST", "/admin/leads/{id}/delete"),
    ("POST", "/admin/logout"),
    ("GET", "/admin/account/password"),
    ("GET", "/admin/news"),
    ("POST", "/admin/account/password"),
    ("GET", "/admin/account"),
    ("POST", "/admin/account"),
    ("GET", "/admin/staff"),
    ("POST", "/admin/staff"),
    ("GET", "/admin/staff/{id}"),
    ("POST", "/admin/staff/{id}/role"),
    ("POST", "/admin/staff/{id}/password"),
    ("POST", "/admin/staff/{id}/access"),
    ("POST", "/admin/account/notifications"),
    ("GET", "/admin/jobs"),
    ("GET", "/admin/erase"),
    ("POST", "/admin/erase"),
];

/// The routes only admins may use (all in [`ROUTES`]): everything under `/admin/staff`, and these.
/// Staff-role members get a 403 page for them. Bulk delete is admin-only too, decided inside
/// `POST /admin/leads/bulk` (its status change is not).
pub const ADMIN_ONLY_LEAD_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/leads/export.csv"),
    ("GET", "/admin/leads/{id}/delete"),
    ("POST", "/admin/leads/{id}/delete"),
];

/// Admin-only pages besides staff management and the lead routes above: the background jobs, erasure.
pub const ADMIN_ONLY_PAGES: &[&str] = &["/admin/jobs", "/admin/erase"];

/// Whether a route of [`ROUTES`] is for admins only.
pub fn is_admin_only(method: &str, path: &str) -> bool {
    path == "/admin/staff"
        || path.starts_with("/admin/staff/")
        || ADMIN_ONLY_PAGES.contains(&path)
        || ADMIN_ONLY_LEAD_ROUTES.contains(&(method, path))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::NOT_FOUND, not_found::framed)
                    .handler(StatusCode::FORBIDDEN, roles::framed),
            )
            .wrap(from_fn(guard::require_staff))
            .default_service(web::to(not_found::unknown_path))
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            .route("/login", web::get().to(login::show))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/account", web::get().to(account::profile))
            .route("/account", web::post().to(account::save_profile))
            .route(
                "/account/notifications",
                web::post().to(account::save_notifications),
            )
            .route("/account/password", web::get().to(account::show))
            .route("/account/password", web::post().to(account::change))
            .route("/setup", web::get().to(setup::show))
            .route("/setup", web::post().to(setup::submit))
            .route("/leads", web::get().to(leads_list::show))
            .route("/leads/new", web::get().to(lead_new::show))
            .route("/leads/new", web::post().to(lead_new::create))
            .service(
                web::resource("/leads/export.csv")
                    .wrap(from_fn(roles::require_admin))
                    .get(export::csv),
            )
            .route("/leads/bulk", web::post().to(bulk::apply))
            .route("/leads/{id}", web::get().to(lead_page::show))
            .route("/leads/{id}/edit", web::post().to(lead_page::edit))
            .route("/leads/{id}/notes", web::post().to(lead_note_new::add))
            .route("/leads/{id}/details", web::get().to(lead_details::show))
            .route("/leads/{id}/details", web::post().to(lead_details::save))
            .service(
                web::resource("/leads/{id}/delete")
                    .wrap(from_fn(roles::require_admin))
                    .get(lead_page::confirm_delete)
                    .post(lead_page::delete),
            )
            .route("/news", web::get().to(news::list))
            .service(
                web::resource("/jobs")
                    .wrap(from_fn(roles::require_admin))
                    .get(jobs::show),
            )
            .service(
                web::resource("/erase")
                    .wrap(from_fn(roles::require_admin))
                    .get(erase::show)
                    .post(erase::erase),
            )
            .service(
                web::scope("/staff")
                    .wrap(from_fn(roles::require_admin))
                    .route("", web::get().to(staff_list::show))
                    .route("", web::post().to(staff_list::add))
                    .route("/{id}", web::get().to(staff_changes::show))
                    .route("/{id}/role", web::post().to(staff_changes::role))
                    .route("/{id}/password", web::post().to(staff_changes::password))
                    .route("/{id}/access", web::post().to(staff_changes::access)),
            ),
    );
}
