use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_landing_page_has_the_lead_form_with_a_fresh_token_and_labelled_fields() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"action="/leads#enquiry""#));
    for field in ["name", "email", "phone", "interest", "message", "consent"] {
        assert!(
            html.contains(&format!(r#"for="{field}""#)),
            "{field} has no label"
        );
    }
    let token = html
        .split(r#"name="form_token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(token.len(), 32);
    let again = app.get("/").await.text().await.unwrap();
    assert!(!again.contains(token), "each render gets its own token");
}

#[actix_web::test]
async fn the_consent_box_starts_unticked() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    let consent = html
        .split(r#"id="consent""#)
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(!consent.contains("checked"));
}

#[actix_web::test]
async fn the_thank_you_and_privacy_pages_render() {
    let app = spawn_app().await;
    assert!(
        app.get("/thanks")
            .await
            .text()
            .await
            .unwrap()
            .contains("Thank you")
    );
    let privacy = app.get("/privacy").await.text().await.unwrap();
    assert!(privacy.contains("consent") && privacy.contains("24 months"));
}

#[actix_web::test]
async fn pages_reference_no_external_origin() {
    let app = spawn_app().await;
    for path in ["/", "/thanks", "/privacy"] {
        let html = app.get(path).await.text().await.unwrap();
        for attr in ["src=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !html.contains(attr),
                "{path} loads from outside the origin ({attr})"
            );
        }
        // Plain links to other sites (directions on a map) load nothing; anything else with an
        // absolute `href` (stylesheets, icons, preloads) would.
        for (at, _) in html.match_indices("href=\"http") {
            let tag = &html[html[..at].rfind('<').unwrap()..at];
            assert!(
                tag.starts_with("<a ") || tag.starts_with("<link rel=\"canonical\""),
                "{path} loads from outside the origin: {tag}"
            );
        }
    }
}
