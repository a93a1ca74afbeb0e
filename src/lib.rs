//! newsdesk: news articles in, cited answers out.
//!
//! The modules follow the data path, top-down, around one shared model ([`article`]):
//! `ingest` (bytes → [`article::Article`]) → `text` (sentences, passages) → `embed` (vectors) →
//! `store` (durable truth) and `index` (HNSW + BM25, derived) → `engine` (ties them together) →
//! `answer` (ask, brief, search, summarize) → `http` (axum router) and `cli`. `feeds` is the
//! ingest side for live feeds: it polls subscriptions and hands their bytes to the same path.

pub mod answer;
pub mod article;
pub mod cli;
pub mod embed;
pub mod engine;
pub mod error;
pub mod feeds;
pub mod http;
pub mod index;
pub mod ingest;
pub mod store;
pub mod stories;
pub mod text;

pub use error::Error;
