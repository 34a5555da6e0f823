//! What visitors, crawlers and link previews expect of a public site: robots.txt, a sitemap, icons at their
//! well-known paths, OpenGraph and schema.org data with absolute URLs, pages that keep the site's header
//! and footer, contact details as links, and a news signup of its own.

use crate::helpers::{encode, spawn_app, spawn_app_with, valid_form, without};

const BASE: &str = "https://www.ritualroast.example";

fn configured() -> [(&'static str, &'static str); 1] {
    [("RR_SITE__PUBLIC_URL", BASE)]
}

#[actix_web::test]
async fn robots_txt_allows_the_site_hides_the_admin_and_names_the_sitemap() {
    let app = spawn_app_with(&configured()).await;
    let response = app.get("/robots.txt").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Disallow: /admin"), "{body}");
    assert!(
        body.contains(&format!("Sitemap: {BASE}/sitemap.xml")),
        "{body}"
    );
}

#[actix_web::test]
async fn the_sitemap_lists_the_public_pages_under_the_configured_base_url() {
    let app = spawn_app_with(&configured()).await;
    let response = app.get("/sitemap.xml").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("xml")
    );
    let body = response.text().await.unwrap();
    for path in ["/", "/privacy"] {
        assert!(body.contains(&format!("<loc>{BASE}{path}</loc>")), "{body}");
    }
    assert!(!body.contains("/admin"));
}

#[actix_web::test]
async fn without_a_configured_base_url_links_are_derived_from_the_requests_host() {
    let app = spawn_app().await;
    let body = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(
        body.contains(&format!("<loc>{}/</loc>", app.address)),
        "{body}"
    );
}

#[actix_web::test]
async fn a_hostile_host_header_never_reaches_the_page() {
    let app = spawn_app().await;
    for host in ["evil.example\"><script>x</script>", "a b", "x/y"] {
        let response = app
            .client
            .get(app.url("/"))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>x"), "{host}");
        assert!(!html.contains("content=\"http://a b"), "{host}");
        assert!(!html.contains("x/y/"), "{host}");
    }
}

#[actix_web::test]
async fn the_well_known_icons_are_real_images() {
    let app = spawn_app().await;
    let ico = app.get("/favicon.ico").await;
    assert_eq!(ico.status().as_u16(), 200);
    assert_eq!(ico.headers()["content-type"], "image/x-icon");
    assert_eq!(&ico.bytes().await.unwrap()[..4], &[0, 0, 1, 0]);
    let touch = app.get("/apple-touch-icon.png").await;
    assert_eq!(touch.status().as_u16(), 200);
    assert_eq!(touch.headers()["content-type"], "image/png");
    assert_eq!(&touch.bytes().await.unwrap()[..4], b"\x89PNG");
}

#[actix_web::test]
async fn link_previews_get_opengraph_and_twitter_tags_with_absolute_urls() {
    let app = spawn_app_with(&configured()).await;
    let html = app.get("/").await.text().await.unwrap();
    for tag in [
        "property=\"og:title\"",
        "property=\"og:description\"",
        "property=\"og:type\"",
        "name=\"twitter:card\"",
    ] {
        assert!(html.contains(tag), "missing {tag}");
    }
    assert!(html.contains(&format!("property=\"og:url\" content=\"{BASE}/\"")));
    let image = html
        .split("property=\"og:image\" content=\"")
        .nth(1)
        .expect("og:image")
        .split('"')
        .next()
        .unwrap();
    assert!(image.starts_with(&format!("{BASE}/assets/")), "{image}");
    let path = image.strip_prefix(BASE).unwrap();
    assert_eq!(
        app.get(path).await.status().as_u16(),
        200,
        "the image is served"
    );
}

#[actix_web::test]
async fn the_landing_page_describes_the_cafes_as_schema_org_data() {
    let app = spawn_app_with(&configured()).await;
    let html = app.get("/").await.text().await.unwrap();
    let json = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .expect("a JSON-LD block")
        .split("</script>")
        .next()
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    let places = data["@graph"].as_array().expect("a graph of places");
    assert_eq!(places.len(), 2);
    for place in places {
        assert_eq!(place["@type"], "CafeOrCoffeeShop");
        assert_eq!(place["address"]["addressLocality"], "Bristol");
        assert!(
            !place["openingHoursSpecification"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(place["url"], format!("{BASE}/"));
    }
}

#[actix_web::test]
async fn not_found_and_thank_you_pages_keep_the_site_header_and_footer() {
    let app = spawn_app().await;
    let missing = app.get("/no-such-page").await;
    assert_eq!(missing.status().as_u16(), 404);
    let thanks = app.get("/thanks").await;
    for html in [missing.text().await.unwrap(), thanks.text().await.unwrap()] {
        assert!(html.contains("class=\"site-header\""));
        assert!(html.contains("class=\"site-footer\""));
    }
}

#[actix_web::test]
async fn an_unknown_admin_page_is_a_404_inside_the_staff_frame() {
    let app = spawn_app().await;
    app.signed_in().await;
    for path in ["/admin/no-such-page", "/admin/leads/999999"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("admin-header"), "{path} shows the public 404");
        assert!(!html.contains("class=\"site-header\""), "{path}");
    }
}

#[actix_web::test]
async fn contact_details_are_links_and_each_location_has_directions() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("href=\"mailto:hello@ritualroast.example\""));
    assert!(html.contains("href=\"tel:+441174960321\""));
    assert_eq!(html.matches("data-testid=\"directions\"").count(), 2);
}

#[actix_web::test]
async fn start_a_subscription_preselects_it_in_the_form_without_javascript() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    let link = home
        .split("data-testid=\"cta\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(link.contains("interest=subscription"), "{link}");
    let html = app.get(&link).await.text().await.unwrap();
    assert!(html.contains("<option value=\"subscription\" selected>"));
    let unknown = app.get("/?interest=bitcoin").await.text().await.unwrap();
    assert!(unknown.contains("<option value=\"\" selected>"));
}

#[actix_web::test]
async fn a_form_with_errors_comes_back_at_the_form_with_its_summary_focused() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        home.contains("action=\"/leads#enquiry\""),
        "the browser lands on the form after a post"
    );
    let response = app.post_form(encode(&without("name"))).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    let at = html
        .find("data-testid=\"form-errors\"")
        .expect("an error summary");
    let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
    assert!(tag.contains("autofocus"), "{tag}");
}

#[actix_web::test]
async fn news_signup_is_its_own_one_field_form_stored_once_per_address() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("action=\"/news#news\""));
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/news"))
            .form(&[("email", "Ana@Example.com")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/news/thanks");
    }
    let bad = app
        .client
        .post(app.url("/news"))
        .form(&[("email", "not an address")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().await.unwrap().contains("name@example.com"));
    let thanks = app.get("/news/thanks").await;
    assert_eq!(thanks.status().as_u16(), 200);
    app.signed_in().await;
    let staff_view = app.get("/admin/news").await.text().await.unwrap();
    assert_eq!(
        staff_view.matches("ana@example.com").count(),
        1,
        "{staff_view}"
    );
}

#[actix_web::test]
async fn news_signups_share_the_lead_forms_rate_limit() {
    let app = spawn_app_with(&[
        ("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1"),
        ("RR_LEADS__RATE_LIMIT_BURST", "2"),
    ])
    .await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = app
            .client
            .post(app.url("/news"))
            .form(&[("email", format!("n{i}@example.com"))])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [303, 303, 429, 429]);
    let lead = app.post_form(encode(&valid_form())).await;
    assert_eq!(
        lead.status().as_u16(),
        429,
        "one budget per visitor for both forms"
    );
}
