//! atrium-booking-page: each tenant's white-label booking page — `/book/{tenant_slug}`
//! (and `/` on the tenant's verified domain or `{slug}.{base domain}`), its "my bookings"
//! page, and the vendored script and style it loads. The HTML is rendered here in the
//! tenant's branding and language; the booking itself is done by the page's script over
//! the public JSON API, same origin. These routes are pages, not API: they are kept out
//! of the OpenAPI document and answer HTML, errors included.

pub mod assets;
pub mod i18n;
pub mod page;
pub mod theme;

use actix_web::web;

/// Mounts the page's routes (outside `/v1`, outside the spec).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/book/_assets/{file}", web::get().to(assets::asset_get))
        .route("/book/{tenant_slug}", web::get().to(page::book_page))
        .route("/book/{tenant_slug}/", web::get().to(page::book_page))
        .route("/book/{tenant_slug}/me", web::get().to(page::my_bookings_page))
        .route("/", web::get().to(page::book_page_by_host))
        .route("/me", web::get().to(page::my_bookings_page_by_host));
}
