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
            Error::Ingest(e) => ingest_error(e),
            Error::Feed(e) => feed_error(e),
            Error::Embed(EmbedError::Overloaded) => {
                ApiError::unavailable("overloaded", "the model is busy; retry shortly", 1)
            }
            Error::Embed(e) => {
                tracing::error!(error = %e, "model failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "model_error",
                    e.to_string(),
                )
            }
            Error::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "store_error",
                    e.to_string(),
                )
            }
            Error::Index(e) => {
                tracing::error!(error = %e, "index failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "index_error",
                    e.to_string(),
                )
            }
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m)
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
            tracing::error!(error = %e, "feed service failure");
            StatusCode::INTERNAL_SERVER_ERROR
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
