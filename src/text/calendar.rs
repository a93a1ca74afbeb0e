//! Calendar words in text: month names (English, with abbreviations, and the common European
//! and Greek forms feeds use). Shared by date parsing at ingest, dateline detection and the
//! answer stage's date evidence.

/// English month names in order.
const ENGLISH_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// English weekday names, Monday first.
const ENGLISH_WEEKDAYS: [(&str, chrono::Weekday); 7] = [
    ("monday", chrono::Weekday::Mon),
    ("tuesday", chrono::Weekday::Tue),
    ("wednesday", chrono::Weekday::Wed),
    ("thursday", chrono::Weekday::Thu),
    ("friday", chrono::Weekday::Fri),
    ("saturday", chrono::Weekday::Sat),
    ("sunday", chrono::Weekday::Sun),
];

/// The weekday an English weekday name written in full names ("Wednesday", any case).
pub fn english_weekday(word: &str) -> Option<chrono::Weekday> {
    let w = word.to_lowercase();
    ENGLISH_WEEKDAYS
        .iter()
        .find(|(n, _)| *n == w)
        .map(|&(_, d)| d)
}

/// Month number (1–12) for an English month name or a prefix of one of at least three letters
/// ("jan", "Sept.", "febr"), any case, a trailing dot ignored.
pub fn english_month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    ENGLISH_MONTHS
        .iter()
        .position(|m| m.starts_with(w.as_str()))
        .map(|p| p as u32 + 1)
}

/// Month number (1–12) for an English or common European month name or abbreviation.
pub fn month_from_name(word: &str) -> Option<u32> {
    let w: String = word.trim_end_matches('.').to_lowercase();
    if w.chars().count() < 3 {
        return None;
    }
    // (prefix, month): the word must start with the prefix and be a prefix of a known full name
    // or be exactly a known abbreviation. Checked in order.
    const NAMES: &[(&str, u32)] = &[
        ("january", 1),
        ("janvier", 1),
        ("januar", 1),
        ("janeiro", 1),
        ("enero", 1),
        ("gennaio", 1),
        ("janv", 1),
        ("february", 2),
        ("février", 2),
        ("fevrier", 2),
        ("februar", 2),
        ("fevereiro", 2),
        ("febrero", 2),
        ("febbraio", 2),
        ("févr", 2),
        ("fev", 2),
        ("march", 3),
        ("mars", 3),
        ("märz", 3),
        ("maerz", 3),
        ("marzo", 3),
        ("março", 3),
        ("marco", 3),
        ("mrz", 3),
        ("maart", 3),
        ("april", 4),
        ("avril", 4),
        ("abril", 4),
        ("aprile", 4),
        ("avr", 4),
        ("abr", 4),
        ("may", 5),
        ("mai", 5),
        ("maio", 5),
        ("mayo", 5),
        ("maggio", 5),
        ("mei", 5),
        ("mag", 5),
        ("june", 6),
        ("juin", 6),
        ("juni", 6),
        ("junho", 6),
        ("junio", 6),
        ("giugno", 6),
        ("giu", 6),
        ("july", 7),
        ("juillet", 7),
        ("juli", 7),
        ("julho", 7),
        ("julio", 7),
        ("luglio", 7),
        ("juil", 7),
        ("lug", 7),
        ("august", 8),
        ("août", 8),
        ("aout", 8),
        ("agosto", 8),
        ("ago", 8),
        ("augustus", 8),
        ("september", 9),
        ("septembre", 9),
        ("setembro", 9),
        ("septiembre", 9),
        ("settembre", 9),
        ("sept", 9),
        ("set", 9),
        ("october", 10),
        ("octobre", 10),
        ("oktober", 10),
        ("outubro", 10),
        ("octubre", 10),
        ("ottobre", 10),
        ("okt", 10),
        ("out", 10),
        ("ott", 10),
        ("november", 11),
        ("novembre", 11),
        ("novembro", 11),
        ("noviembre", 11),
        ("december", 12),
        ("décembre", 12),
        ("decembre", 12),
        ("dezember", 12),
        ("dezembro", 12),
        ("diciembre", 12),
        ("dicembre", 12),
        ("déc", 12),
        ("dez", 12),
        ("dic", 12),
        // Greek (genitive forms used in dates), abbreviations of three letters
        ("ιανουαρίου", 1),
        ("φεβρουαρίου", 2),
        ("μαρτίου", 3),
        ("απριλίου", 4),
        ("μαΐου", 5),
        ("μαιου", 5),
        ("ιουνίου", 6),
        ("ιουλίου", 7),
        ("αυγούστου", 8),
        ("σεπτεμβρίου", 9),
        ("οκτωβρίου", 10),
        ("νοεμβρίου", 11),
        ("δεκεμβρίου", 12),
        ("ιαν", 1),
        ("φεβ", 2),
        ("μαρ", 3),
        ("απρ", 4),
        ("μαϊ", 5),
        ("ιουν", 6),
        ("ιουλ", 7),
        ("αυγ", 8),
        ("σεπ", 9),
        ("οκτ", 10),
        ("νοε", 11),
        ("δεκ", 12),
    ];
    // exact matches first (so "mar" is March and "mars" is March too)
    for &(n, m) in NAMES {
        if w == n {
            return Some(m);
        }
    }
    english_month(&w)
}
