//! The top-level error: every layer's typed error converts into it with `?`, and the HTTP layer
//! maps it once into `{ "error": { "code", "message" } }` with the right status
//! (see `http::error`). Codes are stable, machine-readable strings; messages are for people.

use crate::{
    embed::EmbedError, feeds::FeedError, index::IndexError, ingest::IngestError, store::StoreError,
};

/// Anything the engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input document could not be read (bad XML, unknown format, empty…).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The model could not run (missing or corrupt model, tokenizer failure, overload).
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The durable store failed or refused (e.g. a data dir built with another model).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A derived index (HNSW or BM25) failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A feed subscription was refused or could not be served.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// A request that is well-formed but not acceptable (empty question, k out of range…).
    #[error("{message}")]
    Invalid {
        /// Stable machine code, e.g. `empty_question`.
        code: &'static str,
        /// What was wrong and how to fix it.
        message: String,
    },
    /// No document with this id.
    #[error("no document with id {0:?}")]
    NotFound(String),
    /// Something outside the request went wrong (I/O on the data dir, a worker panicked…).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A validation error with a stable code.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("I/O error: {e}"))
    }
}

/// Result with the top-level error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
