//! `/openapi.json` and Swagger UI at `/docs/`, from vendored assets (no network needed),
//! titled with the deployment's own title.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use atrium_core::error::ApiError;

use crate::state::AppState;

pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.spec_json.clone())
}

pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

pub async fn docs_file(
    tail: web::Path<String>,
    state: web::Data<AppState>,
    ui: web::Data<Arc<utoipa_swagger_ui::Config<'static>>>,
) -> Result<HttpResponse, ApiError> {
    if tail.as_str() == "favicon.svg" {
        return Ok(HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(favicon(&state.config.title)));
    }
    let file = utoipa_swagger_ui::serve(&tail, ui.get_ref().clone())
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(ApiError::not_found)?;
    let mut res = HttpResponse::Ok();
    res.content_type(file.content_type.as_str()).insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if tail.is_empty() || tail.as_str() == "index.html" {
        // White label: the deployment's title and icon, never Swagger's.
        let html = String::from_utf8_lossy(&file.bytes)
            .replace("<title>Swagger UI</title>", &format!("<title>{}</title>", escape_html(&state.config.title)))
            .lines()
            .filter(|line| !line.contains("rel=\"icon\""))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("</head>", "<link rel=\"icon\" type=\"image/svg+xml\" href=\"./favicon.svg\" />\n</head>");
        return Ok(res.body(html));
    }
    Ok(res.body(file.bytes.into_owned()))
}

/// The deployment's icon: the first letter of its title on a plain square.
fn favicon(title: &str) -> String {
    let letter = title.chars().find(|c| c.is_alphanumeric()).map_or_else(String::new, |c| c.to_uppercase().to_string());
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"6\" \
         fill=\"#1f2937\"/><text x=\"16\" y=\"23\" font-family=\"sans-serif\" font-size=\"20\" \
         text-anchor=\"middle\" fill=\"#ffffff\">{}</text></svg>",
        escape_html(&letter)
    )
}

/// Swagger UI without its top bar (Swagger's logo and the "Explore" URL box): the page is
/// the deployment's, showing only its own spec.
pub fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::new(["/openapi.json"])
        .use_base_layout()
        .persist_authorization(true)
        .display_operation_id(true)
        .try_it_out_enabled(true)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
