//! The BM25 analyzer: turns text into index terms, the same way for documents and queries.
//!
//! Built for Indian business news, where the words that matter are acronyms, codes and amounts:
//! * words come from Unicode word boundaries (UAX #29), so `1.5`, `1,50,000` and `SIDBI's` stay
//!   whole and Devanagari keeps its vowel signs;
//! * words joined by hyphens, slashes or `&` (`FY2026-27`, `COVID-19`, `M&A`) give one compound
//!   term (`fy2026-27`) plus their parts (`fy2026`, `27`) at the same position, and a word mixing
//!   letters and digits gives its runs too (`fy`, `2026`): "FY2026-27", "FY 2026-27" and
//!   "FY2026" all meet;
//! * numbers lose digit-group commas (`1,50,000` → `150000`), decimals stay (`1.5`); dotted
//!   acronyms collapse (`U.S.` → `us`); possessives go (`SIDBI's` → `sidbi`);
//! * `₹` is a term of its own, and `Rs`, `INR`, `rupee(s)` also yield `₹`, so "₹1.5 crore" and
//!   "Rs 1.5 crore" meet;
//! * lowercasing; English Snowball stemming of plain ASCII words (`MSMEs` → `msme`); a short
//!   stop-word list, except when the word is written as an acronym (`IT`, `US`, `WHO`).
//!
//! Changing anything here changes the index: bump [`ANALYZER_VERSION`] so stored BM25 indexes are
//! rebuilt.

use rust_stemmers::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_segmentation::UnicodeSegmentation;

/// Version of the analysis; part of the BM25 index manifest.
pub const ANALYZER_VERSION: u32 = 1;

/// Name under which the analyzer is registered in tantivy.
pub const ANALYZER_NAME: &str = "newsdesk";

/// Terms longer than this (in bytes) are dropped: they are URLs, hashes or garbage.
const MAX_TERM_BYTES: usize = 64;

/// Lucene's classic English stop words.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

const RUPEE_WORDS: &[&str] = &["rs", "inr", "rupee", "rupees", "re"];

fn is_currency(c: char) -> bool {
    matches!(c, '₹' | '$' | '€' | '£' | '¥')
}

fn is_joiner(s: &str) -> bool {
    matches!(s, "-" | "‐" | "‑" | "–" | "/" | "&")
}

fn is_stop(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// Terms of `text` as tantivy tokens (byte offsets into `text`).
pub fn analyze(text: &str) -> Vec<Token> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = Vec::new();
    let mut position = 0usize;
    // Group word segments joined by joiners (no spaces) into compounds.
    let segs: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
    let mut i = 0;
    while i < segs.len() {
        let (off, seg) = segs[i];
        let first = seg.chars().next().unwrap_or(' ');
        if seg.chars().count() == 1 && is_currency(first) {
            push(&mut out, seg.to_string(), off, off + seg.len(), position);
            position += 1;
            i += 1;
            continue;
        }
        if !seg.chars().any(char::is_alphanumeric) {
            i += 1;
            continue;
        }
        // Extend over `word (joiner word)*`.
        let mut parts = vec![(off, seg)];
        let mut joiners = Vec::new();
        let mut j = i + 1;
        while j + 1 < segs.len()
            && is_joiner(segs[j].1)
            && segs[j + 1].1.chars().any(char::is_alphanumeric)
        {
            joiners.push(segs[j].1);
            parts.push(segs[j + 1]);
            j += 2;
        }
        i = j;
        let start = parts[0].0;
        let end = parts.last().map(|(o, s)| o + s.len()).unwrap_or(start);
        let before = out.len();
        if parts.len() > 1 {
            let mut compound = String::new();
            for (k, (_, p)) in parts.iter().enumerate() {
                if k > 0 {
                    compound.push(match joiners[k - 1] {
                        "/" => '/',
                        "&" => '&',
                        _ => '-',
                    });
                }
                compound.push_str(&normalize_word(p).0);
            }
            push(&mut out, compound, start, end, position);
            for (o, p) in &parts {
                word_terms(&stemmer, p, *o, position, true, &mut out);
            }
        } else {
            word_terms(&stemmer, seg, off, position, false, &mut out);
        }
        dedup_from(&mut out, before);
        if out.len() > before {
            position += 1;
        }
    }
    out
}

/// Lowercases and normalises one word; returns (text, is_acronym).
fn normalize_word(w: &str) -> (String, bool) {
    let mut w = w;
    for suffix in ["'s", "’s", "'S", "’S", "'", "’"] {
        if w.len() > suffix.len() {
            if let Some(stripped) = w.strip_suffix(suffix) {
                w = stripped;
                break;
            }
        }
    }
    let upper = w.chars().filter(|c| c.is_uppercase()).count();
    let lower: Vec<char> = w.chars().filter(|c| c.is_lowercase()).collect();
    let plural_acronym = upper >= 2 && lower == ['s'] && w.ends_with('s');
    let acronym = upper >= 2 && (lower.is_empty() || plural_acronym);
    if plural_acronym {
        // "MSMEs", "NBFCs": Snowball keeps "msmes", so drop the plural here.
        w = &w[..w.len() - 1];
    }
    let mut s = w.to_lowercase();
    if s.contains('.') || s.contains(',') {
        let digits_only = s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
        if digits_only {
            s.retain(|c| c != ',');
        } else if s.split('.').all(|p| p.chars().count() == 1) {
            s.retain(|c| c != '.');
        }
    }
    (s, acronym)
}

/// Terms for one word: the word itself (stemmed when plain ASCII letters) and, when it mixes
/// letters and digits or has inner dots, its runs.
fn word_terms(
    stemmer: &Stemmer,
    w: &str,
    off: usize,
    position: usize,
    is_part: bool,
    out: &mut Vec<Token>,
) {
    let (s, acronym) = normalize_word(w);
    let end = off + w.len();
    if s.is_empty() {
        return;
    }
    let alpha_ascii = s.bytes().all(|b| b.is_ascii_lowercase());
    if alpha_ascii {
        if is_stop(&s) && !acronym {
            return;
        }
        if is_part && s.len() == 1 {
            return;
        }
        if RUPEE_WORDS.contains(&s.as_str()) && (s != "re" || w == "Re") {
            push(out, "₹".to_string(), off, end, position);
        }
        push(out, stemmer.stem(&s).into_owned(), off, end, position);
        return;
    }
    push(out, s.clone(), off, end, position);
    // Runs of letters / digits ("fy2026" → "fy", "2026"), and dot-separated pieces of non-numbers
    // ("example.com" → "example", "com").
    let numeric = s.chars().all(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        return;
    }
    let mut runs: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = None;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            cur_digit = None;
            continue;
        }
        let d = c.is_ascii_digit();
        if cur_digit.is_some_and(|x| x != d) && !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
        cur_digit = Some(d);
        cur.push(c);
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    if runs.len() < 2 {
        return;
    }
    for r in runs {
        let ascii_alpha = r.bytes().all(|b| b.is_ascii_lowercase());
        if ascii_alpha {
            if r.len() == 1 || is_stop(&r) {
                continue;
            }
            push(out, stemmer.stem(&r).into_owned(), off, end, position);
        } else {
            push(out, r, off, end, position);
        }
    }
}

fn push(out: &mut Vec<Token>, text: String, from: usize, to: usize, position: usize) {
    if text.is_empty() || text.len() > MAX_TERM_BYTES {
        return;
    }
    out.push(Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    });
}

fn dedup_from(out: &mut Vec<Token>, from: usize) {
    let mut k = from;
    while k < out.len() {
        if out[from..k].iter().any(|t| t.text == out[k].text) {
            out.remove(k);
        } else {
            k += 1;
        }
    }
}

/// Words that carry no topic in a question or a claim (question words, auxiliaries,
/// pronouns), dropped from queries only: documents keep them, so this needs no re-index.
/// Sorted, for binary search.
const QUERY_STOP_WORDS: &[&str] = &[
    "about", "am", "been", "being", "can", "could", "did", "do", "does", "doing", "done", "had",
    "has", "have", "having", "he", "her", "hers", "him", "his", "how", "i", "its", "me", "might",
    "my", "our", "ours", "over", "shall", "she", "should", "than", "them", "those", "us", "we",
    "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "would", "you",
    "your",
];

/// Distinct terms of a query, in first-seen order: the document analysis, less the
/// [`QUERY_STOP_WORDS`] unless written as acronyms (`WHO`, `US`).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    analyze(query)
        .into_iter()
        .filter(|t| {
            let surface = &query[t.offset_from..t.offset_to];
            let acronym = surface.chars().filter(|c| c.is_uppercase()).count() >= 2;
            acronym
                || QUERY_STOP_WORDS
                    .binary_search(&surface.to_lowercase().as_str())
                    .is_err()
        })
        .filter_map(|t| seen.insert(t.text.clone()).then_some(t.text))
        .collect()
}

/// tantivy face of [`analyze`].
#[derive(Clone, Default)]
pub struct NewsTokenizer;

pub struct NewsTokenStream {
    tokens: Vec<Token>,
    idx: usize,
}

impl Tokenizer for NewsTokenizer {
    type TokenStream<'a> = NewsTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> NewsTokenStream {
        NewsTokenStream {
            tokens: analyze(text),
            idx: usize::MAX,
        }
    }
}

impl TokenStream for NewsTokenStream {
    fn advance(&mut self) -> bool {
        self.idx = self.idx.wrapping_add(1);
        self.idx < self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.idx]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.idx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        analyze(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        let mut v = STOP_WORDS.to_vec();
        v.sort();
        assert_eq!(v, STOP_WORDS);
    }

    #[test]
    fn query_stop_words_are_sorted_and_dropped_from_queries_only() {
        let mut v = QUERY_STOP_WORDS.to_vec();
        v.sort();
        assert_eq!(v, QUERY_STOP_WORDS);
        assert_eq!(
            query_terms("What did SIDBI announce?"),
            ["sidbi", "announc"]
        );
        assert_eq!(
            query_terms("Who chairs the WHO panel?"),
            ["chair", "who", "panel"]
        );
        // Documents keep them (a phrase is still found by its words).
        assert!(terms("what the bank did").contains(&"did".to_string()));
    }

    #[test]
    fn acronyms_survive_and_plurals_meet() {
        assert_eq!(terms("SIDBI"), ["sidbi"]);
        assert_eq!(terms("MSMEs"), ["msme"]);
        assert_eq!(terms("MSME"), ["msme"]);
        assert_eq!(terms("SIDBI's scheme"), ["sidbi", "scheme"]);
        assert_eq!(terms("DPIIT"), ["dpiit"]);
    }

    #[test]
    fn fiscal_year_codes_are_whole_and_in_parts() {
        let t = terms("in FY2026-27 budget");
        for want in ["fy2026-27", "fy2026", "27", "fy", "2026", "budget"] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        // Written with a space or an en dash, it still shares the parts.
        let t2 = terms("FY 2026–27");
        for want in ["fy", "2026-27", "2026", "27"] {
            assert!(t2.contains(&want.to_string()), "{want} missing from {t2:?}");
        }
        let t3 = terms("COVID-19");
        assert!(t3.contains(&"covid-19".to_string()) && t3.contains(&"19".to_string()));
    }

    #[test]
    fn rupee_amounts_meet_in_both_spellings() {
        assert_eq!(terms("₹1.5 crore"), ["₹", "1.5", "crore"]);
        let rs = terms("Rs 1.5 crore");
        assert!(
            rs.contains(&"₹".to_string()) && rs.contains(&"1.5".to_string()),
            "{rs:?}"
        );
        assert!(terms("Rs. 1,50,000").contains(&"150000".to_string()));
        assert!(terms("INR 500").contains(&"₹".to_string()));
    }

    #[test]
    fn stop_words_drop_unless_written_as_acronyms() {
        assert_eq!(terms("the IT sector"), ["it", "sector"]);
        assert_eq!(terms("it is the sector"), ["sector"]);
        assert_eq!(terms("U.S. exports"), ["us", "export"]);
    }

    #[test]
    fn positions_advance_per_word_and_parts_share_one() {
        let t = analyze("FY2026-27 loans");
        let p0 = t[0].position;
        assert!(t
            .iter()
            .filter(|x| x.text != "loan")
            .all(|x| x.position == p0));
        assert_eq!(
            t.iter().find(|x| x.text == "loan").unwrap().position,
            p0 + 1
        );
    }

    #[test]
    fn non_latin_text_is_kept() {
        let t = terms("भारत सरकार");
        assert_eq!(t.len(), 2, "{t:?}");
    }
}
