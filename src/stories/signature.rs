//! Near-duplicate detection: MinHash signatures over word shingles, and a banded LSH table that
//! finds the stored articles whose signature may be close to a new one.
//!
//! A wire story reprinted by five outlets differs in its dateline, a credit line, a trailing
//! "Also read" block or the order of two paragraphs; it shares nearly all of its five-word
//! shingles. The share of shared shingles (Jaccard similarity of the shingle sets) is estimated
//! by the share of equal MinHash values, and [`DUPLICATE_JACCARD`] decides (measured with
//! `newsdesk-lab eval duplicates`, EVAL.md).
//!
//! Hashes are computed here (FNV-1a over the words, then fixed multiply-shift permutations), not
//! with the standard library's hasher, because signatures are stored and must compare across
//! builds.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 5;

/// MinHash values per signature.
pub const SIGNATURE_LEN: usize = 64;

/// Rows per LSH band: with 32 bands of 2 rows, two texts sharing half their shingles meet in
/// some band with probability 1 − (1 − 0.5²)³² > 0.9999.
const BAND_ROWS: usize = 2;

/// Bodies with fewer shingles than this get no signature: a two-line brief says too little to
/// tell a reprint from a different story in the same words.
pub const MIN_SHINGLES: usize = 12;

/// Estimated Jaccard similarity of the shingle sets at or above which an article is a reprint
/// of an earlier one (the threshold curve is in EVAL.md).
pub const DUPLICATE_JACCARD: f32 = 0.5;

/// The MinHash signature of a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Minimum of each permutation over the shingle hashes (upper 32 bits).
    pub mins: Vec<u32>,
    /// Distinct shingles the text has.
    pub shingles: u32,
}

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    let mut h = h;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// splitmix64: the fixed sequence the permutations are drawn from.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn permutations() -> &'static [(u64, u64); SIGNATURE_LEN] {
    static P: std::sync::OnceLock<[(u64, u64); SIGNATURE_LEN]> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut s = 0x6e65_7773_6465_736b; // "newsdesk"
        let mut p = [(0, 0); SIGNATURE_LEN];
        for slot in &mut p {
            *slot = (splitmix(&mut s) | 1, splitmix(&mut s));
        }
        p
    })
}

/// Lower-cased alphanumeric words of a text: punctuation, case and spacing do not make a copy
/// different.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Hashes of the distinct word shingles of `text`.
pub fn shingle_hashes(text: &str) -> Vec<u64> {
    let w = words(text);
    if w.len() < SHINGLE_WORDS {
        return Vec::new();
    }
    let mut out: Vec<u64> = w
        .windows(SHINGLE_WORDS)
        .map(|win| {
            win.iter()
                .fold(FNV_OFFSET, |h, word| fnv1a(fnv1a(h, word.as_bytes()), b" "))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Signature {
    /// The signature of a text, or `None` when it has fewer than [`MIN_SHINGLES`] shingles.
    pub fn of(text: &str) -> Option<Signature> {
        let hashes = shingle_hashes(text);
        if hashes.len() < MIN_SHINGLES {
            return None;
        }
        let mins = permutations()
            .iter()
            .map(|&(a, b)| {
                hashes
                    .iter()
                    .map(|&h| (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32)
                    .min()
                    .unwrap_or(u32::MAX)
            })
            .collect();
        Some(Signature {
            mins,
            shingles: hashes.len() as u32,
        })
    }

    /// Estimated Jaccard similarity of the two shingle sets: the share of equal minima.
    pub fn similarity(&self, other: &Signature) -> f32 {
        let n = self.mins.len().min(other.mins.len());
        if n == 0 {
            return 0.0;
        }
        let same = self
            .mins
            .iter()
            .zip(&other.mins)
            .filter(|(a, b)| a == b)
            .count();
        same as f32 / n as f32
    }

    /// The LSH band keys of this signature.
    fn bands(&self) -> impl Iterator<Item = u64> + '_ {
        self.mins.chunks(BAND_ROWS).enumerate().map(|(band, rows)| {
            let mut h = fnv1a(FNV_OFFSET, &(band as u32).to_le_bytes());
            for r in rows {
                h = fnv1a(h, &r.to_le_bytes());
            }
            h
        })
    }
}

/// Banded LSH over stored signatures: finds candidate reprints without comparing against
/// every article.
#[derive(Debug, Default)]
pub struct LshTable {
    buckets: HashMap<u64, Vec<String>>,
}

impl LshTable {
    /// Adds an article's signature.
    pub fn insert(&mut self, id: &str, sig: &Signature) {
        for key in sig.bands() {
            let ids = self.buckets.entry(key).or_default();
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
    }

    /// Removes an article's signature.
    pub fn remove(&mut self, id: &str, sig: &Signature) {
        for key in sig.bands() {
            if let Some(ids) = self.buckets.get_mut(&key) {
                ids.retain(|x| x != id);
                if ids.is_empty() {
                    self.buckets.remove(&key);
                }
            }
        }
    }

    /// Ids sharing at least one band with `sig`, each once, in a stable order.
    pub fn candidates(&self, sig: &Signature) -> Vec<&str> {
        let mut out: Vec<&str> = sig
            .bands()
            .filter_map(|k| self.buckets.get(&k))
            .flatten()
            .map(String::as_str)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = "The Small Industries Development Bank of India on Tuesday launched a \
        cluster development scheme for micro and small enterprises in twelve districts, with a \
        corpus of Rs 500 crore over three years. The bank said the scheme would fund common \
        facility centres, testing laboratories and design studios run by industry associations. \
        Officials said applications open next month through the bank's portal.";

    #[test]
    fn a_reprint_with_a_new_dateline_and_credit_is_close() {
        let a = Signature::of(WIRE).unwrap();
        let b = Signature::of(&format!(
            "Mumbai, Mar 3 (PTI): {WIRE} (With inputs from agencies)"
        ))
        .unwrap();
        assert!(
            a.similarity(&b) >= DUPLICATE_JACCARD,
            "{}",
            a.similarity(&b)
        );
        assert_eq!(a.similarity(&a), 1.0);
    }

    #[test]
    fn reordered_paragraphs_stay_close_and_a_different_story_does_not() {
        let parts: Vec<&str> = WIRE.split(". ").collect();
        let reordered = format!("{}. {}. {}", parts[1], parts[0], parts[2..].join(". "));
        let a = Signature::of(WIRE).unwrap();
        let b = Signature::of(&reordered).unwrap();
        assert!(
            a.similarity(&b) >= DUPLICATE_JACCARD,
            "{}",
            a.similarity(&b)
        );
        let other = Signature::of(
            "The Reserve Bank of India kept its policy rate unchanged on Friday and said \
             inflation would ease in the second half of the year as food prices soften, while \
             growth stays close to seven per cent according to its projections.",
        )
        .unwrap();
        assert!(a.similarity(&other) < 0.2, "{}", a.similarity(&other));
    }

    #[test]
    fn short_texts_get_no_signature() {
        assert!(Signature::of("SIDBI launches a scheme for clusters").is_none());
    }

    #[test]
    fn lsh_finds_the_reprint_and_forgets_removed_ids() {
        let a = Signature::of(WIRE).unwrap();
        let b = Signature::of(&format!("{WIRE} Also read: markets today.")).unwrap();
        let mut t = LshTable::default();
        t.insert("a", &a);
        assert_eq!(t.candidates(&b), vec!["a"]);
        t.remove("a", &a);
        assert!(t.candidates(&b).is_empty());
    }
}
