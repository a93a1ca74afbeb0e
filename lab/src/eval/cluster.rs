//! Story-clustering quality and an offline clustering baseline.
//!
//! * [`score`]: B-cubed precision / recall / F1 (Bagga & Baldwin 1998), the adjusted Rand
//!   index (Hubert & Arabie 1985) and normalised mutual information (arithmetic-mean
//!   normalisation) of a flat clustering against gold labels. Everything is computed from the
//!   contingency table of (gold, predicted) label pairs, so it runs in O(n).
//! * [`average_linkage`]: exact average-linkage (UPGMA) agglomerative clustering under cosine
//!   similarity, with the nearest-neighbour-chain algorithm in O(n²) time and memory. The
//!   resulting [`Dendrogram`] is cut into flat clusters with [`Dendrogram::cut`];
//!   [`best_cut`] sweeps the threshold against gold labels (an oracle upper bound for the
//!   baseline, not a tuned system).
//!
//! Labels are arbitrary ids: only which items share a label matters, never its value.

use std::collections::HashMap;

use serde::Serialize;

/// How well a predicted flat clustering agrees with the gold one.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PairScores {
    /// Mean over items of |predicted cluster ∩ gold cluster| / |predicted cluster|.
    pub bcubed_precision: f64,
    /// Mean over items of |predicted cluster ∩ gold cluster| / |gold cluster|.
    pub bcubed_recall: f64,
    /// Harmonic mean of [`bcubed_precision`](Self::bcubed_precision) and
    /// [`bcubed_recall`](Self::bcubed_recall).
    pub bcubed_f1: f64,
    /// Adjusted Rand index: 1 for identical partitions, about 0 for chance agreement, can be
    /// negative.
    pub ari: f64,
    /// Mutual information over the arithmetic mean of the two entropies, in [0, 1].
    pub nmi: f64,
    /// Number of distinct predicted labels.
    pub clusters: usize,
}

/// Scores `predicted` against `gold`; `gold[i]` and `predicted[i]` label the same item.
///
/// Degenerate cases follow scikit-learn: the ARI is 1 when the expected and the maximum index
/// coincide (e.g. both partitions are all singletons, or both a single cluster), and the NMI
/// is 1 when both partitions have zero entropy. An empty input scores 1 everywhere with
/// 0 clusters.
///
/// # Panics
///
/// If the two slices differ in length.
pub fn score(gold: &[u64], predicted: &[u64]) -> PairScores {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predicted labels must cover the same items"
    );
    let table = Contingency::new(gold, predicted);
    if table.n == 0 {
        return PairScores {
            bcubed_precision: 1.0,
            bcubed_recall: 1.0,
            bcubed_f1: 1.0,
            ari: 1.0,
            nmi: 1.0,
            clusters: 0,
        };
    }
    let (bcubed_precision, bcubed_recall) = table.bcubed();
    let sum = bcubed_precision + bcubed_recall;
    let bcubed_f1 = if sum > 0.0 {
        2.0 * bcubed_precision * bcubed_recall / sum
    } else {
        0.0
    };
    PairScores {
        bcubed_precision,
        bcubed_recall,
        bcubed_f1,
        ari: table.adjusted_rand_index(),
        nmi: table.normalized_mutual_information(),
        clusters: table.pred_sizes.len(),
    }
}

/// The contingency table of a gold and a predicted labelling.
///
/// Labels are replaced by dense ids in order of first appearance and the non-empty cells are
/// kept in that order too, so every sum below runs in a fixed order and the scores are
/// reproducible bit for bit (a `HashMap` iteration order would not be).
struct Contingency {
    /// Number of items.
    n: usize,
    /// Size of each gold cluster, by dense gold id.
    gold_sizes: Vec<usize>,
    /// Size of each predicted cluster, by dense predicted id.
    pred_sizes: Vec<usize>,
    /// Non-empty cells: (dense gold id, dense predicted id, items in both).
    cells: Vec<(usize, usize, usize)>,
}

impl Contingency {
    fn new(gold: &[u64], predicted: &[u64]) -> Self {
        let mut gold_ids = HashMap::new();
        let mut pred_ids = HashMap::new();
        let mut cell_ids: HashMap<(usize, usize), usize> = HashMap::new();
        let mut gold_sizes = Vec::new();
        let mut pred_sizes = Vec::new();
        let mut cells: Vec<(usize, usize, usize)> = Vec::new();
        for (&g, &p) in gold.iter().zip(predicted) {
            let g = count_label(&mut gold_ids, &mut gold_sizes, g);
            let p = count_label(&mut pred_ids, &mut pred_sizes, p);
            let next = cells.len();
            let cell = *cell_ids.entry((g, p)).or_insert(next);
            if cell == next {
                cells.push((g, p, 0));
            }
            cells[cell].2 += 1;
        }
        Self {
            n: gold.len(),
            gold_sizes,
            pred_sizes,
            cells,
        }
    }

    /// B-cubed (precision, recall). The `c` items of a cell each have precision `c / |pred|`
    /// and recall `c / |gold|`, so a cell contributes `c² / |pred|` and `c² / |gold|`.
    fn bcubed(&self) -> (f64, f64) {
        let (mut precision, mut recall) = (0.0, 0.0);
        for &(g, p, c) in &self.cells {
            let c2 = (c * c) as f64;
            precision += c2 / self.pred_sizes[p] as f64;
            recall += c2 / self.gold_sizes[g] as f64;
        }
        let n = self.n as f64;
        (precision / n, recall / n)
    }

    /// Hubert & Arabie's ARI, `(index − expected) / (max − expected)` with
    /// `index = Σ C(n_ij, 2)`, `a = Σ C(a_i, 2)`, `b = Σ C(b_j, 2)`, `expected = a·b / C(n, 2)`
    /// and `max = (a + b) / 2`. Multiplying through by `2·C(n, 2)` keeps it in exact integer
    /// arithmetic until the final division, so the degenerate case is an exact test.
    fn adjusted_rand_index(&self) -> f64 {
        let pairs = |m: usize| {
            let m = m as i128;
            m * (m - 1) / 2
        };
        let index: i128 = self.cells.iter().map(|&(_, _, c)| pairs(c)).sum();
        let a: i128 = self.gold_sizes.iter().map(|&s| pairs(s)).sum();
        let b: i128 = self.pred_sizes.iter().map(|&s| pairs(s)).sum();
        let total = pairs(self.n);
        let numerator = 2 * total * index - 2 * a * b;
        let denominator = total * (a + b) - 2 * a * b;
        if denominator == 0 {
            1.0
        } else {
            numerator as f64 / denominator as f64
        }
    }

    /// `I(G; P) / ((H(G) + H(P)) / 2)`, natural logarithms (the base cancels).
    fn normalized_mutual_information(&self) -> f64 {
        let n = self.n as f64;
        let entropy = |sizes: &[usize]| -> f64 {
            sizes
                .iter()
                .map(|&s| {
                    let p = s as f64 / n;
                    -p * p.ln()
                })
                .sum()
        };
        let mean_entropy = (entropy(&self.gold_sizes) + entropy(&self.pred_sizes)) / 2.0;
        if mean_entropy <= 0.0 {
            // Both partitions are a single cluster: they agree perfectly.
            return 1.0;
        }
        let mutual_information: f64 = self
            .cells
            .iter()
            .map(|&(g, p, c)| {
                let c = c as f64;
                let expected = self.gold_sizes[g] as f64 * self.pred_sizes[p] as f64;
                c / n * (c * n / expected).ln()
            })
            .sum();
        // Rounding can push the ratio a hair outside [0, 1].
        (mutual_information / mean_entropy).clamp(0.0, 1.0)
    }
}

/// Counts one occurrence of `label` and returns its dense id (assigned on first sight).
fn count_label(ids: &mut HashMap<u64, usize>, sizes: &mut Vec<usize>, label: u64) -> usize {
    let next = sizes.len();
    let id = *ids.entry(label).or_insert(next);
    if id == next {
        sizes.push(0);
    }
    sizes[id] += 1;
    id
}

/// The merge tree of an average-linkage clustering, built by [`average_linkage`].
#[derive(Debug, Clone)]
pub struct Dendrogram {
    /// Number of clustered items.
    items: usize,
    /// The `items − 1` merges (fewer for fewer than two items), by similarity descending.
    merges: Vec<Merge>,
}

/// One merge: joins the clusters that hold items `a` and `b` at average similarity
/// `similarity`.
#[derive(Debug, Clone, Copy)]
struct Merge {
    a: usize,
    b: usize,
    similarity: f32,
}

impl Dendrogram {
    /// Flat cluster labels, one per item, for the cut at `min_similarity`: two items share a
    /// label when some chain of merges with average similarity ≥ `min_similarity` joins them.
    ///
    /// Average linkage is monotone (a merge is never more similar than the merges below it),
    /// so this is exactly the set of dendrogram subtrees whose merge height is at least the
    /// threshold. Labels are `0, 1, 2, …` in order of each cluster's first item.
    pub fn cut(&self, min_similarity: f32) -> Vec<u64> {
        let mut sets = DisjointSets::new(self.items);
        for merge in self
            .merges
            .iter()
            .take_while(|m| m.similarity >= min_similarity)
        {
            sets.union(merge.a, merge.b);
        }
        let mut label_of_root = vec![None; self.items];
        let mut next = 0u64;
        (0..self.items)
            .map(|item| {
                let root = sets.find(item);
                *label_of_root[root].get_or_insert_with(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    }

    /// The merge heights (average cosine similarities), descending; cutting just above or
    /// below one of them changes the clustering.
    pub fn merge_similarities(&self) -> Vec<f32> {
        self.merges.iter().map(|m| m.similarity).collect()
    }
}

/// Exact average-linkage agglomerative clustering of `vectors` under cosine similarity.
///
/// The vectors are L2-normalised first (a zero or non-finite vector becomes the zero vector,
/// similar to nothing: cosine 0). The similarity between two clusters is the mean cosine
/// similarity over all cross pairs of items, maintained in a full n×n `f32` matrix with the
/// Lance–Williams update `sim(k, i∪j) = (|i|·sim(k, i) + |j|·sim(k, j)) / (|i| + |j|)`.
///
/// Merges are found with the nearest-neighbour chain: follow nearest neighbours from an
/// arbitrary cluster until two clusters are each other's nearest, merge them, and carry on
/// from the rest of the chain. Average linkage is reducible, so this builds the same tree as
/// repeatedly merging the globally most similar pair, in O(n²) time instead of O(n³).
/// Ties go to the previous chain element (which keeps the chain from cycling), then to the
/// smaller index; a merged cluster lives on in the smaller of its two slots.
///
/// # Panics
///
/// If the vectors do not all have the same dimension.
pub fn average_linkage(vectors: &[Vec<f32>]) -> Dendrogram {
    let n = vectors.len();
    let mut sim = similarity_matrix(vectors);
    let mut size = vec![1usize; n];
    let mut active = vec![true; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::new();
    // Every slot below this one is inactive (slots only ever deactivate).
    let mut first_active = 0;

    while merges.len() + 1 < n {
        if chain.is_empty() {
            while !active[first_active] {
                first_active += 1;
            }
            chain.push(first_active);
        }
        let top = chain[chain.len() - 1];
        let previous = chain.len().checked_sub(2).map(|i| chain[i]);
        let nearest = nearest_active(&sim[top * n..(top + 1) * n], &active, top, previous);
        if Some(nearest) != previous {
            chain.push(nearest);
            continue;
        }

        // `top` and `nearest` are reciprocal nearest neighbours: merge them.
        chain.truncate(chain.len() - 2);
        let (lo, hi) = (top.min(nearest), top.max(nearest));
        merges.push(Merge {
            a: lo,
            b: hi,
            similarity: sim[lo * n + hi],
        });
        let (w_lo, w_hi) = (size[lo] as f64, size[hi] as f64);
        for k in (0..n).filter(|&k| active[k] && k != lo && k != hi) {
            // In f64, then rounded: the result stays within [min, max] of the two inputs, so
            // reducibility (and with it monotone merge heights) holds exactly, not just up to
            // rounding.
            let merged = (w_lo * f64::from(sim[lo * n + k]) + w_hi * f64::from(sim[hi * n + k]))
                / (w_lo + w_hi);
            sim[lo * n + k] = merged as f32;
            sim[k * n + lo] = merged as f32;
        }
        size[lo] += size[hi];
        active[hi] = false;
    }

    // NN-chain emits merges out of height order; a stable sort keeps ties deterministic.
    merges.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
    Dendrogram { items: n, merges }
}

/// Tries `steps` thresholds evenly spaced over [0, 1], both ends included (fewer than two
/// steps count as two), and returns the one whose cut has the highest B-cubed F1 against
/// `gold`, with its scores; ties go to the higher threshold.
///
/// # Panics
///
/// If `gold` does not label exactly the dendrogram's items.
pub fn best_cut(d: &Dendrogram, gold: &[u64], steps: usize) -> (f32, PairScores) {
    let steps = steps.max(2);
    let mut best = (0.0, score(gold, &d.cut(0.0)));
    for i in 1..steps {
        let threshold = i as f32 / (steps - 1) as f32;
        let scores = score(gold, &d.cut(threshold));
        if scores.bcubed_f1 >= best.1.bcubed_f1 {
            best = (threshold, scores);
        }
    }
    best
}

/// The row-major n×n cosine-similarity matrix of `vectors` (diagonal 1).
fn similarity_matrix(vectors: &[Vec<f32>]) -> Vec<f32> {
    let n = vectors.len();
    let dim = vectors.first().map_or(0, Vec::len);
    assert!(
        vectors.iter().all(|v| v.len() == dim),
        "all vectors must have the same dimension"
    );
    let unit: Vec<f32> = vectors.iter().flat_map(|v| normalised(v)).collect();
    let row = |i: usize| &unit[i * dim..(i + 1) * dim];
    let mut sim = vec![0.0f32; n * n];
    for i in 0..n {
        sim[i * n + i] = 1.0;
        for j in i + 1..n {
            // Unit vectors, but rounding can stray just outside the cosine range.
            let s = dot(row(i), row(j)).clamp(-1.0, 1.0);
            sim[i * n + j] = s;
            sim[j * n + i] = s;
        }
    }
    sim
}

/// `v / ‖v‖`, or zeros when the norm is zero or not finite.
fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|&x| (f64::from(x) / norm) as f32).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// Dot product with eight independent accumulators, which the compiler can vectorise (a
/// single running sum cannot be reordered, so it would not be).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut lanes = [0.0f32; 8];
    for (xa, xb) in chunks_a.zip(chunks_b) {
        for ((lane, x), y) in lanes.iter_mut().zip(xa).zip(xb) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The active cluster most similar to `me`, given its row of the similarity matrix.
/// `prefer` (the previous chain element) wins ties; otherwise the smaller index does.
fn nearest_active(row: &[f32], active: &[bool], me: usize, prefer: Option<usize>) -> usize {
    let mut best = prefer;
    let mut best_sim = prefer.map_or(f32::NEG_INFINITY, |p| row[p]);
    for (k, (&s, &live)) in row.iter().zip(active).enumerate() {
        if live && k != me && (best.is_none() || s > best_sim) {
            best = Some(k);
            best_sim = s;
        }
    }
    best.expect("another active cluster remains while merges are pending")
}

/// Union-find with path halving and union by size.
struct DisjointSets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn assert_close(actual: f64, expected: f64, what: &str) {
        assert!(
            (actual - expected).abs() < EPS,
            "{what}: got {actual}, expected {expected}"
        );
    }

    /// Whether two labellings induce the same partition (labels may be renamed).
    fn same_partition(a: &[u64], b: &[u64]) -> bool {
        let mut a_to_b = HashMap::new();
        let mut b_to_a = HashMap::new();
        a.len() == b.len()
            && a.iter().zip(b).all(|(&x, &y)| {
                *a_to_b.entry(x).or_insert(y) == y && *b_to_a.entry(y).or_insert(x) == x
            })
    }

    fn distinct(labels: &[u64]) -> usize {
        let mut l = labels.to_vec();
        l.sort_unstable();
        l.dedup();
        l.len()
    }

    #[test]
    fn perfect_clustering_scores_one() {
        // Same partition under different label values.
        let s = score(&[3, 3, 7, 7, 7, 9], &[0, 0, 1, 1, 1, 2]);
        assert_close(s.bcubed_precision, 1.0, "precision");
        assert_close(s.bcubed_recall, 1.0, "recall");
        assert_close(s.bcubed_f1, 1.0, "f1");
        assert_close(s.ari, 1.0, "ari");
        assert_close(s.nmi, 1.0, "nmi");
        assert_eq!(s.clusters, 3);
    }

    #[test]
    fn singletons_have_full_precision_half_recall() {
        let s = score(&[0, 0, 1, 1], &[0, 1, 2, 3]);
        assert_close(s.bcubed_precision, 1.0, "precision");
        assert_close(s.bcubed_recall, 0.5, "recall");
        assert_close(s.bcubed_f1, 2.0 / 3.0, "f1");
        // index = 0, a = 1 + 1 = 2, b = 0, C(4,2) = 6:
        // (2·6·0 − 2·2·0) / (6·(2 + 0) − 0) = 0.
        assert_close(s.ari, 0.0, "ari");
        // H(G) = ln 2, H(P) = ln 4 = 2 ln 2, I = 4 · ¼ · ln(1·4 / (2·1)) = ln 2:
        // NMI = ln 2 / (3/2 · ln 2) = 2/3.
        assert_close(s.nmi, 2.0 / 3.0, "nmi");
        assert_eq!(s.clusters, 4);
    }

    #[test]
    fn hand_computed_example() {
        // Gold {0,1,2} {3,4,5}; predicted {0,1} {2,3} {4,5}.
        // Cells: (g0,p0)=2, (g0,p1)=1, (g1,p1)=1, (g1,p2)=2.
        let s = score(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        // Precision per item: 1, 1, ½, ½, 1, 1 → 5/6.
        // Recall per item: ⅔, ⅔, ⅓, ⅓, ⅔, ⅔ → 5/9.
        // F1 = 2 · (5/6)(5/9) / (5/6 + 5/9) = (25/27) / (25/18) = 2/3.
        assert_close(s.bcubed_precision, 5.0 / 6.0, "precision");
        assert_close(s.bcubed_recall, 5.0 / 9.0, "recall");
        assert_close(s.bcubed_f1, 2.0 / 3.0, "f1");
        // index = C(2,2) + C(2,2) = 2; a = 2·C(3,2) = 6; b = 3·C(2,2) = 3; C(6,2) = 15.
        // expected = 6·3/15 = 1.2, max = (6 + 3)/2 = 4.5;
        // ARI = (2 − 1.2) / (4.5 − 1.2) = 0.8 / 3.3 = 8/33 ≈ 0.2424 (scikit-learn agrees).
        assert_close(s.ari, 8.0 / 33.0, "ari");
        // H(G) = ln 2, H(P) = ln 3. I: the two 2-cells give ⅓·ln((2/6)/(½·⅓)) = ⅓ ln 2 each,
        // the two 1-cells ⅙·ln((1/6)/(½·⅓)) = 0, so I = ⅔ ln 2 and
        // NMI = ⅔ ln 2 / ((ln 2 + ln 3)/2) = 4 ln 2 / (3 ln 6) ≈ 0.5158.
        let expected_nmi = 4.0 * 2f64.ln() / (3.0 * 6f64.ln());
        assert_close(s.nmi, expected_nmi, "nmi");
        assert!((s.nmi - 0.5158).abs() < 1e-4);
        assert_eq!(s.clusters, 3);
    }

    #[test]
    fn degenerate_cases() {
        // Both one cluster, both all singletons, a single item: expected index = max index.
        for (gold, pred) in [
            (vec![5, 5, 5], vec![1, 1, 1]),
            (vec![0, 1, 2], vec![9, 8, 7]),
            (vec![4], vec![2]),
        ] {
            let s = score(&gold, &pred);
            assert_close(s.ari, 1.0, "ari");
            assert_close(s.nmi, 1.0, "nmi");
            assert_close(s.bcubed_f1, 1.0, "f1");
        }
        // One side a single cluster, the other not: no information shared.
        let s = score(&[0, 0, 1, 1], &[0, 0, 0, 0]);
        assert_close(s.nmi, 0.0, "nmi");
        assert_close(s.ari, 0.0, "ari");
        assert_close(s.bcubed_precision, 0.5, "precision");
        assert_close(s.bcubed_recall, 1.0, "recall");
        let empty = score(&[], &[]);
        assert_eq!(empty.clusters, 0);
        assert_close(empty.bcubed_f1, 1.0, "f1");
    }

    #[test]
    #[should_panic(expected = "same items")]
    fn score_rejects_mismatched_lengths() {
        score(&[0, 1], &[0]);
    }

    /// Two groups of three directions each, 100° apart, with varied (non-unit) lengths.
    fn two_groups() -> Vec<Vec<f32>> {
        [0.0f32, 10.0, 20.0, 100.0, 110.0, 120.0]
            .iter()
            .enumerate()
            .map(|(i, deg)| {
                let r = 1.0 + i as f32;
                vec![r * deg.to_radians().cos(), r * deg.to_radians().sin()]
            })
            .collect()
    }

    #[test]
    fn two_obvious_groups_cut_cleanly() {
        let d = average_linkage(&two_groups());
        let heights = d.merge_similarities();
        assert_eq!(heights.len(), 5);
        assert!(heights.windows(2).all(|w| w[0] >= w[1]), "{heights:?}");
        assert_eq!(d.cut(0.5), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(d.cut(-1.0), vec![0; 6]);
        assert_eq!(d.cut(1.01), vec![0, 1, 2, 3, 4, 5]);
        // The last merge joins the groups at a negative average similarity.
        assert!(heights[4] < 0.0, "{heights:?}");
    }

    #[test]
    fn best_cut_takes_highest_perfect_threshold() {
        let d = average_linkage(&two_groups());
        let (threshold, s) = best_cut(&d, &[1, 1, 1, 2, 2, 2], 11);
        // Within-group merges are at ≥ (cos 10° + cos 20°)/2 ≈ 0.962, between groups < 0,
        // so every threshold in 0.0..=0.9 is perfect and the highest, 0.9, wins the tie.
        assert_eq!(threshold, 0.9);
        assert_close(s.bcubed_f1, 1.0, "f1");
        assert_eq!(s.clusters, 2);
    }

    #[test]
    fn tiny_inputs() {
        let empty = average_linkage(&[]);
        assert!(empty.cut(0.0).is_empty());
        assert!(empty.merge_similarities().is_empty());
        let one = average_linkage(&[vec![0.3, 0.4]]);
        assert_eq!(one.cut(0.0), vec![0]);
        // Identical directions merge at exactly 1; a zero vector is similar to nothing.
        let d = average_linkage(&[vec![2.0, 0.0], vec![0.0, 0.0], vec![1.0, 0.0]]);
        assert_eq!(d.merge_similarities(), vec![1.0, 0.0]);
        assert_eq!(d.cut(1.0), vec![0, 1, 0]);
        assert_eq!(d.cut(0.0), vec![0, 0, 0]);
    }

    /// Deterministic pseudo-random vectors around five centres.
    fn test_vectors(n: usize, dim: usize) -> Vec<Vec<f32>> {
        (0..n)
            .map(|i| {
                (0..dim)
                    .map(|d| {
                        let (i, d) = (i as f64, d as f64);
                        let centre = ((i % 5.0) * 1.7 + d * 0.9).sin();
                        let noise = (i * 12.9898 + d * 78.233).sin() * 0.6;
                        (centre + noise) as f32
                    })
                    .collect()
            })
            .collect()
    }

    /// Textbook O(n³) average linkage in f64: repeatedly merge the pair of clusters with the
    /// highest mean pairwise cosine (ties: smallest indices). Returns, after each merge, its
    /// height and the labelling it leaves.
    fn naive_average_linkage(vectors: &[Vec<f32>]) -> Vec<(f64, Vec<u64>)> {
        let unit: Vec<Vec<f64>> = vectors
            .iter()
            .map(|v| {
                let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
                v.iter().map(|&x| f64::from(x) / norm).collect()
            })
            .collect();
        let cos =
            |a: usize, b: usize| -> f64 { unit[a].iter().zip(&unit[b]).map(|(x, y)| x * y).sum() };
        let mut clusters: Vec<Vec<usize>> = (0..vectors.len()).map(|i| vec![i]).collect();
        let mut history = Vec::new();
        while clusters.len() > 1 {
            let mut best = (f64::NEG_INFINITY, 0, 0);
            for a in 0..clusters.len() {
                for b in a + 1..clusters.len() {
                    let total: f64 = clusters[a]
                        .iter()
                        .flat_map(|&x| clusters[b].iter().map(move |&y| (x, y)))
                        .map(|(x, y)| cos(x, y))
                        .sum();
                    let mean = total / (clusters[a].len() * clusters[b].len()) as f64;
                    if mean > best.0 {
                        best = (mean, a, b);
                    }
                }
            }
            let (height, a, b) = best;
            let absorbed = clusters.remove(b);
            clusters[a].extend(absorbed);
            let mut labels = vec![0u64; vectors.len()];
            for (label, members) in clusters.iter().enumerate() {
                for &m in members {
                    labels[m] = label as u64;
                }
            }
            history.push((height, labels));
        }
        history
    }

    #[test]
    fn nn_chain_matches_naive_average_linkage() {
        let vectors = test_vectors(40, 8);
        let d = average_linkage(&vectors);
        let naive = naive_average_linkage(&vectors);

        // Same merge heights (naive ones are monotone, so already descending).
        let heights = d.merge_similarities();
        assert_eq!(heights.len(), naive.len());
        for (h, (expected, _)) in heights.iter().zip(&naive) {
            assert!(
                (f64::from(*h) - expected).abs() < 1e-5,
                "height {h} vs naive {expected}"
            );
        }

        // Same partitions when cutting between well-separated consecutive heights, plus
        // above the top and below the bottom.
        let mut checked = 0;
        let singletons: Vec<u64> = (0..40).collect();
        assert!(same_partition(
            &d.cut(naive[0].0 as f32 + 1e-3),
            &singletons
        ));
        assert_eq!(distinct(&d.cut(naive[38].0 as f32 - 1e-3)), 1);
        for k in (0..naive.len() - 1).step_by(3) {
            let (upper, lower) = (naive[k].0, naive[k + 1].0);
            if upper - lower < 1e-4 {
                continue;
            }
            let threshold = ((upper + lower) / 2.0) as f32;
            let labels = d.cut(threshold);
            assert_eq!(distinct(&labels), 40 - (k + 1), "threshold {threshold}");
            assert!(
                same_partition(&labels, &naive[k].1),
                "partitions differ at threshold {threshold}"
            );
            checked += 1;
        }
        assert!(
            checked >= 8,
            "only {checked} thresholds were well separated"
        );
    }

    #[test]
    fn same_partition_helper_detects_differences() {
        assert!(same_partition(&[0, 0, 1], &[5, 5, 2]));
        assert!(!same_partition(&[0, 0, 1], &[5, 2, 2]));
        assert!(!same_partition(&[0, 1, 2], &[0, 0, 1]));
        assert!(!same_partition(&[0, 0, 1], &[0, 1, 2]));
    }
}
