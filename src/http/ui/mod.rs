//! The web page: one HTML document, one stylesheet, one JavaScript module and an icon, all
//! compiled into the binary and served with a strict Content-Security-Policy (nothing is
//! fetched from another origin; no inline script or style).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The policy every page asset is served with: only this origin's scripts, styles, images and
/// API; no frames, no plugins, no inline code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("index.html");
const APP_CSS: &str = include_str!("app.css");
const APP_JS: &str = include_str!("app.js");
const FAVICON_SVG: &str = include_str!("favicon.svg");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /`: the page.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /ui/app.css`.
pub async fn css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// `GET /ui/app.js`: the page's script (an ES module).
pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /favicon.svg` (and `/favicon.ico`, which browsers ask for on their own).
pub async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON_SVG)
}
