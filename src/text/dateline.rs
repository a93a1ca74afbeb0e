//! Datelines and agency credits: `New Delhi [India], September 25 (ANI):`, `New Delhi, Mar 18
//! (KNN)`, `MUMBAI:`, `NEW DELHI (Reuters) -`, `Thursday, March 15, 2012` at the start of a
//! paragraph, and a closing credit such as `(ANI)` or `(KNN Bureau)` at its end.
//!
//! Shared by ingest (to fill [`crate::article::Dateline`] and the publication date of wire copy)
//! and by the sentence segmenter (to keep this boilerplate out of the lead sentence).

use super::calendar::{english_month, english_weekday, month_from_name};

/// What a dateline at the start of a paragraph says, and where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatelineMatch {
    /// Byte offset (in the text given) where the dateline starts (after leading whitespace).
    pub start: usize,
    /// Byte offset just past the dateline and its separator (`:`, `-`, `—`), before whitespace.
    pub end: usize,
    /// Place as written ("New Delhi", "Evansville, Indiana, United States"); `None` for a bare date line.
    pub place: Option<String>,
    pub country: Option<String>,
    pub agency: Option<String>,
    pub month: Option<u32>,
    pub day: Option<u32>,
    pub year: Option<i32>,
}

const CONNECTORS: &[&str] = &[
    "of", "de", "la", "le", "del", "da", "do", "dos", "das", "upon", "on", "am", "an", "der", "al",
    "el", "du", "des", "sur", "y", "en",
];

fn is_weekday_word(w: &str) -> bool {
    let l = w.trim_end_matches([',', '.']).to_lowercase();
    english_weekday(&l).is_some()
        || [
            "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        ]
        .contains(&l.as_str())
}

fn skip_spaces(s: &str, mut i: usize) -> usize {
    while let Some(c) = s[i..].chars().next() {
        if c == ' ' || c == '\t' || c == '\u{a0}' {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// A run of word characters starting at `i`: letters, digits, and `.`, `-`, `'`, `’`, `&`, `/`.
fn word(s: &str, i: usize) -> Option<(&str, usize)> {
    let mut end = i;
    for (k, c) in s[i..].char_indices() {
        if c.is_alphanumeric() || matches!(c, '.' | '-' | '\'' | '’' | '&' | '/') {
            end = i + k + c.len_utf8();
        } else {
            break;
        }
    }
    if end == i {
        None
    } else {
        Some((&s[i..end], end))
    }
}

/// One place name: capitalised words with optional lowercase connectors ("Rio de Janeiro").
fn place_name(s: &str, i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    let mut words = 0;
    let mut last_good = None;
    loop {
        let (w, e) = word(s, j)?;
        let first = w.chars().next()?;
        let is_conn = CONNECTORS.contains(&w);
        if first.is_uppercase() && !w.ends_with('-') {
            if month_from_name(w).is_some() && words > 0 {
                break;
            }
            words += 1;
            last_good = Some(e);
        } else if !(is_conn && words > 0) {
            break;
        }
        if words > 5 {
            return None;
        }
        // next word must follow a single space
        if s[e..].starts_with(' ') && s[e + 1..].chars().next().is_some_and(|c| c.is_alphabetic()) {
            j = e + 1;
        } else {
            break;
        }
    }
    last_good.map(|e| (i, e))
}

/// `Month D[, YYYY]` or `D Month[ YYYY]` at `i`; returns (month, day, year, end).
fn date_at(s: &str, i: usize) -> Option<(u32, u32, Option<i32>, usize)> {
    let (w1, e1) = word(s, i)?;
    let num = |w: &str| -> Option<u32> {
        let d = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suf = &w[d.len()..];
        if !d.is_empty()
            && d.len() <= 2
            && d.chars().all(|c| c.is_ascii_digit())
            && (suf.is_empty() || ["st", "nd", "rd", "th"].contains(&suf))
        {
            d.parse().ok().filter(|v| (1..=31).contains(v))
        } else {
            None
        }
    };
    let year_at = |j: usize| -> Option<(i32, usize)> {
        let k = skip_spaces(s, j);
        let (w, e) = word(s, k)?;
        if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) {
            let y: i32 = w.parse().ok()?;
            ((1900..=2100).contains(&y)).then_some((y, e))
        } else {
            None
        }
    };
    if let Some(m) = english_month(w1) {
        if !s[e1..].starts_with(' ') {
            return None;
        }
        let (w2, e2) = word(s, e1 + 1)?;
        let d = num(w2.trim_end_matches(','))?;
        let after = if s[e2..].starts_with(',') { e2 + 1 } else { e2 };
        if let Some((y, e3)) = year_at(after) {
            return Some((m, d, Some(y), e3));
        }
        let end = if w2.ends_with(',') { e2 - 1 } else { e2 };
        return Some((m, d, None, end));
    }
    if let Some(d) = num(w1) {
        if !s[e1..].starts_with(' ') {
            return None;
        }
        let (w2, e2) = word(s, e1 + 1)?;
        let m = english_month(w2)?;
        if let Some((y, e3)) = year_at(e2) {
            return Some((m, d, Some(y), e3));
        }
        return Some((m, d, None, e2));
    }
    None
}

/// `(ANI)`, `(KNN Bureau)`, `(Reuters)`, `(With inputs from PTI)` — a short credit in parentheses.
fn agency_text(inner: &str) -> bool {
    let t = inner.trim();
    if t.is_empty() || t.len() > 40 || t.split_whitespace().count() > 6 {
        return false;
    }
    let first = t.chars().next().unwrap();
    if !first.is_uppercase() {
        return false;
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '&' | '-' | '/' | '\''))
    {
        return false;
    }
    // Mostly capitalised words ("KNN Bureau", "With inputs from PTI" has lowercase connectors).
    let words: Vec<&str> = t.split_whitespace().collect();
    let caps = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
        .count();
    caps * 2 >= words.len() && words.iter().any(|w| w.chars().any(|c| c.is_alphabetic()))
}

fn paren_group(s: &str, i: usize) -> Option<(&str, usize)> {
    if !s[i..].starts_with('(') {
        return None;
    }
    let close = s[i + 1..].find(')')? + i + 1;
    if close - i > 45 {
        return None;
    }
    Some((&s[i + 1..close], close + 1))
}

/// Separator after a dateline: `:`, `:-`, ` -`, ` --`, ` —`, ` –`. Returns the end.
fn separator(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    for sep in [":-", ":", "—", "–", "--", "-"] {
        if let Some(r) = rest.strip_prefix(sep) {
            if sep == ":" || r.starts_with([' ', '\n', '\t', '\u{a0}']) || r.is_empty() {
                return Some(i + sep.len());
            }
        }
    }
    let k = skip_spaces(s, i);
    if k > i {
        let rest = &s[k..];
        for sep in ["—", "–", "--", "-"] {
            if let Some(r) = rest.strip_prefix(sep) {
                if r.starts_with([' ', '\t', '\u{a0}']) {
                    return Some(k + sep.len());
                }
            }
        }
    }
    None
}

/// True when what follows `i` (after spaces) looks like the start of a sentence.
fn sentence_follows(s: &str, i: usize) -> bool {
    let k = skip_spaces(s, i);
    if k == i && !s[i..].is_empty() {
        return false;
    }
    match s[k..].chars().next() {
        Some(c) => {
            c.is_uppercase()
                || c.is_ascii_digit()
                || matches!(c, '"' | '“' | '‘' | '\'' | '₹' | '$' | '£' | '€')
        }
        None => false,
    }
}

/// Recognises a dateline at the start of `text` (a paragraph). Conservative: it needs a date, an
/// agency, an ALL-CAPS place with a separator, or several comma-separated places with a dash.
pub fn parse_dateline(text: &str) -> Option<DatelineMatch> {
    let start = text.len() - text.trim_start().len();
    // Bare date line, with or without a weekday: "Thursday, March 15, 2012 Wikinews interviewed …"
    if let Some((w, e)) = word(text, start) {
        let weekday = is_weekday_word(w);
        let date = if weekday {
            let j = if text[e..].starts_with(',') { e + 1 } else { e };
            Some(date_at(text, skip_spaces(text, j))?)
        } else {
            date_at(text, start)
        };
        if let Some((m, d, Some(y), e2)) = date {
            let end = separator(text, e2).unwrap_or(e2);
            return sentence_follows(text, end).then_some(DatelineMatch {
                start,
                end,
                place: None,
                country: None,
                agency: None,
                month: Some(m),
                day: Some(d),
                year: Some(y),
            });
        }
        if weekday {
            return None;
        }
    }
    // Places: one or more comma-separated place names.
    let (_, mut pe) = place_name(text, start)?;
    let mut n_places = 1;
    let mut place_end = pe;
    let mut country = None;
    let mut date = None;
    let mut agency = None;
    let mut i = pe;
    loop {
        // [Country]
        let k = skip_spaces(text, i);
        if text[k..].starts_with('[') {
            let close = text[k + 1..].find(']')? + k + 1;
            let inner = text[k + 1..close].trim();
            if inner.is_empty() || inner.len() > 40 || !inner.chars().next()?.is_uppercase() {
                return None;
            }
            country = Some(inner.to_string());
            i = close + 1;
            continue;
        }
        if text[i..].starts_with(',') {
            let k = skip_spaces(text, i + 1);
            if let Some((m, d, y, e)) = date_at(text, k) {
                date = Some((m, d, y));
                i = e;
                break;
            }
            if country.is_none() {
                if let Some((_, e)) = place_name(text, k) {
                    n_places += 1;
                    if n_places > 4 {
                        return None;
                    }
                    pe = e;
                    place_end = pe;
                    i = e;
                    continue;
                }
            }
            return None;
        }
        break;
    }
    // (AGENCY)
    let k = skip_spaces(text, i);
    if let Some((inner, e)) = paren_group(text, k) {
        if agency_text(inner) {
            agency = Some(inner.trim().to_string());
            i = e;
        }
    }
    let sep = separator(text, i);
    let end = sep.unwrap_or(i);
    let place = text[start..place_end].to_string();
    let all_caps = place.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && place.chars().all(|c| !c.is_lowercase());
    let confident = date.is_some()
        || agency.is_some()
        || (sep.is_some()
            && (all_caps || (n_places >= 2 && !text[i..].trim_start().starts_with(':'))));
    if !confident || !sentence_follows(text, end) {
        return None;
    }
    // Without a separator the dateline must at least carry an agency or a date.
    if sep.is_none() && agency.is_none() && date.is_none() {
        return None;
    }
    let (month, day, year) = match date {
        Some((m, d, y)) => (Some(m), Some(d), y),
        None => (None, None, None),
    };
    Some(DatelineMatch {
        start,
        end,
        place: Some(place),
        country,
        agency,
        month,
        day,
        year,
    })
}

/// A closing credit like `(ANI)` or `(KNN Bureau)` at the very end of `text`: its byte range.
/// It must stand after sentence-final punctuation or on its own line, so a sentence that merely
/// ends in a parenthesised acronym is left alone.
pub fn trailing_credit(text: &str) -> Option<std::ops::Range<usize>> {
    let trimmed = text.trim_end();
    if !trimmed.ends_with(')') {
        return None;
    }
    let open = trimmed.rfind('(')?;
    let inner = &trimmed[open + 1..trimmed.len() - 1];
    if !agency_text(inner) {
        return None;
    }
    let before = trimmed[..open].trim_end_matches([' ', '\t', '\u{a0}']);
    let ok = before.is_empty()
        || before.ends_with('\n')
        || before.ends_with(['.', '!', '?', '"', '”', '’', '\'']);
    ok.then_some(open..trimmed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ani_dateline() {
        let t = "New Delhi [India], September 25 (ANI): The Small Industries Development Bank";
        let d = parse_dateline(t).unwrap();
        assert_eq!(d.place.as_deref(), Some("New Delhi"));
        assert_eq!(d.country.as_deref(), Some("India"));
        assert_eq!(d.agency.as_deref(), Some("ANI"));
        assert_eq!((d.month, d.day, d.year), (Some(9), Some(25), None));
        assert_eq!(&t[d.start..d.end], "New Delhi [India], September 25 (ANI):");
    }

    #[test]
    fn knn_dateline_without_separator() {
        let t = "New Delhi, Mar 18 (KNN) The National Industrial Corridor";
        let d = parse_dateline(t).unwrap();
        assert_eq!(d.place.as_deref(), Some("New Delhi"));
        assert_eq!(d.agency.as_deref(), Some("KNN"));
        assert_eq!(&t[..d.end], "New Delhi, Mar 18 (KNN)");
    }

    #[test]
    fn other_dateline_shapes() {
        let d = parse_dateline("NEW DELHI (Reuters) - India's central bank").unwrap();
        assert_eq!(d.agency.as_deref(), Some("Reuters"));
        let d = parse_dateline("MUMBAI: Shares rose").unwrap();
        assert_eq!(d.place.as_deref(), Some("MUMBAI"));
        let t = "Evansville, Indiana, United States - This past week";
        let d = parse_dateline(t).unwrap();
        assert_eq!(&t[..d.end], "Evansville, Indiana, United States -");
        let t = "Thursday, March 15, 2012 Wikinews interviewed";
        let d = parse_dateline(t).unwrap();
        assert_eq!(&t[..d.end], "Thursday, March 15, 2012");
        assert_eq!(d.place, None);
        let d = parse_dateline("London, 25 September 2025 (PTI): Text").unwrap();
        assert_eq!(d.year, Some(2025));
    }

    #[test]
    fn ordinary_sentences_are_not_datelines() {
        for t in [
            "The company said on Monday that profits rose.",
            "However, the minister said - quietly - no.",
            "Key Points: the scheme is new.",
            "Mr. Smith, the chairman, said so.",
            "India, China and Japan signed the pact.",
            "In 2010 (ANI) reported",
        ] {
            assert_eq!(parse_dateline(t), None, "{t}");
        }
    }

    #[test]
    fn credits() {
        let t = "revenues running into crores,\" he added. (ANI)";
        assert_eq!(&t[trailing_credit(t).unwrap()], "(ANI)");
        let t = "Corporate participants included JLL.\n\n(KNN Bureau)\n";
        assert_eq!(&t[trailing_credit(t).unwrap()], "(KNN Bureau)");
        assert_eq!(trailing_credit("said the Ministry of Finance (MoF)"), None);
        assert_eq!(trailing_credit("the ratio was 5 (five)."), None);
    }
}
