//! Roles and staff management: what a staff-role member is refused, what admins do on `/admin/staff`
//! (add, disable, reset a password, change a role) and the rule that the last admin stays one.

use ritual_roast::admin::{ROUTES, is_admin_only};
use ritual_roast::db::staff;
use ritual_roast::domain::{StaffRole, TimeZone};

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, TestApp, assert_is_redirect_to, spawn_app, valid_form,
};

pub const MEMBER_EMAIL: &str = "member@ritualroast.example";
pub const MEMBER_PASSWORD: &str = "kettle umbrella saxophone";

/// A second browser, signed in to a new account with `role`.
pub async fn member_with_role(app: &TestApp, role: StaffRole) -> TestApp {
    app.create_staff_with_role(MEMBER_EMAIL, MEMBER_PASSWORD, role)
        .await;
    let member = app.another_browser();
    assert_is_redirect_to(&member.login(MEMBER_EMAIL, MEMBER_PASSWORD).await, "/admin");
    member
}

async fn assert_admin_only_page(response: reqwest::Response, what: &str) {
    assert_eq!(response.status().as_u16(), 403, "{what}");
    let page = response.text().await.unwrap();
    assert!(page.contains("Ask an admin"), "{what}: {page}");
    assert!(
        page.contains(r#"data-testid="logout""#),
        "{what}: the refusal is a page in the staff frame: {page}"
    );
}

#[actix_web::test]
async fn a_staff_role_member_is_refused_the_export_and_deletion_with_a_403_page() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    let member = member_with_role(&app, StaffRole::Staff).await;
    let admin_only = ROUTES
        .iter()
        .filter(|(method, path)| is_admin_only(method, path));
    assert!(
        admin_only.clone().count() >= 9,
        "exports, deletes and every staff page"
    );
    for (method, path) in admin_only {
        let path = path.replace("{id}", &id.to_string());
        let response = match *method {
            "GET" => member.get(&path).await,
            _ => member.admin_post(&path, &[]).await,
        };
        assert_admin_only_page(response, &format!("{method} {path}")).await;
    }
    for confirm in ["", "yes"] {
        let bulk_delete = member
            .admin_post(
                "/admin/leads/bulk",
                &[
                    ("ids", id.to_string()),
                    ("action", "delete".into()),
                    ("confirm", confirm.into()),
                ],
            )
            .await;
        assert_admin_only_page(bulk_delete, "bulk delete").await;
    }
    assert_eq!(app.lead_count().await, 1, "nothing was deleted");
    let bulk_status = member
        .admin_post(
            "/admin/leads/bulk",
            &[("ids", id.to_string()), ("action", "status:won".into())],
        )
        .await;
    assert_is_redirect_to(&bulk_status, "/admin/leads");
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status.as_str(), "won", "staff still work the leads");
}

#[actix_web::test]
async fn existing_accounts_become_admins_when_roles_arrive() {
    let app = spawn_app().await;
    // Put the database back to before the roles migration, with one account in it, then migrate.
    // The roles migration (2026-12-04-000008); later migrations stay applied and are not re-run.
    let version = "20261204000008";
    app.execute_sql(
        "ALTER TABLE staff_users DROP COLUMN time_zone",
        "ALTER TABLE staff_users DROP COLUMN time_zone, DROP COLUMN role",
    )
    .await;
    app.execute_sql("ALTER TABLE staff_users DROP COLUMN role", "DO 0")
        .await;
    let forget = format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}'");
    app.execute_sql(&forget, &forget).await;
    let old_account = "INSERT INTO staff_users (email, display_name, password_hash, disabled, \
                       created_at, updated_at) VALUES ('old@ritualroast.example', 'Old Hand', 'x', \
                       FALSE, '2026-01-01 09:00:00', '2026-01-01 09:00:00')";
    app.execute_sql(old_account, old_account).await;
    app.db
        .migrate(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let user = staff::find_user_by_email(&app.db, "old@ritualroast.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, StaffRole::Admin, "nobody loses an ability");
    assert_eq!(user.time_zone, TimeZone::London);
}

async fn member_id(app: &TestApp, email: &str) -> i64 {
    staff::find_user_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn strong(password: &str) -> (&'static str, String) {
    ("password", password.to_owned())
}

#[actix_web::test]
async fn an_admin_adds_a_staff_member_who_can_then_sign_in() {
    let app = spawn_app().await;
    app.signed_in().await;
    let list = app.get("/admin/staff").await;
    assert_eq!(list.status().as_u16(), 200);
    let list = list.text().await.unwrap();
    assert!(list.contains(STAFF_EMAIL) && list.contains(r#"href="/admin/staff""#));
    let form = |password: &str| {
        vec![
            ("email", " New.Roaster@RitualRoast.example ".to_owned()),
            ("display_name", "New Roaster".into()),
            ("role", "staff".into()),
            strong(password),
        ]
    };
    let weak = app.admin_post("/admin/staff", &form("password1234")).await;
    assert_eq!(
        weak.status().as_u16(),
        422,
        "the password page's strength rule"
    );
    assert!(
        weak.text().await.unwrap().contains("New Roaster"),
        "the input is kept"
    );
    let added = app
        .admin_post("/admin/staff", &form("roast curve mocha tuesday"))
        .await;
    assert_is_redirect_to(&added, "/admin/staff");
    let again = app
        .admin_post("/admin/staff", &form("roast curve mocha tuesday"))
        .await;
    assert_eq!(again.status().as_u16(), 409, "one account per address");
    let email = "new.roaster@ritualroast.example";
    let user = staff::find_user_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.role, user.disabled), (StaffRole::Staff, false));
    let newcomer = app.another_browser();
    assert_is_redirect_to(
        &newcomer.login(email, "roast curve mocha tuesday").await,
        "/admin",
    );
    let leads = newcomer.get("/admin/leads").await.text().await.unwrap();
    assert!(
        !leads.contains(r#"href="/admin/staff""#),
        "no staff link for the staff role"
    );
    assert_eq!(newcomer.get("/admin/staff").await.status().as_u16(), 403);
}

#[actix_web::test]
async fn disabling_a_member_signs_them_out_at_once() {
    let app = spawn_app().await;
    app.signed_in().await;
    let member = member_with_role(&app, StaffRole::Staff).await;
    let id = member_id(&app, MEMBER_EMAIL).await;
    let path = format!("/admin/staff/{id}");
    assert!(
        app.get(&path)
            .await
            .text()
            .await
            .unwrap()
            .contains(MEMBER_EMAIL)
    );
    let disabled = app
        .admin_post(&format!("{path}/access"), &[("disabled", "yes".into())])
        .await;
    assert_is_redirect_to(&disabled, &path);
    assert_eq!(
        member.get("/admin/leads").await.status().as_u16(),
        303,
        "signed out"
    );
    let refused = member.login(MEMBER_EMAIL, MEMBER_PASSWORD).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(
        app.get("/admin/staff")
            .await
            .text()
            .await
            .unwrap()
            .contains("Disabled")
    );
    let enabled = app
        .admin_post(&format!("{path}/access"), &[("disabled", "no".into())])
        .await;
    assert_is_redirect_to(&enabled, &path);
    assert_is_redirect_to(&member.login(MEMBER_EMAIL, MEMBER_PASSWORD).await, "/admin");
}

#[actix_web::test]
async fn a_password_reset_ends_their_sessions_and_the_old_password_stops_working() {
    let app = spawn_app().await;
    app.signed_in().await;
    let member = member_with_role(&app, StaffRole::Staff).await;
    let path = format!(
        "/admin/staff/{}/password",
        member_id(&app, MEMBER_EMAIL).await
    );
    let weak = app.admin_post(&path, &[strong("qwertyuiop12")]).await;
    assert_eq!(weak.status().as_u16(), 422);
    assert_eq!(
        member.get("/admin").await.status().as_u16(),
        200,
        "nothing changed yet"
    );
    let reset = app
        .admin_post(&path, &[strong("lantern pebble orchard")])
        .await;
    assert_eq!(reset.status().as_u16(), 303);
    assert_eq!(
        member.get("/admin").await.status().as_u16(),
        303,
        "signed out"
    );
    let old = member.login(MEMBER_EMAIL, MEMBER_PASSWORD).await;
    assert_eq!(old.status().as_u16(), 401);
    assert_is_redirect_to(
        &member.login(MEMBER_EMAIL, "lantern pebble orchard").await,
        "/admin",
    );
    assert_eq!(
        app.get("/admin").await.status().as_u16(),
        200,
        "the admin is still in"
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_disable_themselves() {
    let app = spawn_app().await;
    app.signed_in().await;
    member_with_role(&app, StaffRole::Staff).await;
    let own = format!("/admin/staff/{}", member_id(&app, STAFF_EMAIL).await);
    let demote = app
        .admin_post(&format!("{own}/role"), &[("role", "staff".into())])
        .await;
    assert_eq!(demote.status().as_u16(), 409);
    assert!(demote.text().await.unwrap().contains("last enabled admin"));
    let disable = app
        .admin_post(&format!("{own}/access"), &[("disabled", "yes".into())])
        .await;
    assert_eq!(disable.status().as_u16(), 409);
    let me = staff::find_user_by_email(&app.db, STAFF_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert!(me.is_admin(), "still an enabled admin");
    // With a second admin, stepping down is allowed.
    let member = format!("/admin/staff/{}", member_id(&app, MEMBER_EMAIL).await);
    let promote = app
        .admin_post(&format!("{member}/role"), &[("role", "admin".into())])
        .await;
    assert_is_redirect_to(&promote, &member);
    let step_down = app
        .admin_post(&format!("{own}/role"), &[("role", "staff".into())])
        .await;
    assert_eq!(step_down.status().as_u16(), 303);
    assert_eq!(app.get("/admin/staff").await.status().as_u16(), 403);
}

#[actix_web::test]
async fn every_staff_page_refuses_a_post_without_the_csrf_token() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.create_staff_with_role(MEMBER_EMAIL, MEMBER_PASSWORD, StaffRole::Staff)
        .await;
    let id = member_id(&app, MEMBER_EMAIL).await;
    let staff_pages = ROUTES.iter().filter(|(method, path)| {
        *method == "POST"
            && (path.starts_with("/admin/staff") || path.starts_with("/admin/account"))
    });
    let mut checked = 0;
    for (_, path) in staff_pages {
        let path = path.replace("{id}", &id.to_string());
        let forged = [
            ("csrf_token", "forged".to_owned()),
            ("email", "intruder@evil.example".into()),
            ("display_name", "Intruder".into()),
            ("role", "admin".into()),
            ("time_zone", "Asia/Tokyo".into()),
            ("disabled", "yes".into()),
            strong("intruder owns the roastery"),
            ("current", STAFF_PASSWORD.into()),
            ("new", "intruder owns the roastery".into()),
            ("confirm", "intruder owns the roastery".into()),
        ];
        assert_eq!(
            app.admin_post(&path, &forged).await.status().as_u16(),
            403,
            "{path}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "the staff and account forms: {checked}");
    let member = staff::find_user(&app.db, id).await.unwrap().unwrap();
    assert_eq!((member.role, member.disabled), (StaffRole::Staff, false));
    assert!(
        staff::find_user_by_email(&app.db, "intruder@evil.example")
            .await
            .unwrap()
            .is_none()
    );
    let me = staff::find_user_by_email(&app.db, STAFF_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (me.display_name.as_str(), me.time_zone),
        ("Test Barista", TimeZone::London)
    );
    assert_is_redirect_to(
        &app.another_browser()
            .login(MEMBER_EMAIL, MEMBER_PASSWORD)
            .await,
        "/admin",
    );
}
