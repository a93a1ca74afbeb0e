//! Feed subscriptions over HTTP. Reads (`GET /v1/feeds`, `GET /v1/feeds/{id}`) follow the read
//! key; subscribing, removing and refreshing need the write key, like `POST /v1/documents`.
//! Handlers only pick the body apart and call [`crate::feeds::Feeds`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::feeds::{opml, Feed, ImportReport, NewFeed, Refreshed};

/// What a `POST /v1/feeds` body is.
enum Body {
    Json,
    Opml,
}

fn body_kind(headers: &HeaderMap, body: &[u8]) -> Result<Body, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request body is empty",
        ));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim().to_string();
    Ok(match mime.as_str() {
        "application/json" => Body::Json,
        "text/x-opml" | "application/x-opml" | "text/x-opml+xml" => Body::Opml,
        "application/xml" | "text/xml" => {
            if !opml::looks_like_opml(body) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_opml",
                    "an XML body must be an OPML subscription list (root element <opml>)",
                ));
            }
            Body::Opml
        }
        "" => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'<') || body.starts_with(b"\xEF\xBB\xBF<") {
                Body::Opml
            } else {
                Body::Json
            }
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "cannot read {other:?} here: send one feed as application/json or a \
                     subscription list as text/x-opml"
                ),
            ))
        }
    })
}

fn json_error(e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let code = match e.classify() {
        Category::Syntax | Category::Eof => "malformed_json",
        Category::Data | Category::Io => "invalid_request",
    };
    ApiError::new(StatusCode::BAD_REQUEST, code, e.to_string())
}

/// Subscribes to a feed (JSON body), or to every feed of an OPML subscription list. The same
/// URL again answers 200 with the existing feed, unchanged.
#[utoipa::path(post, path = "/v1/feeds", request_body(content = NewFeed,
    description = "one feed as JSON, or an OPML document (text/x-opml, or application/xml with an <opml> root)"),
    responses((status = 201, description = "subscribed", body = Feed),
              (status = 200, description = "already subscribed (JSON body), or an OPML import report", body = ImportReport),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn post_feeds(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let feeds = st.feeds()?;
    match body_kind(&headers, &body)? {
        Body::Opml => Ok(Json(feeds.import_opml(&body).await?).into_response()),
        Body::Json => {
            let req: NewFeed = serde_json::from_slice(&body).map_err(json_error)?;
            let (feed, created) = feeds.add(req).await?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(feed)).into_response())
        }
    }
}

/// Every feed with its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedList {
    /// The feeds, in id order.
    pub feeds: Vec<Feed>,
}

/// Lists the subscriptions with their status.
#[utoipa::path(get, path = "/v1/feeds",
    responses((status = 200, body = FeedList), (status = 401, body = ErrorBody)))]
pub async fn list_feeds(State(st): State<AppState>) -> Result<Json<FeedList>, ApiError> {
    Ok(Json(FeedList {
        feeds: st.feeds()?.list().await?,
    }))
}

/// One feed with its status.
#[utoipa::path(get, path = "/v1/feeds/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Feed), (status = 404, body = ErrorBody)))]
pub async fn get_feed(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Feed>, ApiError> {
    Ok(Json(st.feeds()?.get(&id).await?))
}

/// Unsubscribe receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDeleted {
    /// The feed removed.
    pub id: String,
    /// Always true (an unknown id is a 404).
    pub deleted: bool,
}

/// Unsubscribes: polling stops at once; the articles the feed delivered stay.
#[utoipa::path(delete, path = "/v1/feeds/{id}", params(("id" = String, Path)),
    responses((status = 200, body = FeedDeleted), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn delete_feed(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FeedDeleted>, ApiError> {
    st.feeds()?.remove(&id).await?;
    Ok(Json(FeedDeleted { id, deleted: true }))
}

/// Fetches a feed now and answers when the fetch is done (or joins a poll already running),
/// with its outcome. A failed fetch is a 200 whose `fetch.outcome` and `fetch.error` say why.
#[utoipa::path(post, path = "/v1/feeds/{id}/refresh", params(("id" = String, Path)),
    responses((status = 200, body = Refreshed), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn refresh_feed(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Refreshed>, ApiError> {
    Ok(Json(st.feeds()?.refresh(&id).await?))
}
