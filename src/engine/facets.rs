//! [`Facets`]: what the corpus holds, for filter controls: the sources and categories with
//! their article counts, and the range of publication dates. Read from one store snapshot
//! (the per-article records only: no bodies, no vectors), so the counts add up.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Engine;
use crate::error::Result;

/// One value of a facet and how many articles carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FacetValue {
    /// The value as stored (filters match it case-insensitively).
    pub name: String,
    /// Articles with this value.
    pub count: u64,
}

/// Earliest and latest publication time in the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DateRange {
    /// RFC 3339 (UTC) time of the oldest dated article.
    pub earliest: String,
    /// RFC 3339 (UTC) time of the newest dated article.
    pub latest: String,
}

/// `GET /v1/facets` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Facets {
    /// Articles in the corpus.
    pub articles: u64,
    /// Sources, most articles first (ties by name).
    pub sources: Vec<FacetValue>,
    /// Categories, most articles first (ties by name).
    pub categories: Vec<FacetValue>,
    /// Range of publication dates; absent when no article has a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<DateRange>,
    /// Articles without a publication date.
    pub undated: u64,
    /// Articles without a source.
    pub unsourced: u64,
    /// Articles without a category.
    pub uncategorized: u64,
    /// The names (organisations, people, places, schemes) most articles mention in their
    /// headline or lead, at most [`MAX_ENTITY_FACETS`], with how many do.
    pub entities: Vec<FacetValue>,
    /// Stories the articles form.
    pub stories: u64,
}

/// Most entity values `GET /v1/facets` lists.
pub const MAX_ENTITY_FACETS: usize = 50;

impl Engine {
    /// Counts the corpus's sources, categories and dates from one snapshot.
    pub fn facets(&self) -> Result<Facets> {
        let mut sources = BTreeMap::<String, u64>::new();
        let mut categories = BTreeMap::<String, u64>::new();
        let mut range: Option<(i64, i64)> = None;
        let (mut articles, mut undated, mut unsourced, mut uncategorized) = (0, 0, 0, 0);
        self.store.scan_article_info(|_, info| {
            articles += 1;
            match info.source {
                Some(s) => *sources.entry(s).or_default() += 1,
                None => unsourced += 1,
            }
            match info.category {
                Some(c) => *categories.entry(c).or_default() += 1,
                None => uncategorized += 1,
            }
            match info.published_ts {
                Some(t) => {
                    range = Some(range.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
                }
                None => undated += 1,
            }
        })?;
        let published = range.and_then(|(lo, hi)| {
            Some(DateRange {
                earliest: rfc3339(lo)?,
                latest: rfc3339(hi)?,
            })
        });
        let (entities, stories) = {
            let book = self.stories();
            (book.entity_counts(), book.len() as u64)
        };
        let mut entities = ranked(entities);
        entities.truncate(MAX_ENTITY_FACETS);
        Ok(Facets {
            entities,
            stories,
            articles,
            sources: ranked(sources),
            categories: ranked(categories),
            published,
            undated,
            unsourced,
            uncategorized,
        })
    }
}

fn rfc3339(ts: i64) -> Option<String> {
    DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339())
}

/// Values by count, highest first; equal counts in name order.
pub(crate) fn ranked(counts: BTreeMap<String, u64>) -> Vec<FacetValue> {
    let mut v: Vec<FacetValue> = counts
        .into_iter()
        .map(|(name, count)| FacetValue { name, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_orders_by_count_then_name() {
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), 2);
        m.insert("a".to_string(), 2);
        m.insert("c".to_string(), 5);
        let names: Vec<_> = ranked(m).into_iter().map(|f| (f.name, f.count)).collect();
        assert_eq!(
            names,
            vec![("c".into(), 5), ("a".into(), 2), ("b".into(), 2)]
        );
    }

    #[test]
    fn timestamps_render_as_utc_rfc3339() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00+00:00"));
    }
}
