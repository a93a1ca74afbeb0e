//! Quality on public benchmarks (issue 5): `newsdesk-lab eval scifact|squad|bbc PATH`.
//!
//! The evaluation data is read by path and never copied into the repo. Each run builds a
//! throwaway index in a temp dir (or reuses one given with `--data`), runs newsdesk and the
//! baselines side by side, prints a table and ends with one JSON line of metrics.
//!
//! * [`ir`]: nDCG@10, recall@100, MRR@10 (BEIR definitions).
//! * [`rouge`]: ROUGE-1/2/L F1 (after Google's `rouge-score`, stemmed).
//! * [`data`]: readers for BEIR folders, SQuAD v1.1 JSON and the BBC summary JSONL.
//! * [`baselines`]: Lead-N, TextRank, sentence BM25 and exact dense sentence ranking.
//! * [`scifact`], [`squad`], [`bbc`], [`newsqa`]: the commands; [`common`]: what they share.

pub mod baselines;
pub mod bbc;
pub mod brief;
pub mod cluster;
pub mod common;
pub mod data;
pub mod duplicates;
pub mod ir;
pub mod newsqa;
pub mod rouge;
pub mod scifact;
pub mod sentences;
pub mod squad;
pub mod stories;

pub use bbc::run_eval_bbc;
pub use newsqa::run_eval_newsqa;
pub use scifact::run_eval_scifact;
pub use squad::run_eval_squad;
