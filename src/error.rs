//! The top-level error: every layer's typed error converts into it with `?`, and the HTTP layer
//! maps it once into `{ "error": { "code", "message" } }` with the right status
//! (see `http::error`). Codes are stable, machine-readable strings; messages are for people.

use crate::{
    embed::EmbedError, feeds::FeedError, index::IndexError, ingest::IngestError, store::StoreError,
    text::TextError,
};

/// Anything the engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input document could not be read (bad XML, unknown format, empty…).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// Text tools could not be set up (the tokenizer that measures passages).
    #[error(transparent)]
    Text(#[from] TextError),
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
    /// No story with this id.
    #[error("no story with id {0}")]
    StoryNotFound(u64),
    /// The caller gave up (its client went away or its time ran out) before the work was
    /// done; what was committed before stays, whole.
    #[error("the work was stopped: its caller has gone")]
    Cancelled,
    /// Something outside the request went wrong (a worker panicked, a task was lost…): what
    /// was being done, and the error behind it (kept for the log's source chain).
    #[error("{context}")]
    Internal {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// I/O on the data dir failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A validation error with a stable code.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    /// An internal failure while doing `context`, caused by `source`.
    pub fn internal(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// The error and every cause under it, joined with ": " (for logs).
    pub fn chain(&self) -> String {
        chain(self)
    }
}

/// Any error and every cause under it, joined with ": " (a cause its parent's message already
/// ends with is not repeated).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

/// Result with the top-level error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
