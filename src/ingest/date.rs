//! Dates as feeds and newsrooms really write them.
//!
//! Handles RFC 3339 / ISO 8601 (`Z`, offsets, fractions, date only, space instead of `T`),
//! RFC 822/2822 with numeric or named zones (`GMT`, `EDT`, `IST`, …), missing seconds, two-digit
//! years, times without a colon (`1500 GMT`), US style `March 18, 2026 4:42 PM`, slashed dates
//! (`2020/1/10 14:33:00`), a few non-English month names (pt, es, fr, de, it, nl, el), and Unix
//! epoch seconds/milliseconds. A time without a zone is read in the caller's default zone.
//! Numeric day/month dates that could be either way round are read day-first (Indian/British
//! usage) unless the numbers rule that out.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::text::calendar::month_from_name;

fn is_weekday(word: &str) -> bool {
    let w = word.trim_end_matches(['.', ',']).to_lowercase();
    const DAYS: &[&str] = &[
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday", // pt
        "seg",
        "ter",
        "qua",
        "qui",
        "sex",
        "sáb",
        "sab",
        "dom", // es/it/fr/de/nl (common abbreviations)
        "lun",
        "mar",
        "mié",
        "mie",
        "jue",
        "vie",
        "mer",
        "gio",
        "ven",
        "mo",
        "di",
        "mi",
        "do",
        "fr",
        "sa",
        "so",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag", // el
        "δευ",
        "τρι",
        "τετ",
        "πεμ",
        "παρ",
        "σαβ",
        "κυρ",
    ];
    DAYS.contains(&w.as_str())
}

/// Offset in seconds east of UTC for a zone abbreviation.
fn zone_offset(name: &str) -> Option<i32> {
    let h = 3600;
    let n = name.to_ascii_uppercase();
    Some(match n.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" | "Z." => 0,
        "BST" | "CET" | "MEZ" | "WAT" | "WEST" => h,
        "CEST" | "MESZ" | "EET" | "SAST" | "CAT" => 2 * h,
        "EEST" | "MSK" | "EAT" | "AST_ARABIA" => 3 * h,
        "GST" => 4 * h,
        "PKT" => 5 * h,
        "IST" => 5 * h + 1800,
        "NPT" => 5 * h + 2700,
        "BDT" => 6 * h,
        "ICT" | "WIB" => 7 * h,
        "SGT" | "HKT" | "AWST" | "PHT" | "MYT" | "CST_CHINA" => 8 * h,
        "JST" | "KST" => 9 * h,
        "ACST" => 9 * h + 1800,
        "AEST" => 10 * h,
        "ACDT" => 10 * h + 1800,
        "AEDT" => 11 * h,
        "NZST" => 12 * h,
        "NZDT" => 13 * h,
        "EST" => -5 * h,
        "EDT" => -4 * h,
        "CST" => -6 * h,
        "CDT" => -5 * h,
        "MST" => -7 * h,
        "MDT" => -6 * h,
        "PST" => -8 * h,
        "PDT" => -7 * h,
        "AKST" => -9 * h,
        "AKDT" => -8 * h,
        "HST" => -10 * h,
        "AST" => -4 * h,
        "ADT" => -3 * h,
        "NST" => -3 * h - 1800,
        "BRT" => -3 * h,
        "ART" => -3 * h,
        _ => return None,
    })
}

/// Parses `+05:30`, `+0530`, `-05`, `+5` into seconds east.
fn numeric_offset(s: &str) -> Option<i32> {
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' | '−' => -1,
        _ => return None,
    };
    let digits: String = s.chars().skip(1).filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (hh, mm) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (
            digits[..1].parse::<i32>().ok()?,
            digits[1..].parse::<i32>().ok()?,
        ),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if hh > 14 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

fn build(
    y: i32,
    mo: u32,
    d: u32,
    t: (u32, u32, u32, u32),
    off: Option<i32>,
    default_tz: FixedOffset,
) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    let sec = t.2.min(59); // leap second 60 → 59
    let time = NaiveTime::from_hms_nano_opt(t.0, t.1, sec, t.3)?;
    let naive = NaiveDateTime::new(date, time);
    let tz = match off {
        Some(s) => FixedOffset::east_opt(s)?,
        None => default_tz,
    };
    tz.from_local_datetime(&naive).single()
}

fn two_digit_year(y: i32) -> i32 {
    if y < 50 {
        2000 + y
    } else if y < 100 {
        1900 + y
    } else {
        y
    }
}

/// Parses "HH:MM[:SS[.fff]]" (also with '.' as the separator between hours and minutes).
fn parse_clock(s: &str) -> Option<(u32, u32, u32, u32)> {
    let (main, frac) = match s.split_once(['.', ',']) {
        Some((a, b)) if a.matches(':').count() == 2 => (a, Some(b)),
        _ => (s, None),
    };
    let parts: Vec<&str> = main.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let h: u32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let sec: u32 = if parts.len() == 3 {
        parts[2].parse().ok()?
    } else {
        0
    };
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => {
            let f9: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            f9.parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    if h > 24 || m > 59 || sec > 60 {
        return None;
    }
    let h = if h == 24 && m == 0 && sec == 0 { 0 } else { h };
    Some((h, m, sec, nanos))
}

/// ISO 8601 / RFC 3339 and close relatives ("2026-03-18 16:42:48", "2019-08-27", "2020/1/10 14:33").
fn parse_iso(s: &str, default_tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    // year
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i >= b.len() || !(b[i] == b'-' || b[i] == b'/' || b[i] == b'.') {
        return None;
    }
    let sep = b[i];
    let y: i32 = s[..4].parse().ok()?;
    let rest = &s[5..];
    let mut it = rest.splitn(2, sep as char);
    let mo: u32 = it.next()?.parse().ok()?;
    let rest = it.next()?;
    let dlen = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
    if dlen == 0 || dlen > 2 {
        return None;
    }
    let d: u32 = rest[..dlen].parse().ok()?;
    let rest = rest[dlen..].trim_start_matches(['T', 't', ' ']).trim();
    if rest.is_empty() {
        return build(y, mo, d, (0, 0, 0, 0), None, default_tz);
    }
    // time then optional zone
    let tlen = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ':' || *c == '.' || *c == ','))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let t = parse_clock(&rest[..tlen])?;
    let zone = rest[tlen..].trim();
    let off = if zone.is_empty() {
        None
    } else if let Some(o) = numeric_offset(zone) {
        Some(o)
    } else {
        let z = zone.trim_start_matches(|c: char| c.is_whitespace());
        // "UTC+05:30", "GMT" …
        let alpha: String = z.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = z[alpha.len()..].trim();
        match (zone_offset(&alpha), after.is_empty()) {
            (Some(o), true) => Some(o),
            (Some(_), false) => Some(numeric_offset(after)?),
            (None, _) => return None,
        }
    };
    build(y, mo, d, t, off, default_tz)
}

/// Token-based parser for RFC 822 and free-form "D Mon Y", "Mon D, Y" dates.
fn parse_loose(s: &str, default_tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let raw_tokens: Vec<&str> = s.split_whitespace().collect();
    let cleaned: String = s.chars().map(|c| if c == ',' { ' ' } else { c }).collect();
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let mut month: Option<u32> = None;
    let mut month_pos = usize::MAX;
    let mut nums: Vec<(usize, &str)> = Vec::new();
    let mut clock: Option<(u32, u32, u32, u32)> = None;
    let mut off: Option<i32> = None;
    let mut pm: Option<bool> = None;
    let mut slash_date: Option<(i32, u32, u32)> = None;
    for (i, &tok) in tokens.iter().enumerate() {
        let t = tok.trim_matches(|c: char| c == '(' || c == ')');
        if t.is_empty() {
            continue;
        }
        if t.contains(':') && t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            // "16:15", "10:15:00", "10:15:00+0000"
            let split = t[1..].find(['+', '-']).map(|p| p + 1);
            let (clk, z) = match split {
                Some(p) => (&t[..p], Some(&t[p..])),
                None => (t, None),
            };
            clock = Some(parse_clock(clk)?);
            if let Some(z) = z {
                off = Some(numeric_offset(z)?);
            }
            continue;
        }
        // "+0530", "-05:00", "−0800" (the minus sign is three bytes: slice past the char).
        let signed = t.strip_prefix(['+', '-', '−']).filter(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == ':')
        });
        if signed.is_some() {
            off = Some(numeric_offset(t)?);
            continue;
        }
        if t.contains('/') {
            let parts: Vec<&str> = t.split('/').collect();
            if parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            {
                let a: i32 = parts[0].parse().ok()?;
                let b: u32 = parts[1].parse().ok()?;
                let c: i32 = parts[2].parse().ok()?;
                slash_date = Some(if parts[0].len() == 4 {
                    (a, b, c as u32)
                } else {
                    let y = two_digit_year(c);
                    let a = a as u32;
                    if a > 12 || b <= 12 {
                        // day-first unless impossible
                        if b > 12 {
                            (y, a, b)
                        } else {
                            (y, b, a)
                        }
                    } else {
                        (y, a, b)
                    }
                });
                continue;
            }
            return None;
        }
        if t.chars().all(|c| c.is_ascii_digit()) {
            nums.push((i, t));
            continue;
        }
        // "25th", "1st"
        let stripped = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if !stripped.is_empty() && stripped.chars().all(|c| c.is_ascii_digit()) {
            let suf = t[stripped.len()..].to_ascii_lowercase();
            if ["st", "nd", "rd", "th"].contains(&suf.as_str()) {
                nums.push((i, stripped));
                continue;
            }
        }
        let lower = t.to_lowercase();
        let lower = lower.trim_end_matches('.');
        if lower == "am" || lower == "a.m" {
            pm = Some(false);
            continue;
        }
        if lower == "pm" || lower == "p.m" {
            pm = Some(true);
            continue;
        }
        // a leading "Mar," is a (Spanish) weekday, not March
        let leading_weekday =
            i == 0 && raw_tokens.first().is_some_and(|r| r.ends_with(',')) && is_weekday(t);
        if month.is_none() && !leading_weekday {
            if let Some(m) = month_from_name(t) {
                month = Some(m);
                month_pos = i;
                continue;
            }
        }
        if is_weekday(t) {
            continue;
        }
        // zone name, possibly "GMT+5:30"
        let alpha: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if let Some(o) = zone_offset(&alpha) {
            let after = &t[alpha.len()..];
            off = Some(if after.is_empty() {
                o
            } else {
                numeric_offset(after)?
            });
            continue;
        }
        if matches!(
            lower,
            "at" | "on" | "the" | "of" | "de" | "del" | "um" | "à" | "le"
        ) {
            continue;
        }
        return None;
    }
    let (y, mo, d) = if let Some(sd) = slash_date {
        sd
    } else {
        let mo = month?;
        // day and year among the numbers; a 3-4 digit number that is not a year may be a time
        let mut day: Option<u32> = None;
        let mut year: Option<i32> = None;
        let mut time_num: Option<&str> = None;
        for &(i, n) in &nums {
            let v: i64 = n.parse().ok()?;
            if n.len() == 4 && year.is_some() && clock.is_none() {
                time_num = Some(n);
            } else if n.len() >= 3 {
                if year.is_some() {
                    return None;
                }
                year = Some(v as i32);
            } else if day.is_none()
                && (i < month_pos || i == month_pos + 1)
                && (1..=31).contains(&v)
            {
                day = Some(v as u32);
            } else if year.is_none() {
                year = Some(two_digit_year(v as i32));
            } else if day.is_none() && (1..=31).contains(&v) {
                day = Some(v as u32);
            } else {
                return None;
            }
        }
        if let (Some(tn), None) = (time_num, clock) {
            let h: u32 = tn[..2].parse().ok()?;
            let m: u32 = tn[2..].parse().ok()?;
            clock = Some((h, m, 0, 0));
        }
        (year?, mo, day?)
    };
    let mut t = clock.unwrap_or((0, 0, 0, 0));
    match pm {
        Some(true) if t.0 < 12 => t.0 += 12,
        Some(false) if t.0 == 12 => t.0 = 0,
        _ => {}
    }
    build(y, mo, d, t, off, default_tz)
}

/// Parses a date string in any of the supported forms; `None` when it is not a date we can read.
pub fn parse_date(s: &str, default_tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let s = s
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'')
        .trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if s.len() >= 9 && s.len() <= 13 && s.chars().all(|c| c.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        let secs = if s.len() == 13 { v / 1000 } else { v };
        return DateTime::from_timestamp(secs, 0).map(|d| d.with_timezone(&default_tz));
    }
    if let Some(d) = parse_iso(s, default_tz) {
        return Some(d);
    }
    parse_loose(s, default_tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ist() -> FixedOffset {
        FixedOffset::east_opt(19800).unwrap()
    }
    fn p(s: &str) -> String {
        parse_date(s, ist())
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "NONE".into())
    }

    #[test]
    fn fuzz_regression_minus_sign_then_a_letter_is_no_offset() {
        // Found by the `dates` fuzz target: "−Z…" (U+2212, three bytes) was sliced at byte 1.
        let crash = String::from_utf8_lossy(&[0xe2, 0x88, 0x92, 0x5a, 0x90]).into_owned();
        assert_eq!(p(&crash), "NONE");
        assert_eq!(p("−"), "NONE");
        // The real minus sign still reads as an offset; an en dash does not.
        assert_eq!(
            p("Thu, 25 Feb 2021 10:15:00 −0800"),
            "2021-02-25T10:15:00-08:00"
        );
        assert_eq!(numeric_offset("–0800"), None);
    }

    #[test]
    fn iso_forms() {
        assert_eq!(p("2026-03-18 16:42:48"), "2026-03-18T16:42:48+05:30");
        assert_eq!(p("2020-01-19T16:01:56+11:00"), "2020-01-19T16:01:56+11:00");
        assert_eq!(p("2003-12-31T10:14:55Z"), "2003-12-31T10:14:55+00:00");
        assert_eq!(
            p("2014-10-05T01:28:05.849-07:00"),
            "2014-10-05T01:28:05.849-07:00"
        );
        assert_eq!(p("2019-08-27"), "2019-08-27T00:00:00+05:30");
        assert_eq!(p("2020/1/10 14:33:00"), "2020-01-10T14:33:00+05:30");
        assert_eq!(p("2022-12-20T23:28:24+0000"), "2022-12-20T23:28:24+00:00");
        assert_eq!(p("2022-12-20 23:28 UTC"), "2022-12-20T23:28:00+00:00");
    }

    #[test]
    fn rfc822_forms() {
        assert_eq!(
            p("Thu, 25 Feb 2021 10:15:00 +0000"),
            "2021-02-25T10:15:00+00:00"
        );
        assert_eq!(p("Thu, 01 Aug 2019 16:15 EDT"), "2019-08-01T16:15:00-04:00");
        assert_eq!(
            p("Fri, 07 Feb 2020 07:30:28 PST"),
            "2020-02-07T07:30:28-08:00"
        );
        assert_eq!(
            p("Tue, 15 Nov 2022 20:15:04 Z"),
            "2022-11-15T20:15:04+00:00"
        );
        assert_eq!(
            p("Fri, 08 May 2020 11:11:02 -0000"),
            "2020-05-08T11:11:02+00:00"
        );
        assert_eq!(
            p("\n   Tue, 06 Aug 2019 05:01:15 +0000\n  "),
            "2019-08-06T05:01:15+00:00"
        );
        assert_eq!(p("03 Apr 02 1500 GMT"), "2002-04-03T15:00:00+00:00");
        assert_eq!(
            p("Thu, 6 Sep 2018 13:27:00 +0000"),
            "2018-09-06T13:27:00+00:00"
        );
        assert_eq!(
            p("Mon, 16 Oct 17 15:10:00 GMT"),
            "2017-10-16T15:10:00+00:00"
        );
        assert_eq!(
            p("Wed, 18 Mar 2026 16:42:48 IST"),
            "2026-03-18T16:42:48+05:30"
        );
    }

    #[test]
    fn other_languages_and_styles() {
        assert_eq!(
            p("Seg, 24 Set 2018 19:42:40 -0300"),
            "2018-09-24T19:42:40-03:00"
        );
        assert_eq!(p("March 18, 2026 4:42 PM"), "2026-03-18T16:42:00+05:30");
        assert_eq!(p("September 25, 2025"), "2025-09-25T00:00:00+05:30");
        assert_eq!(p("25th September 2025"), "2025-09-25T00:00:00+05:30");
        assert_eq!(p("18/03/2026"), "2026-03-18T00:00:00+05:30");
        assert_eq!(p("1774000000"), "2026-03-20T15:16:40+05:30");
        assert_eq!(
            p("Τρι, 29 Ιουν 2004 12:53:00 GMT"),
            "2004-06-29T12:53:00+00:00"
        );
    }

    #[test]
    fn rejects_non_dates() {
        for s in [
            "",
            "not a date",
            "tomorrow",
            "2026-13-45",
            "Mon, 32 Jan 2020 10:00:00 GMT",
            "hello 12",
        ] {
            assert_eq!(p(s), "NONE", "{s}");
        }
    }
}
