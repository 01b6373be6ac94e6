//! The page's script and style, compiled into the binary and served with long cache
//! lifetimes: their URLs carry a hash of the contents, so a new build is a new URL.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use atrium_core::error::ApiError;
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", body: include_str!("../assets/app.js") },
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", body: include_str!("../assets/app.css") },
    Asset {
        name: "embed.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/embed.js"),
    },
];

/// The first 12 hex digits of the SHA-256 of every asset: the `?v=` of their URLs.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for a in ASSETS {
        h.update(a.body.as_bytes());
    }
    h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
});

pub async fn asset_get(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = ASSETS.iter().find(|a| a.name == file.as_str()).ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // The embed script is loaded by the tenant's own site.
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(asset.body))
}
