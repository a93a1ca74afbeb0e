//! Answers built on the engine's read primitives: hybrid retrieval (`retrieve`), cited answer
//! sentences (`ask`), briefing notes (`brief`), semantic search (`search`) and extractive
//! summaries (`summarize`). Everything here is synchronous CPU work over stored vectors; the
//! only model call a request makes is the query embedding, done by the caller on the priority
//! path and passed in.

pub mod ask;
pub mod brief;
pub mod explain;
pub(crate) mod lexical;
mod params;
mod retrieve;
pub mod search;
pub mod stories;
pub mod summarize;
pub mod typed;
pub mod when;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::article::Citation;
use crate::error::{Error, Result};
use crate::index::Filters;

pub use ask::{ask, AnswerSentence, AnswerSpan, AskRequest, AskResponse};
pub use brief::{brief, BriefRequest, BriefResponse};
pub use params::{
    AskParams, AskWeights, BriefParams, Confidence, Fusion, FusionMethod, KindWeights, Mmr,
    ParamsError, RankingParams, SearchParams, SummaryParams,
};
pub use retrieve::{Mode, RetrievedPassage};
pub use search::{search, SearchRequest, SearchResponse};
pub use summarize::{summarize, SummarizeRequest, SummarizeResponse};

/// Largest `k` a request may ask for.
pub const MAX_K: usize = 100;
/// Longest query or question accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 2_000;

/// Filters accepted by every read endpoint. Dates are RFC 3339 or `YYYY-MM-DD`
/// (a bare `published_before` date includes that whole day).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Only articles published at or after this time.
    #[serde(default)]
    pub published_after: Option<String>,
    /// Only articles published at or before this time.
    #[serde(default)]
    pub published_before: Option<String>,
    /// Only these sources (case-insensitive, exact).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Only these categories (case-insensitive, exact).
    #[serde(default)]
    pub categories: Vec<String>,
}

impl FilterSpec {
    /// Checks and converts into the index's filter.
    pub fn to_filters(&self) -> Result<Filters> {
        let after = self
            .published_after
            .as_deref()
            .map(|s| parse_filter_date(s, false))
            .transpose()?;
        let before = self
            .published_before
            .as_deref()
            .map(|s| parse_filter_date(s, true))
            .transpose()?;
        if let (Some(a), Some(b)) = (after, before) {
            if a > b {
                return Err(Error::invalid(
                    "invalid_filter",
                    "published_after is later than published_before",
                ));
            }
        }
        Ok(Filters {
            published_after: after,
            published_before: before,
            sources: self.sources.clone(),
            categories: self.categories.clone(),
        })
    }
}

pub(crate) fn parse_filter_date(s: &str, end_of_day: bool) -> Result<DateTime<FixedOffset>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        let t = if end_of_day {
            d.and_hms_opt(23, 59, 59).expect("valid time")
        } else {
            d.and_hms_opt(0, 0, 0).expect("valid time")
        };
        let utc = FixedOffset::east_opt(0).expect("zero offset");
        return Ok(utc.from_utc_datetime(&t));
    }
    Err(Error::invalid(
        "invalid_filter",
        format!("cannot read date {s:?}: use RFC 3339 (2026-03-18T16:42:48+05:30) or YYYY-MM-DD"),
    ))
}

/// Checks a query string: not empty, not too long.
pub fn check_query(text: &str, what: &'static str) -> Result<()> {
    if text.trim().is_empty() {
        let code = match what {
            "question" => "empty_question",
            "topic" => "empty_topic",
            _ => "empty_query",
        };
        return Err(Error::invalid(code, format!("the {what} is empty")));
    }
    if text.len() > MAX_QUERY_BYTES {
        return Err(Error::invalid(
            "query_too_long",
            format!(
                "the {what} is {} bytes; the limit is {MAX_QUERY_BYTES}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Checks `k` against 1..=MAX_K.
pub fn check_k(k: usize) -> Result<usize> {
    if k == 0 || k > MAX_K {
        return Err(Error::invalid(
            "k_out_of_range",
            format!("k must be between 1 and {MAX_K}, got {k}"),
        ));
    }
    Ok(k)
}

/// Cosine of two L2-normalised vectors: the index's dot product (AVX2+FMA when available).
pub(crate) use crate::index::dot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_dates_accept_rfc3339_and_days() {
        let f = FilterSpec {
            published_after: Some("2026-03-01".into()),
            published_before: Some("2026-03-18T16:42:48+05:30".into()),
            ..Default::default()
        }
        .to_filters()
        .unwrap();
        assert_eq!(
            f.published_after.unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        let bad = FilterSpec {
            published_after: Some("last tuesday".into()),
            ..Default::default()
        };
        assert!(matches!(
            bad.to_filters(),
            Err(Error::Invalid {
                code: "invalid_filter",
                ..
            })
        ));
        let inverted = FilterSpec {
            published_after: Some("2026-04-01".into()),
            published_before: Some("2026-03-01".into()),
            ..Default::default()
        };
        assert!(inverted.to_filters().is_err());
    }

    #[test]
    fn query_checks() {
        assert!(check_query("  ", "question").is_err());
        assert!(check_query(&"x".repeat(MAX_QUERY_BYTES + 1), "query").is_err());
        assert!(check_query("What did SIDBI announce?", "question").is_ok());
        assert!(check_k(0).is_err());
        assert!(check_k(MAX_K + 1).is_err());
        assert_eq!(check_k(10).unwrap(), 10);
    }
}
