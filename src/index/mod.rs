//! Index: derived, rebuildable search structures over the [`Store`](crate::store::Store).
//!
//! * [`VectorIndex`]: HNSW (hnsw_rs) over the passage vectors, persisted in `<data>/hnsw/`.
//! * [`Bm25Index`]: tantivy BM25 over passage text with the article title, persisted in
//!   `<data>/bm25/`.
//! * [`Indexes`]: both, opened, kept in step with the store and saved together.
//!
//! Both are derived: on open they are checked against the store (same store id, model, format),
//! rebuilt from it when missing, incompatible or corrupt, and caught up when behind (a crash
//! after a store commit but before the index was saved). Their contents are reconciled by passage
//! id, so a stale index can never return a deleted passage or miss a stored one.
//!
//! Filters ([`Filters`]: date range, sources, categories) are applied inside both searches.

pub mod analyzer;
pub mod bm25;
pub(crate) mod meta;
pub mod vector;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::store::{NewArticle, Store, StoreError, UpsertOutcome};

pub use bm25::{ArticleHit, Bm25Index, Bm25OpenReport, Bm25Params, Bm25Query};
pub use vector::{HnswParams, VectorIndex, VectorOpenReport, VectorSaveReport};

/// Search filters; an empty field means "no constraint". Matching of sources and categories is
/// case-insensitive and exact (after trimming). Date bounds are inclusive; an article without a
/// publication date never matches a date-bounded search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_after: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_before: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Filters {
    /// These filters, further bounded to `after..=before`: each bound kept where it is the
    /// narrower one.
    pub fn within(
        mut self,
        after: Option<DateTime<FixedOffset>>,
        before: Option<DateTime<FixedOffset>>,
    ) -> Filters {
        if let Some(a) = after {
            self.published_after = Some(self.published_after.map_or(a, |x| x.max(a)));
        }
        if let Some(z) = before {
            self.published_before = Some(self.published_before.map_or(z, |x| x.min(z)));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.published_after.is_none()
            && self.published_before.is_none()
            && self.sources.is_empty()
            && self.categories.is_empty()
    }
}

/// The lower-cased, trimmed form used to match sources and categories.
pub fn normalize_label(s: &str) -> String {
    s.trim().to_lowercase()
}

/// How an index was brought up at open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IndexSource {
    /// Loaded from its files.
    Loaded,
    /// Rebuilt from the store, and why.
    Rebuilt { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("index I/O error at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("query vector has dimension {got}, the index has {want}")]
    Dim { got: usize, want: usize },
    #[error("HNSW index: {0}")]
    Hnsw(String),
    /// Boxed: tantivy's error is large and errors travel on every search `Result`.
    #[error("BM25 index: {0}")]
    Tantivy(Box<tantivy::TantivyError>),
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError::Tantivy(Box::new(e))
    }
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Dot product of two equal-length vectors (AVX2+FMA when the CPU has it).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_portable(a, b)
}

fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        for l in 0..8 {
            acc[l] += a[c * 8 + l] * b[c * 8 + l];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for i in chunks * 8..n {
        s += a[i] * b[i];
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let pa = a.as_ptr();
    let pb = b.as_ptr();
    let mut a0 = _mm256_setzero_ps();
    let mut a1 = _mm256_setzero_ps();
    let mut a2 = _mm256_setzero_ps();
    let mut a3 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 32 <= n {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), a0);
        a1 = _mm256_fmadd_ps(
            _mm256_loadu_ps(pa.add(i + 8)),
            _mm256_loadu_ps(pb.add(i + 8)),
            a1,
        );
        a2 = _mm256_fmadd_ps(
            _mm256_loadu_ps(pa.add(i + 16)),
            _mm256_loadu_ps(pb.add(i + 16)),
            a2,
        );
        a3 = _mm256_fmadd_ps(
            _mm256_loadu_ps(pa.add(i + 24)),
            _mm256_loadu_ps(pb.add(i + 24)),
            a3,
        );
        i += 32;
    }
    while i + 8 <= n {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), a0);
        i += 8;
    }
    let s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    let hi = _mm256_extractf128_ps(s, 1);
    let lo = _mm256_castps256_ps128(s);
    let q = _mm_add_ps(hi, lo);
    let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    let q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
    let mut out = _mm_cvtss_f32(q);
    while i < n {
        out += *pa.add(i) * *pb.add(i);
        i += 1;
    }
    out
}

/// Exact top-`k` by dot product (cosine for normalised vectors): `(id, score)` best first, ties
/// by smaller id. The brute-force reference for recall measurement and the fallback of filtered
/// search.
pub fn exact_search<'a, I>(vectors: I, q: &[f32], k: usize) -> Vec<(u64, f32)>
where
    I: IntoIterator<Item = (u64, &'a [f32])>,
{
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Item(f32, u64);
    impl Eq for Item {}
    impl PartialOrd for Item {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Item {
        // Max-heap on "worse": lower score, then larger id, is greater.
        fn cmp(&self, o: &Self) -> Ordering {
            o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
        }
    }
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Item> = BinaryHeap::with_capacity(k + 1);
    for (id, v) in vectors {
        let s = dot(q, v);
        if heap.len() < k {
            heap.push(Item(s, id));
        } else if let Some(top) = heap.peek() {
            if Item(s, id) < *top {
                heap.pop();
                heap.push(Item(s, id));
            }
        }
    }
    let mut v: Vec<(u64, f32)> = heap.into_iter().map(|Item(s, id)| (id, s)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// How the two indexes came up.
#[derive(Debug, Clone, Serialize)]
pub struct IndexesOpenReport {
    pub vector: VectorOpenReport,
    pub bm25: Bm25OpenReport,
}

/// Both derived indexes, opened against one store. `Send + Sync`: searches run concurrently with
/// each other and with [`Indexes::apply`].
pub struct Indexes {
    pub vector: VectorIndex,
    pub bm25: Bm25Index,
}

impl Indexes {
    /// Opens (loading, catching up or rebuilding) `<data_dir>/hnsw` and `<data_dir>/bm25`.
    pub fn open(
        data_dir: &Path,
        store: &Store,
        hnsw: HnswParams,
        bm25: Bm25Params,
    ) -> Result<(Indexes, IndexesOpenReport), IndexError> {
        let (vector, vr) = VectorIndex::open(&data_dir.join("hnsw"), store, hnsw)?;
        let (bm25, br) = Bm25Index::open(&data_dir.join("bm25"), store, bm25)?;
        Ok((
            Indexes { vector, bm25 },
            IndexesOpenReport {
                vector: vr,
                bm25: br,
            },
        ))
    }

    /// Brings both indexes in step with a committed [`Store::upsert`] that became store change
    /// `seq`, reading vectors and text from the store. BM25 is committed before returning.
    pub fn apply(
        &self,
        store: &Store,
        outcomes: &[UpsertOutcome],
        seq: u64,
    ) -> Result<(), IndexError> {
        self.vector.apply(store, outcomes)?;
        self.bm25.apply(store, outcomes, seq)?;
        Ok(())
    }

    /// Same, from the items just upserted (`items[i]` gave `outcomes[i]`): no store reads.
    /// BM25 is committed before returning; the vector graph is checkpointed later
    /// ([`Indexes::save`]).
    pub fn apply_items(
        &self,
        items: &[NewArticle],
        outcomes: &[UpsertOutcome],
        seq: u64,
    ) -> Result<(), IndexError> {
        self.vector.apply_items(items, outcomes, seq)?;
        for (item, o) in items.iter().zip(outcomes) {
            if !o.added.is_empty() && o.added.len() == item.passages.len() {
                self.bm25
                    .upsert_article(&item.article, &o.added, &item.passages)?;
            } else if !o.removed.is_empty() {
                self.bm25.delete_article(&o.article_id);
            }
        }
        self.bm25.commit(seq)
    }

    /// Drops an article deleted with [`Store::delete`] (pass the ids it returned) as store
    /// change `seq`.
    pub fn remove_article(
        &self,
        article_id: &str,
        removed: &[u64],
        seq: u64,
    ) -> Result<(), IndexError> {
        self.vector.remove_article(article_id, removed, seq);
        self.bm25.remove_article(article_id, seq)?;
        Ok(())
    }

    /// Checkpoints the HNSW graph (BM25 commits with every apply). The engine calls it in the
    /// background and at shutdown; a crash before it only costs a replay of the change log at
    /// the next open.
    pub fn save(&self) -> Result<VectorSaveReport, IndexError> {
        self.vector.save()
    }

    /// Bytes on disk of both indexes.
    pub fn disk_bytes(&self) -> u64 {
        self.vector.disk_bytes() + self.bm25.disk_bytes()
    }
}

/// Total size of the regular files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => total += dir_bytes(&e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_portable_on_odd_lengths() {
        for n in [0, 1, 7, 8, 31, 32, 33, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - want).abs() < 1e-4, "n={n}");
        }
    }

    #[test]
    fn exact_search_orders_by_score_then_id() {
        let vs: Vec<(u64, Vec<f32>)> = vec![
            (1, vec![1.0, 0.0]),
            (2, vec![0.0, 1.0]),
            (3, vec![0.6, 0.8]),
            (4, vec![1.0, 0.0]),
        ];
        let r = exact_search(vs.iter().map(|(i, v)| (*i, v.as_slice())), &[1.0, 0.0], 3);
        let ids: Vec<u64> = r.iter().map(|x| x.0).collect();
        assert_eq!(ids, vec![1, 4, 3]);
        assert!(
            exact_search(vs.iter().map(|(i, v)| (*i, v.as_slice())), &[1.0, 0.0], 0).is_empty()
        );
    }
}
