//! Sentence segmentation for news prose.
//!
//! Rules, in order:
//! 1. A blank line always ends a sentence; a single line break does too, unless it evidently
//!    wraps a sentence (a line ending in a lowercase letter or comma followed by one starting
//!    lowercase).
//! 2. A dateline at the start of a paragraph (`New Delhi, Mar 18 (KNN)`, `MUMBAI:`,
//!    `Thursday, March 15, 2012`) is a segment of its own.
//! 3. Inside a paragraph a sentence can end only at `.`, `!`, `?`, `…`, `।` (plus closing quotes
//!    and brackets) followed by whitespace, or at CJK `。！？`. It does not end when the next word
//!    starts in lowercase or is a dash, nor after:
//!    - titles that never end a sentence (Mr., Dr., Prof., Gen., Shri, Smt., vs., e.g. …);
//!    - number prefixes before a number (No. 5, Rs. 500, Art. 370, Vol. 2, pp. 3 …), month
//!      abbreviations before a day (Mar. 18);
//!    - abbreviations that can end a sentence (Ltd., Inc., Co., U.S., a.m., initials like
//!      `J.`, vowel-less shorthand like `Govt.`) unless the next word is a typical sentence
//!      opener (The, He, It, But, However …);
//!    - a list number at the start of a paragraph (`1.`, `a.`).
//!
//!    Decimals and money (₹1.5 crore, $11.1bn) never qualify because no space follows the dot.

use super::dateline::parse_dateline;
use super::Span;

/// Titles and prefixes after which a sentence never ends.
const TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "St", "Mt", "Ft", "Gen", "Lt", "Col", "Capt", "Cpt",
    "Sgt", "Cpl", "Pvt", "Cmdr", "Adm", "Brig", "Maj", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres",
    "Supt", "Insp", "Messrs", "Mme", "Mlle", "Shri", "Smt", "Sh", "Kum", "Dy", "Addl", "Jt",
    "Asst", "Fr", "Sri", "Ald", "Atty", "Amb", "Rt", "vs", "v", "cf", "viz", "approx", "ca", "e.g",
    "i.e", "eg", "ie", "Nr", "Lt.-Gen", "Maj.-Gen", "Mssrs", "Dt", "Opp", "incl", "Incl", "excl",
];

/// Abbreviations that take a number after them.
const NUMBER_PREFIXES: &[&str] = &[
    "No", "Nos", "no", "nos", "Vol", "Vols", "vol", "pp", "p", "Art", "art", "Sec", "sec", "Ch",
    "ch", "Para", "para", "Fig", "Figs", "fig", "Rs", "Re", "Ref", "ref", "Op", "Tel", "Ph", "Reg",
    "Pt", "Cl", "Sch", "Nr", "Tab", "Eq", "Ex", "Sl", "Pg", "pg", "Rd", "Ward", "Plot", "Flat",
    "Ste", "Apt", "Bldg", "Km", "km", "Rev", "Ed", "ed", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul",
    "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
];

/// Abbreviations that may end a sentence: a boundary only before a typical sentence opener.
const MAY_END: &[&str] = &[
    "Inc", "Ltd", "Co", "Corp", "Cos", "Bros", "Plc", "PLC", "LLC", "Pvt", "Pte", "Pty", "AG",
    "al", "Esq", "esq", "Jr", "Sr", "hrs", "yrs", "mins", "approx", "Dept", "Govt", "Univ", "Assn",
    "Assoc", "Admin", "Est", "Inst", "Natl", "Intl", "Ave", "Blvd", "Hwy", "Mgr", "Mkt", "Mon",
    "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr",
    "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "cr", "bn", "mn", "mln", "bln",
    "lakh", "Rs", "Ph.D", "PhD", "Ltd.", "Dist", "Distt", "Tehsil",
];

/// Words that typically open a sentence; after an ambiguous abbreviation they signal a boundary.
const OPENERS: &[&str] = &[
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Here",
    "His",
    "Her",
    "Its",
    "Their",
    "Our",
    "My",
    "Your",
    "In",
    "On",
    "At",
    "For",
    "But",
    "And",
    "Or",
    "So",
    "Yet",
    "However",
    "Meanwhile",
    "Also",
    "After",
    "Before",
    "When",
    "While",
    "If",
    "As",
    "Although",
    "Though",
    "Since",
    "Because",
    "According",
    "Earlier",
    "Later",
    "Now",
    "Then",
    "Today",
    "Yesterday",
    "Last",
    "Next",
    "Some",
    "Many",
    "Most",
    "All",
    "Both",
    "Each",
    "Every",
    "Not",
    "What",
    "Why",
    "How",
    "Who",
    "Where",
    "Which",
    "Speaking",
    "Still",
    "Such",
    "Further",
    "Moreover",
    "Additionally",
    "Despite",
    "During",
    "Under",
    "With",
    "Without",
    "From",
    "By",
    "To",
    "Of",
    "Over",
    "About",
    "Among",
    "Several",
    "Other",
    "Officials",
    "Police",
    "Sources",
    "Analysts",
    "Experts",
    "Shares",
    "Earlier",
    "Thus",
    "Hence",
    "Instead",
    "Indeed",
    "Overall",
    "Similarly",
    "Currently",
    "Recently",
    "Following",
    "Addressing",
    "Besides",
];

const TERMINALS: &[char] = &['.', '!', '?', '…', '।', '॥', '‽'];
const CLOSERS: &[char] = &[
    '"', '\'', '”', '’', ')', ']', '»', '›', '」', '』', '“', '*',
];
const OPENERS_PUNCT: &[char] = &['"', '\'', '“', '‘', '(', '[', '«', '‹', '¿', '¡', '*', '„'];
const CJK_TERMINALS: &[char] = &['。', '！', '？'];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    Lower,
    Upper,
    Digit,
    Dash,
    Bracket,
    Other,
}

fn classify_next(next: &str) -> Next {
    let t = next.trim_start_matches(OPENERS_PUNCT);
    let Some(c) = t.chars().next() else {
        return if next.starts_with(OPENERS_PUNCT) {
            Next::Upper
        } else {
            Next::Other
        };
    };
    if c.is_lowercase()
        && t.chars()
            .take_while(|c| c.is_alphanumeric())
            .any(char::is_uppercase)
    {
        // camel-case names open sentences too: "eHow was …", "iPhone sales …"
        Next::Upper
    } else if next.starts_with(['(', '[']) && !t.starts_with(['.', '…']) {
        // a bracketed aside or link after a full stop: "(http://…)", "(ANI)"
        Next::Bracket
    } else if c.is_lowercase() {
        Next::Lower
    } else if c.is_uppercase() {
        Next::Upper
    } else if c.is_numeric() {
        Next::Digit
    } else if matches!(c, '-' | '–' | '—') && t.chars().count() <= 2 {
        Next::Dash
    } else if c.is_alphabetic() {
        // scripts without case (Devanagari, CJK, …)
        Next::Upper
    } else {
        Next::Other
    }
}

fn is_opener_word(next: &str) -> bool {
    let w = next
        .trim_start_matches(OPENERS_PUNCT)
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    OPENERS.contains(&w)
}

fn is_dotted_acronym(w: &str) -> bool {
    // "U.S", "a.m", "Ph.D", "M.Sc", "D.C" — dot-separated pieces of 1–3 letters, at least one dot
    w.contains('.')
        && w.split('.')
            .all(|p| !p.is_empty() && p.chars().count() <= 3 && p.chars().all(char::is_alphabetic))
}

fn vowelless(w: &str) -> bool {
    let n = w.chars().count();
    (2..=5).contains(&n)
        && w.chars().all(char::is_alphabetic)
        && w.chars().all(|c| c.is_ascii_alphabetic())
        && !w.chars().any(|c| "aeiouyAEIOUY".contains(c))
        && !w.chars().all(|c| c.is_ascii_uppercase()) // all-caps acronyms (ANI, RBI) end sentences freely
}

fn is_list_marker(w: &str) -> bool {
    let n = w.chars().count();
    (1..=3).contains(&n)
        && (w.chars().all(|c| c.is_ascii_digit())
            || (n == 1 && w.chars().all(char::is_alphabetic))
            || w.chars().all(|c| "ivxlcIVXLC".contains(c)))
}

/// Decides whether a sentence ends between token `prev` and token `next`.
fn boundary_after(prev: &str, next: &str, prev_is_first: bool) -> bool {
    let core = prev.trim_end_matches(CLOSERS);
    let closed = core.len() < prev.len();
    let word = core.trim_end_matches(TERMINALS);
    let term = &core[word.len()..];
    if term.is_empty() {
        return false;
    }
    let nc = classify_next(next);
    if nc == Next::Lower || nc == Next::Dash {
        return false;
    }
    // a detached ellipsis belongs to the sentence before it: "Scientology. ... The next"
    if next.chars().all(|c| c == '.' || c == '…') {
        return false;
    }
    if term.contains(['!', '?', '।', '॥', '‽']) {
        return true;
    }
    let dots = term.chars().filter(|&c| c == '.').count();
    if term.contains('…') || dots >= 2 {
        return matches!(nc, Next::Upper | Next::Other) || closed;
    }
    let w = word.trim_start_matches(OPENERS_PUNCT);
    // a single '.'; after a closing quote or bracket the sentence ends — unless what was closed
    // is an initial or a title ("[George H. W.] Bush")
    if closed {
        let initial = w.chars().count() == 1 && w.chars().all(char::is_uppercase);
        return !(initial || TITLES.contains(&w)) || is_opener_word(next);
    }
    if w.is_empty() {
        return true;
    }
    if prev_is_first && is_list_marker(w) {
        return false;
    }
    if TITLES.contains(&w) {
        return false;
    }
    if NUMBER_PREFIXES.contains(&w) && nc == Next::Digit {
        return false;
    }
    if MAY_END.contains(&w) || is_dotted_acronym(w) || vowelless(w) {
        return is_opener_word(next);
    }
    let n_chars = w.chars().count();
    if n_chars == 1 && w.chars().all(char::is_alphabetic) {
        // an initial ("M. Nagaraju", "J. P. Morgan") or "Plan B."
        return is_opener_word(next);
    }
    true
}

/// Trims whitespace off a byte range of `text`.
fn trimmed(text: &str, start: usize, end: usize) -> Option<Span> {
    let s = &text[start..end];
    let a = start + (s.len() - s.trim_start().len());
    let b = end - (s.len() - s.trim_end().len());
    (a < b).then_some(Span { start: a, end: b })
}

/// Splits a text into blocks at blank lines and at line breaks that do not wrap a sentence.
fn blocks(text: &str) -> Vec<(usize, usize)> {
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            lines.push((start, i));
            start = i + 1;
        }
    }
    lines.push((start, text.len()));
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut prev_blank = true;
    for (a, b) in lines {
        let l = text[a..b].trim();
        if l.is_empty() {
            prev_blank = true;
            continue;
        }
        let joins = !prev_blank
            && out.last().is_some_and(|&(pa, pb)| {
                let p = text[pa..pb].trim_end();
                let last = p.chars().last();
                last.is_some_and(|c| c.is_lowercase() || c == ',')
                    && l.chars().next().is_some_and(|c| c.is_lowercase())
            });
        if joins {
            out.last_mut().unwrap().1 = b;
        } else {
            out.push((a, b));
        }
        prev_blank = false;
    }
    out
}

/// Whitespace-separated tokens of `text[a..b]`, split further after CJK full stops. The flag
/// says the token ends a sentence whatever follows.
fn tokens(text: &str, a: usize, b: usize) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let s = &text[a..b];
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((a + st, a + i, false));
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if CJK_TERMINALS.contains(&c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if CLOSERS.contains(&d) || CJK_TERMINALS.contains(&d) {
                    end = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push((a + start.take().unwrap(), a + end, true));
        }
    }
    if let Some(st) = start {
        out.push((a + st, b, false));
    }
    out
}

fn segment_run(text: &str, a: usize, b: usize, out: &mut Vec<Span>) {
    let toks = tokens(text, a, b);
    if toks.is_empty() {
        return;
    }
    let mut sent_start = toks[0].0;
    for k in 0..toks.len() {
        let (ts, te, hard) = toks[k];
        let last = k + 1 == toks.len();
        let ends = last || hard || {
            let (ns, ne, _) = toks[k + 1];
            boundary_after(&text[ts..te], &text[ns..ne], ts == sent_start && k == 0)
        };
        if ends {
            if let Some(sp) = trimmed(text, sent_start, te) {
                out.push(sp);
            }
            if !last {
                sent_start = toks[k + 1].0;
            }
        }
    }
}

/// Segments any text into sentence spans (byte offsets into `text`, trimmed of whitespace).
pub fn segment(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for (a, b) in blocks(text) {
        let mut from = a;
        if let Some(d) = parse_dateline(&text[a..b]) {
            let (ds, de) = (a + d.start, a + d.end);
            if text[de..b].trim().is_empty() {
                // the whole block is the dateline
            } else {
                if let Some(sp) = trimmed(text, ds, de) {
                    out.push(sp);
                }
                from = de;
            }
        }
        segment_run(text, from, b, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(t: &str) -> Vec<&str> {
        segment(t).into_iter().map(|s| &t[s.start..s.end]).collect()
    }

    #[test]
    fn news_abbreviations() {
        assert_eq!(
            seg("Mr. Sharma met Dr. Rao at 5 p.m. on Friday. The deal is worth Rs. 500 crore. Tata Sons Pvt. Ltd. said so."),
            vec!["Mr. Sharma met Dr. Rao at 5 p.m. on Friday.", "The deal is worth Rs. 500 crore.", "Tata Sons Pvt. Ltd. said so."]
        );
        assert_eq!(
            seg("Shares of Reliance Industries Ltd. The company said revenue was ₹1.5 crore. Meta's $11.1bn deal closed."),
            vec!["Shares of Reliance Industries Ltd.", "The company said revenue was ₹1.5 crore.", "Meta's $11.1bn deal closed."]
        );
        assert_eq!(
            seg("He moved to the U.S. in 2010. The U.S. Senate agreed."),
            vec!["He moved to the U.S. in 2010.", "The U.S. Senate agreed."]
        );
        assert_eq!(
            seg("It is No. 1 in India. No. The answer is final."),
            vec!["It is No. 1 in India.", "No.", "The answer is final."]
        );
    }

    #[test]
    fn initials_and_names() {
        assert_eq!(
            seg("The conclave was opened by M. Nagaraju of J. P. Morgan. He spoke."),
            vec![
                "The conclave was opened by M. Nagaraju of J. P. Morgan.",
                "He spoke."
            ]
        );
    }

    #[test]
    fn quotes_and_parentheses() {
        assert_eq!(
            seg("\"We will invest,\" he said. \"Is it enough?\" she asked. (The board agreed.) Then it ended!"),
            vec!["\"We will invest,\" he said.", "\"Is it enough?\" she asked.", "(The board agreed.)", "Then it ended!"]
        );
        assert_eq!(
            seg("He said \"no.\" Then left."),
            vec!["He said \"no.\"", "Then left."]
        );
    }

    #[test]
    fn datelines_lists_and_paragraphs() {
        let t = "New Delhi, Mar 18 (KNN) The NICDC met on Wednesday.\n\nKey Discussions\n\n1. Finance for MSMEs.\n2. Clusters.";
        assert_eq!(
            seg(t),
            vec![
                "New Delhi, Mar 18 (KNN)",
                "The NICDC met on Wednesday.",
                "Key Discussions",
                "1. Finance for MSMEs.",
                "2. Clusters."
            ]
        );
    }

    #[test]
    fn wrapped_lines_are_joined_hard_breaks_are_not() {
        assert_eq!(
            seg("The state government\nannounced a policy."),
            vec!["The state government\nannounced a policy."]
        );
        assert_eq!(
            seg("Headline Here\nThe body starts."),
            vec!["Headline Here", "The body starts."]
        );
    }

    #[test]
    fn ellipses_hindi_and_cjk() {
        assert_eq!(
            seg("Wait... what happened? Nothing... The end."),
            vec!["Wait... what happened?", "Nothing...", "The end."]
        );
        assert_eq!(
            seg("यह पहला वाक्य है। यह दूसरा है।"),
            vec!["यह पहला वाक्य है।", "यह दूसरा है।"]
        );
        assert_eq!(
            seg("今日は晴れ。明日は雨。"),
            vec!["今日は晴れ。", "明日は雨。"]
        );
    }

    #[test]
    fn empty_and_whitespace() {
        assert!(segment("").is_empty());
        assert!(segment(" \n\n \t").is_empty());
    }
}
