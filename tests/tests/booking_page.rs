//! The booking page as the server serves it, without a browser (the browser tests are
//! tests/e2e/booking-page.sh): HTML in the tenant's branding and language, a 404 page,
//! the Content-Security-Policy, the contrast fallback, the assets, host names, and the
//! cancellation quote the page shows before cancelling.

use atrium_tests::{Tenant, TestApp, assert_problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{at, hour_from_now, post, world};

async fn brand(app: &TestApp, t: &Tenant, branding: Value) {
    let res = app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({ "branding": branding })).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn page(app: &TestApp, path: &str, lang: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.request(Method::GET, path);
    if let Some(lang) = lang {
        req = req.header("Accept-Language", lang);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn the_page_has_the_tenants_title_and_colours_as_css_variables() {
    let app = spawn_app().await;
    let t = app.signup("page-brand").await;
    brand(&app, &t, json!({"display_name": "Acme Salon", "primary_color": "#0B5394", "secondary_color": "#ffffff"}))
        .await;
    let (status, headers, html) = page(&app, &format!("/book/{}", t.slug), None).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(html.contains("<title>Book · Acme Salon</title>"), "{html}");
    assert!(html.contains(r#"<meta name="application-name" content="Acme Salon">"#));
    assert!(html.contains("--atrium-primary: #0b5394;"), "{html}");
    assert!(html.contains("--atrium-bg: #ffffff;"));
    assert!(!html.contains("data-contrast-fallback"));
    assert!(!html.contains("Atrium"), "the page is the tenant's, not the deployment's");
    assert!(html.contains(r#""tenant_zone":"#), "the page's script is told the tenant's zone");
    let (status, _, html) = page(&app, &format!("/book/{}/me", t.slug), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>My bookings · Acme Salon</title>"));
}

#[tokio::test]
async fn an_unknown_slug_is_a_404_html_page() {
    let app = spawn_app().await;
    for path in ["/book/no-such-tenant", "/book/no-such-tenant/me", "/book/%F0%9F%92%A5"] {
        let (status, headers, html) = page(&app, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert!(header(&headers, "content-type").starts_with("text/html"), "{path}");
        assert!(html.contains("Page not found"), "{path}: {html}");
    }
}

#[tokio::test]
async fn frame_ancestors_are_the_tenants_declared_embed_origins() {
    let app = spawn_app().await;
    let t = app.signup("page-embed").await;
    let (_, headers, _) = page(&app, &format!("/book/{}", t.slug), None).await;
    let csp = header(&headers, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.ends_with("frame-ancestors 'self'"), "none declared: only the deployment's own pages: {csp}");

    brand(&app, &t, json!({"embed_origins": ["https://www.acme.example", "http://localhost:8080"]})).await;
    let (_, headers, html) = page(&app, &format!("/book/{}", t.slug), None).await;
    let csp = header(&headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'self' https://www.acme.example http://localhost:8080"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap();
    assert!(html.contains(&format!(r#"<style nonce="{nonce}">"#)), "the inline style carries the header's nonce");

    for bad in
        ["https://www.acme.example/shop", "https://a.example; script-src *", "ftp://a.example", "https://A.example"]
    {
        let res =
            app.send_as(&t.token, Method::PATCH, "/v1/tenant", &json!({"branding": {"embed_origins": [bad]}})).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "branding.embed_origins[0]", "{bad}: {body}");
    }
}

#[tokio::test]
async fn colours_that_fail_wcag_aa_fall_back_to_a_readable_pair() {
    let app = spawn_app().await;
    let t = app.signup("page-contrast").await;
    // Yellow on white: 1.07:1.
    brand(&app, &t, json!({"primary_color": "#ffff00", "secondary_color": "#ffffff"})).await;
    let (_, _, html) = page(&app, &format!("/book/{}", t.slug), None).await;
    assert!(html.contains(r#"data-contrast-fallback="true""#));
    assert!(html.contains("--atrium-primary: #1d4ed8;") && html.contains("--atrium-bg: #ffffff;"), "{html}");
    // Yellow on near-black passes, and gets dark text on its buttons.
    brand(&app, &t, json!({"primary_color": "#facc15", "secondary_color": "#111111"})).await;
    let (_, _, html) = page(&app, &format!("/book/{}", t.slug), None).await;
    assert!(!html.contains("data-contrast-fallback"));
    assert!(html.contains("--atrium-primary: #facc15;") && html.contains("--atrium-on-primary: #111827;"), "{html}");
    assert!(html.contains("--atrium-text: #ffffff;"));
}

#[tokio::test]
async fn portuguese_strings_for_accept_language_pt_and_lang_overrides() {
    let app = spawn_app().await;
    let t = app.signup("page-pt").await;
    let (_, headers, html) = page(&app, &format!("/book/{}", t.slug), Some("pt-BR,pt;q=0.9,en;q=0.5")).await;
    assert!(html.contains(r#"<html lang="pt""#));
    assert!(html.contains("Escolha um serviço") && html.contains("Minhas reservas"), "{html}");
    assert_eq!(header(&headers, "content-language"), "pt");
    let (_, _, html) = page(&app, &format!("/book/{}?lang=en", t.slug), Some("pt")).await;
    assert!(html.contains(r#"<html lang="en""#) && html.contains("Choose a service"));
    let (_, _, html) = page(&app, "/book/nobody-here", Some("pt")).await;
    assert!(html.contains("Página não encontrada"));
}

#[tokio::test]
async fn assets_are_served_with_their_content_type_and_long_caching() {
    let app = spawn_app().await;
    for (file, kind) in [("app.js", "text/javascript"), ("app.css", "text/css"), ("embed.js", "text/javascript")] {
        let (status, headers, body) = page(&app, &format!("/book/_assets/{file}?v=1"), None).await;
        assert_eq!(status, 200, "{file}");
        assert!(header(&headers, "content-type").starts_with(kind), "{file}: {}", header(&headers, "content-type"));
        assert!(header(&headers, "cache-control").contains("max-age=31536000"), "{file}");
        assert!(!body.is_empty());
    }
    let res = app.get("/book/_assets/nothing.js").await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn the_root_shows_the_page_on_the_tenants_host_only() {
    let app = spawn_app_with(
        |c| c.base_domain = Some("book.test".into()),
        atrium_server::PluginRegistry::compiled().unwrap(),
    )
    .await;
    let t = app.signup("page-host").await;
    let res = app.request(Method::GET, "/").header("Host", format!("{}.book.test", t.slug)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#""base":"""#), "links stay on the host: {html}");
    let res = app.request(Method::GET, "/me").header("Host", format!("{}.book.test", t.slug)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Any other host: `/` is no route, as before.
    let res = app.request(Method::GET, "/").header("Host", "elsewhere.example").send().await.unwrap();
    assert_problem(res, 404, "route_not_found").await;
}

#[tokio::test]
async fn the_cancellation_quote_shows_the_refund_and_changes_nothing() {
    let app = spawn_app().await;
    let (t, _, tpl) = world(&app, "page-quote").await;
    let customer = app.register_customer(&t.slug, "quote@page.example").await;
    let token = customer["access_token"].as_str().unwrap();
    let far =
        post(&app, token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(72))})).await;
    let near =
        post(&app, token, "/v1/bookings", &json!({"service_template_id": tpl, "start": at(hour_from_now(30))})).await;
    let quote: Value = app
        .get_as(token, &format!("/v1/bookings/{}/cancellation-quote", far["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quote["allowed"], true, "{quote}");
    assert_eq!((quote["refund_amount"].as_str(), quote["refund_percent"].as_str()), (Some("100.00"), Some("100")));
    assert_eq!(quote["currency"], "USD");
    let quote: Value = app
        .get_as(token, &format!("/v1/bookings/{}/cancellation-quote", near["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (quote["refund_amount"].as_str(), quote["refund_percent"].as_str()),
        (Some("50.00"), Some("50")),
        "{quote}"
    );
    let id = far["id"].as_str().unwrap();
    let still: Value = app.get_as(token, &format!("/v1/bookings/{id}")).await.json().await.unwrap();
    assert_ne!(still["status"], "cancelled", "a quote changes nothing");
    let cancelled = post(&app, token, &format!("/v1/bookings/{id}/cancel"), &json!({})).await;
    assert_eq!(cancelled["refund_amount"], "100.00");
    let quote: Value = app.get_as(token, &format!("/v1/bookings/{id}/cancellation-quote")).await.json().await.unwrap();
    assert_eq!(quote["allowed"], false);
    assert!(quote["refused_because"].as_str().unwrap().contains("cancelled"), "{quote}");
    // Another customer's booking is not found, like another tenant's.
    let other = app.register_customer(&t.slug, "other@page.example").await;
    let res = app
        .get_as(
            other["access_token"].as_str().unwrap(),
            &format!("/v1/bookings/{}/cancellation-quote", near["id"].as_str().unwrap()),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}
