//! A lead and its audit entry are one write: either both are stored or neither is.

use crate::helpers::{STAFF_EMAIL, STAFF_PASSWORD, assert_is_redirect_to, spawn_app, valid_form};

const REFUSE_AUDIT_SQLITE: &str = "CREATE TRIGGER refuse_audit BEFORE INSERT ON lead_events \
     BEGIN SELECT RAISE(ABORT, 'audit log refused'); END";
const REFUSE_AUDIT_MYSQL: &str = "CREATE TRIGGER refuse_audit BEFORE INSERT ON lead_events \
     FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit log refused'";

#[actix_web::test]
async fn a_staff_added_lead_whose_audit_entry_fails_is_not_stored_either() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.execute_sql(REFUSE_AUDIT_SQLITE, REFUSE_AUDIT_MYSQL)
        .await;
    let response = app.admin_post("/admin/leads/new", &valid_form()).await;
    assert!(
        response.status().is_server_error(),
        "the failed write is reported, got {}",
        response.status()
    );
    assert_eq!(
        app.lead_count().await,
        0,
        "a lead without its 'created by staff' entry must not be stored"
    );
}

#[actix_web::test]
async fn a_staff_added_lead_is_stored_with_its_audit_entry() {
    let app = spawn_app().await;
    app.signed_in().await;
    let response = app.admin_post("/admin/leads/new", &valid_form()).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.lead_count().await, 1);
}

const REFUSE_SIGN_OUT_SQLITE: &str = "CREATE TRIGGER refuse_sign_out BEFORE DELETE ON staff_sessions \
     BEGIN SELECT RAISE(ABORT, 'sign-out refused'); END";
const REFUSE_SIGN_OUT_MYSQL: &str = "CREATE TRIGGER refuse_sign_out BEFORE DELETE ON staff_sessions \
     FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'sign-out refused'";

#[actix_web::test]
async fn a_new_password_that_cannot_sign_out_other_sessions_is_not_set_either() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.execute_sql(REFUSE_SIGN_OUT_SQLITE, REFUSE_SIGN_OUT_MYSQL)
        .await;
    let new_password = "a much longer passphrase for the roastery";
    let change = app
        .admin_post(
            "/admin/account/password",
            &[
                ("current", STAFF_PASSWORD.into()),
                ("new", new_password.into()),
                ("confirm", new_password.into()),
            ],
        )
        .await;
    assert!(
        change.status().is_server_error(),
        "the failed change is reported, got {}",
        change.status()
    );
    let old = app.login(STAFF_EMAIL, STAFF_PASSWORD).await;
    assert_is_redirect_to(&old, "/admin");
}
