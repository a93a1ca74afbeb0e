//! Retrieval metrics with the BEIR definitions (what `pytrec_eval` computes for BEIR):
//!
//! * **nDCG@k** with graded relevance and *linear* gain: `DCG = Σ_{i≤k} rel_i / log2(i + 1)`
//!   (ranks from 1), divided by the DCG of the ideal ordering of the judged documents.
//! * **Recall@k**: the share of the query's relevant documents (grade > 0) in the top `k`.
//! * **MRR@k**: `1 / rank` of the first relevant document in the top `k`, else 0.
//!
//! Each is computed per query and averaged over the queries that have at least one relevant
//! document in the qrels; a query the system returned nothing for scores 0 (it still counts).

use std::collections::HashMap;

/// Relevance judgements: query id → document id → grade (0 = judged not relevant).
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// A run: query id → document ids, best first (no duplicates).
pub type Run = HashMap<String, Vec<String>>;

/// nDCG@k of one ranked list against one query's judgements.
pub fn ndcg_at(ranked: &[String], rels: &HashMap<String, u32>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| gain(rels.get(d).copied().unwrap_or(0)) / discount(i))
        .sum();
    let mut ideal: Vec<u32> = rels.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| gain(g) / discount(i))
        .sum();
    if idcg <= 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

/// Recall@k of one ranked list: relevant documents found in the top `k` / relevant documents.
pub fn recall_at(ranked: &[String], rels: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = rels.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|d| rels.get(*d).copied().unwrap_or(0) > 0)
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the top `k` (0 when none).
pub fn mrr_at(ranked: &[String], rels: &HashMap<String, u32>, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|d| rels.get(d).copied().unwrap_or(0) > 0)
        .map(|i| 1.0 / (i + 1) as f64)
        .unwrap_or(0.0)
}

fn gain(grade: u32) -> f64 {
    grade as f64
}

fn discount(zero_based_rank: usize) -> f64 {
    ((zero_based_rank + 2) as f64).log2()
}

/// The three numbers issue 5 reports for a retriever.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct IrScores {
    /// Mean nDCG@10.
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    /// Mean recall@100.
    #[serde(rename = "recall@100")]
    pub recall100: f64,
    /// Mean MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr10: f64,
    /// Queries averaged over.
    #[serde(skip)]
    pub queries: usize,
}

/// Averages the metrics over the judged queries (those with a relevant document). Queries of
/// the run without judgements are ignored; judged queries missing from the run score 0.
pub fn evaluate(run: &Run, qrels: &Qrels) -> IrScores {
    let empty = Vec::new();
    let mut s = IrScores::default();
    for (q, rels) in qrels {
        if !rels.values().any(|&g| g > 0) {
            continue;
        }
        let ranked = run.get(q).unwrap_or(&empty);
        s.ndcg10 += ndcg_at(ranked, rels, 10);
        s.recall100 += recall_at(ranked, rels, 100);
        s.mrr10 += mrr_at(ranked, rels, 10);
        s.queries += 1;
    }
    if s.queries > 0 {
        let n = s.queries as f64;
        s.ndcg10 /= n;
        s.recall100 /= n;
        s.mrr10 /= n;
    }
    s
}

/// Keeps the first occurrence of each document: turns a ranked list of passages mapped to their
/// documents into a ranked list of documents (a document ranks where its best passage does).
pub fn dedup_ranked<I: IntoIterator<Item = String>>(ids: I) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|d| seen.insert(d.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rels(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn list(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ndcg_binary_by_hand() {
        // Relevant: a, b. Ranked: x a y b.
        // DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
        // IDCG = 1/log2(2) + 1/log2(3) = 1 + 0.630930 = 1.630930
        let r = rels(&[("a", 1), ("b", 1)]);
        let got = ndcg_at(&list(&["x", "a", "y", "b"]), &r, 10);
        let want = (1.0 / 3f64.log2() + 1.0 / 5f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!(close(got, want), "{got} vs {want}");
        assert!((got - 0.650921).abs() < 1e-6, "{got}");
        assert!(close(ndcg_at(&list(&["a", "b", "x"]), &r, 10), 1.0));
        assert!(close(ndcg_at(&list(&["x", "y"]), &r, 10), 0.0));
    }

    #[test]
    fn ndcg_graded_uses_linear_gain_and_ideal_order() {
        // Grades a=2, b=1; ranked b a: DCG = 1 + 2/log2(3) = 2.261860; IDCG = 2 + 1/log2(3).
        let r = rels(&[("a", 2), ("b", 1), ("c", 0)]);
        let got = ndcg_at(&list(&["b", "a"]), &r, 10);
        let want = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!(close(got, want));
        assert!((got - 0.859719).abs() < 1e-6, "{got}");
    }

    #[test]
    fn ndcg_cuts_at_k_on_both_sides() {
        // Three relevant documents, k = 2: the ideal holds only two.
        let r = rels(&[("a", 1), ("b", 1), ("c", 1)]);
        assert!(close(ndcg_at(&list(&["a", "b", "c"]), &r, 2), 1.0));
        // A relevant document at rank 3 does not count at k = 2.
        let got = ndcg_at(&list(&["a", "x", "b"]), &r, 2);
        assert!(close(got, 1.0 / (1.0 + 1.0 / 3f64.log2())), "{got}");
    }

    #[test]
    fn recall_and_mrr_by_hand() {
        let r = rels(&[("a", 1), ("b", 1), ("c", 1), ("z", 0)]);
        let ranked = list(&["z", "x", "b", "a"]);
        assert!(close(recall_at(&ranked, &r, 100), 2.0 / 3.0));
        assert!(close(recall_at(&ranked, &r, 3), 1.0 / 3.0));
        assert!(
            close(mrr_at(&ranked, &r, 10), 1.0 / 3.0),
            "judged-irrelevant z does not count"
        );
        assert!(close(mrr_at(&ranked, &r, 2), 0.0));
    }

    #[test]
    fn evaluate_averages_over_judged_queries_only() {
        let mut qrels = Qrels::new();
        qrels.insert("q1".into(), rels(&[("a", 1)]));
        qrels.insert("q2".into(), rels(&[("b", 1)]));
        qrels.insert("q3".into(), rels(&[("c", 0)])); // no relevant doc: skipped
        let mut run = Run::new();
        run.insert("q1".into(), list(&["a"]));
        run.insert("q2".into(), list(&["x", "b"]));
        run.insert("q9".into(), list(&["a"])); // not judged: ignored
        let s = evaluate(&run, &qrels);
        assert_eq!(s.queries, 2);
        assert!(close(s.ndcg10, (1.0 + 1.0 / 3f64.log2()) / 2.0));
        assert!(close(s.mrr10, 0.75));
        assert!(close(s.recall100, 1.0));
        // A judged query with no results counts as zero.
        run.remove("q2");
        let s = evaluate(&run, &qrels);
        assert!(close(s.ndcg10, 0.5));
    }

    #[test]
    fn dedup_keeps_best_rank() {
        let d = dedup_ranked(list(&["a", "b", "a", "c", "b"]));
        assert_eq!(d, list(&["a", "b", "c"]));
    }
}
