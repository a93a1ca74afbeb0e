//! The article model every stage shares: an [`Article`] as ingest makes it, byte [`Span`]s
//! into its body, and the [`Citation`] that points a reader back at exactly what it says.
//!
//! Every offset in newsdesk is a byte offset into [`Article::body`], so `&body[start..end]` is
//! the cited text; sentences and passages are spans, never copies.

use std::ops::Range;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest accepted article id, in bytes: ids are redb keys and tantivy terms, and a client
/// gets its id back in every citation.
pub const MAX_ID_BYTES: usize = 512;

/// Longest accepted headline after cleaning, in bytes: the headline is indexed with every
/// passage of its article and embedded in front of every passage and sentence.
pub const MAX_TITLE_BYTES: usize = 2_048;

/// Longest accepted article body after cleaning, in bytes (1 MiB: a very long news article is
/// under 100 KB). Longer bodies are refused with `document_too_large`, never truncated.
pub const MAX_BODY_BYTES: usize = 1_048_576;

/// A dateline such as `New Delhi [India], September 25 (ANI):`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dateline {
    /// Place as written, e.g. "New Delhi".
    pub place: String,
    /// Country in brackets when given, e.g. "India".
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub country: Option<String>,
    /// News agency, e.g. "ANI", "KNN".
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub agency: Option<String>,
}

/// One clean news article. Every offset elsewhere in newsdesk is a byte offset into `body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id: the feed's id/guid, else a hash of the canonical URL, else of title+date+body.
    pub id: String,
    pub title: String,
    /// Clean text: no markup, no entities; paragraphs separated by "\n\n".
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub category: Option<String>,
    /// RFC 3339 with offset when serialised.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub published: Option<DateTime<FixedOffset>>,
    /// True when the year (or the whole date) was inferred rather than read.
    #[serde(default)]
    pub date_inferred: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dateline: Option<Dateline>,
    /// Byte ranges of `body` that are boilerplate rather than prose: the dateline at the start
    /// (`New Delhi, Mar 18 (KNN)`) and a closing credit (`(ANI)`, `(KNN Bureau)`). They stay in
    /// the body; `text::sentences` keeps them out of sentences. Serialised as
    /// `[{"start", "end"}]`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub boilerplate: Vec<Range<usize>>,
}

/// A byte range of an article body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True for an empty span.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The text this span covers.
    pub fn text<'a>(&self, body: &'a str) -> &'a str {
        &body[self.start..self.end]
    }
}

/// Where a quoted sentence comes from: enough to find and check it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Citation {
    /// The article's stable id.
    pub article_id: String,
    /// The article's headline.
    pub title: String,
    /// Publisher or feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// RFC 3339 publication time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Link to the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Byte offset of the quote's start in the article body.
    pub start: usize,
    /// Byte offset just past the quote's end.
    pub end: usize,
}

impl Citation {
    /// A citation of `body[start..end]` of `article`.
    pub fn of(article: &Article, start: usize, end: usize) -> Citation {
        Citation {
            article_id: article.id.clone(),
            title: article.title.clone(),
            source: article.source.clone(),
            published: article.published.map(|d| d.to_rfc3339()),
            url: article.url.clone(),
            start,
            end,
        }
    }
}
