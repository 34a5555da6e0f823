//! Cross-site request forgery: every state-changing admin request needs the session's token and our own
//! origin (or, without an `Origin` header, a `Referer` naming it).

use crate::helpers::{assert_is_redirect_to, spawn_app, valid_form};

#[actix_web::test]
async fn state_changes_without_the_csrf_token_or_from_another_origin_are_refused() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let path = format!("/admin/leads/{id}/edit");
    let form = [("status", "won".to_owned()), ("version", "1".into())];
    let mut with_bad_token = form.to_vec();
    with_bad_token.push(("csrf_token", "forged".into()));
    assert_eq!(
        app.admin_post(&path, &with_bad_token)
            .await
            .status()
            .as_u16(),
        403
    );
    let cross_site = app
        .client
        .post(app.url(&path))
        .header("Origin", "https://evil.example")
        .form(&[
            ("status", "won"),
            ("version", "1"),
            ("csrf_token", &app.csrf_token().await),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    // The right token but neither Origin nor Referer: the origin check alone refuses it.
    let no_origin = app
        .client
        .post(app.url(&path))
        .form(&[
            ("status", "won"),
            ("version", "1"),
            ("csrf_token", &app.csrf_token().await),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status().as_u16(), 403);
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status.as_str(), "new");
    // The control: the very same request with our Origin is accepted.
    let accepted = app
        .client
        .post(app.url(&path))
        .header("Origin", app.origin())
        .form(&[
            ("status", "won"),
            ("version", "1"),
            ("csrf_token", &app.csrf_token().await),
        ])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&accepted, &format!("/admin/leads/{id}"));
}

#[actix_web::test]
async fn without_an_origin_header_the_referer_must_name_our_origin() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let path = format!("/admin/leads/{id}/edit");
    let post = async |origin: Option<String>, referer: String| {
        let mut request = app
            .client
            .post(app.url(&path))
            .header("Referer", referer)
            .form(&[
                ("status", "won"),
                ("version", "1"),
                ("csrf_token", &app.csrf_token().await),
            ]);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send().await.unwrap()
    };
    let ours = app.origin();
    for (origin, referer) in [
        (None, "https://evil.example/admin/leads".to_owned()),
        (None, format!("{ours}.evil.example/admin")),
        (None, format!("{ours}@evil.example/")),
        (None, "null".to_owned()),
        // Origin, when sent, decides: a right Referer does not rescue a foreign Origin.
        (
            Some("https://evil.example".to_owned()),
            format!("{ours}/admin/leads"),
        ),
    ] {
        assert_eq!(
            post(origin.clone(), referer.clone())
                .await
                .status()
                .as_u16(),
            403,
            "Origin {origin:?}, Referer {referer}"
        );
    }
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lead.status.as_str(),
        "new",
        "no refused request changed the lead"
    );
    let accepted = post(None, format!("{ours}/admin/leads/{id}")).await;
    assert_is_redirect_to(&accepted, &format!("/admin/leads/{id}"));
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lead.status.as_str(),
        "won",
        "a same-origin Referer stands in for Origin"
    );
}
