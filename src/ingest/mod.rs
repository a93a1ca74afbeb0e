//! Ingest: bytes in any supported format → clean [`Article`]s.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

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
}
