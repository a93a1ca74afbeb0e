//! Shared helpers for the store/index integration tests: real article text from
//! `fixtures/demo/` (Wikinews, CC BY 2.5), a simple deterministic chunker, and deterministic
//! pseudo-embeddings (unit vectors seeded by the text, so equal text gives equal vectors). The
//! tests exercise storage and index mechanics, which do not depend on what the vectors mean.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use newsdesk::ingest::Article;
use newsdesk::store::{
    article_content_hash, EmbedContext, NewArticle, NewPassage, Span, Store, StoreManifest,
    FORMAT_VERSION,
};

pub const DIM: usize = 384;

pub fn manifest() -> StoreManifest {
    StoreManifest {
        model_name: "all-MiniLM-L6-v2".into(),
        model_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db".into(),
        dim: DIM,
        passage_budget: 128,
        format_version: FORMAT_VERSION,
        context: EmbedContext::Title,
    }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The 163 Wikinews articles of `fixtures/demo/`.
pub fn wikinews() -> Vec<Article> {
    let mut out = Vec::new();
    for f in ["wikinews-meantime.jsonl", "wikinews-gum.jsonl"] {
        let text = std::fs::read_to_string(fixtures_dir().join("demo").join(f)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let published = s("date").map(|d| {
                let nd = NaiveDate::parse_from_str(&d[..10], "%Y-%m-%d").unwrap();
                DateTime::<FixedOffset>::from_naive_utc_and_offset(
                    nd.and_hms_opt(12, 0, 0).unwrap(),
                    FixedOffset::east_opt(0).unwrap(),
                )
            });
            let source = s("source").unwrap();
            // "Wikinews (MEANTIME corpus, topic=apple)" -> category "apple"
            let category = source
                .split('=')
                .nth(1)
                .map(|c| c.trim_end_matches(')').to_string());
            out.push(
                serde_json::from_value(serde_json::json!({
                    "id": s("id").unwrap(),
                    "title": s("title").unwrap(),
                    "body": s("body").unwrap(),
                    "source": source,
                    "url": s("url"),
                    "category": category,
                    "published": published,
                }))
                .unwrap(),
            );
        }
    }
    out
}

/// A hand-written article (text written for these tests).
pub fn article(id: &str, title: &str, body: &str, source: &str, date: &str) -> Article {
    let nd = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let published = DateTime::<FixedOffset>::from_naive_utc_and_offset(
        nd.and_hms_opt(1, 0, 0).unwrap(),
        FixedOffset::east_opt(5 * 3600 + 1800).unwrap(),
    );
    serde_json::from_value(serde_json::json!({
        "id": id, "title": title, "body": body, "source": source,
        "category": "MSME", "published": published,
    }))
    .unwrap()
}

/// Deterministic unit vector for a text.
pub fn pseudo_embed(text: &str) -> Vec<f32> {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let mut x = h | 1;
    let mut v: Vec<f32> = (0..DIM)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 11) as f64 / (1u64 << 53) as f64) as f32 - 0.5
        })
        .collect();
    let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= n);
    v
}

/// Sentences split after ". " (test chunker), passages of up to three sentences.
pub fn chunk(a: &Article) -> NewArticle {
    let body = &a.body;
    let mut sentences = Vec::new();
    let mut start = 0;
    let bytes = body.as_bytes();
    for i in 0..bytes.len() {
        let end_here = (bytes[i] == b'.' || bytes[i] == b'\n')
            && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\n');
        if end_here && i + 1 > start {
            sentences.push(Span::new(start, i + 1));
            start = i + 1;
            while start < bytes.len() && (bytes[start] == b' ' || bytes[start] == b'\n') {
                start += 1;
            }
        }
    }
    if start < bytes.len() {
        sentences.push(Span::new(start, bytes.len()));
    }
    sentences.retain(|s| s.end > s.start && !body[s.start..s.end].trim().is_empty());
    let passages: Vec<NewPassage> = sentences
        .chunks(3)
        .enumerate()
        .map(|(i, c)| NewPassage {
            start: c[0].start,
            end: c[c.len() - 1].end,
            word_pieces: 60,
            first_sentence: i * 3,
            last_sentence: i * 3 + c.len(),
        })
        .collect();
    NewArticle {
        content_hash: article_content_hash(a),
        sentence_vectors: sentences
            .iter()
            .map(|s| pseudo_embed(&body[s.start..s.end]))
            .collect(),
        passage_vectors: passages
            .iter()
            .map(|p| pseudo_embed(&body[p.start..p.end]))
            .collect(),
        sentences,
        passages,
        article: a.clone(),
        story: None,
    }
}

pub fn open_store(dir: &Path) -> Store {
    Store::open(dir, &manifest()).unwrap()
}

/// Store with all Wikinews fixture articles.
pub fn populated(dir: &Path) -> Store {
    let s = open_store(dir);
    s.upsert(&wikinews().iter().map(chunk).collect::<Vec<_>>())
        .unwrap();
    s
}
