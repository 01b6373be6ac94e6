//! The pages: the booking flow and "my bookings", found by slug or by host name, rendered
//! with the tenant's branding, language and a Content-Security-Policy that allows only
//! this origin (and framing only by the tenant's declared embed origins).

use std::sync::LazyLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use atrium_core::plugin::Deployment;
use atrium_tenants::entities::tenants;
use atrium_tenants::error::TenantsError;
use atrium_tenants::model::Branding;
use atrium_tenants::tenant;
use minijinja::{Environment, context};
use rand::RngCore;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::i18n::{self, Lang};
use crate::theme::Theme;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.html", include_str!("../templates/layout.html")),
        ("book.html", include_str!("../templates/book.html")),
        ("me.html", include_str!("../templates/me.html")),
        ("not_found.html", include_str!("../templates/not_found.html")),
        ("chrome_top.html", include_str!("../templates/chrome_top.html")),
        ("chrome_bottom.html", include_str!("../templates/chrome_bottom.html")),
    ] {
        if let Err(err) = env.add_template(name, source) {
            tracing::error!(error = %err, template = name, "a booking-page template does not parse");
        }
    }
    env
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Book,
    Me,
}

/// Where the page was reached: `/book/{slug}` or the tenant's own host.
enum Via {
    Slug,
    Host,
}

pub async fn book_page(req: HttpRequest, slug: web::Path<String>, db: web::Data<DatabaseConnection>) -> HttpResponse {
    let found = tenant::by_slug(db.get_ref(), &slug).await;
    respond(&req, found, Via::Slug, Mode::Book)
}

pub async fn my_bookings_page(
    req: HttpRequest,
    slug: web::Path<String>,
    db: web::Data<DatabaseConnection>,
) -> HttpResponse {
    let found = tenant::by_slug(db.get_ref(), &slug).await;
    respond(&req, found, Via::Slug, Mode::Me)
}

pub async fn book_page_by_host(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    deployment: web::Data<Deployment>,
) -> HttpResponse {
    by_host(req, db, deployment, Mode::Book).await
}

pub async fn my_bookings_page_by_host(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    deployment: web::Data<Deployment>,
) -> HttpResponse {
    by_host(req, db, deployment, Mode::Me).await
}

/// `/` and `/me` show a tenant's page only on a host that is the tenant's; anywhere else
/// they stay what they were (a problem: no such route).
async fn by_host(
    req: HttpRequest,
    db: web::Data<DatabaseConnection>,
    deployment: web::Data<Deployment>,
    mode: Mode,
) -> HttpResponse {
    let host = req.connection_info().host().split(':').next().unwrap_or_default().to_lowercase();
    match tenant::by_host(db.get_ref(), deployment.base_domain.as_deref(), &host).await {
        Err(TenantsError::NotFound) => {
            use actix_web::ResponseError;
            atrium_core::error::ApiError::new(atrium_core::error::ErrorCode::RouteNotFound)
                .with_detail(format!("no route for {}", req.path()))
                .error_response()
        }
        found => respond(&req, found, Via::Host, mode),
    }
}

/// What the page's script is told, as JSON in the page.
#[derive(Serialize)]
struct PageConfig<'a> {
    slug: &'a str,
    /// Prefix of the page's own links: `/book/{slug}`, or empty on the tenant's host.
    base: String,
    mode: &'static str,
    lang: &'static str,
    tenant_name: &'a str,
    tenant_zone: &'a str,
    currency: &'a str,
    strings: std::collections::BTreeMap<&'static str, &'static str>,
}

fn respond(req: &HttpRequest, found: Result<tenants::Model, TenantsError>, via: Via, mode: Mode) -> HttpResponse {
    let lang = language(req);
    let t = match found {
        Ok(t) if t.status != "suspended" => t,
        Ok(_) | Err(TenantsError::NotFound) => return not_found(lang),
        Err(err) => {
            tracing::warn!(error = %err, "booking page: the tenant could not be read");
            return unavailable(lang);
        }
    };
    let branding: Branding = serde_json::from_value(t.branding.clone()).unwrap_or_default();
    let theme = Theme::new(branding.primary_color.as_deref(), branding.secondary_color.as_deref());
    let name = branding.display_name.clone().unwrap_or_else(|| t.name.clone());
    let strings = i18n::strings(lang);
    let base = match via {
        Via::Slug => format!("/book/{}", t.slug),
        Via::Host => String::new(),
    };
    let config = PageConfig {
        slug: &t.slug,
        base: base.clone(),
        mode: if mode == Mode::Me { "me" } else { "book" },
        lang: lang.code(),
        tenant_name: &name,
        tenant_zone: &t.timezone,
        currency: &t.currency,
        strings: strings.clone(),
    };
    let nonce = nonce();
    let logo = branding.logo_url.as_deref().and_then(origin_of).map(|o| (branding.logo_url.clone(), o));
    let html = render(
        if mode == Mode::Me { "me.html" } else { "book.html" },
        context! {
            lang => lang.code(),
            t => strings,
            name => name,
            title => format!("{} · {}", if mode == Mode::Me { strings_get(lang, "my_bookings") } else { strings_get(lang, "new_booking") }, name),
            logo_url => logo.as_ref().and_then(|l| l.0.clone()),
            support_email => branding.support_email,
            theme => theme,
            nonce => nonce,
            base => base,
            home => if base.is_empty() { "/".to_owned() } else { base.clone() },
            assets => crate::assets::VERSION.as_str(),
            config => script_json(&config),
            mode => config.mode,
        },
    );
    let Some(html) = html else { return unavailable(lang) };
    let mut img = "'self' data:".to_owned();
    if let Some((_, origin)) = &logo {
        img.push(' ');
        img.push_str(origin);
    }
    let ancestors: Vec<String> = branding.embed_origins.iter().filter_map(|o| origin_of(o)).collect();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src {img}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'{}",
        ancestors.iter().map(|o| format!(" {o}")).collect::<String>()
    );
    page_response(StatusCode::OK, html, &csp, lang)
}

fn strings_get(lang: Lang, key: &str) -> &'static str {
    i18n::strings(lang).get(key).copied().unwrap_or_default()
}

fn language(req: &HttpRequest) -> Lang {
    let query = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string()).ok();
    let asked = query.as_ref().and_then(|q| q.get("lang").cloned());
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(asked.as_deref(), accept)
}

fn render(name: &str, ctx: minijinja::Value) -> Option<String> {
    match TEMPLATES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Some(html),
        Err(err) => {
            tracing::error!(error = %err, template = name, "booking page: rendering failed");
            None
        }
    }
}

fn page_response(status: StatusCode, html: String, csp: &str, lang: Lang) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp.to_owned()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Accept-Language"))
        .body(html)
}

const PLAIN_CSP: &str =
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The 404 page: HTML like the page itself, never a problem document.
fn not_found(lang: Lang) -> HttpResponse {
    let t = i18n::strings(lang);
    let html = render("not_found.html", context! { lang => lang.code(), t => t, assets => crate::assets::VERSION.as_str(),
        title => strings_get(lang, "not_found_title"), heading => strings_get(lang, "not_found_title"), message => strings_get(lang, "not_found") })
    .unwrap_or_else(|| "<!doctype html><title>404</title><h1>404</h1>".to_owned());
    page_response(StatusCode::NOT_FOUND, html, PLAIN_CSP, lang)
}

/// The database could not be read: a page saying to retry (503), never a stack of JSON.
fn unavailable(lang: Lang) -> HttpResponse {
    let t = i18n::strings(lang);
    let html = render("not_found.html", context! { lang => lang.code(), t => t, assets => crate::assets::VERSION.as_str(),
        title => strings_get(lang, "error"), heading => strings_get(lang, "error"), message => strings_get(lang, "error") })
    .unwrap_or_else(|| "<!doctype html><title>503</title><h1>503</h1>".to_owned());
    let mut res = page_response(StatusCode::SERVICE_UNAVAILABLE, html, PLAIN_CSP, lang);
    res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    res
}

/// A fresh CSP nonce: 128 random bits in hex (valid CSP base64-value characters that the
/// template's HTML escaping leaves as they are; standard base64's `/` came out as `&#x2f;`
/// about one page in three, and the browser then refused the tenant's colours).
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod nonce_tests {
    #[test]
    fn a_nonce_survives_html_escaping() {
        for _ in 0..200 {
            let n = super::nonce();
            assert_eq!(n.len(), 32);
            assert!(n.bytes().all(|b| b.is_ascii_hexdigit()), "{n}");
        }
    }
}

/// JSON safe inside a `<script type="application/json">` element: no `<`, `>` or `&`
/// (they can only occur inside strings, where the `\u` escapes mean the same).
fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `scheme://host[:port]` of an http(s) URL, when it is one, lower-cased; `None` for
/// anything that is not a plain origin (so nothing else can reach the CSP header).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        Some(_) => return None,
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-']);
    host_ok.then(|| {
        let mut o = format!("{scheme}://{}", host.to_ascii_lowercase());
        if let Some(p) = port {
            o.push(':');
            o.push_str(p);
        }
        o
    })
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_are_plain() {
        assert_eq!(origin_of("https://Shop.Example.com").as_deref(), Some("https://shop.example.com"));
        assert_eq!(origin_of("http://localhost:8080/x").as_deref(), Some("http://localhost:8080"));
        assert_eq!(origin_of("javascript://x"), None);
        assert_eq!(origin_of("https://a.com; script-src *"), None);
        assert_eq!(origin_of("https://a.com:99999999"), None);
    }
}
