//! Store: the durable truth, one redb file `<data>/newsdesk.redb`.
//!
//! Holds articles, their sentences and passages, the vectors of both, and a manifest (model name
//! and sha256, dimension, passage budget, format version). Everything else (HNSW, BM25) is derived
//! from it and can be rebuilt from it.
//!
//! * A write ([`Store::upsert`], [`Store::delete`]) is one redb write transaction with
//!   `Durability::Immediate`: when the call returns `Ok`, the data is on disk (fsync'd).
//! * Passage ids are global `u64`, assigned in increasing order, never reused, so derived indexes
//!   can tell "new since" from a pid alone and a stale pid can never point at other text.
//! * Offsets (`start`, `end`) are byte offsets into `Article::body`.
//! * [`Store`] is `Send + Sync`; reads are MVCC snapshots and never block writers; writes are
//!   serialised by redb.
//!
//! Tables (all created at open):
//! `meta` (str → bytes: manifest JSON, counters), `articles` (id → article JSON),
//! `article_info` (id → [`ArticleInfo`], small, scanned at start-up), `passages` (pid → record),
//! `passage_vectors` (pid → f32 LE), `sentences` ((id, n) → span + f32 LE vector), and the feed
//! subscriptions `feeds` and `feed_items` (`store/feeds.rs`), and `story_links` (id →
//! [`StoryLink`](crate::stories::StoryLink), bincode: the article's story and what it was
//! assigned with), written in the same transaction as its article.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{
    Database, Durability, ReadOnlyTable, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::article::Article;
use crate::stories::StoryLink;

mod feeds;
pub use feeds::FeedInsert;

/// Version of the on-disk layout of this module. Bump on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "newsdesk.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ARTICLES: TableDefinition<&str, &[u8]> = TableDefinition::new("articles");
const ARTICLE_INFO: TableDefinition<&str, &[u8]> = TableDefinition::new("article_info");
const PASSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("passages");
const PASSAGE_VECTORS: TableDefinition<u64, &[u8]> = TableDefinition::new("passage_vectors");
const SENTENCES: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("sentences");
/// Article id → its [`StoryLink`] (bincode).
const STORY_LINKS: TableDefinition<&str, &[u8]> = TableDefinition::new("story_links");
/// The change log: sequence number → [`Change`] (bincode).
const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");

/// How many commits the change log keeps: an index checkpoint (or a follower) further behind
/// than this rebuilds its view from the tables instead of replaying. Each entry is a few dozen
/// bytes per article changed.
pub const CHANGE_LOG_RETAIN: u64 = 100_000;

const K_MANIFEST: &str = "manifest";
const K_STORE_ID: &str = "store_id";
const K_NEXT_PID: &str = "next_pid";
const K_SEQ: &str = "seq";
const K_NEXT_STORY: &str = "next_story";

/// Longest accepted article id, in bytes (the article model's limit).
pub use crate::article::MAX_ID_BYTES as MAX_ARTICLE_ID_BYTES;

/// What a store was built with. Vectors from different models or chunkers must never mix, so
/// opening a store with a different manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreManifest {
    pub model_name: String,
    pub model_sha256: String,
    pub dim: usize,
    /// Passage budget in word pieces used by the chunker.
    pub passage_budget: usize,
    /// Layout version; use [`FORMAT_VERSION`].
    pub format_version: u32,
    /// What the passage and sentence vectors were embedded with besides their own text. Chosen
    /// when a store is created; an existing store keeps its own ([`Store::open`] adopts it), so
    /// its old and new vectors stay comparable. Stores written before this field existed read
    /// as [`EmbedContext::None`].
    #[serde(default)]
    pub context: EmbedContext,
}

/// Text a vector is embedded with besides its own: part of what a store was built with, since
/// vectors made with and without it do not compare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbedContext {
    /// The passage or sentence alone (stores from before headline context).
    #[default]
    None,
    /// The article's headline, a newline, then the passage or sentence: "He said the plant
    /// will open in May" is embedded knowing which company's plant the article is about.
    Title,
}

/// Longest headline used as context, in characters (about 75 word pieces): with the default
/// 128-word-piece passage budget the pair stays inside the model's 256, so a feed with an
/// overlong title never pushes a passage's end out of its own vector.
pub const MAX_CONTEXT_CHARS: usize = 300;

impl EmbedContext {
    /// The text to embed for `text` of an article headed `title`.
    pub fn apply(self, title: &str, text: &str) -> String {
        let title = title.trim();
        match self {
            EmbedContext::None => text.to_string(),
            EmbedContext::Title if title.is_empty() => text.to_string(),
            EmbedContext::Title => {
                let cut = title
                    .char_indices()
                    .nth(MAX_CONTEXT_CHARS)
                    .map_or(title.len(), |(i, _)| i);
                format!("{}\n{text}", title[..cut].trim_end())
            }
        }
    }
}

pub use crate::article::Span;

/// A passage as handed to the store (before it has an id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassage {
    pub start: usize,
    pub end: usize,
    pub word_pieces: usize,
    /// The passage touches sentences `first_sentence..last_sentence` (exclusive end, indexes
    /// into `NewArticle::sentences`), as `text::PassageSpan` reports them.
    pub first_sentence: usize,
    pub last_sentence: usize,
}

/// One article with everything derived from it, ready to be stored in one go.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub article: Article,
    /// See [`article_content_hash`]; lets the pipeline skip unchanged articles before embedding.
    pub content_hash: String,
    pub sentences: Vec<Span>,
    /// One L2-normalised vector of `manifest.dim` per sentence.
    pub sentence_vectors: Vec<Vec<f32>>,
    pub passages: Vec<NewPassage>,
    /// One L2-normalised vector of `manifest.dim` per passage.
    pub passage_vectors: Vec<Vec<f32>>,
    /// The article's story, stored with it (`None` leaves it without one).
    pub story: Option<StoryLink>,
}

/// A stored passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPassage {
    pub pid: u64,
    pub article_id: String,
    pub start: usize,
    pub end: usize,
    pub word_pieces: usize,
    /// Sentences `first_sentence..last_sentence` (exclusive end).
    pub first_sentence: usize,
    pub last_sentence: usize,
}

/// Small per-article record, cheap to scan at start-up (no body, no vectors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleInfo {
    pub content_hash: String,
    /// Unix seconds of `published`, if known.
    pub published_ts: Option<i64>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub passage_ids: Vec<u64>,
    pub sentence_count: u32,
}

/// What an upsert did to one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upsert {
    Added,
    Updated,
    Unchanged,
}

/// Result of upserting one article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertOutcome {
    pub article_id: String,
    pub status: Upsert,
    /// Passage ids that no longer exist (the previous version's); derived indexes must drop them.
    pub removed: Vec<u64>,
    /// Passage ids created by this write; derived indexes must add them.
    pub added: Vec<u64>,
}

/// Sizes of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub articles: u64,
    pub passages: u64,
    pub sentences: u64,
}

/// One article a commit changed: the passage ids it gained and lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedArticle {
    /// Article id.
    pub id: String,
    /// Passage ids created by the commit.
    pub added: Vec<u64>,
    /// Passage ids the commit removed.
    pub removed: Vec<u64>,
}

/// One entry of the change log: what commit `seq` upserted and deleted. Derived indexes replay
/// the log from the sequence their checkpoint covers; another process following the store can
/// do the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The commit's sequence number (1, 2, 3 … with no gaps).
    pub seq: u64,
    /// Commit time, Unix milliseconds.
    pub at_ms: i64,
    /// Articles added or replaced.
    pub upserted: Vec<ChangedArticle>,
    /// Articles deleted.
    pub deleted: Vec<ChangedArticle>,
}

/// The log after some sequence number: every change, or word that the log no longer reaches
/// back that far (the caller then rebuilds its view from the tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesSince {
    /// Every change after the given sequence, in order (empty when nothing is newer).
    Complete(Vec<Change>),
    /// Entries after the given sequence were dropped from the log (or it started later).
    Truncated,
}

/// Progress markers of the store: derived indexes record them when they save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HighWater {
    /// Last passage id ever assigned (0 when none).
    pub last_pid: u64,
    /// Number of committed writes that changed something.
    pub seq: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {path} was built with {stored}, but this program uses {wanted}; \
         vectors from different models or chunking settings cannot be mixed. Use a fresh data \
         directory (or move this one away and re-ingest)"
    )]
    ManifestMismatch {
        path: PathBuf,
        stored: String,
        wanted: String,
    },
    #[error("the store {0} is already open by another newsdesk process")]
    Locked(PathBuf),
    #[error("invalid article {article_id:?}: {reason}")]
    Invalid { article_id: String, reason: String },
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    #[error("store I/O error at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Boxed: redb's error is large and errors travel on every `Result` of the read path.
    #[error("store database error: {0}")]
    Db(Box<redb::Error>),
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        StoreError::Db(Box::new(e))
    }
}

macro_rules! redb_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(Box::new(e.into())) }
        }
    )*};
}
redb_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// sha256 (hex) of the canonical JSON of an article: a change to any field changes it.
pub fn article_content_hash(article: &Article) -> String {
    let json = serde_json::to_vec(article).expect("Article serialises to JSON");
    hex::encode(Sha256::digest(&json))
}

/// The manifest of the store in `dir`, without opening it for writing; `None` when there is
/// no store there yet. For tools that open a data dir with whatever it was built with.
pub fn read_manifest(dir: &Path) -> Result<Option<StoreManifest>, StoreError> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let db = Database::open(&path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.clone()),
        other => other.into(),
    })?;
    let r = db.begin_read()?;
    let t = match r.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let v = t.get(K_MANIFEST)?;
    v.map(|v| {
        serde_json::from_slice(v.value())
            .map_err(|e| StoreError::Corrupt(format!("manifest in {}: {e}", path.display())))
    })
    .transpose()
}

/// The durable store. Cheap to share behind an `Arc`.
pub struct Store {
    db: Database,
    path: PathBuf,
    manifest: StoreManifest,
    store_id: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("manifest", &self.manifest)
            .field("store_id", &self.store_id)
            .finish()
    }
}

fn describe(m: &StoreManifest) -> String {
    format!(
        "model {} (sha256 {}), dim {}, passage budget {}, format {}, context {:?}",
        m.model_name,
        short(&m.model_sha256),
        m.dim,
        m.passage_budget,
        m.format_version,
        m.context
    )
}

fn short(s: &str) -> &str {
    &s[..s.len().min(12)]
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. An existing store built with a different
    /// manifest is refused with [`StoreError::ManifestMismatch`]; nothing is written to it. The
    /// one field that is not compared is `context`: a new store takes `manifest`'s, an existing
    /// one keeps what it was built with (see [`Store::manifest`]).
    pub fn open(dir: &Path, manifest: &StoreManifest) -> Result<Store, StoreError> {
        Self::open_with_cache(dir, manifest, 64 << 20)
    }

    /// Like [`Store::open`], with redb's page cache size in bytes.
    pub fn open_with_cache(
        dir: &Path,
        manifest: &StoreManifest,
        cache_bytes: usize,
    ) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(STORE_FILE);
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.clone()),
                other => other.into(),
            })?;
        // Check the manifest read-only first, so a mismatching store is never written to.
        let existing: Option<StoreManifest> = {
            let r = db.begin_read()?;
            match r.open_table(META) {
                Ok(t) => match t.get(K_MANIFEST)? {
                    Some(v) => Some(serde_json::from_slice(v.value()).map_err(|e| {
                        StoreError::Corrupt(format!("manifest in {}: {e}", path.display()))
                    })?),
                    None => None,
                },
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            }
        };
        if let Some(stored) = &existing {
            let same_context = StoreManifest {
                context: stored.context,
                ..manifest.clone()
            };
            if *stored != same_context {
                return Err(StoreError::ManifestMismatch {
                    path: path.clone(),
                    stored: describe(stored),
                    wanted: describe(manifest),
                });
            }
        }
        let mut w = db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let store_id;
        {
            let mut meta = w.open_table(META)?;
            if existing.is_none() {
                let json = serde_json::to_vec(manifest).expect("manifest serialises");
                meta.insert(K_MANIFEST, json.as_slice())?;
            }
            let id = meta.get(K_STORE_ID)?.map(|v| v.value().to_vec());
            store_id = match id {
                Some(v) => String::from_utf8(v)
                    .map_err(|_| StoreError::Corrupt("store id is not UTF-8".into()))?,
                None => {
                    let id = new_store_id(&path);
                    meta.insert(K_STORE_ID, id.as_bytes())?;
                    id
                }
            };
            w.open_table(ARTICLES)?;
            w.open_table(ARTICLE_INFO)?;
            w.open_table(PASSAGES)?;
            w.open_table(PASSAGE_VECTORS)?;
            w.open_table(SENTENCES)?;
            w.open_table(STORY_LINKS)?;
            feeds::create_tables(&w)?;
        }
        w.commit()?;
        Ok(Store {
            db,
            path,
            manifest: existing.unwrap_or_else(|| manifest.clone()),
            store_id,
        })
    }

    /// The stored manifest: the one it was opened with, except for an existing store's own
    /// `context`.
    pub fn manifest(&self) -> &StoreManifest {
        &self.manifest
    }

    /// A random id given to this store at creation: derived indexes record it so that an index
    /// directory is never applied to a different store.
    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// Path of the redb file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the redb file in bytes.
    pub fn file_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    /// Rewrites the file without free pages (after bulk deletes or a large ingest). Needs
    /// exclusive access; returns whether anything was reclaimed.
    pub fn compact(&mut self) -> Result<bool, StoreError> {
        self.db
            .compact()
            .map_err(|e| StoreError::from(redb::Error::from(e)))
    }

    /// The content hash stored for an article, if it exists: the pipeline compares it with the
    /// incoming article's [`article_content_hash`] and skips embedding when equal.
    pub fn content_hash(&self, article_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.article_info(article_id)?.map(|i| i.content_hash))
    }

    /// The per-article record (hash, filter fields, passage ids).
    pub fn article_info(&self, article_id: &str) -> Result<Option<ArticleInfo>, StoreError> {
        self.snapshot()?.article_info(article_id)
    }

    /// Validates `items` (all of them, before writing anything) and stores them in ONE write
    /// transaction, acknowledged after the commit is durable. Articles whose content hash equals
    /// the stored one are left untouched ([`Upsert::Unchanged`]). If the same id appears twice,
    /// the later item wins and passage ids created and dropped within the batch are reported in
    /// neither list.
    pub fn upsert(&self, items: &[NewArticle]) -> Result<Vec<UpsertOutcome>, StoreError> {
        self.upsert_with_links(items, &[])
    }

    /// [`Store::upsert`], also storing new story links of other, already stored articles in the
    /// same transaction (articles whose story merged with another because of these items).
    /// Links of ids that are not stored are skipped.
    pub fn upsert_with_links(
        &self,
        items: &[NewArticle],
        relinks: &[(String, StoryLink)],
    ) -> Result<Vec<UpsertOutcome>, StoreError> {
        for item in items {
            item.validate(&self.manifest)?;
        }
        if items.is_empty() && relinks.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let mut outcomes = Vec::with_capacity(items.len());
        let mut changed = false;
        let mut relinked = false;
        {
            let mut meta = w.open_table(META)?;
            let mut next_pid = read_u64(&meta, K_NEXT_PID)?.unwrap_or(1);
            let mut articles = w.open_table(ARTICLES)?;
            let mut infos = w.open_table(ARTICLE_INFO)?;
            let mut passages = w.open_table(PASSAGES)?;
            let mut pvecs = w.open_table(PASSAGE_VECTORS)?;
            let mut sentences = w.open_table(SENTENCES)?;
            let mut links = w.open_table(STORY_LINKS)?;
            let mut next_story = read_u64(&meta, K_NEXT_STORY)?.unwrap_or(1);
            for item in items {
                let id = item.article.id.clone();
                let old = infos
                    .get(id.as_str())?
                    .map(|v| decode_info(v.value()))
                    .transpose()?;
                if let Some(old) = &old {
                    if old.content_hash == item.content_hash {
                        outcomes.push(UpsertOutcome {
                            article_id: id,
                            status: Upsert::Unchanged,
                            removed: Vec::new(),
                            added: Vec::new(),
                        });
                        continue;
                    }
                }
                changed = true;
                let mut removed = Vec::new();
                if let Some(old) = &old {
                    for pid in &old.passage_ids {
                        passages.remove(*pid)?;
                        pvecs.remove(*pid)?;
                    }
                    for n in 0..old.sentence_count {
                        sentences.remove((id.as_str(), n))?;
                    }
                    removed = old.passage_ids.clone();
                }
                let mut added = Vec::with_capacity(item.passages.len());
                for (p, v) in item.passages.iter().zip(&item.passage_vectors) {
                    let pid = next_pid;
                    next_pid += 1;
                    let rec = PassageRec {
                        article_id: id.clone(),
                        start: p.start as u32,
                        end: p.end as u32,
                        word_pieces: p.word_pieces as u32,
                        first_sentence: p.first_sentence as u32,
                        last_sentence: p.last_sentence as u32,
                    };
                    passages.insert(pid, bincode::serialize(&rec).unwrap().as_slice())?;
                    pvecs.insert(pid, f32s_to_bytes(v).as_slice())?;
                    added.push(pid);
                }
                let mut buf = Vec::new();
                for (n, (s, v)) in item
                    .sentences
                    .iter()
                    .zip(&item.sentence_vectors)
                    .enumerate()
                {
                    buf.clear();
                    buf.extend_from_slice(&(s.start as u32).to_le_bytes());
                    buf.extend_from_slice(&(s.end as u32).to_le_bytes());
                    for x in v {
                        buf.extend_from_slice(&x.to_le_bytes());
                    }
                    sentences.insert((id.as_str(), n as u32), buf.as_slice())?;
                }
                let info = ArticleInfo {
                    content_hash: item.content_hash.clone(),
                    published_ts: item.article.published.map(|d| d.timestamp()),
                    source: item.article.source.clone(),
                    category: item.article.category.clone(),
                    passage_ids: added.clone(),
                    sentence_count: item.sentences.len() as u32,
                };
                infos.insert(id.as_str(), bincode::serialize(&info).unwrap().as_slice())?;
                match &item.story {
                    Some(link) => {
                        links.insert(id.as_str(), bincode::serialize(link).unwrap().as_slice())?;
                        next_story = next_story.max(link.story + 1);
                    }
                    None => {
                        links.remove(id.as_str())?;
                    }
                }
                let json = serde_json::to_vec(&item.article).expect("Article serialises");
                articles.insert(id.as_str(), json.as_slice())?;
                outcomes.push(UpsertOutcome {
                    article_id: id,
                    status: if old.is_some() {
                        Upsert::Updated
                    } else {
                        Upsert::Added
                    },
                    removed,
                    added,
                });
            }
            // Pids created and dropped within this batch (same id twice) never reach an index.
            let added_all: std::collections::HashSet<u64> = outcomes
                .iter()
                .flat_map(|o| o.added.iter().copied())
                .collect();
            let transient: std::collections::HashSet<u64> = outcomes
                .iter()
                .flat_map(|o| o.removed.iter().copied())
                .filter(|p| added_all.contains(p))
                .collect();
            if !transient.is_empty() {
                for o in &mut outcomes {
                    o.added.retain(|p| !transient.contains(p));
                    o.removed.retain(|p| !transient.contains(p));
                }
            }
            for (id, link) in relinks {
                if infos.get(id.as_str())?.is_some() {
                    links.insert(id.as_str(), bincode::serialize(link).unwrap().as_slice())?;
                    next_story = next_story.max(link.story + 1);
                    relinked = true;
                }
            }
            if changed || relinked {
                meta.insert(K_NEXT_STORY, next_story.to_le_bytes().as_slice())?;
            }
            if changed {
                meta.insert(K_NEXT_PID, next_pid.to_le_bytes().as_slice())?;
                let upserted = outcomes
                    .iter()
                    .filter(|o| o.status != Upsert::Unchanged)
                    .map(|o| ChangedArticle {
                        id: o.article_id.clone(),
                        added: o.added.clone(),
                        removed: o.removed.clone(),
                    })
                    .collect();
                log_change(&w, &mut meta, upserted, Vec::new())?;
            }
        }
        if changed || relinked {
            w.commit()?;
        } else {
            w.abort()?;
        }
        Ok(outcomes)
    }

    /// Deletes an article and everything derived from it, durably. Returns the passage ids that
    /// were removed, or `None` when the article did not exist.
    pub fn delete(&self, article_id: &str) -> Result<Option<Vec<u64>>, StoreError> {
        self.delete_with_links(article_id, &[])
    }

    /// [`Store::delete`], also storing new story links of other stored articles in the same
    /// transaction (the reprints of a deleted original, one of which takes its place).
    pub fn delete_with_links(
        &self,
        article_id: &str,
        relinks: &[(String, StoryLink)],
    ) -> Result<Option<Vec<u64>>, StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let removed = delete_in(&w, article_id)?;
        if let Some(pids) = &removed {
            {
                let infos = w.open_table(ARTICLE_INFO)?;
                let mut links = w.open_table(STORY_LINKS)?;
                for (id, link) in relinks {
                    if infos.get(id.as_str())?.is_some() {
                        links.insert(id.as_str(), bincode::serialize(link).unwrap().as_slice())?;
                    }
                }
            }
            {
                let mut meta = w.open_table(META)?;
                let gone = ChangedArticle {
                    id: article_id.to_string(),
                    added: Vec::new(),
                    removed: pids.clone(),
                };
                log_change(&w, &mut meta, Vec::new(), vec![gone])?;
            }
            w.commit()?;
        } else {
            w.abort()?;
        }
        Ok(removed)
    }

    /// Every stored story link, and the story id the next new story gets. A link that does
    /// not decode (written by another version) is left out with a warning: links are derived,
    /// and the engine assigns the article again.
    pub fn story_links(&self) -> Result<(Vec<(String, StoryLink)>, u64), StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(STORY_LINKS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            match bincode::deserialize::<StoryLink>(v.value()) {
                Ok(link) => out.push((k.value().to_string(), link)),
                Err(e) => tracing::warn!(article = k.value(), error = %e, "unreadable story link"),
            }
        }
        let meta = r.open_table(META)?;
        let next = read_u64(&meta, K_NEXT_STORY)?.unwrap_or(1);
        Ok((out, next))
    }

    /// Stores story links for articles already stored (ones stored before stories existed, or
    /// whose link a crash left unwritten), durably, in one transaction. Links of ids that are
    /// not stored are skipped. Returns how many were written.
    pub fn put_story_links(&self, links: &[(String, StoryLink)]) -> Result<usize, StoreError> {
        if links.is_empty() {
            return Ok(0);
        }
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let mut written = 0;
        {
            let infos = w.open_table(ARTICLE_INFO)?;
            let mut t = w.open_table(STORY_LINKS)?;
            let mut meta = w.open_table(META)?;
            let mut next_story = read_u64(&meta, K_NEXT_STORY)?.unwrap_or(1);
            for (id, link) in links {
                if infos.get(id.as_str())?.is_none() {
                    continue;
                }
                t.insert(id.as_str(), bincode::serialize(link).unwrap().as_slice())?;
                next_story = next_story.max(link.story + 1);
                written += 1;
            }
            meta.insert(K_NEXT_STORY, next_story.to_le_bytes().as_slice())?;
        }
        w.commit()?;
        Ok(written)
    }

    /// A read snapshot: every read through it sees the store as of one commit, however many
    /// writes land meanwhile. One per request, so an answer never mixes two versions of an
    /// article (old offsets applied to a new body).
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            txn: self.db.begin_read()?,
            dim: self.manifest.dim,
            articles: OnceCell::new(),
            passages: OnceCell::new(),
            sentences: OnceCell::new(),
        })
    }

    /// The stored article (a snapshot of its own; use [`Store::snapshot`] for several reads).
    pub fn article(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.snapshot()?.article(id)
    }

    /// A passage record (a snapshot of its own).
    pub fn passage(&self, pid: u64) -> Result<Option<StoredPassage>, StoreError> {
        self.snapshot()?.passage(pid)
    }

    /// Several passages in one read snapshot (missing ids are skipped).
    pub fn passages(&self, pids: &[u64]) -> Result<Vec<StoredPassage>, StoreError> {
        let snap = self.snapshot()?;
        let mut out = Vec::with_capacity(pids.len());
        for &pid in pids {
            if let Some(p) = snap.passage(pid)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// A passage with its text (`body[start..end]`) and its article, in one snapshot.
    pub fn passage_text(&self, pid: u64) -> Result<Option<(StoredPassage, String)>, StoreError> {
        let r = self.db.begin_read()?;
        let Some(p) = r
            .open_table(PASSAGES)?
            .get(pid)?
            .map(|v| decode_passage(pid, v.value()))
        else {
            return Ok(None);
        };
        let p = p?;
        let arts = r.open_table(ARTICLES)?;
        let Some(a) = arts.get(p.article_id.as_str())? else {
            return Err(StoreError::Corrupt(format!(
                "passage {pid} points at missing article {:?}",
                p.article_id
            )));
        };
        let a = decode_article(a.value())?;
        let text = a
            .body
            .get(p.start..p.end)
            .ok_or_else(|| StoreError::Corrupt(format!("passage {pid} span outside its body")))?
            .to_string();
        Ok(Some((p, text)))
    }

    /// A passage's vector (a snapshot of its own).
    pub fn passage_vector(&self, pid: u64) -> Result<Option<Vec<f32>>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PASSAGE_VECTORS)?;
        let v = t.get(pid)?;
        v.map(|v| bytes_to_f32s(v.value(), self.manifest.dim))
            .transpose()
    }

    /// Sentences of an article, in order, with their vectors (a snapshot of its own).
    pub fn sentences(&self, article_id: &str) -> Result<Vec<(Span, Vec<f32>)>, StoreError> {
        self.snapshot()?.sentences(article_id)
    }

    /// Article, passage and sentence counts.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        self.snapshot()?.counts()
    }

    pub fn high_water(&self) -> Result<HighWater, StoreError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let next = read_u64(&meta, K_NEXT_PID)?.unwrap_or(1);
        Ok(HighWater {
            last_pid: next - 1,
            seq: read_u64(&meta, K_SEQ)?.unwrap_or(0),
        })
    }

    /// The changes committed after `seq`, in order, from one snapshot (see [`ChangesSince`]).
    pub fn changes_since(&self, seq: u64) -> Result<ChangesSince, StoreError> {
        let r = self.db.begin_read()?;
        let now = high_water_in(&r)?.seq;
        if seq >= now {
            return Ok(ChangesSince::Complete(Vec::new()));
        }
        let t = r.open_table(CHANGES)?;
        let mut out = Vec::with_capacity((now - seq) as usize);
        for e in t.range(seq + 1..)? {
            let (k, v) = e?;
            let c: Change = bincode::deserialize(v.value())
                .map_err(|e| StoreError::Corrupt(format!("change {}: {e}", k.value())))?;
            out.push(c);
        }
        // A log with a gap (written before it existed, or pruned) cannot be replayed.
        let contiguous = out.len() as u64 == now - seq
            && out.iter().zip(seq + 1..).all(|(c, want)| c.seq == want);
        Ok(if contiguous {
            ChangesSince::Complete(out)
        } else {
            ChangesSince::Truncated
        })
    }

    pub fn all_article_ids(&self) -> Result<Vec<String>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(ARTICLE_INFO)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for e in t.iter()? {
            out.push(e?.0.value().to_string());
        }
        Ok(out)
    }

    /// Calls `f(id, info)` for every article, in id order, from one snapshot. Cheap: no bodies
    /// and no vectors are read.
    pub fn scan_article_info(
        &self,
        mut f: impl FnMut(&str, ArticleInfo),
    ) -> Result<HighWater, StoreError> {
        let r = self.db.begin_read()?;
        let hw = high_water_in(&r)?;
        let t = r.open_table(ARTICLE_INFO)?;
        for e in t.iter()? {
            let (k, v) = e?;
            f(k.value(), decode_info(v.value())?);
        }
        Ok(hw)
    }

    /// Calls `f(article, passages)` for every article (in id order) with its passages, from one
    /// snapshot. Used to rebuild the BM25 index. `f` may stop the scan by returning `false`.
    pub fn scan_articles(
        &self,
        mut f: impl FnMut(&Article, &[StoredPassage]) -> bool,
    ) -> Result<(), StoreError> {
        let r = self.db.begin_read()?;
        let infos = r.open_table(ARTICLE_INFO)?;
        let arts = r.open_table(ARTICLES)?;
        let ps = r.open_table(PASSAGES)?;
        let mut buf = Vec::new();
        for e in infos.iter()? {
            let (k, v) = e?;
            let info = decode_info(v.value())?;
            let Some(a) = arts.get(k.value())? else {
                return Err(StoreError::Corrupt(format!(
                    "article {:?} has info but no body",
                    k.value()
                )));
            };
            let a = decode_article(a.value())?;
            buf.clear();
            for pid in info.passage_ids {
                if let Some(p) = ps.get(pid)? {
                    buf.push(decode_passage(pid, p.value())?);
                }
            }
            if !f(&a, &buf) {
                break;
            }
        }
        Ok(())
    }

    /// Articles and their passages for the given ids (missing ids skipped), one snapshot.
    pub fn articles_with_passages(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(Article, Vec<StoredPassage>)>, StoreError> {
        let r = self.db.begin_read()?;
        let infos = r.open_table(ARTICLE_INFO)?;
        let arts = r.open_table(ARTICLES)?;
        let ps = r.open_table(PASSAGES)?;
        let mut out = Vec::new();
        for id in ids {
            let (Some(i), Some(a)) = (infos.get(*id)?, arts.get(*id)?) else {
                continue;
            };
            let info = decode_info(i.value())?;
            let a = decode_article(a.value())?;
            let mut v = Vec::with_capacity(info.passage_ids.len());
            for pid in info.passage_ids {
                if let Some(p) = ps.get(pid)? {
                    v.push(decode_passage(pid, p.value())?);
                }
            }
            out.push((a, v));
        }
        Ok(out)
    }

    /// Calls `f(pid, article_id)` for every passage with `pid >= from`, in pid order.
    pub fn scan_passages(&self, from: u64, mut f: impl FnMut(u64, &str)) -> Result<(), StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PASSAGES)?;
        for e in t.range(from..)? {
            let (k, v) = e?;
            let rec: PassageRec = bincode::deserialize(v.value())
                .map_err(|e| StoreError::Corrupt(format!("passage {}: {e}", k.value())))?;
            f(k.value(), &rec.article_id);
        }
        Ok(())
    }

    /// Streams `(pid, vector)` for every passage with `pid >= from`, in pid order, from one
    /// snapshot (the iterator keeps it alive). For index rebuild and catch-up.
    pub fn iter_passage_vectors(
        &self,
        from: u64,
    ) -> Result<impl Iterator<Item = Result<(u64, Vec<f32>), StoreError>>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PASSAGE_VECTORS)?;
        let range = t.range(from..)?;
        let dim = self.manifest.dim;
        Ok(range.map(move |e| {
            let (k, v) = e?;
            Ok((k.value(), bytes_to_f32s(v.value(), dim)?))
        }))
    }

    /// Vectors for the given pids (missing ones skipped), one snapshot.
    pub fn passage_vectors(&self, pids: &[u64]) -> Result<Vec<(u64, Vec<f32>)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PASSAGE_VECTORS)?;
        let mut out = Vec::with_capacity(pids.len());
        for &pid in pids {
            if let Some(v) = t.get(pid)? {
                out.push((pid, bytes_to_f32s(v.value(), self.manifest.dim)?));
            }
        }
        Ok(out)
    }
}

/// A read-only view of the store as of one commit ([`Store::snapshot`]). Holding it keeps that
/// version readable (redb MVCC) and never blocks writers; drop it at the end of the request.
pub struct Snapshot {
    txn: redb::ReadTransaction,
    dim: usize,
    // The tables a request reads many times, opened once per snapshot.
    articles: OnceCell<ReadOnlyTable<&'static str, &'static [u8]>>,
    passages: OnceCell<ReadOnlyTable<u64, &'static [u8]>>,
    sentences: OnceCell<ReadOnlyTable<(&'static str, u32), &'static [u8]>>,
}

/// `cell`'s table, opened from `txn` on first use.
fn opened<'c, K: redb::Key + 'static, V: redb::Value + 'static>(
    cell: &'c OnceCell<ReadOnlyTable<K, V>>,
    txn: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<&'c ReadOnlyTable<K, V>, StoreError> {
    if cell.get().is_none() {
        let t = txn.open_table(def)?;
        let _ = cell.set(t);
    }
    Ok(cell.get().expect("opened above"))
}

impl Snapshot {
    /// The article with this id, as of the snapshot.
    pub fn article(&self, id: &str) -> Result<Option<Article>, StoreError> {
        let t = opened(&self.articles, &self.txn, ARTICLES)?;
        let v = t.get(id)?;
        v.map(|v| decode_article(v.value())).transpose()
    }

    /// The per-article record (hash, filter fields, passage ids).
    pub fn article_info(&self, article_id: &str) -> Result<Option<ArticleInfo>, StoreError> {
        let t = self.txn.open_table(ARTICLE_INFO)?;
        let v = t.get(article_id)?;
        v.map(|v| decode_info(v.value())).transpose()
    }

    /// A passage record; `None` when no passage has this id in the snapshot (deleted, or
    /// committed after it was taken).
    pub fn passage(&self, pid: u64) -> Result<Option<StoredPassage>, StoreError> {
        let t = opened(&self.passages, &self.txn, PASSAGES)?;
        let v = t.get(pid)?;
        v.map(|v| decode_passage(pid, v.value())).transpose()
    }

    /// Sentences of an article, in order, with their vectors.
    pub fn sentences(&self, article_id: &str) -> Result<Vec<(Span, Vec<f32>)>, StoreError> {
        let t = opened(&self.sentences, &self.txn, SENTENCES)?;
        let mut out = Vec::new();
        for e in t.range((article_id, 0u32)..=(article_id, u32::MAX))? {
            let (_, v) = e?;
            out.push(decode_sentence(v.value(), self.dim)?);
        }
        Ok(out)
    }

    /// Calls `f` with the vector of each sentence `first..last` of an article, in order, read
    /// from the stored records into one reused buffer (no article body, no vector per
    /// sentence); returns how many there were.
    pub fn for_sentence_vectors(
        &self,
        article_id: &str,
        first: usize,
        last: usize,
        mut f: impl FnMut(&[f32]),
    ) -> Result<usize, StoreError> {
        let t = opened(&self.sentences, &self.txn, SENTENCES)?;
        let key = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let mut buf = vec![0f32; self.dim];
        let mut n = 0;
        for e in t.range((article_id, key(first))..(article_id, key(last)))? {
            let (_, v) = e?;
            read_f32s(sentence_vector_bytes(v.value(), self.dim)?, &mut buf);
            f(&buf);
            n += 1;
        }
        Ok(n)
    }

    /// Article, passage and sentence counts.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        Ok(Counts {
            articles: self.txn.open_table(ARTICLES)?.len()?,
            passages: self.txn.open_table(PASSAGES)?.len()?,
            sentences: self.txn.open_table(SENTENCES)?.len()?,
        })
    }
}

impl NewArticle {
    /// Checks everything [`Store::upsert`] checks, so a pipeline can drop a bad article with a
    /// clear reason instead of failing a whole batch.
    pub fn validate(&self, m: &StoreManifest) -> Result<(), StoreError> {
        let id = &self.article.id;
        let bad = |reason: String| StoreError::Invalid {
            article_id: id.clone(),
            reason,
        };
        if id.trim().is_empty() {
            return Err(bad("empty id".into()));
        }
        if id.len() > MAX_ARTICLE_ID_BYTES {
            return Err(bad(format!("id longer than {MAX_ARTICLE_ID_BYTES} bytes")));
        }
        if self.content_hash.is_empty() {
            return Err(bad("empty content hash".into()));
        }
        let body = &self.article.body;
        if body.len() >= u32::MAX as usize {
            return Err(bad("body larger than 4 GiB".into()));
        }
        let span_ok = |s: usize, e: usize| {
            s < e && e <= body.len() && body.is_char_boundary(s) && body.is_char_boundary(e)
        };
        if self.sentences.len() != self.sentence_vectors.len() {
            return Err(bad(format!(
                "{} sentences but {} sentence vectors",
                self.sentences.len(),
                self.sentence_vectors.len()
            )));
        }
        if self.passages.len() != self.passage_vectors.len() {
            return Err(bad(format!(
                "{} passages but {} passage vectors",
                self.passages.len(),
                self.passage_vectors.len()
            )));
        }
        for (i, s) in self.sentences.iter().enumerate() {
            if !span_ok(s.start, s.end) {
                return Err(bad(format!(
                    "sentence {i} span {}..{} is not a non-empty range on char boundaries of the {}-byte body",
                    s.start, s.end, body.len()
                )));
            }
        }
        for (i, p) in self.passages.iter().enumerate() {
            if !span_ok(p.start, p.end) {
                return Err(bad(format!(
                    "passage {i} span {}..{} is not a non-empty range on char boundaries of the {}-byte body",
                    p.start, p.end, body.len()
                )));
            }
            if p.first_sentence >= p.last_sentence
                || (!self.sentences.is_empty() && p.last_sentence > self.sentences.len())
                || p.last_sentence > u32::MAX as usize
                || p.word_pieces > u32::MAX as usize
            {
                return Err(bad(format!(
                    "passage {i} sentence range {}..{} is invalid for {} sentences",
                    p.first_sentence,
                    p.last_sentence,
                    self.sentences.len()
                )));
            }
        }
        let check_vec = |what: &str, i: usize, v: &[f32]| -> Result<(), StoreError> {
            if v.len() != m.dim {
                return Err(bad(format!(
                    "{what} vector {i} has dim {}, store dim is {}",
                    v.len(),
                    m.dim
                )));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(bad(format!("{what} vector {i} has a non-finite value")));
            }
            let n2: f32 = v.iter().map(|x| x * x).sum();
            if (n2.sqrt() - 1.0).abs() > 1e-2 {
                return Err(bad(format!(
                    "{what} vector {i} is not L2-normalised (norm {})",
                    n2.sqrt()
                )));
            }
            Ok(())
        };
        for (i, v) in self.passage_vectors.iter().enumerate() {
            check_vec("passage", i, v)?;
        }
        for (i, v) in self.sentence_vectors.iter().enumerate() {
            check_vec("sentence", i, v)?;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct PassageRec {
    article_id: String,
    start: u32,
    end: u32,
    word_pieces: u32,
    first_sentence: u32,
    last_sentence: u32,
}

fn delete_in(w: &WriteTransaction, article_id: &str) -> Result<Option<Vec<u64>>, StoreError> {
    let mut infos = w.open_table(ARTICLE_INFO)?;
    let old = infos
        .remove(article_id)?
        .map(|v| decode_info(v.value()))
        .transpose()?;
    let Some(old) = old else {
        return Ok(None);
    };
    let mut articles = w.open_table(ARTICLES)?;
    let mut passages = w.open_table(PASSAGES)?;
    let mut pvecs = w.open_table(PASSAGE_VECTORS)?;
    let mut sentences = w.open_table(SENTENCES)?;
    articles.remove(article_id)?;
    w.open_table(STORY_LINKS)?.remove(article_id)?;
    for pid in &old.passage_ids {
        passages.remove(*pid)?;
        pvecs.remove(*pid)?;
    }
    for n in 0..old.sentence_count {
        sentences.remove((article_id, n))?;
    }
    Ok(Some(old.passage_ids))
}

/// Gives a write its sequence number and records what it changed; drops the entry that falls
/// out of the retention window.
fn log_change(
    w: &WriteTransaction,
    meta: &mut redb::Table<&str, &[u8]>,
    upserted: Vec<ChangedArticle>,
    deleted: Vec<ChangedArticle>,
) -> Result<u64, StoreError> {
    let seq = read_u64(meta, K_SEQ)?.unwrap_or(0) + 1;
    meta.insert(K_SEQ, seq.to_le_bytes().as_slice())?;
    let change = Change {
        seq,
        at_ms: now_ms(),
        upserted,
        deleted,
    };
    let mut log = w.open_table(CHANGES)?;
    log.insert(
        seq,
        bincode::serialize(&change)
            .expect("a change serialises")
            .as_slice(),
    )?;
    if seq > CHANGE_LOG_RETAIN {
        log.remove(seq - CHANGE_LOG_RETAIN)?;
    }
    Ok(seq)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn high_water_in(r: &redb::ReadTransaction) -> Result<HighWater, StoreError> {
    let meta = r.open_table(META)?;
    let next = read_u64(&meta, K_NEXT_PID)?.unwrap_or(1);
    Ok(HighWater {
        last_pid: next - 1,
        seq: read_u64(&meta, K_SEQ)?.unwrap_or(0),
    })
}

fn read_u64(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
    k: &str,
) -> Result<Option<u64>, StoreError> {
    match t.get(k)? {
        Some(v) => Ok(Some(u64_from(v.value(), k)?)),
        None => Ok(None),
    }
}

fn u64_from(b: &[u8], k: &str) -> Result<u64, StoreError> {
    let arr: [u8; 8] = b
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("counter {k} has {} bytes", b.len())))?;
    Ok(u64::from_le_bytes(arr))
}

fn decode_info(b: &[u8]) -> Result<ArticleInfo, StoreError> {
    bincode::deserialize(b).map_err(|e| StoreError::Corrupt(format!("article info: {e}")))
}

fn decode_article(b: &[u8]) -> Result<Article, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(format!("article: {e}")))
}

fn decode_passage(pid: u64, b: &[u8]) -> Result<StoredPassage, StoreError> {
    let r: PassageRec =
        bincode::deserialize(b).map_err(|e| StoreError::Corrupt(format!("passage {pid}: {e}")))?;
    Ok(StoredPassage {
        pid,
        article_id: r.article_id,
        start: r.start as usize,
        end: r.end as usize,
        word_pieces: r.word_pieces as usize,
        first_sentence: r.first_sentence as usize,
        last_sentence: r.last_sentence as usize,
    })
}

fn decode_sentence(b: &[u8], dim: usize) -> Result<(Span, Vec<f32>), StoreError> {
    let vector = sentence_vector_bytes(b, dim)?;
    let start = u32::from_le_bytes(b[0..4].try_into().unwrap()) as usize;
    let end = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
    Ok((Span { start, end }, bytes_to_f32s(vector, dim)?))
}

/// The vector bytes of a sentence record (its span's 8 bytes, then `dim` f32s), after checking
/// the record's length.
fn sentence_vector_bytes(b: &[u8], dim: usize) -> Result<&[u8], StoreError> {
    if b.len() != 8 + 4 * dim {
        return Err(StoreError::Corrupt(format!(
            "sentence record of {} bytes, expected {}",
            b.len(),
            8 + 4 * dim
        )));
    }
    Ok(&b[8..])
}

/// Little-endian f32s from `b` into `out` (as many as both hold).
fn read_f32s(b: &[u8], out: &mut [f32]) {
    for (x, c) in out.iter_mut().zip(b.chunks_exact(4)) {
        *x = f32::from_le_bytes(c.try_into().unwrap());
    }
}

fn f32s_to_bytes(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 4);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

fn bytes_to_f32s(b: &[u8], dim: usize) -> Result<Vec<f32>, StoreError> {
    if b.len() != dim * 4 {
        return Err(StoreError::Corrupt(format!(
            "vector of {} bytes, expected {}",
            b.len(),
            dim * 4
        )));
    }
    let mut out = vec![0f32; dim];
    read_f32s(b, &mut out);
    Ok(out)
}

fn new_store_id(path: &Path) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(path.as_os_str().as_encoded_bytes());
    let local = 0u8;
    h.update((&local as *const u8 as usize).to_le_bytes());
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn manifest() -> StoreManifest {
        StoreManifest {
            model_name: "test-model".into(),
            model_sha256: "ab".repeat(32),
            dim: 4,
            passage_budget: 128,
            format_version: FORMAT_VERSION,
            context: EmbedContext::Title,
        }
    }

    fn unit(i: usize) -> Vec<f32> {
        let mut v = vec![0.0; 4];
        v[i % 4] = 1.0;
        v
    }

    fn article(id: &str, body: &str) -> NewArticle {
        let a = Article {
            id: id.into(),
            title: format!("Title {id}"),
            body: body.into(),
            source: Some("KNN".into()),
            url: None,
            author: None,
            category: Some("MSME".into()),
            published: None,
            date_inferred: false,
            dateline: None,
            boilerplate: Vec::new(),
        };
        let h = article_content_hash(&a);
        let n = body.len();
        NewArticle {
            article: a,
            content_hash: h,
            sentences: vec![Span::new(0, n / 2), Span::new(n / 2, n)],
            sentence_vectors: vec![unit(0), unit(1)],
            passages: vec![NewPassage {
                start: 0,
                end: n,
                word_pieces: 10,
                first_sentence: 0,
                last_sentence: 1,
            }],
            passage_vectors: vec![unit(2)],
            story: None,
        }
    }

    fn link(story: u64) -> StoryLink {
        StoryLink {
            story,
            duplicate_of: None,
            features: crate::stories::StoryFeatures {
                vector: unit(0),
                terms: vec!["sidbi".into()],
                names: vec!["SIDBI".into()],
                signature: None,
                ts: 100,
                title: "t".into(),
                source: None,
                lead: Some(Span::new(0, 4)),
            },
        }
    }

    #[test]
    fn story_links_are_written_with_the_article_and_go_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), &manifest()).unwrap();
        let mut a = article("a", "SIDBI launches a scheme for clusters today.");
        a.story = Some(link(7));
        s.upsert(&[a, article("b", "Another article body for the test.")])
            .unwrap();
        let (links, next) = s.story_links().unwrap();
        assert_eq!(links, vec![("a".to_string(), link(7))]);
        assert_eq!(next, 8, "ids continue after the largest stored");
        // Relinks of stored articles land with an upsert; of unknown ids, not at all.
        let relinks = vec![("b".to_string(), link(3)), ("ghost".to_string(), link(9))];
        s.upsert_with_links(&[], &relinks).unwrap();
        let (links, next) = s.story_links().unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(next, 8);
        s.delete("a").unwrap();
        assert_eq!(s.story_links().unwrap().0, vec![("b".to_string(), link(3))]);
        // A link another version wrote (undecodable) is left out, not an error.
        let w = s.db.begin_write().unwrap();
        w.open_table(STORY_LINKS)
            .unwrap()
            .insert("b", [1u8, 2, 3].as_slice())
            .unwrap();
        w.commit().unwrap();
        assert!(s.story_links().unwrap().0.is_empty());
    }

    #[test]
    fn a_manifest_written_before_context_existed_reads_as_no_context() {
        let mut old = serde_json::to_value(manifest()).unwrap();
        old.as_object_mut().unwrap().remove("context");
        let m: StoreManifest = serde_json::from_value(old).unwrap();
        assert_eq!(m.context, EmbedContext::None);
        let new: StoreManifest =
            serde_json::from_value(serde_json::to_value(manifest()).unwrap()).unwrap();
        assert_eq!(new.context, EmbedContext::Title);
    }

    #[test]
    fn an_existing_store_keeps_its_context_and_other_fields_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let old = StoreManifest {
            context: EmbedContext::None,
            ..manifest()
        };
        drop(Store::open(dir.path(), &old).unwrap());
        let s = Store::open(dir.path(), &manifest()).unwrap();
        assert_eq!(
            s.manifest().context,
            EmbedContext::None,
            "adopted, not rewritten"
        );
        drop(s);
        let other_model = StoreManifest {
            dim: 8,
            ..manifest()
        };
        assert!(matches!(
            Store::open(dir.path(), &other_model),
            Err(StoreError::ManifestMismatch { .. })
        ));
    }

    #[test]
    fn headline_context_prefixes_the_text_and_is_capped() {
        let t = "SIDBI signs MoU with DPIIT ";
        assert_eq!(
            EmbedContext::Title.apply(t, "It will fund."),
            "SIDBI signs MoU with DPIIT\nIt will fund."
        );
        assert_eq!(
            EmbedContext::None.apply(t, "It will fund."),
            "It will fund."
        );
        assert_eq!(
            EmbedContext::Title.apply("  ", "It will fund."),
            "It will fund."
        );
        let long = "₹".repeat(MAX_CONTEXT_CHARS + 50);
        let out = EmbedContext::Title.apply(&long, "x");
        assert_eq!(
            out.chars().count(),
            MAX_CONTEXT_CHARS + 2,
            "cut on a char boundary"
        );
    }

    #[test]
    fn upsert_reports_added_unchanged_updated_and_assigns_fresh_pids() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), &manifest()).unwrap();
        let o = s.upsert(&[article("a", "Hello world. Again.")]).unwrap();
        assert_eq!(o[0].status, Upsert::Added);
        assert_eq!(o[0].added, vec![1]);
        let o = s.upsert(&[article("a", "Hello world. Again.")]).unwrap();
        assert_eq!(o[0].status, Upsert::Unchanged);
        assert!(o[0].added.is_empty() && o[0].removed.is_empty());
        let o = s.upsert(&[article("a", "Hello there. Changed.")]).unwrap();
        assert_eq!(o[0].status, Upsert::Updated);
        assert_eq!(o[0].removed, vec![1]);
        assert_eq!(o[0].added, vec![2]);
        assert!(s.passage(1).unwrap().is_none());
        assert!(s.passage_vector(1).unwrap().is_none());
        assert_eq!(s.passage(2).unwrap().unwrap().article_id, "a");
        assert_eq!(
            s.high_water().unwrap(),
            HighWater {
                last_pid: 2,
                seq: 2
            }
        );
        assert_eq!(
            s.counts().unwrap(),
            Counts {
                articles: 1,
                passages: 1,
                sentences: 2
            }
        );
    }

    #[test]
    fn duplicate_id_in_one_batch_reports_no_transient_pids() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), &manifest()).unwrap();
        let o = s
            .upsert(&[
                article("a", "First version."),
                article("a", "Second version."),
            ])
            .unwrap();
        assert_eq!(o[0].status, Upsert::Added);
        assert!(
            o[0].added.is_empty(),
            "pid 1 was replaced in the same batch"
        );
        assert_eq!(o[1].status, Upsert::Updated);
        assert!(o[1].removed.is_empty());
        assert_eq!(o[1].added, vec![2]);
        assert_eq!(s.article("a").unwrap().unwrap().body, "Second version.");
    }

    #[test]
    fn invalid_items_fail_the_batch_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), &manifest()).unwrap();
        let good = article("good", "Fine text here.");
        let mut bad = article("bad", "Bad text here.");
        bad.passage_vectors[0] = vec![0.5; 3];
        let e = s.upsert(&[good.clone(), bad]).unwrap_err();
        assert!(e.to_string().contains("dim 3"), "{e}");
        assert_eq!(s.counts().unwrap().articles, 0);
        let mut bad = article("bad", "Bad text here.");
        bad.passages[0].end = 999;
        assert!(matches!(s.upsert(&[bad]), Err(StoreError::Invalid { .. })));
        let mut bad = article("bad", "Bad text here.");
        bad.passage_vectors[0] = vec![0.9, 0.9, 0.0, 0.0];
        assert!(s
            .upsert(&[bad])
            .unwrap_err()
            .to_string()
            .contains("normalised"));
        let mut bad = article("bad", "₹1.5 crore");
        bad.sentences[0] = Span::new(0, 1); // inside the 3-byte '₹'
        assert!(s.upsert(&[bad]).is_err());
        assert_eq!(s.counts().unwrap().articles, 0);
    }
}
