//! The OpenAPI document, generated from the handlers' and types' annotations (utoipa).

use axum::Json;
use utoipa::OpenApi;

use super::{feeds, routes};

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "newsdesk",
        description = "News articles in, cited answers out: ask, brief, search, summarize, documents, feeds."
    ),
    paths(
        routes::ask,
        routes::brief,
        routes::search,
        routes::summarize,
        routes::post_documents,
        routes::get_document,
        routes::facets,
        routes::list_stories,
        routes::get_story,
        routes::delete_document,
        feeds::post_feeds,
        feeds::list_feeds,
        feeds::get_feed,
        feeds::delete_feed,
        feeds::refresh_feed,
        routes::health,
        routes::ready,
        routes::metrics
    )
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
