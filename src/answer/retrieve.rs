//! Hybrid retrieval: the vector index and BM25 each return a ranked list of passages (filters
//! applied inside both searches); the lists are fused by weighted reciprocal rank.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::Engine;
use crate::error::Result;
use crate::index::Filters;

/// Which retriever answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Vectors only.
    Dense,
    /// BM25 only.
    Bm25,
    /// Both, fused (the default).
    #[default]
    Hybrid,
}

/// Fusion parameters. `k` is the RRF constant; weights scale each list's contribution.
#[derive(Debug, Clone, Copy)]
pub struct Fusion {
    /// Reciprocal-rank constant.
    pub rrf_k: f32,
    /// Weight of the dense list.
    pub dense_weight: f32,
    /// Weight of the BM25 list.
    pub bm25_weight: f32,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            rrf_k: 60.0,
            dense_weight: 1.0,
            bm25_weight: 1.0,
        }
    }
}

/// One retrieved passage with the evidence behind its rank.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetrievedPassage {
    /// Passage id.
    pub pid: u64,
    /// Fused score (higher is better).
    pub score: f32,
    /// Cosine similarity to the query, when the dense list had it.
    pub dense: Option<f32>,
    /// BM25 score, when the BM25 list had it.
    pub bm25: Option<f32>,
}

/// Retrieves up to `k` passages for a query. `depth` is how deep each list is read before fusion.
pub fn retrieve(
    engine: &Engine,
    query: &str,
    query_vec: &[f32],
    k: usize,
    filters: &Filters,
    mode: Mode,
) -> Result<Vec<RetrievedPassage>> {
    retrieve_with(
        engine,
        query,
        query_vec,
        k,
        filters,
        mode,
        Fusion::default(),
    )
}

/// [`retrieve`] with explicit fusion parameters (evaluations tune them).
pub fn retrieve_with(
    engine: &Engine,
    query: &str,
    query_vec: &[f32],
    k: usize,
    filters: &Filters,
    mode: Mode,
    fusion: Fusion,
) -> Result<Vec<RetrievedPassage>> {
    let depth = (k * 2).max(50);
    let dense = if mode != Mode::Bm25 {
        engine.dense(query_vec, depth, filters)?
    } else {
        Vec::new()
    };
    let bm25 = if mode != Mode::Dense {
        engine.bm25(query, depth, filters)?
    } else {
        Vec::new()
    };
    Ok(fuse(&dense, &bm25, k, mode, fusion))
}

/// Weighted reciprocal-rank fusion of two ranked lists (pure; unit-tested).
pub fn fuse(
    dense: &[(u64, f32)],
    bm25: &[(u64, f32)],
    k: usize,
    mode: Mode,
    fusion: Fusion,
) -> Vec<RetrievedPassage> {
    let mut by_pid: HashMap<u64, RetrievedPassage> = HashMap::new();
    for (rank, &(pid, s)) in dense.iter().enumerate() {
        let e = by_pid.entry(pid).or_insert(RetrievedPassage {
            pid,
            score: 0.0,
            dense: None,
            bm25: None,
        });
        e.dense = Some(s);
        e.score += match mode {
            Mode::Dense => s,
            _ => fusion.dense_weight / (fusion.rrf_k + rank as f32 + 1.0),
        };
    }
    for (rank, &(pid, s)) in bm25.iter().enumerate() {
        let e = by_pid.entry(pid).or_insert(RetrievedPassage {
            pid,
            score: 0.0,
            dense: None,
            bm25: None,
        });
        e.bm25 = Some(s);
        e.score += match mode {
            Mode::Bm25 => s,
            _ => fusion.bm25_weight / (fusion.rrf_k + rank as f32 + 1.0),
        };
    }
    let mut out: Vec<_> = by_pid.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.pid.cmp(&b.pid)));
    out.truncate(k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement() {
        let dense = [(1, 0.9), (2, 0.8), (3, 0.7)];
        let bm25 = [(3, 12.0), (4, 10.0), (1, 9.0)];
        let fused = fuse(&dense, &bm25, 10, Mode::Hybrid, Fusion::default());
        let order: Vec<u64> = fused.iter().map(|h| h.pid).collect();
        assert_eq!(order[0], 1, "first in one list and third in the other wins");
        assert_eq!(order[1], 3);
        assert_eq!(fused.len(), 4);
        assert_eq!(fused[0].dense, Some(0.9));
        assert_eq!(fused[0].bm25, Some(9.0));
    }

    #[test]
    fn single_modes_keep_their_own_order() {
        let dense = [(1, 0.9), (2, 0.8)];
        let fused = fuse(&dense, &[], 1, Mode::Dense, Fusion::default());
        assert_eq!(fused.len(), 1);
        assert_eq!(fused[0].pid, 1);
        assert_eq!(fused[0].score, 0.9);
    }
}
