//! Handlers: extract → call the engine → map to a response type.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ingest_error, ApiError, ErrorBody};
use super::{ApiJson, AppState};
use crate::answer::stories::{self, StoriesQuery, StoriesResponse, StoryDetail};
use crate::answer::{
    self, AskRequest, AskResponse, BriefRequest, BriefResponse, SearchRequest, SearchResponse,
    SummarizeRequest, SummarizeResponse,
};
use crate::engine::{Facets, IngestReport};
use crate::error::Error;
use crate::ingest::{self, Article, Batch, Format, IngestOptions, ItemError};

/// Answers a question with cited sentences.
#[utoipa::path(post, path = "/v1/ask", request_body = AskRequest,
    responses((status = 200, body = AskResponse), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn ask(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<AskRequest>,
) -> Result<Json<AskResponse>, ApiError> {
    let engine = st.engine()?;
    answer::check_query(&req.question, "question")?;
    let qv = engine.embed_query(&req.question).await?;
    Ok(Json(
        st.blocking(move || answer::ask(&mut engine.reader()?, &req, &qv))
            .await?,
    ))
}

/// Writes a briefing note on a topic.
#[utoipa::path(post, path = "/v1/brief", request_body = BriefRequest,
    responses((status = 200, body = BriefResponse), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn brief(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<BriefRequest>,
) -> Result<Json<BriefResponse>, ApiError> {
    let engine = st.engine()?;
    answer::check_query(&req.topic, "topic")?;
    let qv = engine.embed_query(&req.topic).await?;
    Ok(Json(
        st.blocking(move || answer::brief(&mut engine.reader()?, &req, &qv))
            .await?,
    ))
}

/// Semantic (hybrid) search over passages.
#[utoipa::path(post, path = "/v1/search", request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SearchRequest>,
) -> Result<Json<SearchResponse>, ApiError> {
    let engine = st.engine()?;
    answer::check_query(&req.query, "query")?;
    let qv = engine.embed_query(&req.query).await?;
    Ok(Json(
        st.blocking(move || answer::search(&mut engine.reader()?, &req, &qv))
            .await?,
    ))
}

/// Stories the corpus follows, most covered and most recent first.
#[utoipa::path(get, path = "/v1/stories", params(StoriesQuery),
    responses((status = 200, body = StoriesResponse), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn list_stories(
    State(st): State<AppState>,
    query: Result<Query<StoriesQuery>, QueryRejection>,
) -> Result<Json<StoriesResponse>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let engine = st.engine()?;
    let qv = match q.q.as_deref() {
        Some(text) => {
            answer::check_query(text, "query")?;
            Some(engine.embed_query(text).await?)
        }
        None => None,
    };
    Ok(Json(
        st.blocking(move || stories::list(&mut engine.reader()?, &q, qv.as_deref()))
            .await?,
    ))
}

/// One story: its members with dates and sources, and a timeline.
#[utoipa::path(get, path = "/v1/stories/{id}", params(("id" = u64, Path)),
    responses((status = 200, body = StoryDetail), (status = 404, body = ErrorBody)))]
pub async fn get_story(
    State(st): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
) -> Result<Json<StoryDetail>, ApiError> {
    let Path(id) = id.map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "story_not_found",
            "story ids are numbers, as GET /v1/stories lists them",
        )
    })?;
    let engine = st.engine()?;
    let detail = st
        .blocking(move || {
            stories::detail(&mut engine.reader()?, id)?.ok_or(Error::StoryNotFound(id))
        })
        .await?;
    Ok(Json(detail))
}

/// Extractive summary of a stored article or a raw text.
#[utoipa::path(post, path = "/v1/summarize", request_body = SummarizeRequest,
    responses((status = 200, body = SummarizeResponse), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn summarize(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SummarizeRequest>,
) -> Result<Json<SummarizeResponse>, ApiError> {
    let engine = st.engine()?;
    Ok(Json(
        st.blocking(move || answer::summarize(&mut engine.reader()?, &req))
            .await?,
    ))
}

/// `POST /v1/documents` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    /// New articles.
    pub added: usize,
    /// Changed articles replaced.
    pub updated: usize,
    /// Articles already stored as they are.
    pub unchanged: usize,
    /// Items refused (nothing of them was stored).
    pub failed: Vec<ItemError>,
    /// Ids of the articles stored or confirmed, in input order.
    pub ids: Vec<String>,
}

/// Adds or updates documents: JSON object or array, JSONL, news-record XML, RSS/Atom, or
/// plain wire text, by Content-Type or by sniffing the bytes.
#[utoipa::path(post, path = "/v1/documents", request_body(content = String,
    description = "JSON, JSON array, JSONL, news-record XML, RSS/Atom or plain text"),
    responses((status = 200, body = IngestResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_documents(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResponse>, ApiError> {
    let body = body?;
    let engine = st.engine()?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| Format::from_content_type(v.to_str().unwrap_or("?")))
        .transpose()
        .map_err(ingest_error)?
        .flatten();
    // Parsing and storing are one job on the blocking pool, inside one of the writes' slots:
    // once parsed, a body is never refused for want of a second slot. If the request goes
    // (timeout, disconnect), the job stops at its next chunk or embedding batch.
    let stored = st
        .blocking_write(move |cancel| {
            let Batch {
                articles, failed, ..
            } = match ingest::parse_batch(&body, declared, &IngestOptions::default()) {
                Ok(b) => b,
                Err(e) => return Ok(Err(ingest_error(e))),
            };
            if articles.is_empty() {
                return Ok(Err(nothing_readable(&failed)));
            }
            let ids: Vec<String> = articles.iter().map(|a| a.id.clone()).collect();
            let report: IngestReport = engine.ingest_until(articles, &mut |_| {}, cancel)?;
            Ok(Ok((report, failed, ids)))
        })
        .await?;
    let (report, failed, ids) = stored?;
    Ok(Json(IngestResponse {
        added: report.added,
        updated: report.updated,
        unchanged: report.unchanged,
        failed,
        ids,
    }))
}

/// Sources, categories and the date range of the corpus, with article counts (for filters).
#[utoipa::path(get, path = "/v1/facets",
    responses((status = 200, body = Facets), (status = 401, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn facets(State(st): State<AppState>) -> Result<Json<Facets>, ApiError> {
    let engine = st.engine()?;
    Ok(Json(st.blocking(move || engine.facets()).await?))
}

/// A body in which no item could be stored: 413 when its items are over a size limit, else 422,
/// with the first item's reason.
fn nothing_readable(failed: &[ingest::ItemError]) -> ApiError {
    let (status, code) = match failed.first() {
        Some(f) if f.code == ingest::TOO_LARGE => {
            (StatusCode::PAYLOAD_TOO_LARGE, ingest::TOO_LARGE)
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_document"),
    };
    let first = failed
        .first()
        .map(|f| format!(" (item {}: {})", f.index, f.error))
        .unwrap_or_default();
    ApiError::new(
        status,
        code,
        format!("no article could be read from the body{first}"),
    )
}

/// A stored document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// Stable id.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Clean body text; every offset in the API is a byte offset into it.
    pub body: String,
    /// Publisher.
    pub source: Option<String>,
    /// Link.
    pub url: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// RFC 3339 publication time.
    pub published: Option<String>,
    /// True when the date (or its year) was inferred.
    pub date_inferred: bool,
    /// Sentence spans `[start, end)` in the body.
    pub sentences: Vec<[usize; 2]>,
}

/// Reads a stored document.
#[utoipa::path(get, path = "/v1/documents/{id}", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let engine = st.engine()?;
    let view = st
        .blocking(move || {
            let mut r = engine.reader()?;
            let a = r.article(&id)?.ok_or_else(|| Error::NotFound(id.clone()))?;
            let sentences = r
                .sentences(&id)?
                .iter()
                .map(|s| [s.span.start, s.span.end])
                .collect();
            let a = Article::clone(&a);
            Ok(DocumentView {
                id: a.id,
                title: a.title,
                body: a.body,
                source: a.source,
                url: a.url,
                author: a.author,
                category: a.category,
                published: a.published.map(|d| d.to_rfc3339()),
                date_inferred: a.date_inferred,
                sentences,
            })
        })
        .await?;
    Ok(Json(view))
}

/// Deletion receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// The id removed.
    pub id: String,
    /// Always true (an unknown id is a 404).
    pub deleted: bool,
}

/// Deletes a document; it is gone from every answer at once.
#[utoipa::path(delete, path = "/v1/documents/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Deleted), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn delete_document(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let engine = st.engine()?;
    let id2 = id.clone();
    let found = st.blocking_write(move |_| engine.delete(&id2)).await?;
    if !found {
        return Err(Error::NotFound(id).into());
    }
    Ok(Json(Deleted { id, deleted: true }))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "alive")))]
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: 200 once the model and the index are loaded.
#[utoipa::path(get, path = "/ready", responses((status = 200, description = "ready"),
    (status = 503, body = ErrorBody)))]
pub async fn ready(State(st): State<AppState>) -> Response {
    let engine = match st.engine() {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    // With a read key, probes learn only that the service is ready, not what it holds.
    if st.settings().read_key.is_some() {
        return Json(serde_json::json!({"status": "ready"})).into_response();
    }
    match engine.stats() {
        Ok(stats) => Json(
            serde_json::json!({"status": "ready", "articles": stats.articles,
            "passages": stats.passages, "model": engine.model().name}),
        )
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(st): State<AppState>) -> Response {
    let text = st.metrics().render();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Unknown route.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /openapi.json",
    )
}
