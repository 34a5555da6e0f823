use crate::helpers::{
    assert_is_redirect_to, encode, spawn_app, spawn_app_with, valid_form, with, without,
};

#[actix_web::test]
async fn a_valid_submission_is_stored_once_and_redirects_to_the_thank_you_page() {
    let app = spawn_app().await;
    let response = app.post_form(encode(&valid_form())).await;
    assert_is_redirect_to(&response, "/thanks");
    assert_eq!(app.lead_count().await, 1);
}

#[actix_web::test]
async fn the_stored_lead_has_every_field_and_a_consent_timestamp() {
    let app = spawn_app().await;
    let response = app.post_form_json(encode(&valid_form())).await;
    assert_eq!(response.status().as_u16(), 201);
    let id = response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (lead.name.as_str(), lead.email.as_str()),
        ("Ana Lima", "ana@example.com")
    );
    assert_eq!(lead.interest.as_str(), "subscription");
    assert_eq!(lead.status.as_str(), "new");
    assert!(lead.consent && lead.consent_at.is_some());
}

#[actix_web::test]
async fn without_consent_no_consent_timestamp_is_recorded() {
    let app = spawn_app().await;
    let response = app.post_form_json(encode(&without("consent"))).await;
    let id = response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert!(!lead.consent && lead.consent_at.is_none());
}

#[actix_web::test]
async fn resubmitting_the_same_form_token_stores_one_lead_and_answers_the_same_id() {
    let app = spawn_app().await;
    let body = encode(&valid_form());
    let first = app
        .post_form_json(body.clone())
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let second = app
        .post_form_json(body.clone())
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_is_redirect_to(&app.post_form(body).await, "/thanks");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(app.lead_count().await, 1);
}

#[actix_web::test]
async fn invalid_input_is_a_422_with_inline_errors_and_the_input_kept() {
    let app = spawn_app().await;
    let mut form = with("email", "not-an-email");
    form.retain(|(k, _)| *k != "name");
    form.push(("name", "<script>alert(1)</script>".into()));
    let response = app.post_form(encode(&form)).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Please enter an email address like name@example.com."));
    assert!(html.contains(r#"value="not-an-email""#), "input kept");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "input escaped"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains(r#"aria-invalid="true""#));
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn json_clients_get_field_errors_as_json() {
    let app = spawn_app().await;
    let response = app
        .post_form_json(encode(&with("interest", "bitcoin")))
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["errors"]["interest"][0]
            .as_str()
            .unwrap()
            .contains("choose")
    );
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn each_kind_of_bad_field_is_refused_with_a_422_and_nothing_stored() {
    let app = spawn_app().await;
    let long_name = "n".repeat(121);
    let long_message = "m".repeat(2001);
    let cases = [
        ("missing name", without("name")),
        ("missing email", without("email")),
        ("missing interest", without("interest")),
        ("blank name", with("name", "   ")),
        ("oversized name", with("name", &long_name)),
        ("oversized message", with("message", &long_message)),
        ("invalid email", with("email", "a@b")),
        ("letters as phone", with("phone", "call me maybe")),
        ("odd consent value", with("consent", "sure")),
        ("forged token", with("form_token", "x")),
    ];
    for (case, form) in cases {
        let response = app.post_form_json(encode(&form)).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
    }
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn invalid_utf8_is_a_400_and_nothing_is_stored() {
    let app = spawn_app().await;
    for body in [
        b"name=%FF%FE&email=a%40b.io&interest=beans".to_vec(),
        b"name=\xff&email=a%40b.io&interest=beans".to_vec(),
    ] {
        let response = app.post_form(body).await;
        assert_eq!(response.status().as_u16(), 400);
    }
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn a_wrong_content_type_is_a_415() {
    let app = spawn_app().await;
    for content_type in [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/leads"))
            .header("Content-Type", content_type)
            .body(r#"{"name":"Ana"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 415, "{content_type}");
    }
    let no_type = app
        .client
        .post(app.url("/leads"))
        .body("name=Ana")
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status().as_u16(), 415);
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_whether_declared_or_streamed() {
    let app = spawn_app_with(&[("RR_SERVER__BODY_LIMIT_BYTES", "4096")]).await;
    let huge = format!("{}&message={}", encode(&valid_form()), "m".repeat(5000));
    assert_eq!(app.post_form(huge.clone()).await.status().as_u16(), 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = huge
        .into_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = app.post_form_json(streamed).await;
    assert_eq!(response.status().as_u16(), 413);
    assert!(response.json::<serde_json::Value>().await.unwrap()["message"].is_string());
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn a_repeated_field_is_a_400() {
    let app = spawn_app().await;
    let body = format!("{}&name=Other", encode(&valid_form()));
    assert_eq!(app.post_form(body).await.status().as_u16(), 400);
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn a_filled_honeypot_looks_like_success_but_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .post_form(encode(&with("website", "http://spam.example")))
        .await;
    assert_is_redirect_to(&response, "/thanks");
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn a_client_over_the_rate_limit_gets_a_429_with_retry_after() {
    let app = spawn_app_with(&[
        ("RR_LEADS__RATE_LIMIT_PER_MINUTE", "2"),
        ("RR_LEADS__RATE_LIMIT_BURST", "2"),
    ])
    .await;
    for _ in 0..2 {
        assert_is_redirect_to(&app.post_form(encode(&valid_form())).await, "/thanks");
    }
    let response = app.post_form(encode(&valid_form())).await;
    assert_eq!(response.status().as_u16(), 429);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(app.lead_count().await, 2);
}

#[actix_web::test]
async fn get_on_the_leads_endpoint_is_not_allowed() {
    let app = spawn_app().await;
    assert!(app.get("/leads").await.status().is_client_error());
}
