//! BM25 over passages with tantivy, in `<data>/bm25/`.
//!
//! One tantivy document per passage: `pid` (u64, indexed + fast: the answer and the delete
//! key), `article_id` (raw: deletes an article's passages at once), `title` (the article title,
//! boosted at query time), `text` (the passage, `body[start..end]`), `published` (i64 unix
//! seconds, indexed + fast: date filters), `source` and `category` (raw, lower-cased: filters).
//! Text fields use the [`analyzer`](super::analyzer) (acronyms, codes like FY2026-27, amounts).
//!
//! Queries are built from the analyzed terms (no query syntax, so user text never fails to
//! parse): for each term, `title^boost OR text`, summed by BM25; filters are a non-scoring
//! conjunction next to it.
//!
//! `NEWSDESK.json` records the layout version, the analyzer version and the store id; a
//! mismatch, an unreadable index or a failed checksum wipes the directory and rebuilds from the
//! store. At every open the set of passage ids in the index is reconciled with the store's:
//! missing articles are (re)indexed, vanished passages deleted. Every apply commits.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Instant;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::ingest::Article;
use crate::store::{NewPassage, Store, UpsertOutcome};

use super::analyzer::{query_terms, NewsTokenizer, ANALYZER_NAME, ANALYZER_VERSION};
use super::{io_err, normalize_label, Filters, IndexError, IndexSource};

/// Layout version of `<data>/bm25/`.
pub const BM25_FORMAT_VERSION: u32 = 1;
const SIDE_MANIFEST: &str = "NEWSDESK.json";

/// BM25 settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bm25Params {
    /// Weight of a title match relative to a passage-text match.
    pub title_boost: f32,
    /// Memory budget of the tantivy writer, in bytes (tantivy needs at least 15 MB).
    pub writer_memory: usize,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params {
            title_boost: 2.0,
            writer_memory: 32 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SideManifest {
    format_version: u32,
    analyzer_version: u32,
    store_id: String,
}

/// How the BM25 index came up.
#[derive(Debug, Clone, Serialize)]
pub struct Bm25OpenReport {
    pub source: IndexSource,
    /// Articles (re)indexed because the index was behind the store.
    pub caught_up_articles: usize,
    /// Passages deleted because the store no longer has them.
    pub dropped_passages: usize,
    pub passages: usize,
    pub seconds: f64,
}

#[derive(Clone, Copy)]
struct Fields {
    pid: Field,
    article_id: Field,
    title: Field,
    text: Field,
    published: Field,
    source: Field,
    category: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let f = Fields {
        pid: b.add_u64_field("pid", NumericOptions::default().set_indexed().set_fast()),
        article_id: b.add_text_field("article_id", STRING),
        title: b.add_text_field("title", text_opts.clone()),
        text: b.add_text_field("text", text_opts),
        published: b.add_i64_field(
            "published",
            NumericOptions::default().set_indexed().set_fast(),
        ),
        source: b.add_text_field("source", STRING),
        category: b.add_text_field("category", STRING),
    };
    (b.build(), f)
}

/// See the module documentation. `Send + Sync`; searches never wait for writes.
pub struct Bm25Index {
    dir: PathBuf,
    params: Bm25Params,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
}

impl std::fmt::Debug for Bm25Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bm25Index").field("dir", &self.dir).finish()
    }
}

impl Bm25Index {
    /// Opens the index in `dir` for `store`, rebuilding or catching up as needed.
    pub fn open(
        dir: &Path,
        store: &Store,
        params: Bm25Params,
    ) -> Result<(Bm25Index, Bm25OpenReport), IndexError> {
        let t0 = Instant::now();
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let want = SideManifest {
            format_version: BM25_FORMAT_VERSION,
            analyzer_version: ANALYZER_VERSION,
            store_id: store.store_id().to_string(),
        };
        let (index, source) = match try_open(dir, &want) {
            Ok(i) => (i, IndexSource::Loaded),
            Err(reason) => {
                // A new data dir has nothing to rebuild: not worth a warning.
                if store.counts().map(|c| c.passages == 0).unwrap_or(false) {
                    tracing::info!(dir = %dir.display(), "creating a new BM25 index");
                } else {
                    tracing::warn!(dir = %dir.display(), %reason, "rebuilding the BM25 index from the store");
                }
                wipe(dir)?;
                let (schema, _) = schema();
                let index = Index::create_in_dir(dir, schema)?;
                write_side_manifest(dir, &want)?;
                (index, IndexSource::Rebuilt { reason })
            }
        };
        index.tokenizers().register(
            ANALYZER_NAME,
            tantivy::tokenizer::TextAnalyzer::from(NewsTokenizer),
        );
        let writer = index.writer_with_num_threads(1, params.writer_memory.max(15_000_000))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let (_, f) = schema();
        let idx = Bm25Index {
            dir: dir.to_path_buf(),
            params,
            reader,
            writer: Mutex::new(writer),
            f,
        };
        let (caught_up_articles, dropped_passages) = idx.reconcile(store)?;
        let report = Bm25OpenReport {
            source,
            caught_up_articles,
            dropped_passages,
            passages: idx.len() as usize,
            seconds: t0.elapsed().as_secs_f64(),
        };
        tracing::info!(?report, "bm25 index open");
        Ok((idx, report))
    }

    /// Makes the set of indexed passage ids equal to the store's.
    fn reconcile(&self, store: &Store) -> Result<(usize, usize), IndexError> {
        let searcher = self.reader.searcher();
        let mut have: HashSet<u64> = HashSet::new();
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("pid")?;
            for doc in seg.doc_ids_alive() {
                if let Some(p) = col.first(doc) {
                    have.insert(p);
                }
            }
        }
        let mut stored: HashMap<u64, String> = HashMap::new();
        store.scan_passages(0, |pid, aid| {
            stored.insert(pid, aid.to_string());
        })?;
        let mut behind: Vec<&str> = stored
            .iter()
            .filter(|(p, _)| !have.contains(p))
            .map(|(_, a)| a.as_str())
            .collect();
        behind.sort_unstable();
        behind.dedup();
        let extra: Vec<u64> = have
            .iter()
            .copied()
            .filter(|p| !stored.contains_key(p))
            .collect();
        if behind.is_empty() && extra.is_empty() {
            return Ok((0, 0));
        }
        let mut w = self.writer.lock();
        for pid in &extra {
            w.delete_term(Term::from_field_u64(self.f.pid, *pid));
        }
        if have.is_empty() {
            // Full (re)build: one pass over the store.
            let mut err = None;
            store.scan_articles(|a, ps| {
                match self.add_article(&w, a, ps.iter().map(|p| (p.pid, p.start, p.end))) {
                    Ok(()) => true,
                    Err(e) => {
                        err = Some(e);
                        false
                    }
                }
            })?;
            if let Some(e) = err {
                return Err(e);
            }
        } else {
            for chunk in behind.chunks(256) {
                for (a, ps) in store.articles_with_passages(chunk)? {
                    w.delete_term(Term::from_field_text(self.f.article_id, &a.id));
                    self.add_article(&w, &a, ps.iter().map(|p| (p.pid, p.start, p.end)))?;
                }
            }
        }
        self.commit_locked(&mut w)?;
        Ok((behind.len(), extra.len()))
    }

    /// Stages one document per passage: `(pid, start, end)` into the article body.
    fn add_article(
        &self,
        w: &IndexWriter,
        a: &Article,
        passages: impl Iterator<Item = (u64, usize, usize)>,
    ) -> Result<(), IndexError> {
        for (pid, start, end) in passages {
            let Some(text) = a.body.get(start..end) else {
                continue;
            };
            let mut d = TantivyDocument::new();
            d.add_u64(self.f.pid, pid);
            d.add_text(self.f.article_id, &a.id);
            d.add_text(self.f.title, &a.title);
            d.add_text(self.f.text, text);
            if let Some(t) = a.published {
                d.add_i64(self.f.published, t.timestamp());
            }
            if let Some(s) = &a.source {
                d.add_text(self.f.source, normalize_label(s));
            }
            if let Some(c) = &a.category {
                d.add_text(self.f.category, normalize_label(c));
            }
            w.add_document(d)?;
        }
        Ok(())
    }

    fn commit_locked(&self, w: &mut IndexWriter) -> Result<(), IndexError> {
        w.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Makes staged changes durable and visible to searches.
    pub fn commit(&self) -> Result<(), IndexError> {
        self.commit_locked(&mut self.writer.lock())
    }

    /// Stages an article's passages (replacing any it had): `pids[i]` is `passages[i]`.
    /// Visible after [`Bm25Index::commit`].
    pub fn upsert_article(
        &self,
        article: &Article,
        pids: &[u64],
        passages: &[NewPassage],
    ) -> Result<(), IndexError> {
        let w = self.writer.lock();
        w.delete_term(Term::from_field_text(self.f.article_id, &article.id));
        self.add_article(
            &w,
            article,
            pids.iter().zip(passages).map(|(p, s)| (*p, s.start, s.end)),
        )
    }

    /// Stages the removal of an article's passages. Visible after [`Bm25Index::commit`].
    pub fn delete_article(&self, article_id: &str) {
        self.writer
            .lock()
            .delete_term(Term::from_field_text(self.f.article_id, article_id));
    }

    /// Re-indexes the articles a committed upsert changed (text read from the store), and
    /// commits.
    pub fn apply(&self, store: &Store, outcomes: &[UpsertOutcome]) -> Result<(), IndexError> {
        let changed: Vec<&str> = outcomes
            .iter()
            .filter(|o| !o.added.is_empty() || !o.removed.is_empty())
            .map(|o| o.article_id.as_str())
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let mut w = self.writer.lock();
        for id in &changed {
            w.delete_term(Term::from_field_text(self.f.article_id, id));
        }
        for (a, ps) in store.articles_with_passages(&changed)? {
            self.add_article(&w, &a, ps.iter().map(|p| (p.pid, p.start, p.end)))?;
        }
        self.commit_locked(&mut w)
    }

    /// Removes an article's passages, and commits.
    pub fn remove_article(&self, article_id: &str) -> Result<(), IndexError> {
        let mut w = self.writer.lock();
        w.delete_term(Term::from_field_text(self.f.article_id, article_id));
        self.commit_locked(&mut w)
    }

    /// Top `k` passages for `query` by BM25 (title matches weighted by `title_boost`), among
    /// those matching `filters`; `(pid, score)` best first. A query with no indexable term
    /// returns nothing.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        filters: &Filters,
    ) -> Result<Vec<(u64, f32)>, IndexError> {
        let terms = query_terms(query);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2);
        for t in &terms {
            let tq = TermQuery::new(
                Term::from_field_text(self.f.title, t),
                IndexRecordOption::WithFreqs,
            );
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(tq), self.params.title_boost)),
            ));
            should.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.f.text, t),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
        let text_q: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let q: Box<dyn Query> = match self.filter_query(filters) {
            None => text_q,
            Some(fq) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_q),
                (Occur::Must, Box::new(ConstScoreQuery::new(fq, 0.0))),
            ])),
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(k))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let col = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("pid")?;
            if let Some(pid) = col.first(addr.doc_id) {
                out.push((pid, score));
            }
        }
        Ok(out)
    }

    fn filter_query(&self, f: &Filters) -> Option<Box<dyn Query>> {
        if f.is_empty() {
            return None;
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if f.published_after.is_some() || f.published_before.is_some() {
            let b = |d: Option<chrono::DateTime<chrono::FixedOffset>>| match d {
                Some(d) => Bound::Included(Term::from_field_i64(self.f.published, d.timestamp())),
                None => Bound::Unbounded,
            };
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(b(f.published_after), b(f.published_before))),
            ));
        }
        for (names, field) in [
            (&f.sources, self.f.source),
            (&f.categories, self.f.category),
        ] {
            if names.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = names
                .iter()
                .map(|n| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, &normalize_label(n)),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        Some(Box::new(BooleanQuery::new(must)))
    }

    /// Passages in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes on disk under the index directory.
    pub fn disk_bytes(&self) -> u64 {
        super::dir_bytes(&self.dir)
    }

    /// Waits for background segment merges (for measurements and clean shutdowns).
    pub fn wait_merging(self) -> Result<(), IndexError> {
        let w = self.writer.into_inner();
        w.wait_merging_threads()?;
        Ok(())
    }
}

fn try_open(dir: &Path, want: &SideManifest) -> Result<Index, String> {
    let side = dir.join(SIDE_MANIFEST);
    let got: SideManifest = match std::fs::read(&side) {
        Ok(b) => {
            serde_json::from_slice(&b).map_err(|e| format!("unreadable {}: {e}", side.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("no saved index".into()),
        Err(e) => return Err(format!("cannot read {}: {e}", side.display())),
    };
    if &got != want {
        let mut d = Vec::new();
        if got.format_version != want.format_version {
            d.push(format!("format {}", got.format_version));
        }
        if got.analyzer_version != want.analyzer_version {
            d.push(format!("analyzer version {}", got.analyzer_version));
        }
        if got.store_id != want.store_id {
            d.push("built for another store".into());
        }
        return Err(format!("saved index is incompatible: {}", d.join(", ")));
    }
    let index = Index::open_in_dir(dir).map_err(|e| format!("cannot open: {e}"))?;
    let (expected, _) = schema();
    if index.schema() != expected {
        return Err("schema differs".into());
    }
    let bad = index
        .validate_checksum()
        .map_err(|e| format!("checksum validation failed: {e}"))?;
    if !bad.is_empty() {
        return Err(format!("corrupt files: {bad:?}"));
    }
    Ok(index)
}

fn write_side_manifest(dir: &Path, m: &SideManifest) -> Result<(), IndexError> {
    let path = dir.join(SIDE_MANIFEST);
    let tmp = dir.join(format!("{SIDE_MANIFEST}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(m).expect("serialises"))
        .map_err(io_err(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    Ok(())
}

fn wipe(dir: &Path) -> Result<(), IndexError> {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let r = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            r.map_err(io_err(&p))?;
        }
    }
    Ok(())
}
