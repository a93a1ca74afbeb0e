//! `stories`: the events the corpus follows, each with its members, sources and a cited
//! representative sentence (`GET /v1/stories`, `GET /v1/stories/{id}`, `newsdesk stories`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{check_k, check_query, Citation};
use crate::engine::Reader;
use crate::error::{Error, Result};
use crate::stories::StorySummary;

/// A story matches a query when the cosine of the query to the story's mean vector reaches
/// this, or when the members use at least [`STORY_QUERY_MIN_TERMS`] of the query's terms.
pub const STORY_QUERY_MIN_COSINE: f32 = 0.45;
/// See [`STORY_QUERY_MIN_COSINE`].
pub const STORY_QUERY_MIN_TERMS: f32 = 0.6;

/// Query of `GET /v1/stories`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StoriesQuery {
    /// Only stories with an article at or after this time: RFC 3339, `YYYY-MM-DD`, or an age
    /// such as `2d`, `12h`, `1w`.
    #[serde(default)]
    pub since: Option<String>,
    /// Only stories with an article at or before this time (same forms).
    #[serde(default)]
    pub until: Option<String>,
    /// Only stories about this.
    #[serde(default)]
    pub q: Option<String>,
    /// How many stories (1–100, default 20).
    #[serde(default)]
    pub k: Option<usize>,
}

/// A name the members mention, with how many do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EntityCount {
    pub name: String,
    pub articles: usize,
}

/// A quoted sentence with its citation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Quote {
    pub text: String,
    pub citation: Citation,
}

/// One story as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct StoryItem {
    /// Story id.
    pub id: u64,
    /// The headline of its most central member.
    pub headline: String,
    /// Earliest member's time (RFC 3339).
    pub first_seen: String,
    /// Latest member's time.
    pub last_seen: String,
    /// Articles in the story.
    pub articles: usize,
    /// Distinct publishers.
    pub sources: usize,
    /// Members that are reprints of another member.
    pub duplicates: usize,
    /// Names most members mention.
    pub entities: Vec<EntityCount>,
    /// The central member's lead sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<Quote>,
}

/// `GET /v1/stories` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoriesResponse {
    /// Most covered (sources, then articles) first, then most recent.
    pub stories: Vec<StoryItem>,
    /// Stories matching before `k` was applied.
    pub total: usize,
}

/// A member of a story.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberItem {
    pub article_id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// RFC 3339.
    pub published: String,
    /// The member it reprints, when it is a near-copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

/// One day of a story's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimelineDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Articles that day.
    pub articles: usize,
    /// Distinct headlines that day (reprints counted once), earliest first.
    pub headlines: Vec<String>,
}

/// `GET /v1/stories/{id}` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoryDetail {
    pub story: StoryItem,
    /// Every member, oldest first.
    pub members: Vec<MemberItem>,
    /// Members by day.
    pub timeline: Vec<TimelineDay>,
}

fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads `since`/`until`: RFC 3339, a day, or an age before `now` (`30m`, `12h`, `2d`, `1w`).
pub fn parse_time_bound(s: &str, end_of_day: bool, now: i64) -> Result<i64> {
    let t = s.trim();
    let age = t.char_indices().last().and_then(|(i, unit)| {
        let n: i64 = t[..i].trim().parse().ok()?;
        let secs = match unit {
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        (n >= 0).then(|| now - n.saturating_mul(secs))
    });
    if let Some(ts) = age {
        return Ok(ts);
    }
    super::parse_filter_date(t, end_of_day)
        .map(|d| d.timestamp())
        .map_err(|_| {
            Error::invalid(
                "invalid_time",
                format!("cannot read time {s:?}: use RFC 3339, YYYY-MM-DD or an age like 2d"),
            )
        })
}

fn item(r: &mut Reader, s: &StorySummary) -> Result<StoryItem> {
    // The guard is dropped at once: the story lock is never held across another read.
    let lead = r
        .engine()
        .stories()
        .link(&s.central)
        .and_then(|l| l.features.lead);
    let representative = match lead {
        Some(span) => r.article(&s.central)?.and_then(|a| {
            a.body.get(span.start..span.end).map(|text| Quote {
                text: text.to_string(),
                citation: Citation::of(&a, span.start, span.end),
            })
        }),
        None => None,
    };
    Ok(StoryItem {
        id: s.id,
        headline: s.headline.clone(),
        first_seen: rfc3339(s.first_seen),
        last_seen: rfc3339(s.last_seen),
        articles: s.articles,
        sources: s.sources,
        duplicates: s.duplicates,
        entities: s
            .entities
            .iter()
            .map(|(name, articles)| EntityCount {
                name: name.clone(),
                articles: *articles,
            })
            .collect(),
        representative,
    })
}

/// Lists stories. `query_vec` is the embedding of `q` when given.
pub fn list(
    r: &mut Reader,
    q: &StoriesQuery,
    query_vec: Option<&[f32]>,
) -> Result<StoriesResponse> {
    let k = check_k(q.k.unwrap_or(20))?;
    let now = Utc::now().timestamp();
    let since = q
        .since
        .as_deref()
        .map(|s| parse_time_bound(s, false, now))
        .transpose()?;
    let until = q
        .until
        .as_deref()
        .map(|s| parse_time_bound(s, true, now))
        .transpose()?;
    if let (Some(a), Some(b)) = (since, until) {
        if a > b {
            return Err(Error::invalid("invalid_time", "since is later than until"));
        }
    }
    // A query narrows the stories before they are summarised.
    let terms = match q.q.as_deref() {
        Some(text) => {
            check_query(text, "query")?;
            Some(crate::index::analyzer::query_terms(text))
        }
        None => None,
    };
    let listed = {
        let book = r.engine().stories();
        book.list_where(since, until, |id| match &terms {
            None => true,
            Some(terms) => query_vec.is_some_and(|v| {
                book.query_fit(id, v, terms).is_some_and(|(cos, lex)| {
                    cos >= STORY_QUERY_MIN_COSINE || lex >= STORY_QUERY_MIN_TERMS
                })
            }),
        })
    };
    let total = listed.len();
    let mut stories = Vec::with_capacity(k.min(total));
    for s in listed.iter().take(k) {
        stories.push(item(r, s)?);
    }
    Ok(StoriesResponse { stories, total })
}

/// One story with its members and timeline; `None` when there is no such story.
pub fn detail(r: &mut Reader, id: u64) -> Result<Option<StoryDetail>> {
    let (summary, members) = {
        let book = r.engine().stories();
        match book.summary(id) {
            Some(s) => (s, book.members(id)),
            None => return Ok(None),
        }
    };
    let story = item(r, &summary)?;
    let mut days: BTreeMap<String, TimelineDay> = BTreeMap::new();
    for m in &members {
        let date = rfc3339(m.ts)[..10].to_string();
        let day = days.entry(date.clone()).or_insert_with(|| TimelineDay {
            date,
            articles: 0,
            headlines: Vec::new(),
        });
        day.articles += 1;
        if m.duplicate_of.is_none() && !day.headlines.contains(&m.title) {
            day.headlines.push(m.title.clone());
        }
    }
    Ok(Some(StoryDetail {
        story,
        members: members
            .into_iter()
            .map(|m| MemberItem {
                article_id: m.article_id,
                title: m.title,
                source: m.source,
                published: rfc3339(m.ts),
                duplicate_of: m.duplicate_of,
            })
            .collect(),
        timeline: days.into_values().collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_read_ages_days_and_instants() {
        let now = 1_000_000;
        assert_eq!(parse_time_bound("2d", false, now).unwrap(), now - 172_800);
        assert_eq!(parse_time_bound("12h", false, now).unwrap(), now - 43_200);
        assert_eq!(
            parse_time_bound("2026-03-18", false, now).unwrap(),
            1_773_792_000
        );
        assert_eq!(
            parse_time_bound("2026-03-18", true, now).unwrap(),
            1_773_792_000 + 86_399
        );
        assert!(parse_time_bound("last week", false, now).is_err());
        assert!(parse_time_bound("-2d", false, now).is_err());
    }
}
