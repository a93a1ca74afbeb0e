//! Time in questions: "in March 2026", "last year", "this week", "as of 1 April 2026", "latest".
//! [`time_scope`] reads such phrases into a date range (applied as a filter, on top of the
//! request's own) and a preference for the most recent report, relative to the request's
//! `as_of` (or now).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text::calendar::{english_month, english_weekday};

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

/// The words of a text as dates are read from them: split at spaces and punctuation, a
/// trailing full stop dropped; a dash between two words that are not both numbers becomes a
/// word of its own (`"April–June"` → `April`, `–`, `June`) so that ranges read as ranges, while
/// a fiscal year (`2025-26`) and an ISO date stay whole; "mid-", "early-" and "late-" before a
/// month are dropped.
fn date_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '?' | '!' | ';' | ':' | '(' | ')' | '"' | '*')
    }) {
        let w = raw.trim_end_matches('.');
        if w.is_empty() {
            continue;
        }
        let lower = w.to_lowercase();
        let w = ["mid-", "early-", "late-"]
            .iter()
            .find_map(|p| lower.strip_prefix(p).map(|_| &w[p.len()..]))
            .unwrap_or(w);
        let numeric = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
        let pieces: Vec<&str> = w.split(['-', '–', '—']).collect();
        if pieces.len() == 1 || pieces.iter().all(|p| numeric(p)) {
            out.push(w.to_string());
            continue;
        }
        for (k, p) in pieces.iter().enumerate() {
            if k > 0 {
                out.push("–".to_string());
            }
            if !p.is_empty() {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Words that join the two ends of a written range.
fn range_joint(w: &str) -> bool {
    matches!(
        w.to_lowercase().as_str(),
        "–" | "to" | "till" | "through" | "until"
    )
}

/// A period written at `words[i..]`: a date as [`date_at`] reads it (a day, a month, a year, a
/// fiscal year: from its first to its last instant), or a range of two such ("April 2000 to
/// March 2026", "April–June 2026", where the first month takes the second's year, or the year
/// before when it comes later in the calendar). Returns the first and last instants and how
/// many words it took.
fn period_at(
    words: &[String],
    i: usize,
    tz: FixedOffset,
) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>, usize)> {
    let w = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
    // "April–June 2026": a bare month, a joint, then a month with its year.
    if let (Some(m), true, Some(m2)) = (english_month(w(0)), range_joint(w(1)), english_month(w(2)))
    {
        if let (Some((last, n)), Some(y)) = (date_at(words, i + 2, true, tz), year_of(w(3))) {
            if n == 2 {
                let y = if m > m2 { y - 1 } else { y };
                return Some((month_range(y, m, tz)?.0, last, 2 + n));
            }
        }
    }
    let (first, n) = date_at(words, i, false, tz)?;
    let (last, _) = date_at(words, i, true, tz)?;
    if range_joint(w(n)) {
        if let Some((end, n2)) = date_at(words, i + n + 1, true, tz) {
            if end >= first {
                return Some((first, end, n + 1 + n2));
            }
        }
    }
    Some((first, last, n))
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
    let (scope, bounds, _) = read_time(question, now);
    (scope, bounds)
}

/// A period a question names by its own dates ("in April–June 2026", "during 2025-26", "as of
/// February 2008"), from its first to its last instant, without the reporting lag.
pub type Period = (DateTime<FixedOffset>, DateTime<FixedOffset>);

/// [`time_scope`], with the periods the question names.
fn read_time(question: &str, now: DateTime<FixedOffset>) -> (TimeScope, Bounds, Vec<Period>) {
    let tz = *now.offset();
    let today = now.date_naive();
    let words = date_words(question);
    let mut named = Vec::new();
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
                if let Some((first, last, n)) = period_at(&words, i + 2, tz) {
                    narrow(&mut b, Some(first), Some(reported_until(first, last)));
                    named.push((first, last));
                    took = 2 + n;
                    phrases.push(words[i..i + took].join(" "));
                }
            }
            ("in" | "during" | "since" | "before" | "after" | "until" | "by", _) => {
                if let Some((first, last, n)) = period_at(&words, i + 1, tz) {
                    let second = Duration::seconds(1);
                    match w {
                        "since" => narrow(&mut b, Some(first), None),
                        "after" => narrow(&mut b, Some(last + second), None),
                        "before" => narrow(&mut b, None, Some(first - second)),
                        "until" | "by" => narrow(&mut b, None, Some(last)),
                        _ => {
                            narrow(&mut b, Some(first), Some(reported_until(first, last)));
                            named.push((first, last));
                        }
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
    (scope, b, named)
}

/// Words in a sentence that place it in time without a date [`period_at`] can read: a weekday,
/// a relative period, a month without its year.
fn undated_time(words: &[String], i: usize) -> bool {
    let w = words[i].to_lowercase();
    let next = words
        .get(i + 1)
        .map(|n| n.to_lowercase())
        .unwrap_or_default();
    let weekday = english_weekday(&w).is_some();
    let relative = matches!(w.as_str(), "today" | "yesterday" | "tomorrow" | "recently")
        || (matches!(
            w.as_str(),
            "this" | "last" | "next" | "previous" | "same" | "current"
        ) && matches!(
            next.as_str(),
            "year" | "month" | "week" | "quarter" | "period" | "fiscal" | "financial"
        ));
    // "May" and "March" are also words; a month name counts only with a capital.
    let month = words[i].starts_with(|c: char| c.is_uppercase())
        && english_month(&words[i]).is_some()
        && !matches!(w.as_str(), "mar" | "jun" | "dec" | "sept" | "sep");
    weekday || relative || month
}

/// Whether a sentence speaks only of other times than the periods a question names: it
/// writes at least one period (a day, month, fiscal year or range; a bare year only after a
/// preposition of time, since "2000 tonnes" is not a year) and none of them overlaps a named
/// period, and it has no time it does not date (a weekday, "last year", a month without its
/// year) and no year of the asked period however written ("the 2015 season"), which might be
/// the asked one. Open-ended phrases ("since 2003", "until March 2026") reach to the end or
/// start of time.
fn speaks_of_other_periods(sentence: &str, named: &[Period], tz: FixedOffset) -> bool {
    if named.is_empty() {
        return false;
    }
    let words = date_words(sentence);
    let mut written: Vec<Period> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let prev = if i > 0 {
            words[i - 1].to_lowercase()
        } else {
            String::new()
        };
        let year = year_of(words[i].trim_end_matches("'s").trim_end_matches("’s"));
        // Any year of the asked period, however written ("the 2015 off-season", "Cohn
        // (2002)"), may be what the sentence says of it.
        if year
            .and_then(|y| year_range(y, tz))
            .is_some_and(|p| overlaps_any(p, named))
        {
            return false;
        }
        let bare_year = year.is_some();
        if let Some((first, last, n)) = period_at(&words, i, tz) {
            let dated = !bare_year || n > 1;
            let after_preposition = matches!(
                prev.as_str(),
                "in" | "during"
                    | "of"
                    | "for"
                    | "since"
                    | "from"
                    | "until"
                    | "till"
                    | "by"
                    | "between"
                    | "and"
                    | "to"
            );
            if dated || after_preposition {
                let (first, last) = match prev.as_str() {
                    "since" | "from" if n == 1 || !dated => {
                        (first, DateTime::<FixedOffset>::MAX_UTC.fixed_offset())
                    }
                    "until" | "till" | "by" => {
                        (DateTime::<FixedOffset>::MIN_UTC.fixed_offset(), last)
                    }
                    _ => (first, last),
                };
                written.push((first, last));
            }
            i += n;
            continue;
        }
        if undated_time(&words, i) {
            return false;
        }
        i += 1;
    }
    !written.is_empty() && !written.iter().any(|&p| overlaps_any(p, named))
}

/// Whether a period shares an instant with any of `named`.
fn overlaps_any((a, z): Period, named: &[Period]) -> bool {
    named.iter().any(|&(na, nz)| a <= nz && na <= z)
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
#[derive(Debug, Clone)]
pub struct RequestTime {
    /// To report in the response (`None` when the request says nothing about time).
    pub scope: Option<TimeScope>,
    /// The range the question's words name, applied to the candidates (undated ones pass).
    pub window: Bounds,
    /// The periods the question names by their dates, without the reporting lag: a sentence
    /// that speaks only of other periods does not answer it ([`RequestTime::rules_out`]).
    named: Vec<Period>,
    /// The offset the question's dates were read in.
    tz: FixedOffset,
}

impl RequestTime {
    /// Whether `sentence` speaks only of other periods than the ones the question names (see
    /// [`speaks_of_other_periods`]), read in the question's offset.
    pub fn rules_out(&self, sentence: &str) -> bool {
        speaks_of_other_periods(sentence, &self.named, self.tz)
    }
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
    let (mut scope, window, named) = read_time(question, anchor);
    if let Some(n) = now {
        *filters = std::mem::take(filters).within(None, Some(n));
        let before = window.before.map_or(n, |x| x.min(n));
        scope.before = Some(before.to_rfc3339());
    }
    let said = now.is_some() || scope != TimeScope::default();
    Ok(RequestTime {
        scope: said.then_some(scope),
        window,
        named,
        tz: *anchor.offset(),
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

    fn named(question: &str) -> Vec<Period> {
        read_time(question, now()).2
    }

    #[test]
    fn ranges_of_months_are_read_in_questions() {
        let (s, _) = time_scope(
            "How much FDI equity inflow did India receive in April–June 2026?",
            now(),
        );
        assert_eq!(s.after.as_deref(), Some("2026-04-01T00:00:00+05:30"));
        assert!(s.before.as_deref().unwrap() > "2026-09-01");
        let p = named("What was the cumulative growth of core industries in April-July 2026?");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0.to_rfc3339(), "2026-04-01T00:00:00+05:30");
        assert_eq!(p[0].1.to_rfc3339(), "2026-07-31T23:59:59+05:30");
        // A range across the year's end takes the year before for its first month.
        let p = named("Exports in November–February 2026?");
        assert_eq!(p[0].0.to_rfc3339(), "2025-11-01T00:00:00+05:30");
        // "mid-August 2026" is August 2026; one-sided phrases name no period.
        let p = named("What were the reserves in mid-August 2026?");
        assert_eq!(p[0].0.to_rfc3339(), "2026-08-01T00:00:00+05:30");
        assert!(named("What will demand reach by 2050?").is_empty());
    }

    #[test]
    fn a_sentence_about_another_period_is_told_from_one_about_the_asked_one() {
        let tz = *now().offset();
        let q = named("How much FDI equity inflow did India receive in April–June 2026?");
        // Real PIB sentences (2026-08): cumulative since 2000, and the last fiscal year.
        let cumulative = "Cumulative FDI inflows from Singapore stood at USD 194.68 billion \
                          during April 2000-March 2026, accounting for 24.72% of India’s total \
                          FDI inflows.";
        assert!(speaks_of_other_periods(cumulative, &q, tz));
        let fiscal = "In FY 2025-26, Singapore was the largest source of FDI into India, with FDI \
                      inflows of USD 19.8 billion.";
        assert!(speaks_of_other_periods(fiscal, &q, tz));
        // The asked period itself, among others.
        let ici = named(
            "What was the cumulative growth of the Index of Core Industries in April-July 2026?",
        );
        let s = "Cumulative growth rate of ICI during April-July 2026 was 4.3 per cent \
                 (Provisional Estimate) compared to 1.5 per cent in the corresponding period of \
                 the previous year.";
        assert!(!speaks_of_other_periods(s, &ici, tz));
        // A month without its year might be the asked one (Wikinews, 2008).
        let itunes =
            named("What share of digital music sales did iTunes hold as of February 2008?");
        let s = "The firm said more than 4 billion songs had been downloaded since its launch in \
                 2003 and that as of February, the iTunes store accounts for 70% of all digital \
                 music sales.";
        assert!(!speaks_of_other_periods(s, &itunes, tz));
        // No date at all, a quantity that looks like a year, an open range that reaches it.
        assert!(!speaks_of_other_periods(
            "The store accounts for 70% of sales.",
            &itunes,
            tz
        ));
        assert!(!speaks_of_other_periods(
            "It shipped 2000 tonnes in a year.",
            &itunes,
            tz
        ));
        assert!(!speaks_of_other_periods(
            "Sales have grown every month since 2003.",
            &itunes,
            tz
        ));
        assert!(speaks_of_other_periods(
            "Sales grew 4% in 2006.",
            &itunes,
            tz
        ));
        // The asked year written as a modifier (SQuAD, Super Bowl 50).
        let manning = named("How old was Peyton Manning in 2015?");
        let s = "Manning had his worst season since his rookie year with the Indianapolis Colts \
                 in 1998, and he turned 39 in the 2015 off-season.";
        assert!(!speaks_of_other_periods(s, &manning, tz));
        let rookie = "He was a rookie with the Colts in 1998.";
        assert!(speaks_of_other_periods(rookie, &manning, tz));
        // A question that names no period never rules a sentence out.
        assert!(!speaks_of_other_periods(cumulative, &[], tz));
    }
}
