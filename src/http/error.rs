//! The one mapping from errors to HTTP: `{ "error": { "code", "message" } }` with the right
//! status. Every handler returns `Result<_, ApiError>`; extractor rejections are mapped here too
//! so that a malformed body gets the same shape as any other refusal.

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::embed::EmbedError;
use crate::error::Error;
use crate::feeds::FeedError;
use crate::ingest::IngestError;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// Seconds to wait before retrying (503s).
    pub retry_after: Option<u32>,
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `empty_question`, `k_out_of_range`, `document_not_found`.
    pub code: String,
    /// What went wrong and how to fix it.
    pub message: String,
    /// On a 5xx, the request id the server log files the details under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 503 with Retry-After: the server is busy or not ready.
    pub fn unavailable(code: &'static str, message: impl Into<String>, retry_after: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }
}

tokio::task_local! {
    /// The request id of the request being served (`x-request-id`), for 500 bodies and logs.
    pub(crate) static REQUEST_ID: String;
}

/// The current request's id, when called while serving one.
pub(crate) fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A failure of newsdesk itself: the client gets a generic message and the request id; the log
/// gets the whole error chain under the same id.
pub fn internal(code: &'static str, what: &str, e: &(dyn std::error::Error + 'static)) -> ApiError {
    let id = request_id().unwrap_or_else(|| "-".into());
    tracing::error!(request_id = %id, code, error = %crate::error::chain(e), "{what}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        code,
        format!("newsdesk failed to serve this request ({what}); the server log has the details under request id {id}"),
    )
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { code, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, message)
            }
            Error::NotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "document_not_found",
                format!("no document with id {id:?}"),
            ),
            Error::StoryNotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "story_not_found",
                format!("no story with id {id}"),
            ),
            Error::Ingest(e) => ingest_error(e),
            Error::Feed(e) => feed_error(e),
            Error::Embed(EmbedError::Overloaded) => {
                ApiError::unavailable("overloaded", "the model is busy; retry shortly", 1)
            }
            // Seen only by a client that gave up already, or a test.
            Error::Cancelled | Error::Embed(EmbedError::Cancelled) => ApiError::unavailable(
                "request_cancelled",
                "the request was stopped before its work was done; retry it",
                1,
            ),
            ref e @ Error::Embed(_) => internal("model_error", "the model failed", e),
            ref e @ Error::Text(_) => internal("model_error", "the tokenizer failed", e),
            ref e @ Error::Store(_) => internal("store_error", "the store failed", e),
            ref e @ Error::Index(_) => internal("index_error", "an index failed", e),
            ref e @ (Error::Internal { .. } | Error::Io(_)) => {
                internal("internal", "an internal error", e)
            }
        }
    }
}

/// Feed refusals keep their own codes: bad input 400, unknown feed 404, the subscription
/// limit 409; store and internal failures 500.
pub fn feed_error(e: FeedError) -> ApiError {
    let status = match &e {
        FeedError::InvalidUrl(_)
        | FeedError::PrivateAddress(_)
        | FeedError::IntervalOutOfRange { .. }
        | FeedError::InvalidField(_)
        | FeedError::InvalidOpml(_) => StatusCode::BAD_REQUEST,
        FeedError::NotFound(_) => StatusCode::NOT_FOUND,
        FeedError::TooMany(_) => StatusCode::CONFLICT,
        FeedError::Fetch(_) => StatusCode::BAD_GATEWAY,
        FeedError::Store(_) | FeedError::Internal(_) => {
            return internal(e.code(), "the feed service failed", &e);
        }
    };
    ApiError::new(status, e.code(), e.to_string())
}

impl From<FeedError> for ApiError {
    fn from(e: FeedError) -> Self {
        feed_error(e)
    }
}

/// A document that cannot be read is the client's fault: 400 with the parser's reason.
pub fn ingest_error(e: IngestError) -> ApiError {
    let (status, code) = match &e {
        IngestError::Empty => (StatusCode::BAD_REQUEST, "empty_body"),
        IngestError::UnsupportedMediaType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        IngestError::Json { .. } => (StatusCode::BAD_REQUEST, "malformed_json"),
        IngestError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, crate::ingest::TOO_LARGE),
        _ => (StatusCode::BAD_REQUEST, "invalid_document"),
    };
    ApiError::new(status, code, e.to_string())
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request body as JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
            JsonRejection::JsonDataError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.body_text())
            }
            JsonRejection::BytesRejection(b) => bytes_rejection(b),
            other => ApiError::new(other.status(), "invalid_request", other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        bytes_rejection(r)
    }
}

fn bytes_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the server's limit (--max-body-bytes)",
        )
    } else {
        ApiError::new(r.status(), "bad_body", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                request_id: self
                    .status
                    .is_server_error()
                    .then(request_id)
                    .flatten()
                    .filter(|id| !id.is_empty()),
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_500_names_the_request_id_and_keeps_internals_out_of_the_body() {
        let resp = REQUEST_ID
            .scope("req-42".into(), async {
                let io = std::io::Error::other("disk /secret/path is full");
                ApiError::from(Error::internal("writing the index", io)).into_response()
            })
            .await;
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        assert_eq!(v["error"]["request_id"], "req-42");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("req-42"), "{msg}");
        assert!(!msg.contains("secret"), "internal detail leaked: {msg}");
    }

    #[test]
    fn the_log_gets_the_whole_chain() {
        let io = std::io::Error::other("disk full");
        let e = Error::internal("writing the index", io);
        assert_eq!(e.chain(), "writing the index: disk full");
    }
}
