//! `newsdesk-lab eval duplicates FILE…`: precision and recall of the product's reprint
//! detection ([`newsdesk::stories::signature`]: MinHash over 5-word shingles, an article is a
//! reprint when the estimated Jaccard similarity reaches [`DUPLICATE_JACCARD`]) on a pair set
//! built from real text only, with the threshold curve.
//!
//! The files are news JSONL (`id`, `title`, the text in `body` or, for the BBC summary set,
//! `article`). Articles are deduplicated by id, then exact copies (the same shingle set: the BBC
//! set holds dozens of articles twice) are dropped, and articles the product gives no signature
//! (fewer than [`MIN_SHINGLES`] shingles) are counted and skipped.
//!
//! Positive pairs are (original, reprint) where the reprint is the original edited the ways
//! wire copy is seen re-published:
//!
//! 1. `dateline`: a new dateline prepended ("NEW DELHI, Aug 9 (PTI) — ", "LONDON (Reuters) - ",
//!    "Mumbai, August 9 (IANS): ", "Chennai, 9 August 2026 /ANI/ "), the body unchanged after it;
//! 2. `boilerplate`: 20–60 words of trailing lines appended: a credit line, an "Also read:"
//!    block listing headlines of other articles of the corpus, a newsletter/subscribe footer, a
//!    copyright line (a random subset, in that order);
//! 3. `reorder`: two paragraphs swapped, or the last paragraph moved first; a one-paragraph body
//!    is cut at the sentence boundary nearest its middle and the halves swapped;
//! 4. `truncate`: only the top of the body kept, as outlets cut wire copy from the bottom: 60–80%
//!    of its words, cut at the end of a paragraph when one falls in that window, else at the end
//!    of a sentence (cutting a fixed share of the *paragraphs* keeps anything from 10% to 95% of
//!    the words on this data, whose paragraphs are uneven);
//! 5. `copy-edit`: about 5% of the words changed (all the editable ones when there are fewer):
//!    words swapped for a synonym from a small list (capitalised ones only at a sentence start,
//!    so names stay), British/American spellings ("programme", "-ise"/"-ize"), "10,000" →
//!    "10000" (and "25000" → "25,000", years left alone); articles with no editable word are
//!    skipped;
//! 6. `combined`: 5 then 1 then 2.
//!
//! Negative pairs (different articles, hard ones first):
//!
//! * `same-ministry`, `same-topic`, `same-category`: two PIB releases of the same ministry (the
//!   `source` suffix after " / "), two Wikinews MEANTIME articles of the same topic
//!   (`topic=…`), two BBC articles of the same category: same subject, different text;
//! * `shared-opening`: two different articles whose first 12 words are the same (standard
//!   openings of PIB releases, "Union Minister of State for Tribal Affairs Shri … informed …");
//! * `same-lead`: "same lead, different story": article B with its lead paragraph (its first
//!   sentence, for one-paragraph bodies) replaced by article A's, against A; A is drawn from B's
//!   subject group when it has one; skipped when A's lead would be over 40% of the result;
//! * `random`: two articles drawn at random.
//!
//! Pairs of real articles that already overlap in the data (at least half of the shorter one's
//! shingles are in the other one: updated versions, the same answer published twice) are neither
//! clean negatives nor constructed positives: they are left out of every negative kind and shown
//! as their own unlabelled row, `in-data overlap`, outside the precision/recall figures.
//!
//! Every kind is capped at [`CAP`] pairs; every draw comes from a splitmix64 generator seeded per
//! article id and kind, so a run is reproducible and an article's variants do not depend on the
//! other files given. Similarity is the product's [`Signature::similarity`]; the table also
//! shows the exact Jaccard of the shingle sets (to tell estimator noise from the threshold) and
//! how often the product's LSH bands would make the pair a candidate at all (ingest only compares
//! candidates). The curve is over thresholds 0.20, 0.25 … 0.95, positives against all negatives;
//! precision depends on the mix of kinds, the per-kind rates do not.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use newsdesk::stories::signature::{
    shingle_hashes, LshTable, Signature, DUPLICATE_JACCARD, MIN_SHINGLES, SHINGLE_WORDS,
};

/// Most pairs of one kind.
pub const CAP: usize = 2500;

/// Base seed of every draw.
const SEED: u64 = 0x6475_706c_6963_6174; // "duplicat"

/// Share of the shorter article's shingles found in the other at or above which two real
/// articles are an overlap in the data, not a negative.
const OVERLAP_CONTAINMENT: f64 = 0.5;

/// Words of the opening that two articles must share to be a `shared-opening` pair.
const OPENING_WORDS: usize = 12;

// ---------------------------------------------------------------------------------------------
// Randomness

/// splitmix64.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one item (an article id) and one purpose.
    fn for_item(item: &str, salt: u64) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in item.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h ^ SEED ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text units

/// The non-empty lines of a body, trimmed (PIB separates paragraphs with "\n", the others with
/// a blank line).
fn paragraphs(body: &str) -> Vec<&str> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The paragraph separator a body uses.
fn separator(body: &str) -> &'static str {
    if body.contains("\n\n") {
        "\n\n"
    } else {
        "\n"
    }
}

/// Words before a full stop that do not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "no", "rs", "vs", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "co", "inc", "ltd", "gov", "gen", "lt", "col", "sh",
    "smt", "prof", "hon",
];

/// Byte ranges of the sentences of `text`: a sentence ends after `.`, `!` or `?` (and any
/// closing quotes or brackets) followed by white space and an upper-case letter, a digit or an
/// opening quote; not after a single letter or a common abbreviation. The ranges cover the text
/// but the white space between sentences.
fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = chars
        .iter()
        .find(|(_, c)| !c.is_whitespace())
        .map_or(text.len(), |&(i, _)| i);
    let mut k = 0;
    while k < chars.len() {
        let (_, c) = chars[k];
        if matches!(c, '.' | '!' | '?') {
            let mut end = k + 1;
            while end < chars.len() && matches!(chars[end].1, '"' | '\'' | '”' | '’' | ')' | ']')
            {
                end += 1;
            }
            let mut next = end;
            while next < chars.len() && chars[next].1.is_whitespace() {
                next += 1;
            }
            let spaced = next > end && next < chars.len();
            let opens = spaced && {
                let n = chars[next].1;
                n.is_uppercase() || n.is_ascii_digit() || matches!(n, '"' | '“' | '‘' | '\'')
            };
            let abbreviation = c == '.' && {
                let word: String = chars[..k]
                    .iter()
                    .rev()
                    .take_while(|(_, ch)| ch.is_alphanumeric())
                    .map(|(_, ch)| *ch)
                    .collect::<Vec<char>>()
                    .into_iter()
                    .rev()
                    .collect();
                word.chars().count() == 1 || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
            };
            if opens && !abbreviation {
                let end_byte = chars.get(end).map_or(text.len(), |&(i, _)| i);
                out.push((start, end_byte));
                start = chars[next].0;
                k = next;
                continue;
            }
        }
        k += 1;
    }
    let tail = text[start..].trim_end();
    if !tail.is_empty() {
        out.push((start, start + tail.len()));
    }
    out
}

/// Whitespace-separated words.
fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Lower-cased alphanumeric words (the product's tokenisation for shingles).
fn norm_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reprint variants

const CITIES: &[&str] = &[
    "NEW DELHI",
    "MUMBAI",
    "BENGALURU",
    "CHENNAI",
    "KOLKATA",
    "LONDON",
    "WASHINGTON",
    "NEW YORK",
    "SINGAPORE",
    "BRUSSELS",
];
const AGENCIES: &[&str] = &["PTI", "IANS", "ANI", "UNI", "Reuters", "AP", "AFP"];
const MONTHS: &[(&str, &str)] = &[
    ("Jan", "January"),
    ("Feb", "February"),
    ("Mar", "March"),
    ("Apr", "April"),
    ("May", "May"),
    ("Jun", "June"),
    ("Jul", "July"),
    ("Aug", "August"),
    ("Sep", "September"),
    ("Oct", "October"),
    ("Nov", "November"),
    ("Dec", "December"),
];

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// A wire dateline, in one of four styles.
fn dateline(rng: &mut Rng) -> String {
    let city = *rng.pick(CITIES);
    let agency = *rng.pick(AGENCIES);
    let (mon, month) = *rng.pick(MONTHS);
    let day = 1 + rng.below(28);
    match rng.below(4) {
        0 => format!("{city}, {mon} {day} ({agency}) — "),
        1 => format!("{city} ({agency}) - "),
        2 => format!("{}, {month} {day} ({agency}): ", title_case(city)),
        _ => format!("{}, {day} {month} 2026 /{agency}/ ", title_case(city)),
    }
}

/// Variant 1: a new dateline, then the body unchanged.
fn with_dateline(body: &str, rng: &mut Rng) -> String {
    format!("{}{body}", dateline(rng))
}

const CREDITS: &[&str] = &[
    "(With inputs from PTI)",
    "(Reporting by Aditi Shah; Editing by Mark Potter)",
    "This story has not been edited by our staff and is auto-generated from a syndicated wire feed.",
    "Only the headline of this report may have been reworked by our staff; the rest of the content is published from a syndicated feed.",
];
const NEWSLETTERS: &[&str] = &[
    "Subscribe to our Morning Brief newsletter to get the day's top stories delivered to your inbox.",
    "Follow us on WhatsApp and Telegram for the latest updates through the day.",
    "Sign up for our daily business newsletter. Never miss a market move.",
];
const COPYRIGHTS: &[&str] = &[
    "© 2026 Newsdesk Wire Services. All rights reserved.",
    "Copyright 2026 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "All rights reserved. Republication or redistribution of this content is expressly prohibited without prior written consent.",
];

/// Trailing boilerplate lines of 20–60 words in all: a credit line, an "Also read:" block with
/// two or three of `titles`, a newsletter footer, a copyright line (a random subset, in that
/// order).
fn boilerplate(titles: &[&str], rng: &mut Rng) -> Vec<String> {
    for _ in 0..64 {
        let mut lines: Vec<String> = Vec::new();
        if rng.unit() < 0.7 {
            lines.push(rng.pick(CREDITS).to_string());
        }
        if !titles.is_empty() && rng.unit() < 0.7 {
            let n = 2 + rng.below(2);
            let block: Vec<String> = (0..n)
                .map(|_| format!("Also read: {}", rng.pick(titles).trim()))
                .collect();
            lines.extend(block);
        }
        if rng.unit() < 0.7 {
            lines.push(rng.pick(NEWSLETTERS).to_string());
        }
        if rng.unit() < 0.7 {
            lines.push(rng.pick(COPYRIGHTS).to_string());
        }
        let words: usize = lines.iter().map(|l| word_count(l)).sum();
        if lines.len() >= 2 && (20..=60).contains(&words) {
            return lines;
        }
    }
    vec![
        CREDITS[0].to_string(),
        NEWSLETTERS[0].to_string(),
        COPYRIGHTS[1].to_string(),
    ]
}

/// Variant 2: the body, then boilerplate lines (see [`boilerplate`]).
fn with_boilerplate(body: &str, titles: &[&str], rng: &mut Rng) -> String {
    let sep = separator(body);
    let lines = boilerplate(titles, rng);
    format!("{}{sep}{}", body.trim_end(), lines.join(sep))
}

/// Variant 3: two paragraphs swapped or the last moved first; a one-paragraph body cut at the
/// sentence boundary nearest its middle, second half first. `None` for a single sentence.
fn reordered(body: &str, rng: &mut Rng) -> Option<String> {
    let sep = separator(body);
    let mut paras = paragraphs(body);
    if paras.len() >= 2 {
        if paras.len() >= 3 && rng.below(2) == 0 {
            let i = rng.below(paras.len());
            let mut j = rng.below(paras.len() - 1);
            if j >= i {
                j += 1;
            }
            paras.swap(i, j);
        } else {
            let last = paras.pop()?;
            paras.insert(0, last);
        }
        return Some(paras.join(sep));
    }
    let text = paras.first()?;
    let spans = sentence_spans(text);
    if spans.len() < 2 {
        return None;
    }
    let middle = text.len() / 2;
    let cut = spans[1..]
        .iter()
        .map(|&(s, _)| s)
        .min_by_key(|&s| s.abs_diff(middle))?;
    Some(format!("{}\n\n{}", text[cut..].trim(), text[..cut].trim()))
}

/// Byte ranges of the paragraphs of a body (as [`paragraphs`]).
fn paragraph_spans(body: &str) -> Vec<(usize, usize)> {
    let base = body.as_ptr() as usize;
    paragraphs(body)
        .into_iter()
        .map(|p| {
            let s = p.as_ptr() as usize - base;
            (s, s + p.len())
        })
        .collect()
}

/// Variant 4: the top of the body, 60–80% of its words, cut at the end of a paragraph when one
/// falls in that window (the one nearest a drawn share), else at the paragraph or sentence end
/// nearest the drawn share (the paragraphs of the data are uneven: a 4-word dateline, a 300-word
/// last paragraph). `None` when no such cut keeps 50–90% of the words (one sentence, a long
/// table without full stops).
fn truncated(body: &str, rng: &mut Rng) -> Option<String> {
    let target = 0.6 + 0.2 * rng.unit();
    let total = word_count(body) as f64;
    let share = |end: usize| word_count(&body[..end]) as f64 / total;
    let nearest = |ends: &mut dyn Iterator<Item = usize>| {
        ends.min_by(|&x, &y| {
            (share(x) - target)
                .abs()
                .total_cmp(&(share(y) - target).abs())
        })
    };
    let paras = paragraph_spans(body);
    let para_ends: Vec<usize> = paras[..paras.len().saturating_sub(1)]
        .iter()
        .map(|&(_, e)| e)
        .collect();
    let end = nearest(
        &mut para_ends
            .iter()
            .copied()
            .filter(|&e| (0.6..=0.8).contains(&share(e))),
    )
    .or_else(|| {
        let spans = sentence_spans(body);
        let sentence_ends = spans[..spans.len().saturating_sub(1)]
            .iter()
            .map(|&(_, e)| e);
        nearest(&mut para_ends.iter().copied().chain(sentence_ends))
    })?;
    (0.5..=0.9)
        .contains(&share(end))
        .then(|| body[..end].to_string())
}

/// Synonyms a copy-editor swaps in (one way; one word for one word, so the word count stays).
const SYNONYMS: &[(&str, &str)] = &[
    ("said", "stated"),
    ("stated", "said"),
    ("says", "states"),
    ("told", "informed"),
    ("informed", "told"),
    ("added", "noted"),
    ("announced", "unveiled"),
    ("launched", "introduced"),
    ("released", "issued"),
    ("approved", "sanctioned"),
    ("bought", "purchased"),
    ("buy", "purchase"),
    ("help", "assist"),
    ("helped", "assisted"),
    ("began", "started"),
    ("rose", "climbed"),
    ("fell", "dropped"),
    ("expected", "anticipated"),
    ("important", "significant"),
    ("significant", "considerable"),
    ("however", "nevertheless"),
    ("many", "numerous"),
    ("big", "large"),
    ("biggest", "largest"),
    ("largest", "biggest"),
    ("huge", "enormous"),
    ("about", "around"),
    ("around", "about"),
    ("approximately", "about"),
    ("nearly", "almost"),
    ("almost", "nearly"),
    ("several", "various"),
    ("various", "several"),
    ("major", "key"),
    ("also", "additionally"),
    ("aims", "seeks"),
    ("while", "whereas"),
    ("because", "since"),
    ("people", "persons"),
    ("company", "firm"),
    ("firm", "company"),
    ("country", "nation"),
    ("countries", "nations"),
    ("officials", "authorities"),
    ("main", "principal"),
    ("quickly", "rapidly"),
    ("provide", "offer"),
    ("provides", "offers"),
    ("provided", "offered"),
    ("after", "following"),
    ("only", "just"),
    ("think", "believe"),
    ("thinks", "believes"),
    ("across", "throughout"),
    ("strengthen", "bolster"),
    ("promote", "foster"),
    ("enhance", "improve"),
    ("facilitate", "enable"),
    ("implemented", "executed"),
    ("implementation", "execution"),
    ("initiative", "measure"),
    ("initiatives", "measures"),
    ("objective", "aim"),
    ("through", "via"),
    ("during", "throughout"),
    ("held", "conducted"),
    ("inaugurated", "opened"),
    ("highlighted", "underlined"),
    ("improve", "enhance"),
    ("increase", "rise"),
    ("film", "movie"),
    ("films", "movies"),
    ("movie", "film"),
    ("won", "clinched"),
    ("received", "obtained"),
    ("want", "wish"),
    ("wants", "wishes"),
    ("claimed", "asserted"),
    ("warned", "cautioned"),
    ("revealed", "disclosed"),
    ("confirmed", "verified"),
    ("admitted", "conceded"),
    ("chance", "opportunity"),
    ("recent", "latest"),
    ("currently", "presently"),
    ("previously", "earlier"),
    ("really", "truly"),
    ("difficult", "hard"),
];

/// British and American spellings (either way), besides the -ise/-ize rule of [`respelt`].
const SPELLINGS: &[(&str, &str)] = &[
    ("programme", "program"),
    ("programmes", "programs"),
    ("centre", "center"),
    ("centres", "centers"),
    ("metre", "meter"),
    ("metres", "meters"),
    ("kilometre", "kilometer"),
    ("kilometres", "kilometers"),
    ("theatre", "theater"),
    ("fibre", "fiber"),
    ("labour", "labor"),
    ("favour", "favor"),
    ("favourable", "favorable"),
    ("honour", "honor"),
    ("colour", "color"),
    ("behaviour", "behavior"),
    ("neighbouring", "neighboring"),
    ("neighbours", "neighbors"),
    ("endeavour", "endeavor"),
    ("harbour", "harbor"),
    ("rumours", "rumors"),
    ("defence", "defense"),
    ("offence", "offense"),
    ("licence", "license"),
    ("analyse", "analyze"),
    ("travelled", "traveled"),
    ("travelling", "traveling"),
    ("cancelled", "canceled"),
    ("labelled", "labeled"),
    ("modelling", "modeling"),
    ("fuelled", "fueled"),
    ("enrolment", "enrollment"),
    ("fulfil", "fulfill"),
    ("towards", "toward"),
    ("jewellery", "jewelry"),
    ("ageing", "aging"),
    ("catalogue", "catalog"),
    ("grey", "gray"),
];

/// -ise verbs whose "s" is not the British spelling of an American "z".
const NOT_ISE: &[&str] = &[
    "promise",
    "compromise",
    "premise",
    "demise",
    "surprise",
    "enterprise",
    "comprise",
    "apprise",
    "reprise",
    "sunrise",
    "arise",
    "precise",
    "concise",
    "excise",
    "incise",
    "exercise",
    "circumcise",
    "expertise",
    "otherwise",
    "chemise",
    "treatise",
    "merchandise",
    "franchise",
    "paradise",
    "advertise",
    "chastise",
];

/// The other spelling of a lower-case word: the [`SPELLINGS`] pairs, and -ise/-ised/-ising/
/// -isation ↔ -ize/-ized/-izing/-ization for verbs ending in -lise, -nise, -tise, -gise, -sise,
/// -mise, -rise, -cise of six letters or more ("organised" → "organized", "prioritize" →
/// "prioritise"; not "promise", "enterprise", "exercise").
fn respelt(word: &str) -> Option<String> {
    for &(uk, us) in SPELLINGS {
        if word == uk {
            return Some(us.to_string());
        }
        if word == us {
            return Some(uk.to_string());
        }
    }
    const SUFFIXES: &[&str] = &["ations", "ation", "ing", "ed", "es", "e"];
    for (from, to) in [('s', 'z'), ('z', 's')] {
        for suffix in SUFFIXES {
            let tail = format!("i{from}{suffix}");
            let Some(stem) = word.strip_suffix(tail.as_str()) else {
                continue;
            };
            let base = format!("{stem}ise");
            let ok = base.len() >= 6
                && [
                    "lise", "nise", "tise", "gise", "sise", "mise", "rise", "cise",
                ]
                .iter()
                .any(|e| base.ends_with(e))
                && !NOT_ISE.iter().any(|n| base.ends_with(n));
            if ok {
                return Some(format!("{stem}i{to}{suffix}"));
            }
        }
    }
    None
}

/// Byte ranges of the word tokens of `text`: runs of alphanumeric characters, a number's
/// thousands commas included ("10,000" is one token).
fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if !chars[k].1.is_alphanumeric() {
            k += 1;
            continue;
        }
        let start = k;
        while k < chars.len() {
            let c = chars[k].1;
            let comma_in_number = c == ','
                && k > start
                && chars[k - 1].1.is_ascii_digit()
                && chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if c.is_alphanumeric() || comma_in_number {
                k += 1;
            } else {
                break;
            }
        }
        let end = chars.get(k).map_or(text.len(), |&(i, _)| i);
        out.push((chars[start].0, end));
    }
    out
}

/// Western thousands separators: "25000" → "25,000".
fn with_commas(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The copy-editor's replacement for one token, if it has one: a number with its commas
/// dropped ("10,000" → "10000", "1,00,000" → "100000") or added ("25000" → "25,000"; not for
/// years); for a lower-case word, a synonym or the other spelling ([`respelt`]); for a
/// capitalised word that starts a sentence (`initial`), a synonym, capitalised. Other capitalised
/// words are left alone: they are names ("Labour", "John Major").
fn edit_of(token: &str, initial: bool) -> Option<String> {
    if token.chars().all(|c| c.is_ascii_digit() || c == ',') {
        if token.contains(',') {
            return Some(token.replace(',', ""));
        }
        let year = token.len() == 4 && (token.starts_with("19") || token.starts_with("20"));
        if token.len() >= 4 && !token.starts_with('0') && !year {
            return Some(with_commas(token));
        }
        return None;
    }
    let synonym = |w: &str| {
        SYNONYMS
            .iter()
            .find(|&&(a, _)| a == w)
            .map(|&(_, b)| b.to_string())
    };
    if token.chars().all(char::is_lowercase) {
        return synonym(token).or_else(|| respelt(token));
    }
    let mut chars = token.chars();
    let first = chars.next()?;
    let capitalised = first.is_uppercase() && chars.all(char::is_lowercase);
    if !(capitalised && initial) {
        return None;
    }
    let lower = token.to_lowercase();
    synonym(&lower).map(|s| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    })
}

/// A copy-edited text: the light copy-editing of about 5% of the words.
#[derive(Debug, Clone, PartialEq)]
struct CopyEdit {
    text: String,
    /// Tokens changed.
    changed: usize,
    /// Tokens in the text.
    tokens: usize,
}

/// Variant 5: about 5% of the tokens (at least one) replaced by [`edit_of`], at random among
/// those that have a replacement (all of them when fewer). `None` when none has one.
fn copy_edited(body: &str, rng: &mut Rng) -> Option<CopyEdit> {
    let spans = token_spans(body);
    let mut candidates: Vec<(usize, usize, String)> = spans
        .iter()
        .filter_map(|&(s, e)| {
            let before = body[..s].trim_end();
            let initial = before.is_empty()
                || before.ends_with(['.', '!', '?', ':', '"', '“'])
                || body[before.len()..s].contains('\n');
            edit_of(&body[s..e], initial).map(|r| (s, e, r))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let target = ((spans.len() as f64 * 0.05).round() as usize).max(1);
    rng.shuffle(&mut candidates);
    candidates.truncate(target);
    candidates.sort_by_key(|c| c.0);
    let mut text = String::with_capacity(body.len() + 16);
    let mut at = 0;
    for (s, e, r) in &candidates {
        text.push_str(&body[at..*s]);
        text.push_str(r);
        at = *e;
    }
    text.push_str(&body[at..]);
    Some(CopyEdit {
        text,
        changed: candidates.len(),
        tokens: spans.len(),
    })
}

/// The byte range of a body's lead: its first paragraph of at least eight words that is not its
/// last paragraph, or for a one-paragraph body its first sentence when it has more.
fn lead_span(body: &str) -> Option<(usize, usize)> {
    let paras = paragraph_spans(body);
    if paras.len() >= 2 {
        return paras[..paras.len() - 1]
            .iter()
            .copied()
            .find(|&(s, e)| word_count(&body[s..e]) >= 8);
    }
    let spans = sentence_spans(body);
    (spans.len() >= 2).then(|| spans[0])
}

/// Negative `same-lead`: article B with its lead replaced by article A's lead. `None` when either
/// has no lead or A's lead would be over 40% of the words of the result.
fn same_lead(a: &str, b: &str) -> Option<String> {
    let (a0, a1) = lead_span(a)?;
    let (b0, b1) = lead_span(b)?;
    let out = format!("{}{}{}", &b[..b0], &a[a0..a1], &b[b1..]);
    (word_count(&a[a0..a1]) * 10 <= word_count(&out) * 4).then_some(out)
}

// ---------------------------------------------------------------------------------------------
// Pair kinds

/// Where a kind's pairs stand in the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Positive,
    Negative,
    /// Shown, not counted.
    Unlabelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Dateline,
    Boilerplate,
    Reorder,
    Truncate,
    CopyEdit,
    Combined,
    SameMinistry,
    SameTopic,
    SameCategory,
    SharedOpening,
    SameLead,
    Random,
    InData,
}

impl Kind {
    const ALL: [Kind; 13] = [
        Kind::Dateline,
        Kind::Boilerplate,
        Kind::Reorder,
        Kind::Truncate,
        Kind::CopyEdit,
        Kind::Combined,
        Kind::SameMinistry,
        Kind::SameTopic,
        Kind::SameCategory,
        Kind::SharedOpening,
        Kind::SameLead,
        Kind::Random,
        Kind::InData,
    ];

    fn label(self) -> Label {
        match self {
            Kind::Dateline
            | Kind::Boilerplate
            | Kind::Reorder
            | Kind::Truncate
            | Kind::CopyEdit
            | Kind::Combined => Label::Positive,
            Kind::InData => Label::Unlabelled,
            _ => Label::Negative,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Dateline => "dateline",
            Kind::Boilerplate => "boilerplate",
            Kind::Reorder => "reorder",
            Kind::Truncate => "truncate",
            Kind::CopyEdit => "copy-edit",
            Kind::Combined => "combined",
            Kind::SameMinistry => "same-ministry",
            Kind::SameTopic => "same-topic",
            Kind::SameCategory => "same-category",
            Kind::SharedOpening => "shared-opening",
            Kind::SameLead => "same-lead",
            Kind::Random => "random",
            Kind::InData => "in-data overlap",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Dateline => "new dateline prepended (\"NEW DELHI, Aug 9 (PTI) — \" and 3 other styles)",
            Kind::Boilerplate => "20-60 words appended: credit line, \"Also read:\" headlines, newsletter footer, copyright",
            Kind::Reorder => "two paragraphs swapped or the last moved first (one paragraph: halves swapped at a sentence)",
            Kind::Truncate => "top 60-80% of the words kept, cut at a paragraph end in that window, else a sentence end",
            Kind::CopyEdit => "~5% of words edited: synonyms, British/American spelling, 10,000 -> 10000",
            Kind::Combined => "copy-edit + dateline + boilerplate",
            Kind::SameMinistry => "two PIB releases of the same ministry",
            Kind::SameTopic => "two Wikinews MEANTIME articles of the same topic",
            Kind::SameCategory => "two BBC articles of the same category",
            Kind::SharedOpening => "two real articles opening with the same 12 words",
            Kind::SameLead => "B with its lead replaced by A's lead, vs A (same lead, different story)",
            Kind::Random => "two articles at random",
            Kind::InData => "real articles overlapping in the data (>= 50% of the shorter's shingles): unlabelled",
        }
    }
}

/// One scored pair.
#[derive(Debug, Clone)]
struct Pair {
    kind: Kind,
    /// The article (positives: the original; negatives: the first article).
    a: usize,
    /// The other article, for pairs of two articles.
    b: Option<usize>,
    /// The product's similarity estimate.
    sim: f32,
    /// Exact Jaccard of the shingle sets.
    exact: f64,
    /// Whether the product's LSH bands make the pair a candidate.
    lsh: bool,
}

// ---------------------------------------------------------------------------------------------
// Counting

/// Precision, recall and F1 at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Prf {
    threshold: f32,
    tp: usize,
    fp: usize,
    fn_: usize,
    precision: f64,
    recall: f64,
    f1: f64,
}

/// Counts over `(is_positive, similarity)` at `threshold` (a pair is called a reprint when its
/// similarity is at least the threshold). Precision is 1 when nothing is called a reprint.
fn prf(scored: &[(bool, f32)], threshold: f32) -> Prf {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for &(pos, sim) in scored {
        match (pos, sim >= threshold) {
            (true, true) => tp += 1,
            (true, false) => fn_ += 1,
            (false, true) => fp += 1,
            (false, false) => {}
        }
    }
    let precision = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Prf {
        threshold,
        tp,
        fp,
        fn_,
        precision,
        recall,
        f1,
    }
}

/// The thresholds of the curve: 0.20, 0.25 … 0.95.
fn curve_thresholds() -> Vec<f32> {
    (0..16).map(|k| (20 + 5 * k) as f32 / 100.0).collect()
}

/// The curve point with the best F1 (the lowest threshold among equals).
fn best_f1(curve: &[Prf]) -> Option<Prf> {
    curve
        .iter()
        .copied()
        .fold(None, |best: Option<Prf>, p| match best {
            Some(b) if b.f1 >= p.f1 => Some(b),
            _ => Some(p),
        })
}

// ---------------------------------------------------------------------------------------------
// Data

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Family {
    Pib,
    Wikinews,
    Bbc,
}

/// One article with a signature.
#[derive(Debug)]
struct Doc {
    id: String,
    title: String,
    body: String,
    /// The subject group: PIB ministry, Wikinews topic or BBC category.
    group: Option<(Family, String)>,
    /// Sorted distinct shingle hashes.
    shingles: Vec<u64>,
    sig: Signature,
}

/// What loading found.
#[derive(Debug, Default)]
struct LoadStats {
    read: usize,
    duplicate_ids: usize,
    exact_copies: usize,
    too_short: usize,
}

/// The subject group of a JSONL record.
fn group_of(v: &serde_json::Value) -> Option<(Family, String)> {
    if let Some(c) = v.get("category").and_then(|c| c.as_str()) {
        return Some((Family::Bbc, c.to_string()));
    }
    let source = v.get("source")?.as_str()?;
    if let Some(i) = source.find("topic=") {
        let topic: String = source[i + 6..]
            .chars()
            .take_while(|c| !matches!(c, ')' | ',' | ';'))
            .collect();
        return Some((Family::Wikinews, topic.trim().to_string()));
    }
    if source.contains("Press Information Bureau") || source.contains("PIB") {
        if let Some(i) = source.rfind(" / ") {
            return Some((Family::Pib, source[i + 3..].trim().to_string()));
        }
    }
    None
}

fn load(files: &[PathBuf]) -> anyhow::Result<(Vec<Doc>, LoadStats)> {
    let mut stats = LoadStats::default();
    let mut ids: HashSet<String> = HashSet::new();
    let mut sets: HashSet<Vec<u64>> = HashSet::new();
    let mut docs = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{} line {}", file.display(), n + 1))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let Some(id) = field("id") else {
                bail!("{} line {}: no id", file.display(), n + 1);
            };
            let body = field("body")
                .or_else(|| field("article"))
                .unwrap_or_default();
            stats.read += 1;
            if !ids.insert(id.clone()) {
                stats.duplicate_ids += 1;
                continue;
            }
            let Some(sig) = Signature::of(&body) else {
                stats.too_short += 1;
                continue;
            };
            let shingles = shingle_hashes(&body);
            if !sets.insert(shingles.clone()) {
                stats.exact_copies += 1;
                continue;
            }
            docs.push(Doc {
                id,
                title: field("title").unwrap_or_default(),
                group: group_of(&v),
                body,
                shingles,
                sig,
            });
        }
    }
    Ok((docs, stats))
}

/// Shingles two sorted, deduplicated hash lists share.
fn shared(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let s = shared(a, b);
    let union = a.len() + b.len() - s;
    if union == 0 {
        0.0
    } else {
        s as f64 / union as f64
    }
}

/// Pairs of articles (i < j) sharing at least [`OVERLAP_CONTAINMENT`] of the shorter one's
/// shingles, through an inverted index of the shingles.
fn overlaps(docs: &[Doc]) -> Vec<(usize, usize)> {
    let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        for &h in &d.shingles {
            index.entry(h).or_default().push(i as u32);
        }
    }
    let mut counts: HashMap<(u32, u32), u32> = HashMap::new();
    for ids in index.values() {
        for (x, &i) in ids.iter().enumerate() {
            for &j in &ids[x + 1..] {
                *counts.entry((i, j)).or_default() += 1;
            }
        }
    }
    let mut out: Vec<(usize, usize)> = counts
        .into_iter()
        .filter(|&((i, j), n)| {
            let short = docs[i as usize]
                .shingles
                .len()
                .min(docs[j as usize].shingles.len());
            n as f64 >= OVERLAP_CONTAINMENT * short as f64
        })
        .map(|((i, j), _)| (i as usize, j as usize))
        .collect();
    out.sort_unstable();
    out
}

fn lsh_candidate(a: &Signature, b: &Signature) -> bool {
    let mut t = LshTable::default();
    t.insert("a", a);
    !t.candidates(b).is_empty()
}

fn ordered(i: usize, j: usize) -> (usize, usize) {
    (i.min(j), i.max(j))
}

/// Builds and scores every pair.
struct Builder<'a> {
    docs: &'a [Doc],
    pairs: Vec<Pair>,
    /// Pairs of real articles already used or excluded (overlaps).
    used: HashSet<(usize, usize)>,
    /// Variants a positive kind could not make, per kind.
    skipped: BTreeMap<Kind, usize>,
    /// Share of tokens changed by each copy-edit.
    edit_shares: Vec<f64>,
}

impl Builder<'_> {
    fn variant(&mut self, kind: Kind, a: usize, text: Option<String>) {
        let made = text.and_then(|t| Signature::of(&t).map(|s| (t, s)));
        let Some((text, sig)) = made else {
            *self.skipped.entry(kind).or_default() += 1;
            return;
        };
        let d = &self.docs[a];
        self.pairs.push(Pair {
            kind,
            a,
            b: None,
            sim: d.sig.similarity(&sig),
            exact: jaccard(&d.shingles, &shingle_hashes(&text)),
            lsh: lsh_candidate(&d.sig, &sig),
        });
    }

    fn real(&mut self, kind: Kind, i: usize, j: usize) {
        let (a, b) = (&self.docs[i], &self.docs[j]);
        self.pairs.push(Pair {
            kind,
            a: i,
            b: Some(j),
            sim: a.sig.similarity(&b.sig),
            exact: jaccard(&a.shingles, &b.shingles),
            lsh: lsh_candidate(&a.sig, &b.sig),
        });
    }

    fn positives(&mut self) {
        let docs = self.docs;
        let titles: Vec<&str> = docs
            .iter()
            .map(|d| d.title.as_str())
            .filter(|t| !t.trim().is_empty())
            .collect();
        let mut order: Vec<usize> = (0..docs.len()).collect();
        Rng::new(SEED).shuffle(&mut order);
        order.truncate(CAP);
        order.sort_unstable();
        for i in order {
            let body = docs[i].body.as_str();
            let other_titles: Vec<&str> = titles
                .iter()
                .copied()
                .filter(|t| *t != docs[i].title)
                .collect();
            let id = docs[i].id.as_str();
            let text = with_dateline(body, &mut Rng::for_item(id, 1));
            self.variant(Kind::Dateline, i, Some(text));
            let text = with_boilerplate(body, &other_titles, &mut Rng::for_item(id, 2));
            self.variant(Kind::Boilerplate, i, Some(text));
            self.variant(Kind::Reorder, i, reordered(body, &mut Rng::for_item(id, 3)));
            self.variant(
                Kind::Truncate,
                i,
                truncated(body, &mut Rng::for_item(id, 4)),
            );
            let edit = copy_edited(body, &mut Rng::for_item(id, 5));
            if let Some(e) = &edit {
                self.edit_shares.push(e.changed as f64 / e.tokens as f64);
            }
            self.variant(Kind::CopyEdit, i, edit.map(|e| e.text));
            let mut rng = Rng::for_item(id, 6);
            let combined = copy_edited(body, &mut rng).map(|e| {
                let dated = with_dateline(&e.text, &mut rng);
                with_boilerplate(&dated, &other_titles, &mut rng)
            });
            self.variant(Kind::Combined, i, combined);
        }
    }

    fn in_data(&mut self, overlaps: &[(usize, usize)]) {
        for &(i, j) in overlaps {
            self.used.insert((i, j));
            self.real(Kind::InData, i, j);
        }
    }

    fn shared_openings(&mut self) {
        let mut by_opening: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (i, d) in self.docs.iter().enumerate() {
            let w = norm_words(&d.body);
            if w.len() >= OPENING_WORDS {
                by_opening
                    .entry(w[..OPENING_WORDS].to_vec())
                    .or_default()
                    .push(i);
            }
        }
        let mut pairs = Vec::new();
        for ids in by_opening.values() {
            for (x, &i) in ids.iter().enumerate() {
                for &j in &ids[x + 1..] {
                    if !self.used.contains(&ordered(i, j)) {
                        pairs.push(ordered(i, j));
                    }
                }
            }
        }
        self.take(Kind::SharedOpening, pairs, 7);
    }

    /// Shuffles `pairs`, scores up to [`CAP`] of them not used yet.
    fn take(&mut self, kind: Kind, mut pairs: Vec<(usize, usize)>, salt: u64) {
        Rng::new(SEED ^ salt).shuffle(&mut pairs);
        let mut n = 0;
        for (i, j) in pairs {
            if n == CAP {
                break;
            }
            if self.used.insert(ordered(i, j)) {
                self.real(kind, i, j);
                n += 1;
            }
        }
    }

    fn groups(&self) -> BTreeMap<(Family, String), Vec<usize>> {
        let mut groups: BTreeMap<(Family, String), Vec<usize>> = BTreeMap::new();
        for (i, d) in self.docs.iter().enumerate() {
            if let Some(g) = &d.group {
                groups.entry(g.clone()).or_default().push(i);
            }
        }
        groups
    }

    fn same_subject(&mut self) {
        let groups = self.groups();
        for (family, kind) in [
            (Family::Pib, Kind::SameMinistry),
            (Family::Wikinews, Kind::SameTopic),
            (Family::Bbc, Kind::SameCategory),
        ] {
            let mut pairs = Vec::new();
            for ((f, _), ids) in &groups {
                if *f != family {
                    continue;
                }
                for (x, &i) in ids.iter().enumerate() {
                    for &j in &ids[x + 1..] {
                        if !self.used.contains(&(i, j)) {
                            pairs.push((i, j));
                        }
                    }
                }
            }
            self.take(kind, pairs, 8 + family as u64);
        }
    }

    fn same_leads(&mut self) {
        let docs = self.docs;
        let groups = self.groups();
        let mut order: Vec<usize> = (0..docs.len()).collect();
        Rng::new(SEED ^ 20).shuffle(&mut order);
        let mut n = 0;
        for b in order {
            if n == CAP {
                break;
            }
            let mut rng = Rng::for_item(&docs[b].id, 20);
            let pool: &[usize] = match &docs[b].group {
                Some(g) if groups[g].len() >= 2 => &groups[g],
                _ => &[],
            };
            let a = (0..16)
                .map(|_| {
                    if pool.is_empty() {
                        rng.below(docs.len())
                    } else {
                        *rng.pick(pool)
                    }
                })
                .find(|&a| a != b && !self.used.contains(&ordered(a, b)));
            let Some(a) = a else { continue };
            let Some(text) = same_lead(&docs[a].body, &docs[b].body) else {
                continue;
            };
            let Some(sig) = Signature::of(&text) else {
                continue;
            };
            self.pairs.push(Pair {
                kind: Kind::SameLead,
                a,
                b: Some(b),
                sim: docs[a].sig.similarity(&sig),
                exact: jaccard(&docs[a].shingles, &shingle_hashes(&text)),
                lsh: lsh_candidate(&docs[a].sig, &sig),
            });
            n += 1;
        }
    }

    fn random(&mut self) {
        let n = self.docs.len();
        let mut rng = Rng::new(SEED ^ 30);
        let mut made = 0;
        for _ in 0..CAP * 20 {
            if made == CAP || n < 2 {
                break;
            }
            let (i, j) = (rng.below(n), rng.below(n));
            if i == j || !self.used.insert(ordered(i, j)) {
                continue;
            }
            self.real(Kind::Random, i, j);
            made += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report

/// Per-kind figures.
#[derive(Debug, Clone)]
struct KindStats {
    pairs: usize,
    sim_mean: f64,
    sim_min: f32,
    sim_max: f32,
    exact_mean: f64,
    lsh_rate: f64,
    /// Share at or above the product's threshold (recall for positives, false-positive rate
    /// for negatives).
    flagged: f64,
    /// Share found at ingest: an LSH candidate and at or above the threshold.
    ingest: f64,
}

fn kind_stats(pairs: &[&Pair]) -> Option<KindStats> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let share = |f: &dyn Fn(&Pair) -> bool| pairs.iter().filter(|p| f(p)).count() as f64 / n;
    Some(KindStats {
        pairs: pairs.len(),
        sim_mean: pairs.iter().map(|p| f64::from(p.sim)).sum::<f64>() / n,
        sim_min: pairs.iter().map(|p| p.sim).fold(f32::INFINITY, f32::min),
        sim_max: pairs
            .iter()
            .map(|p| p.sim)
            .fold(f32::NEG_INFINITY, f32::max),
        exact_mean: pairs.iter().map(|p| p.exact).sum::<f64>() / n,
        lsh_rate: share(&|p| p.lsh),
        flagged: share(&|p| p.sim >= DUPLICATE_JACCARD),
        ingest: share(&|p| p.lsh && p.sim >= DUPLICATE_JACCARD),
    })
}

fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn pair_ids(docs: &[Doc], p: &Pair) -> String {
    match (p.kind, p.b) {
        (Kind::SameLead, Some(b)) => format!("{} vs {} with its lead", docs[p.a].id, docs[b].id),
        (_, Some(b)) => format!("{} vs {}", docs[p.a].id, docs[b].id),
        (_, None) => docs[p.a].id.clone(),
    }
}

/// `newsdesk-lab eval duplicates FILE…`.
pub fn run_eval_duplicates(files: &[PathBuf], verbose: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (docs, stats) = load(files)?;
    if docs.len() < 2 {
        bail!("fewer than two articles with a signature in the files given");
    }
    let overlapping = overlaps(&docs);
    let mut b = Builder {
        docs: &docs,
        pairs: Vec::new(),
        used: HashSet::new(),
        skipped: BTreeMap::new(),
        edit_shares: Vec::new(),
    };
    b.positives();
    b.in_data(&overlapping);
    b.shared_openings();
    b.same_subject();
    b.same_leads();
    b.random();
    let Builder {
        pairs,
        skipped,
        edit_shares,
        ..
    } = b;

    println!(
        "Reprint detection: MinHash {}-word shingles, reprint at similarity >= {DUPLICATE_JACCARD:.2}",
        SHINGLE_WORDS
    );
    println!(
        "files: {}; articles read {}, duplicate ids {}, exact copies dropped {}, too short (< {} shingles) {}, used {}",
        files.iter().map(|f| display_name(f)).collect::<Vec<_>>().join(", "),
        stats.read,
        stats.duplicate_ids,
        stats.exact_copies,
        MIN_SHINGLES,
        stats.too_short,
        docs.len()
    );
    println!();
    println!("pair kinds:");
    for k in Kind::ALL {
        let sign = match k.label() {
            Label::Positive => "+",
            Label::Negative => "-",
            Label::Unlabelled => "?",
        };
        println!("  {sign} {:<16} {}", k.key(), k.describe());
    }
    let mean_edit = if edit_shares.is_empty() {
        0.0
    } else {
        edit_shares.iter().sum::<f64>() / edit_shares.len() as f64
    };
    println!(
        "  copy-edit changed {:.1}% of the words on average; variants not made: {}",
        100.0 * mean_edit,
        if skipped.is_empty() {
            "none".to_string()
        } else {
            skipped
                .iter()
                .map(|(k, n)| format!("{} {n}", k.key()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!();
    println!(
        "{:<17} {:>5} {:>6} {:>6} {:>5} {:>5} {:>7} {:>5} {:>13} {:>7}",
        "kind", "", "pairs", "mean", "min", "max", "exactJ", "LSH", "at 0.50", "ingest"
    );
    let mut by_kind = serde_json::Map::new();
    for k in Kind::ALL {
        let of_kind: Vec<&Pair> = pairs.iter().filter(|p| p.kind == k).collect();
        let Some(s) = kind_stats(&of_kind) else {
            println!("{:<17} (no pairs)", k.key());
            continue;
        };
        let (label, rate_name) = match k.label() {
            Label::Positive => ("pos", "recall"),
            Label::Negative => ("neg", "FPR"),
            Label::Unlabelled => ("n/a", "flagged"),
        };
        println!(
            "{:<17} {:>5} {:>6} {:>6.3} {:>5.2} {:>5.2} {:>7.3} {:>5.3} {:>7} {:.3} {:>7.3}",
            k.key(),
            label,
            s.pairs,
            s.sim_mean,
            s.sim_min,
            s.sim_max,
            s.exact_mean,
            s.lsh_rate,
            rate_name,
            s.flagged,
            s.ingest
        );
        let mut entry = serde_json::json!({
                "label": match k.label() {
                    Label::Positive => "positive",
                    Label::Negative => "negative",
                    Label::Unlabelled => "unlabelled",
                },
                "pairs": s.pairs,
                "sim_mean": r4(s.sim_mean),
                "sim_min": r4(f64::from(s.sim_min)),
                "sim_max": r4(f64::from(s.sim_max)),
                "exact_jaccard_mean": r4(s.exact_mean),
                "lsh_candidate_rate": r4(s.lsh_rate),
                "found_at_ingest": r4(s.ingest),
        });
        entry[rate_name.to_lowercase()] = serde_json::json!(r4(s.flagged));
        by_kind.insert(k.key().to_string(), entry);
    }
    println!("(mean/min/max: the product's similarity; exactJ: exact shingle Jaccard; LSH: share of pairs the LSH bands make candidates; ingest: LSH candidate and >= 0.50)");

    let scored: Vec<(bool, f32)> = pairs
        .iter()
        .filter(|p| p.kind.label() != Label::Unlabelled)
        .map(|p| (p.kind.label() == Label::Positive, p.sim))
        .collect();
    let positives = scored.iter().filter(|s| s.0).count();
    println!();
    println!(
        "threshold curve ({} positives vs {} negatives):",
        positives,
        scored.len() - positives
    );
    println!(
        "  {:>9} {:>9} {:>7} {:>7} {:>6} {:>6}",
        "threshold", "precision", "recall", "F1", "FP", "FN"
    );
    let curve: Vec<Prf> = curve_thresholds()
        .into_iter()
        .map(|t| prf(&scored, t))
        .collect();
    for p in &curve {
        println!(
            "  {:>9.2} {:>9.4} {:>7.4} {:>7.4} {:>6} {:>6}{}",
            p.threshold,
            p.precision,
            p.recall,
            p.f1,
            p.fp,
            p.fn_,
            if p.threshold == DUPLICATE_JACCARD {
                "   <- product (DUPLICATE_JACCARD)"
            } else {
                ""
            }
        );
    }
    let at = prf(&scored, DUPLICATE_JACCARD);
    let best = best_f1(&curve).unwrap_or(at);
    let fine: Vec<Prf> = (1..=64).map(|k| prf(&scored, k as f32 / 64.0)).collect();
    let best_fine = best_f1(&fine).unwrap_or(at);
    println!(
        "best F1 on the curve: threshold {:.2} (P {:.4} R {:.4} F1 {:.4}); over every reachable value k/64: {:.4} (F1 {:.4}); product {:.2}: F1 {:.4}",
        best.threshold,
        best.precision,
        best.recall,
        best.f1,
        best_fine.threshold,
        best_fine.f1,
        DUPLICATE_JACCARD,
        at.f1
    );

    let in_data: Vec<f32> = pairs
        .iter()
        .filter(|p| p.kind == Kind::InData)
        .map(|p| p.sim)
        .collect();
    if !in_data.is_empty() {
        let flagged = |t: f32| in_data.iter().filter(|&&s| s >= t).count();
        println!(
            "in-data overlaps (unlabelled) called reprints: {} of {} at {:.2}, {} at the best-F1 {:.2}",
            flagged(DUPLICATE_JACCARD),
            in_data.len(),
            DUPLICATE_JACCARD,
            flagged(best.threshold),
            best.threshold
        );
    }
    if verbose {
        // The ten pairs of one label nearest the threshold from the wrong side.
        let show = |title: &str, label: Label, lowest_first: bool| {
            let mut v: Vec<&Pair> = pairs.iter().filter(|p| p.kind.label() == label).collect();
            v.sort_by(|x, y| {
                let by_sim = x.sim.total_cmp(&y.sim);
                if lowest_first {
                    by_sim
                } else {
                    by_sim.reverse()
                }
                .then(x.a.cmp(&y.a))
            });
            println!("{title}:");
            for p in v.iter().take(10) {
                println!(
                    "  {:.3} (exact {:.3}) {:<14} {}",
                    p.sim,
                    p.exact,
                    p.kind.key(),
                    pair_ids(&docs, p)
                );
            }
        };
        println!();
        show(
            "hardest positives (lowest similarity)",
            Label::Positive,
            true,
        );
        show("highest-similarity negatives", Label::Negative, false);
        let mut data: Vec<&Pair> = pairs.iter().filter(|p| p.kind == Kind::InData).collect();
        data.sort_by(|x, y| y.sim.total_cmp(&x.sim).then(x.a.cmp(&y.a)));
        println!("overlaps in the data (unlabelled):");
        for p in &data {
            let (a, b) = (&docs[p.a], &docs[p.b.unwrap_or(p.a)]);
            println!(
                "  {:.3} (exact {:.3}) {} vs {}: {:?} / {:?}",
                p.sim,
                p.exact,
                a.id,
                b.id,
                truncate_chars(&a.title, 40),
                truncate_chars(&b.title, 40)
            );
        }
    }
    eprintln!("({:.1}s)", started.elapsed().as_secs_f64());
    println!(
        "{}",
        serde_json::json!({
            "threshold": DUPLICATE_JACCARD,
            "precision": r4(at.precision),
            "recall": r4(at.recall),
            "f1": r4(at.f1),
            "by_kind": by_kind,
            "curve": curve.iter().map(|p| serde_json::json!({
                "threshold": r4(f64::from(p.threshold)),
                "precision": r4(p.precision),
                "recall": r4(p.recall),
                "f1": r4(p.f1),
            })).collect::<Vec<_>>(),
            "best_f1_threshold": r4(f64::from(best.threshold)),
            "pairs": scored.len(),
            "articles": docs.len(),
            "too_short": stats.too_short,
        })
    );
    Ok(())
}

fn display_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAS: &str = "The ministry launched a programme for 10,000 farmers on Monday.\n\n\
        Officials said the centre would help districts apply. About 400 people attended.\n\n\
        The scheme also covers fisheries and dairy cooperatives in coastal states.\n\n\
        Applications open next month through the portal, the ministry said.\n\n\
        Earlier, a pilot ran in five districts of Odisha with many partners.";

    const ONE: &str = "Apple released the iPhone SDK on Thursday. Developers can sell \
        applications through the App Store. The program costs $99 to join. Enterprises can \
        set up private pages. Mr. Jobs said more was coming.";

    fn rng() -> Rng {
        Rng::new(42)
    }

    fn sorted(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v
    }

    #[test]
    fn splitmix_is_deterministic_and_uniformish() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = rng();
        let mut hits = [0usize; 4];
        for _ in 0..4000 {
            hits[r.below(4)] += 1;
        }
        assert!(hits.iter().all(|&h| (800..1200).contains(&h)), "{hits:?}");
        let mut v: Vec<usize> = (0..50).collect();
        r.shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..50).collect::<Vec<_>>());
        assert_ne!(v, s);
    }

    #[test]
    fn sentences_skip_abbreviations_and_cover_the_text() {
        let spans = sentence_spans(ONE);
        let texts: Vec<&str> = spans.iter().map(|&(s, e)| &ONE[s..e]).collect();
        assert_eq!(texts.len(), 5, "{texts:?}");
        assert_eq!(texts[4], "Mr. Jobs said more was coming.");
        assert_eq!(texts[0], "Apple released the iPhone SDK on Thursday.");
    }

    #[test]
    fn dateline_variant_ends_with_the_original_body() {
        let mut r = rng();
        for _ in 0..20 {
            let v = with_dateline(PARAS, &mut r);
            assert!(v.ends_with(PARAS));
            let prefix = &v[..v.len() - PARAS.len()];
            assert!(prefix.ends_with(' '), "{prefix:?}");
            assert!((2..=8).contains(&word_count(prefix)), "{prefix:?}");
        }
    }

    #[test]
    fn boilerplate_variant_keeps_the_body_and_adds_20_to_60_words() {
        let titles = [
            "Ad sales boost Time Warner profit",
            "Dollar gains on Greenspan speech",
        ];
        let mut r = rng();
        for _ in 0..50 {
            let v = with_boilerplate(PARAS, &titles, &mut r);
            assert!(v.starts_with(PARAS));
            let added = word_count(&v[PARAS.len()..]);
            assert!((20..=60).contains(&added), "{added}: {v}");
            assert!(paragraphs(&v).starts_with(&paragraphs(PARAS)));
        }
    }

    #[test]
    fn reordered_variant_has_the_same_paragraphs_in_another_order() {
        let mut r = rng();
        for _ in 0..20 {
            let v = reordered(PARAS, &mut r).unwrap();
            assert_ne!(paragraphs(&v), paragraphs(PARAS));
            assert_eq!(sorted(paragraphs(&v)), sorted(paragraphs(PARAS)));
        }
    }

    #[test]
    fn a_one_paragraph_body_is_cut_at_a_sentence_and_swapped() {
        let v = reordered(ONE, &mut rng()).unwrap();
        let parts = paragraphs(&v);
        assert_eq!(parts.len(), 2);
        assert_eq!(format!("{} {}", parts[1], parts[0]), ONE);
        let starts: Vec<usize> = sentence_spans(ONE).iter().map(|s| s.0).collect();
        assert!(starts.contains(&(ONE.len() - parts[0].len())));
        assert!(reordered("Just one sentence here without an end", &mut rng()).is_none());
    }

    #[test]
    fn truncation_keeps_a_prefix_of_the_paragraphs() {
        let mut r = rng();
        let all = paragraphs(PARAS);
        for _ in 0..20 {
            let v = truncated(PARAS, &mut r).unwrap();
            let kept = paragraphs(&v);
            assert!(PARAS.starts_with(&v));
            assert!(all.starts_with(&kept));
            assert!((3..=4).contains(&kept.len()), "{}", kept.len());
        }
        // Uneven paragraphs (a dateline, a long last one): cut at a sentence end instead.
        let uneven = format!("Thursday, May 7, 2015\n\n{ONE}\n\n{ONE} {ONE} {ONE}");
        for _ in 0..20 {
            let v = truncated(&uneven, &mut r).unwrap();
            assert!(uneven.starts_with(&v) && v.ends_with('.'));
            let share = word_count(&v) as f64 / word_count(&uneven) as f64;
            assert!((0.5..=0.9).contains(&share), "{share}");
        }
        let v = truncated(ONE, &mut rng()).unwrap();
        assert!(ONE.starts_with(&v) && v.ends_with('.') && v.len() < ONE.len());
        assert!(truncated("One sentence only.", &mut rng()).is_none());
    }

    #[test]
    fn copy_editing_changes_about_five_percent_of_tokens_in_place() {
        assert_eq!(token_spans("Rs 1,00,000 and 10,000, said").len(), 5);
        assert_eq!(edit_of("10,000", false).as_deref(), Some("10000"));
        assert_eq!(edit_of("1,00,000", false).as_deref(), Some("100000"));
        assert_eq!(edit_of("250000", false).as_deref(), Some("250,000"));
        assert_eq!(edit_of("2026", false), None);
        assert_eq!(edit_of("programme", false).as_deref(), Some("program"));
        assert_eq!(edit_of("program", false).as_deref(), Some("programme"));
        assert_eq!(
            edit_of("organisations", false).as_deref(),
            Some("organizations")
        );
        assert_eq!(
            edit_of("prioritized", false).as_deref(),
            Some("prioritised")
        );
        assert_eq!(edit_of("promised", false), None);
        assert_eq!(edit_of("enterprises", false), None);
        assert_eq!(edit_of("rise", false), None);
        assert_eq!(edit_of("said", false).as_deref(), Some("stated"));
        assert_eq!(edit_of("However", true).as_deref(), Some("Nevertheless"));
        assert_eq!(edit_of("Major", false), None);
        assert_eq!(edit_of("Labour", true), None);
        let e = copy_edited(PARAS, &mut rng()).unwrap();
        let before = token_spans(PARAS);
        let after = token_spans(&e.text);
        assert_eq!(before.len(), after.len());
        assert_eq!(e.tokens, before.len());
        let differ = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| PARAS[a.0..a.1] != e.text[b.0..b.1])
            .count();
        assert_eq!(differ, e.changed);
        assert_eq!(e.changed, (before.len() as f64 * 0.05).round() as usize);
        assert_eq!(paragraphs(&e.text).len(), paragraphs(PARAS).len());
        assert!(copy_edited("Nothing editable here at all", &mut rng()).is_none());
    }

    #[test]
    fn same_lead_swaps_only_the_lead() {
        let v = same_lead(PARAS, ONE).unwrap();
        let lead = paragraphs(PARAS)[0];
        assert!(v.starts_with(lead));
        assert!(v.ends_with("Developers can sell applications through the App Store. The program costs $99 to join. Enterprises can set up private pages. Mr. Jobs said more was coming."));
        assert!(!v.contains("Apple released"));
        // A's lead would be most of the result.
        assert!(same_lead(PARAS, "Short lead here. And a tail.").is_none());
    }

    #[test]
    fn precision_recall_on_a_hand_made_list() {
        let scored = [
            (true, 0.9),
            (true, 0.6),
            (true, 0.5),
            (true, 0.3),
            (false, 0.55),
            (false, 0.2),
            (false, 0.1),
        ];
        let p = prf(&scored, 0.5);
        assert_eq!((p.tp, p.fp, p.fn_), (3, 1, 1));
        assert!((p.precision - 0.75).abs() < 1e-12);
        assert!((p.recall - 0.75).abs() < 1e-12);
        assert!((p.f1 - 0.75).abs() < 1e-12);
        let p = prf(&scored, 0.95);
        assert_eq!(
            (p.tp, p.fp, p.precision, p.recall, p.f1),
            (0, 0, 1.0, 0.0, 0.0)
        );
        let p = prf(&scored, 0.25);
        assert_eq!((p.tp, p.fp, p.fn_), (4, 1, 0));
        let curve: Vec<Prf> = [0.25, 0.5, 0.95].iter().map(|&t| prf(&scored, t)).collect();
        assert_eq!(best_f1(&curve).unwrap().threshold, 0.25);
        let t = curve_thresholds();
        assert_eq!(t.len(), 16);
        assert_eq!(t[6], DUPLICATE_JACCARD);
        assert_eq!(t[15], 0.95);
    }

    #[test]
    fn groups_come_from_category_topic_or_ministry() {
        let g = |s: &str| group_of(&serde_json::from_str(s).unwrap());
        assert_eq!(
            g(r#"{"category": "business"}"#),
            Some((Family::Bbc, "business".into()))
        );
        assert_eq!(
            g(r#"{"source": "Wikinews (MEANTIME corpus, topic=apple)"}"#),
            Some((Family::Wikinews, "apple".into()))
        );
        assert_eq!(
            g(
                r#"{"source": "Press Information Bureau, Government of India (PIB Delhi) / Ministry of Defence"}"#
            ),
            Some((Family::Pib, "Ministry of Defence".into()))
        );
        assert_eq!(
            g(r#"{"source": "Wikinews (via GUM corpus, genre=news)"}"#),
            None
        );
    }

    #[test]
    fn shared_counts_common_hashes() {
        assert_eq!(shared(&[1, 3, 5, 7], &[3, 4, 5, 8]), 2);
        assert!((jaccard(&[1, 2], &[2, 3]) - 1.0 / 3.0).abs() < 1e-12);
    }
}
