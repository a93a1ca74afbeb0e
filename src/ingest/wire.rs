//! Wire copy: plain text opening with a dateline such as `New Delhi [India], September 25 (ANI):`.
//!
//! Title rule (wire copy has no headline field): when the first paragraph is a single short line
//! (≤ 150 characters) with no dateline and no sentence-final punctuation, and more text follows,
//! it is the headline and is taken out of the body. Otherwise the title is the first sentence
//! after the dateline, cut at a word boundary to at most 120 characters with "…".
//!
//! Date rule: a dateline date without a year resolves to the latest such date not after
//! `opts.now` (in `opts.default_tz`), marked `date_inferred`. The id is a hash of title and body.

use chrono::{Datelike, NaiveDate, TimeZone};

use super::fields::hash_id;
use super::{finish_article, title_from_body, Article, IngestError, IngestOptions};
use crate::text::dateline::parse_dateline;
use crate::text::normalize_plain;

/// Latest `month`/`day` not after `now`'s date, trying earlier years for 29 February.
pub(crate) fn infer_year(month: u32, day: u32, opts: &IngestOptions) -> Option<NaiveDate> {
    let today = opts.now.with_timezone(&opts.default_tz).date_naive();
    for back in 0..9 {
        let y = today.year() - back;
        if let Some(d) = NaiveDate::from_ymd_opt(y, month, day) {
            if d <= today {
                return Some(d);
            }
        }
    }
    None
}

fn headline_split(body: &str) -> Option<(String, String)> {
    let (first, rest) = body.split_once("\n\n")?;
    let first = first.trim();
    if rest.trim().is_empty()
        || first.contains('\n')
        || first.chars().count() > 150
        || first.split_whitespace().count() < 2
    {
        return None;
    }
    if parse_dateline(first).is_some()
        || first.ends_with(['.', '!', '?', ':', ';', ',', '"', '”', '’'])
    {
        return None;
    }
    Some((first.to_string(), rest.trim_start().to_string()))
}

/// Parses one wire story.
pub(crate) fn parse_wire(text: &str, opts: &IngestOptions) -> Result<Article, IngestError> {
    let full = normalize_plain(text, true);
    if full.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    let (title, body) = match headline_split(&full) {
        Some((t, b)) => (t, b),
        None => (title_from_body(&full), full),
    };
    let mut published = None;
    let mut date_inferred = false;
    let mut source = opts
        .feed_source
        .clone()
        .or_else(|| opts.source_hint.clone());
    if let Some(d) = parse_dateline(&body) {
        if let (Some(m), Some(day)) = (d.month, d.day) {
            let date = match d.year {
                Some(y) => NaiveDate::from_ymd_opt(y, m, day),
                None => {
                    date_inferred = true;
                    infer_year(m, day, opts)
                }
            };
            published = date.and_then(|nd| {
                opts.default_tz
                    .from_local_datetime(&nd.and_hms_opt(0, 0, 0)?)
                    .single()
            });
            if published.is_none() {
                date_inferred = false;
            }
        }
        if let Some(a) = &d.agency {
            source = Some(a.clone());
        }
    }
    let id = hash_id(&["wire", &title, &body]);
    let mut a = Article {
        id,
        title,
        body,
        source,
        url: None,
        author: None,
        category: opts.feed_category.clone(),
        published,
        date_inferred,
        dateline: None,
        boilerplate: Vec::new(),
    };
    finish_article(&mut a, opts);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset};

    fn opts(now: &str) -> IngestOptions {
        IngestOptions {
            now: DateTime::parse_from_rfc3339(now).unwrap(),
            ..IngestOptions::default()
        }
    }

    #[test]
    fn year_inference() {
        let o = opts("2026-03-20T10:00:00+05:30");
        assert_eq!(infer_year(9, 25, &o), NaiveDate::from_ymd_opt(2025, 9, 25));
        assert_eq!(infer_year(3, 20, &o), NaiveDate::from_ymd_opt(2026, 3, 20));
        assert_eq!(infer_year(3, 21, &o), NaiveDate::from_ymd_opt(2025, 3, 21));
        assert_eq!(infer_year(2, 29, &o), NaiveDate::from_ymd_opt(2024, 2, 29));
        // "now" given in another zone is read in the default zone: 19:00Z on 19 Mar is 20 Mar in IST
        let o = IngestOptions {
            now: DateTime::parse_from_rfc3339("2026-03-19T19:00:00Z").unwrap(),
            ..IngestOptions::default()
        };
        assert_eq!(infer_year(3, 20, &o), NaiveDate::from_ymd_opt(2026, 3, 20));
        let _ = FixedOffset::east_opt(0);
    }

    #[test]
    fn headline_line_becomes_title() {
        let o = opts("2026-03-20T10:00:00+05:30");
        let a = parse_wire("SIDBI launches DIA scheme\n\nMUMBAI, March 2 (PTI): SIDBI on Monday launched a scheme.\n", &o).unwrap();
        assert_eq!(a.title, "SIDBI launches DIA scheme");
        assert!(a.body.starts_with("MUMBAI, March 2 (PTI):"));
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2026-03-02T00:00:00+05:30"
        );
        assert!(a.date_inferred);
        assert_eq!(a.dateline.unwrap().agency.as_deref(), Some("PTI"));
    }

    #[test]
    fn hard_wrapped_copy_is_joined() {
        let o = opts("2026-03-20T10:00:00+05:30");
        let a = parse_wire("Chennai, Jan 5 (IANS): The state\ngovernment announced a new\npolicy for MSMEs.\n\nIt takes effect in April.", &o).unwrap();
        assert!(a
            .body
            .contains("The state government announced a new policy for MSMEs."));
        assert_eq!(
            a.title,
            "The state government announced a new policy for MSMEs."
        );
    }
}
