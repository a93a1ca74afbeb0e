//! Keys and browser access. Writes need the write key when one is set; reads (every read
//! endpoint, `/metrics` included) need the read key or the write key when a read key is set.
//! `/health` and `/ready` stay open for probes.
//!
//! Keys are compared as SHA-256 digests in constant time, so neither a key's bytes nor its
//! length can be learned from response times. The `Bearer` scheme is case-insensitive
//! (RFC 7235). CORS is off unless origins are configured.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::{ApiError, AppState};

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Compares digests of the two keys in constant time: equal keys give equal digests, and the
/// comparison's time depends on neither key.
pub(crate) fn same_key(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

fn unauthorized(what: &str, given: bool) -> Response {
    let message = if given {
        format!("the key given is not accepted for {what}")
    } else {
        format!("{what} need Authorization: Bearer <key>")
    };
    let mut resp = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// Route layer of the write endpoints.
pub(crate) async fn require_write_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(key) = &state.settings().api_key {
        let given = bearer(&req);
        if !given.is_some_and(|b| same_key(b, key)) {
            return unauthorized("writes", given.is_some());
        }
    }
    next.run(req).await
}

/// Route layer of the read endpoints.
pub(crate) async fn require_read_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(key) = &state.settings().read_key {
        let given = bearer(&req);
        let ok = given.is_some_and(|b| {
            same_key(b, key)
                || state
                    .settings()
                    .api_key
                    .as_deref()
                    .is_some_and(|w| same_key(b, w))
        });
        if !ok {
            return unauthorized("reads", given.is_some());
        }
    }
    next.run(req).await
}

/// The CORS policy: none (browsers on other origins are refused by the browser) unless
/// `--cors-origin` names origins.
pub(crate) fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    if allowed.is_empty() {
        return CorsLayer::new();
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_exactly() {
        assert!(same_key("secret", "secret"));
        assert!(!same_key("secret", "secreT"));
        assert!(!same_key("secret", "secret2"));
        assert!(!same_key("", "secret"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let req = |v: &str| {
            Request::builder()
                .header(header::AUTHORIZATION, v)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert_eq!(bearer(&req("Bearer k1")), Some("k1"));
        assert_eq!(bearer(&req("bearer k1")), Some("k1"));
        assert_eq!(bearer(&req("BEARER   k1 ")), Some("k1"));
        assert_eq!(bearer(&req("Basic k1")), None);
        assert_eq!(bearer(&req("Bearer ")), None);
    }
}
