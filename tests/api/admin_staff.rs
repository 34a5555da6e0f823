//! Roles and staff management: what a staff-role member is refused, what admins do on `/admin/staff`
//! (add, disable, reset a password, change a role) and the rule that the last admin stays one.

use ritual_roast::admin::{ADMIN_ONLY, ROUTES};
use ritual_roast::db::staff;
use ritual_roast::domain::{StaffRole, TimeZone};

use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app, valid_form};

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
    for (method, path) in ADMIN_ONLY {
        assert!(ROUTES.contains(&(*method, *path)), "{path} is guarded too");
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
    let version = ritual_roast::db::expected_schema_version(app.db.backend_name());
    assert!(
        version.ends_with("000008"),
        "{version}: the roles migration is the newest"
    );
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
