//! BM25 with tantivy, in `<data>/bm25/`: two inverted indexes kept in step, one document per
//! passage (`passages/`) and one per article (`articles/`).
//!
//! * Passage level: `pid` (u64, indexed + fast: the answer and the delete key), `article_id`
//!   (raw: deletes an article's passages at once), `title` (the article title, with a small
//!   boost at query time), `text` (the title, then the passage `body[start..end]`), `published`
//!   (i64 unix seconds, indexed + fast: date filters), `source` and `category` (raw,
//!   lower-cased: filters).
//! * Article level: the same fields, with `text` the title and whole body, and `pid` holding
//!   every passage id of the article (multi-valued). A question's terms are often spread over an article
//!   rather than packed into one passage; the article's score is evidence for each of its
//!   passages (see [`crate::answer::retrieve`]). Each level keeps its own statistics (document
//!   frequencies, average lengths), so neither skews the other.
//!
//! Text fields use the [`analyzer`](super::analyzer) (acronyms, codes like FY2026-27, amounts).
//! Queries are built from analyzed terms (no query syntax, so user text never fails to parse):
//! for each term, `title^boost OR text`, summed by BM25 ([`Bm25Query`] analyzes a query once
//! for both levels); filters are a non-scoring conjunction next to it.
//!
//! `NEWSDESK.json` records the layout version, the analyzer version and the store id; a
//! mismatch, an unreadable index or a failed checksum wipes the directory and rebuilds both
//! levels from the store. At every open the set of passage ids in each level is reconciled with
//! the store's: articles behind are (re)indexed, vanished passages deleted. Every apply commits
//! both levels.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
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
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::article::Article;
use crate::store::{Change, ChangesSince, NewPassage, Store, UpsertOutcome};

use super::analyzer::{query_terms, NewsTokenizer, ANALYZER_NAME, ANALYZER_VERSION};
use super::{io_err, normalize_label, Filters, IndexError, IndexSource};

/// Layout version of `<data>/bm25/` (2: passage and article levels in two sub-indexes).
pub const BM25_FORMAT_VERSION: u32 = 2;
const SIDE_MANIFEST: &str = "NEWSDESK.json";
const PASSAGE_DIR: &str = "passages";
const ARTICLE_DIR: &str = "articles";

/// BM25 settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bm25Params {
    /// Extra weight of a headline match, on top of the headline being part of the text
    /// (SciFact train, EVAL.md: 2.0 as a separate field cost 0.07 nDCG@10 against this).
    pub title_boost: f32,
    /// Memory budget of each tantivy writer, in bytes (tantivy needs at least 15 MB).
    pub writer_memory: usize,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params {
            title_boost: 0.2,
            writer_memory: 16 << 20,
        }
    }
}

/// A query analyzed once, for searching both levels: its distinct terms
/// ([`query_terms`](super::analyzer::query_terms)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bm25Query {
    /// Distinct analyzed terms, in first-seen order.
    pub terms: Vec<String>,
}

impl Bm25Query {
    /// Analyzes a query text.
    pub fn parse(text: &str) -> Bm25Query {
        Bm25Query {
            terms: query_terms(text),
        }
    }

    /// True when nothing in the query is indexable.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// One article found at the article level: its passages and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleHit {
    /// Every passage id of the article.
    pub pids: Vec<u64>,
    /// BM25 of the whole article.
    pub score: f32,
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
    /// Articles (re)indexed because the index was behind the store (counted once even when
    /// both levels were behind).
    pub caught_up_articles: usize,
    /// Passages deleted because the store no longer has them.
    pub dropped_passages: usize,
    /// Store changes replayed from the change log after the last commit's sequence.
    pub replayed_changes: usize,
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

/// Both levels share one schema; at the article level `pid` is multi-valued.
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

/// Which of the two inverted indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LevelKind {
    Passage,
    Article,
}

/// One tantivy index with its reader and writer.
struct Level {
    kind: LevelKind,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
}

impl Level {
    fn open(kind: LevelKind, index: Index, params: &Bm25Params) -> Result<Level, IndexError> {
        index.tokenizers().register(
            ANALYZER_NAME,
            tantivy::tokenizer::TextAnalyzer::from(NewsTokenizer),
        );
        let writer = index.writer_with_num_threads(1, params.writer_memory.max(15_000_000))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Level {
            kind,
            reader,
            writer: Mutex::new(writer),
        })
    }

    /// Commits staged changes, recording `seq` (the store change they reflect) as the commit's
    /// payload, and makes them visible.
    fn commit_locked(&self, w: &mut IndexWriter, seq: u64) -> Result<(), IndexError> {
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// The store change sequence of the last commit (`None` for an index committed before the
    /// change log, or never).
    fn committed_seq(&self) -> Option<u64> {
        let w = self.writer.lock();
        w.index()
            .load_metas()
            .ok()?
            .payload
            .and_then(|p| p.parse().ok())
    }

    /// Passage ids of every live document, one list per document.
    fn indexed_pids(&self) -> Result<Vec<Vec<u64>>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("pid")?;
            for doc in seg.doc_ids_alive() {
                out.push(col.values_for_doc(doc).collect());
            }
        }
        Ok(out)
    }
}

/// See the module documentation. `Send + Sync`; searches never wait for writes.
pub struct Bm25Index {
    dir: PathBuf,
    params: Bm25Params,
    passages: Level,
    articles: Level,
    f: Fields,
    /// The store change sequence the index reflects.
    covered: AtomicU64,
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
        let ((pi, ai), source) = match try_open(dir, &want) {
            Ok(pair) => (pair, IndexSource::Loaded),
            Err(reason) => {
                // A new data dir has nothing to rebuild: not worth a warning.
                if store.counts().map(|c| c.passages == 0).unwrap_or(false) {
                    tracing::info!(dir = %dir.display(), "creating a new BM25 index");
                } else {
                    tracing::warn!(dir = %dir.display(), %reason, "rebuilding the BM25 index from the store");
                }
                wipe(dir)?;
                let mut made = Vec::new();
                for sub in [PASSAGE_DIR, ARTICLE_DIR] {
                    let d = dir.join(sub);
                    std::fs::create_dir_all(&d).map_err(io_err(&d))?;
                    made.push(Index::create_in_dir(&d, schema().0)?);
                }
                write_side_manifest(dir, &want)?;
                let ai = made.pop().expect("two indexes");
                let pi = made.pop().expect("two indexes");
                ((pi, ai), IndexSource::Rebuilt { reason })
            }
        };
        let idx = Bm25Index {
            dir: dir.to_path_buf(),
            passages: Level::open(LevelKind::Passage, pi, &params)?,
            articles: Level::open(LevelKind::Article, ai, &params)?,
            params,
            f: schema().1,
            covered: AtomicU64::new(0),
        };
        let store_seq = store.high_water()?.seq;
        // Both levels commit together with the same payload; replay the log from it when it
        // reaches back that far, then check the passage count cheaply. Anything else (an index
        // from before the change log, a log that no longer reaches back, a count that does not
        // match) is reconciled with the store passage by passage.
        let mut replayed_changes = 0;
        let from = match (idx.passages.committed_seq(), idx.articles.committed_seq()) {
            (Some(a), Some(b)) if a == b && a <= store_seq && source == IndexSource::Loaded => {
                Some(a)
            }
            _ => None,
        };
        let mut consistent = false;
        if let Some(from) = from {
            if let ChangesSince::Complete(changes) = store.changes_since(from)? {
                replayed_changes = changes.len();
                idx.replay(store, &changes, store_seq)?;
                consistent = idx.len() == store.counts()?.passages;
                if !consistent {
                    tracing::warn!(
                        "the BM25 index disagreed with the store after replaying the change log; \
                         reconciling"
                    );
                }
            }
        }
        let (caught_up_articles, dropped_passages) = if consistent {
            (0, 0)
        } else {
            idx.reconcile(store, store_seq)?
        };
        idx.covered.store(store_seq, Ordering::SeqCst);
        let report = Bm25OpenReport {
            source,
            caught_up_articles,
            dropped_passages,
            replayed_changes,
            passages: idx.len() as usize,
            seconds: t0.elapsed().as_secs_f64(),
        };
        tracing::info!(?report, "bm25 index open");
        Ok((idx, report))
    }

    fn levels(&self) -> [&Level; 2] {
        [&self.passages, &self.articles]
    }

    /// Makes the set of passage ids in each level equal to the store's. Returns the articles
    /// re-indexed and the passages dropped (both counted over the two levels, without repeats).
    fn reconcile(&self, store: &Store, seq: u64) -> Result<(usize, usize), IndexError> {
        let mut stored: HashMap<u64, String> = HashMap::new();
        store.scan_passages(0, |pid, aid| {
            stored.insert(pid, aid.to_string());
        })?;
        let mut all_behind: HashSet<String> = HashSet::new();
        let mut all_dropped: HashSet<u64> = HashSet::new();
        for level in self.levels() {
            let docs = level.indexed_pids()?;
            let mut have: HashSet<u64> = HashSet::new();
            let mut behind: HashSet<&str> = HashSet::new();
            let mut stale: Vec<u64> = Vec::new();
            for doc in &docs {
                if doc.iter().all(|p| stored.contains_key(p)) {
                    have.extend(doc.iter().copied());
                    continue;
                }
                // A document naming a vanished passage goes; the article's live passages in
                // it are indexed again.
                for p in doc {
                    match stored.get(p) {
                        Some(a) => {
                            behind.insert(a.as_str());
                        }
                        None => stale.push(*p),
                    }
                }
            }
            for (p, a) in &stored {
                if !have.contains(p) {
                    behind.insert(a.as_str());
                }
            }
            if behind.is_empty() && stale.is_empty() {
                continue;
            }
            all_dropped.extend(stale.iter().copied());
            all_behind.extend(behind.iter().map(|a| a.to_string()));
            let mut w = level.writer.lock();
            for pid in &stale {
                w.delete_term(Term::from_field_u64(self.f.pid, *pid));
            }
            if docs.is_empty() {
                // Full (re)build: one pass over the store.
                let mut err = None;
                store.scan_articles(|a, ps| {
                    match self.add_article(level, &w, a, ps.iter().map(|p| (p.pid, p.start, p.end)))
                    {
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
                let mut ids: Vec<&str> = behind.into_iter().collect();
                ids.sort_unstable();
                for chunk in ids.chunks(256) {
                    for (a, ps) in store.articles_with_passages(chunk)? {
                        w.delete_term(Term::from_field_text(self.f.article_id, &a.id));
                        self.add_article(
                            level,
                            &w,
                            &a,
                            ps.iter().map(|p| (p.pid, p.start, p.end)),
                        )?;
                    }
                }
            }
            level.commit_locked(&mut w, seq)?;
        }
        Ok((all_behind.len(), all_dropped.len()))
    }

    /// Re-indexes every article the given changes touched, from the store as it is now, and
    /// commits at `seq`.
    fn replay(&self, store: &Store, changes: &[Change], seq: u64) -> Result<(), IndexError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<&str> = changes
            .iter()
            .flat_map(|c| c.upserted.iter().chain(&c.deleted).map(|a| a.id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for level in self.levels() {
            let mut w = level.writer.lock();
            for chunk in ids.chunks(256) {
                for id in chunk {
                    w.delete_term(Term::from_field_text(self.f.article_id, id));
                }
                for (a, ps) in store.articles_with_passages(chunk)? {
                    self.add_article(level, &w, &a, ps.iter().map(|p| (p.pid, p.start, p.end)))?;
                }
            }
            level.commit_locked(&mut w, seq)?;
        }
        Ok(())
    }

    /// The store change sequence the index reflects.
    pub fn covered_seq(&self) -> u64 {
        self.covered.load(Ordering::SeqCst)
    }

    /// Stages an article's documents in `level`: `(pid, start, end)` into the article body
    /// for each passage; at the article level one document with every pid.
    fn add_article(
        &self,
        level: &Level,
        w: &IndexWriter,
        a: &Article,
        passages: impl Iterator<Item = (u64, usize, usize)>,
    ) -> Result<(), IndexError> {
        let doc = |pids: &[u64], text: &str| {
            let mut d = TantivyDocument::new();
            for &pid in pids {
                d.add_u64(self.f.pid, pid);
            }
            d.add_text(self.f.article_id, &a.id);
            d.add_text(self.f.title, &a.title);
            // The headline is part of every document's text, so that a term in both headline
            // and text saturates like one field (BM25F's idea); the title field adds a small
            // extra weight for headline matches.
            d.add_text(self.f.text, format!("{}\n{text}", a.title));
            if let Some(t) = a.published {
                d.add_i64(self.f.published, t.timestamp());
            }
            if let Some(s) = &a.source {
                d.add_text(self.f.source, normalize_label(s));
            }
            if let Some(c) = &a.category {
                d.add_text(self.f.category, normalize_label(c));
            }
            d
        };
        match level.kind {
            LevelKind::Passage => {
                for (pid, start, end) in passages {
                    let Some(text) = a.body.get(start..end) else {
                        continue;
                    };
                    w.add_document(doc(&[pid], text))?;
                }
            }
            LevelKind::Article => {
                let pids: Vec<u64> = passages.map(|(pid, _, _)| pid).collect();
                if !pids.is_empty() {
                    w.add_document(doc(&pids, &a.body))?;
                }
            }
        }
        Ok(())
    }

    /// Makes staged changes durable and visible to searches, as of store change `seq`.
    pub fn commit(&self, seq: u64) -> Result<(), IndexError> {
        for level in self.levels() {
            level.commit_locked(&mut level.writer.lock(), seq)?;
        }
        self.covered.fetch_max(seq, Ordering::SeqCst);
        Ok(())
    }

    /// Stages an article's passages (replacing any it had): `pids[i]` is `passages[i]`.
    /// Visible after [`Bm25Index::commit`].
    pub fn upsert_article(
        &self,
        article: &Article,
        pids: &[u64],
        passages: &[NewPassage],
    ) -> Result<(), IndexError> {
        for level in self.levels() {
            let w = level.writer.lock();
            w.delete_term(Term::from_field_text(self.f.article_id, &article.id));
            self.add_article(
                level,
                &w,
                article,
                pids.iter().zip(passages).map(|(p, s)| (*p, s.start, s.end)),
            )?;
        }
        Ok(())
    }

    /// Stages the removal of an article's passages. Visible after [`Bm25Index::commit`].
    pub fn delete_article(&self, article_id: &str) {
        for level in self.levels() {
            level
                .writer
                .lock()
                .delete_term(Term::from_field_text(self.f.article_id, article_id));
        }
    }

    /// Re-indexes the articles a committed upsert changed (text read from the store), and
    /// commits.
    pub fn apply(
        &self,
        store: &Store,
        outcomes: &[UpsertOutcome],
        seq: u64,
    ) -> Result<(), IndexError> {
        let changed: Vec<&str> = outcomes
            .iter()
            .filter(|o| !o.added.is_empty() || !o.removed.is_empty())
            .map(|o| o.article_id.as_str())
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let fresh = store.articles_with_passages(&changed)?;
        for level in self.levels() {
            let mut w = level.writer.lock();
            for id in &changed {
                w.delete_term(Term::from_field_text(self.f.article_id, id));
            }
            for (a, ps) in &fresh {
                self.add_article(level, &w, a, ps.iter().map(|p| (p.pid, p.start, p.end)))?;
            }
            level.commit_locked(&mut w, seq)?;
        }
        self.covered.fetch_max(seq, Ordering::SeqCst);
        Ok(())
    }

    /// Removes an article's passages, and commits as of store change `seq`.
    pub fn remove_article(&self, article_id: &str, seq: u64) -> Result<(), IndexError> {
        self.delete_article(article_id);
        self.commit(seq)
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
        self.search_query(&Bm25Query::parse(query), k, filters)
    }

    /// [`Bm25Index::search`] with a query already analyzed.
    pub fn search_query(
        &self,
        query: &Bm25Query,
        k: usize,
        filters: &Filters,
    ) -> Result<Vec<(u64, f32)>, IndexError> {
        Ok(self
            .run(&self.passages, query, k, filters)?
            .into_iter()
            .filter_map(|(mut pids, s)| pids.pop().map(|p| (p, s)))
            .collect())
    }

    /// Top `k` articles for `query` by BM25 over whole articles (title + body), among those
    /// matching `filters`, best first.
    pub fn search_articles(
        &self,
        query: &Bm25Query,
        k: usize,
        filters: &Filters,
    ) -> Result<Vec<ArticleHit>, IndexError> {
        Ok(self
            .run(&self.articles, query, k, filters)?
            .into_iter()
            .map(|(pids, score)| ArticleHit { pids, score })
            .collect())
    }

    /// Runs `query` on one level: `(pids of the document, score)` best first.
    fn run(
        &self,
        level: &Level,
        query: &Bm25Query,
        k: usize,
        filters: &Filters,
    ) -> Result<Vec<(Vec<u64>, f32)>, IndexError> {
        if query.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(query.terms.len() * 2);
        for t in &query.terms {
            let title: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(self.f.title, t),
                IndexRecordOption::WithFreqs,
            ));
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(title, self.params.title_boost)),
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
        let searcher = level.reader.searcher();
        let top: Vec<(f32, DocAddress)> = searcher.search(&q, &TopDocs::with_limit(k))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let col = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("pid")?;
            let pids: Vec<u64> = col.values_for_doc(addr.doc_id).collect();
            if !pids.is_empty() {
                out.push((pids, score));
            }
        }
        Ok(out)
    }

    /// Inverse document frequency of each term at the article level (BM25's
    /// `ln(1 + (N − n + 0.5) / (n + 0.5))`), for weighting a question's terms.
    pub fn article_idf(&self, terms: &[String]) -> Result<Vec<f32>, IndexError> {
        let searcher = self.articles.reader.searcher();
        let n = searcher.num_docs() as f32;
        terms
            .iter()
            .map(|t| {
                let df = searcher.doc_freq(&Term::from_field_text(self.f.text, t))? as f32;
                Ok((1.0 + (n - df + 0.5) / (df + 0.5)).ln())
            })
            .collect()
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
        self.passages.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Articles in the article level.
    pub fn article_count(&self) -> u64 {
        self.articles.reader.searcher().num_docs()
    }

    /// Bytes on disk under the index directory.
    pub fn disk_bytes(&self) -> u64 {
        super::dir_bytes(&self.dir)
    }

    /// Waits for background segment merges (for measurements and clean shutdowns).
    pub fn wait_merging(self) -> Result<(), IndexError> {
        for level in [self.passages, self.articles] {
            level.writer.into_inner().wait_merging_threads()?;
        }
        Ok(())
    }
}

fn try_open(dir: &Path, want: &SideManifest) -> Result<(Index, Index), String> {
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
    let open = |sub: &str| -> Result<Index, String> {
        let index =
            Index::open_in_dir(dir.join(sub)).map_err(|e| format!("cannot open {sub}: {e}"))?;
        if index.schema() != schema().0 {
            return Err(format!("{sub}: schema differs"));
        }
        let bad = index
            .validate_checksum()
            .map_err(|e| format!("{sub}: checksum validation failed: {e}"))?;
        if !bad.is_empty() {
            return Err(format!("{sub}: corrupt files: {bad:?}"));
        }
        Ok(index)
    };
    Ok((open(PASSAGE_DIR)?, open(ARTICLE_DIR)?))
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
