//! Time in questions: "in March 2026", "last year", "this week", "as of 1 April 2026", "latest".
//! [`time_scope`] reads such phrases into a date range (applied as a filter, on top of the
//! request's own) and a preference for the most recent report, relative to the request's
//! `as_of` (or now).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text::calendar::english_month;

/// Reports on a period come out after it: a question about "March 2026" or "2025-26" reads
/// articles published from the period's start until this long after its end, or the period's
/// own length when that is longer (at most a year).
pub const REPORTING_LAG_DAYS: i64 = 90;

/// How much below the best sentence's score a newer report may be and still come first when
/// the question asks for the latest.
pub const LATEST_MARGIN: f32 = 0.15;

/// What a question says about time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimeScope {
    /// Only articles published at or after this (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Only articles published at or before this (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The question asks for the latest report ("latest", "most recent", "now").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub latest: bool,
    /// The words that said so, as written.
    pub phrases: Vec<String>,
}

/// The scope as bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bounds {
    pub after: Option<DateTime<FixedOffset>>,
    pub before: Option<DateTime<FixedOffset>>,
    pub latest: bool,
}

fn day_start(d: NaiveDate, tz: FixedOffset) -> DateTime<FixedOffset> {
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offsets are unambiguous")
}

fn day_end(d: NaiveDate, tz: FixedOffset) -> DateTime<FixedOffset> {
    day_start(d, tz) + Duration::days(1) - Duration::seconds(1)
}

fn month_range(
    y: i32,
    m: u32,
    tz: FixedOffset,
) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some((
        day_start(first, tz),
        day_start(next, tz) - Duration::seconds(1),
    ))
}

fn year_range(y: i32, tz: FixedOffset) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    Some((
        day_start(NaiveDate::from_ymd_opt(y, 1, 1)?, tz),
        day_end(NaiveDate::from_ymd_opt(y, 12, 31)?, tz),
    ))
}

fn year_of(w: &str) -> Option<i32> {
    let y: i32 = w.parse().ok()?;
    (w.len() == 4 && (1900..=2100).contains(&y)).then_some(y)
}

fn day_of(w: &str) -> Option<u32> {
    let d: u32 = w
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()?;
    (1..=31).contains(&d).then_some(d)
}

/// A date written at `words[i..]`: `YYYY-MM-DD`, `D Month YYYY`, `Month D YYYY`, `Month YYYY`
/// (its last day when `end`), or `YYYY`. Returns the instant and how many words it took.
fn date_at(
    words: &[String],
    i: usize,
    end: bool,
    tz: FixedOffset,
) -> Option<(DateTime<FixedOffset>, usize)> {
    let w = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
    let pick = |r: (DateTime<FixedOffset>, DateTime<FixedOffset>)| if end { r.1 } else { r.0 };
    let day = |d: NaiveDate| {
        if end {
            day_end(d, tz)
        } else {
            day_start(d, tz)
        }
    };
    if let Ok(d) = NaiveDate::parse_from_str(w(0), "%Y-%m-%d") {
        return Some((day(d), 1));
    }
    // "18 March 2026", then "March 18 2026".
    let day_month = (day_of(w(0)), english_month(w(1)));
    let month_day = (day_of(w(1)), english_month(w(0)));
    for (d, m) in [day_month, month_day] {
        if let (Some(d), Some(m), Some(y)) = (d, m, year_of(w(2))) {
            return Some((day(NaiveDate::from_ymd_opt(y, m, d)?), 3));
        }
    }
    if let (Some(m), Some(y)) = (english_month(w(0)), year_of(w(1))) {
        return Some((pick(month_range(y, m, tz)?), 2));
    }
    if let Some(y) = year_of(w(0)) {
        return Some((pick(year_range(y, tz)?), 1));
    }
    // An Indian fiscal year, "2025-26": 1 April 2025 to 31 March 2026.
    if let Some((a, b)) = w(0).split_once(['-', '–']) {
        if let (Some(y), Ok(z)) = (year_of(a), b.parse::<i32>()) {
            if b.len() == 2 && z == (y + 1) % 100 {
                let first = day_start(NaiveDate::from_ymd_opt(y, 4, 1)?, tz);
                let last = day_end(NaiveDate::from_ymd_opt(y + 1, 3, 31)?, tz);
                return Some((pick((first, last)), 1));
            }
        }
    }
    None
}

/// The last publication time read for a period `first..=last`.
fn reported_until(
    first: DateTime<FixedOffset>,
    last: DateTime<FixedOffset>,
) -> DateTime<FixedOffset> {
    let lag = (last - first)
        .max(Duration::days(REPORTING_LAG_DAYS))
        .min(Duration::days(366));
    last + lag
}

/// Reads the time a question speaks of, relative to `now`: periods it names ("in March 2026",
/// "during 2025", "as of February 2008") read as the articles published from the period's
/// start until [`REPORTING_LAG_DAYS`] after it; "since", "after", "before", "until" bound one
/// side; "this week", "last month", "last year" … read as published since that period began;
/// "latest", "most recent", "now" ask for the newest report.
pub fn time_scope(question: &str, now: DateTime<FixedOffset>) -> (TimeScope, Bounds) {
    let tz = *now.offset();
    let today = now.date_naive();
    let words: Vec<String> = question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '?' | '!' | ';' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_string())
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut b = Bounds::default();
    let mut phrases = Vec::new();
    let narrow = |b: &mut Bounds,
                  after: Option<DateTime<FixedOffset>>,
                  before: Option<DateTime<FixedOffset>>| {
        if let Some(a) = after {
            b.after = Some(b.after.map_or(a, |x| x.max(a)));
        }
        if let Some(z) = before {
            b.before = Some(b.before.map_or(z, |x| x.min(z)));
        }
    };
    let mut i = 0;
    while i < lower.len() {
        let w = lower[i].as_str();
        let next = lower.get(i + 1).map(String::as_str).unwrap_or("");
        let mut took = 1;
        match (w, next) {
            ("latest" | "newest" | "currently" | "now", _) | ("most", "recent" | "recently") => {
                b.latest = true;
                took = if w == "most" { 2 } else { 1 };
                phrases.push(words[i..i + took].join(" "));
            }
            ("as", "of") => {
                let start = date_at(&words, i + 2, false, tz);
                let stop = date_at(&words, i + 2, true, tz);
                if let (Some((first, n)), Some((last, _))) = (start, stop) {
                    narrow(&mut b, Some(first), Some(reported_until(first, last)));
                    took = 2 + n;
                    phrases.push(words[i..i + took].join(" "));
                }
            }
            ("in" | "during" | "since" | "before" | "after" | "until" | "by", _) => {
                let start = date_at(&words, i + 1, false, tz);
                let stop = date_at(&words, i + 1, true, tz);
                if let (Some((first, n)), Some((last, _))) = (start, stop) {
                    let second = Duration::seconds(1);
                    match w {
                        "since" => narrow(&mut b, Some(first), None),
                        "after" => narrow(&mut b, Some(last + second), None),
                        "before" => narrow(&mut b, None, Some(first - second)),
                        "until" | "by" => narrow(&mut b, None, Some(last)),
                        _ => narrow(&mut b, Some(first), Some(reported_until(first, last))),
                    }
                    took = 1 + n;
                    phrases.push(words[i..i + took].join(" "));
                }
            }
            ("last" | "past" | "this", "year" | "month" | "week") | ("today" | "yesterday", _) => {
                let (after, before) = match (w, next) {
                    ("today", _) => (day_start(today, tz), now),
                    ("yesterday", _) => {
                        let y = today - Duration::days(1);
                        (day_start(y, tz), day_end(y, tz))
                    }
                    ("this", "week") => (day_start(today - Duration::days(6), tz), now),
                    ("last" | "past", "week") => (day_start(today - Duration::days(13), tz), now),
                    ("this", "month") => (
                        month_range(today.year(), today.month(), tz)
                            .expect("valid")
                            .0,
                        now,
                    ),
                    ("last" | "past", "month") => {
                        let (y, m) = if today.month() == 1 {
                            (today.year() - 1, 12)
                        } else {
                            (today.year(), today.month() - 1)
                        };
                        (month_range(y, m, tz).expect("valid").0, now)
                    }
                    ("this", "year") => (year_range(today.year(), tz).expect("valid").0, now),
                    _ => (year_range(today.year() - 1, tz).expect("valid").0, now),
                };
                narrow(&mut b, Some(after), Some(before));
                took = if matches!(w, "today" | "yesterday") {
                    1
                } else {
                    2
                };
                phrases.push(words[i..i + took].join(" "));
            }
            _ => {}
        }
        i += took;
    }
    let scope = TimeScope {
        after: b.after.map(|d| d.to_rfc3339()),
        before: b.before.map(|d| d.to_rfc3339()),
        latest: b.latest,
        phrases,
    };
    (scope, b)
}

impl Bounds {
    /// True when an article published at `published` lies in the range. An undated article is
    /// always admitted: the question's period is a reading of its words, not a filter the
    /// client set, and an article without a date may well be about it.
    pub fn admits(&self, published: Option<DateTime<FixedOffset>>) -> bool {
        published
            .is_none_or(|d| self.after.is_none_or(|a| d >= a) && self.before.is_none_or(|z| d <= z))
    }
}

impl Bounds {
    /// `filters` further bounded to the range (`None` when the range is open on both sides).
    pub fn narrow(&self, filters: &crate::index::Filters) -> Option<crate::index::Filters> {
        if self.after.is_none() && self.before.is_none() {
            return None;
        }
        Some(filters.clone().within(self.after, self.before))
    }
}

/// What a request says about time.
#[derive(Debug, Clone, Default)]
pub struct RequestTime {
    /// To report in the response (`None` when the request says nothing about time).
    pub scope: Option<TimeScope>,
    /// The range the question's words name, applied to the candidates (undated ones pass).
    pub window: Bounds,
}

/// Reads a request's time. `as_of` (RFC 3339 or a day, that whole day; default now) is a hard
/// bound, added to `filters` like any date filter, and anchors the question's relative phrases
/// ("last year"); the range the question's words name is returned as a window on candidates.
pub fn request_time(
    question: &str,
    as_of: Option<&str>,
    filters: &mut crate::index::Filters,
) -> crate::error::Result<RequestTime> {
    let now = match as_of {
        Some(s) => Some(super::parse_filter_date(s, true).map_err(|_| {
            crate::error::Error::invalid(
                "invalid_time",
                format!("cannot read as_of {s:?}: use RFC 3339 or YYYY-MM-DD"),
            )
        })?),
        None => None,
    };
    let anchor = now.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let (mut scope, window) = time_scope(question, anchor);
    if let Some(n) = now {
        *filters = std::mem::take(filters).within(None, Some(n));
        let before = window.before.map_or(n, |x| x.min(n));
        scope.before = Some(before.to_rfc3339());
    }
    let said = now.is_some() || scope != TimeScope::default();
    Ok(RequestTime {
        scope: said.then_some(scope),
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-12-04T12:00:00+05:30").unwrap()
    }

    #[test]
    fn months_years_and_relative_periods_become_ranges() {
        let (s, b) = time_scope("What did SIDBI announce in March 2026?", now());
        assert_eq!(s.after.as_deref(), Some("2026-03-01T00:00:00+05:30"));
        // Reports on March come out until 90 days after it.
        assert_eq!(s.before.as_deref(), Some("2026-06-29T23:59:59+05:30"));
        assert_eq!(s.phrases, vec!["in March 2026"]);
        assert!(!b.latest);
        let (s, _) = time_scope("How many MSMEs registered last year?", now());
        assert_eq!(s.after.as_deref(), Some("2025-01-01T00:00:00+05:30"));
        assert_eq!(s.before.as_deref(), Some("2026-12-04T12:00:00+05:30"));
        // A fiscal year "2025-26" runs from April 2025; reports on it come out for a year after.
        let (s, _) = time_scope("How much capacity was added in 2025-26?", now());
        assert_eq!(s.after.as_deref(), Some("2025-04-01T00:00:00+05:30"));
        assert!(s.before.as_deref().unwrap() > "2027-03-01");
        let (s, _) = time_scope("What did DPIIT say this week?", now());
        assert_eq!(s.after.as_deref(), Some("2026-11-28T00:00:00+05:30"));
        let (s, _) = time_scope("What was the repo rate as of 1 April 2026?", now());
        assert_eq!(s.after.as_deref(), Some("2026-04-01T00:00:00+05:30"));
        assert_eq!(s.before.as_deref(), Some("2026-06-30T23:59:59+05:30"));
        let (s, _) = time_scope("Exports since 2025-06-01", now());
        assert_eq!(s.after.as_deref(), Some("2025-06-01T00:00:00+05:30"));
    }

    #[test]
    fn latest_is_a_preference_and_plain_questions_have_no_scope() {
        let (s, b) = time_scope("What is the latest on the NICDC corridor?", now());
        assert!(b.latest && s.after.is_none() && s.before.is_none());
        let (s, b) = time_scope("Who chaired the NICDC consultation meeting?", now());
        assert_eq!(s, TimeScope::default());
        assert_eq!(b, Bounds::default());
        // "may" the verb and a bare number are not dates.
        let (s, _) = time_scope("How many firms may join in 12 districts?", now());
        assert_eq!(s, TimeScope::default());
    }
}
