//! Speed benchmarks: `embed` (the encoder and the embedding service) and `index` (HNSW recall
//! and latency, start-up, bytes per passage).

pub mod embed;
pub mod index;
