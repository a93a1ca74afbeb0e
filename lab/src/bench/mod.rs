//! Speed benchmarks: `embed` (the encoder and the embedding service) and `index` (HNSW recall
//! and latency, start-up, bytes per passage) and `write` (one-document write cost on a small and a
//! large data dir, reads during a feed stream) and `serve` (the read path's latency, throughput, CPU
//! and memory on a real `newsdesk serve` process).

pub mod embed;
pub mod index;
pub mod serve;
pub(crate) mod server;
pub mod write;
