//! Passages: consecutive sentences packed up to a word-piece budget measured with the embedding
//! model's own tokenizer, with one sentence of overlap between neighbours. A sentence over the
//! budget is split at clause boundaries (`,` `;` `:` dashes, closing brackets), else between
//! words, else between characters — never truncated: every byte of every sentence is in some
//! passage.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Span;

/// Word pieces per passage unless the caller says otherwise (the model's training length).
pub const DEFAULT_BUDGET: usize = 128;

/// Problems in the text layer.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The tokenizer file is missing or unreadable.
    #[error("cannot load the tokenizer from {path}: {message}")]
    Tokenizer { path: PathBuf, message: String },
}

/// A run of body text for embedding. `first_sentence..last_sentence` (exclusive) are the
/// sentences it touches; for a piece of a split sentence that is one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageSpan {
    pub start: usize,
    pub end: usize,
    pub word_pieces: usize,
    pub first_sentence: usize,
    pub last_sentence: usize,
}

/// Counts WordPiece tokens exactly as the embedder will see them, without `[CLS]`/`[SEP]`.
pub struct WordPieceCounter {
    tok: tokenizers::Tokenizer,
}

impl WordPieceCounter {
    /// Loads `tokenizer.json` from a model directory, with truncation and padding turned off.
    pub fn from_model_dir(dir: &Path) -> Result<Self, TextError> {
        let path = dir.join("tokenizer.json");
        let err = |m: String| TextError::Tokenizer {
            path: path.clone(),
            message: m,
        };
        let mut tok = tokenizers::Tokenizer::from_file(&path).map_err(|e| err(e.to_string()))?;
        tok.with_truncation(None).map_err(|e| err(e.to_string()))?;
        tok.with_padding(None);
        Ok(WordPieceCounter { tok })
    }

    /// Number of word pieces in `text` (no special tokens).
    pub fn count(&self, text: &str) -> usize {
        match self.tok.encode(text, false) {
            Ok(e) => e.get_ids().len(),
            // The BERT tokenizer does not fail on text; if it ever did, over-count rather than under.
            Err(_) => text.split_whitespace().count() * 2,
        }
    }
}

fn skip_ws(body: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        let c = body[i..].chars().next().unwrap();
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn trim_end(body: &str, start: usize, end: usize) -> usize {
    start + body[start..end].trim_end().len()
}

/// Cut points inside `body[s..e]`: (position after the clause mark, is_clause).
fn cut_points(body: &str, s: usize, e: usize) -> (Vec<usize>, Vec<usize>) {
    let mut clause = Vec::new();
    let mut words = Vec::new();
    let t = &body[s..e];
    let mut prev: Option<char> = None;
    for (i, c) in t.char_indices() {
        if c.is_whitespace() {
            if let Some(p) = prev {
                if !p.is_whitespace() {
                    words.push(s + i);
                    if matches!(p, ',' | ';' | ':' | '—' | '–' | ')' | ']') {
                        clause.push(s + i);
                    }
                    if p == '-' && i >= 2 && t[..i - 1].ends_with(' ') {
                        clause.push(s + i);
                    }
                }
            }
        }
        prev = Some(c);
    }
    (clause, words)
}

/// Furthest cut in `cuts` (ascending) with `count(body[pos..cut]) <= budget`.
fn furthest_fit(
    body: &str,
    pos: usize,
    cuts: &[usize],
    counter: &WordPieceCounter,
    budget: usize,
) -> Option<usize> {
    let cands: Vec<usize> = cuts.iter().copied().filter(|&c| c > pos).collect();
    let (mut lo, mut hi) = (0usize, cands.len());
    let mut best = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let c = cands[mid];
        if counter.count(&body[pos..c]) <= budget {
            best = Some(c);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

/// Splits an over-budget sentence into pieces of at most `budget` word pieces.
fn split_long(
    body: &str,
    sp: Span,
    counter: &WordPieceCounter,
    budget: usize,
) -> Vec<(usize, usize)> {
    let (clause, words) = cut_points(body, sp.start, sp.end);
    let mut out = Vec::new();
    let mut pos = sp.start;
    while pos < sp.end {
        if counter.count(&body[pos..sp.end]) <= budget {
            out.push((pos, sp.end));
            break;
        }
        let by_clause = furthest_fit(body, pos, &clause, counter, budget)
            .filter(|&c| counter.count(&body[pos..c]) * 3 >= budget);
        let cut = by_clause
            .or_else(|| furthest_fit(body, pos, &words, counter, budget))
            .unwrap_or_else(|| {
                // one enormous "word": cut between characters
                let chars: Vec<usize> = body[pos..sp.end]
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| pos + i)
                    .collect();
                furthest_fit(body, pos, &chars, counter, budget)
                    .unwrap_or_else(|| chars.first().copied().unwrap_or(sp.end))
            });
        let end = trim_end(body, pos, cut);
        out.push((
            pos,
            end.max(pos + body[pos..].chars().next().map_or(1, char::len_utf8)),
        ));
        pos = skip_ws(body, cut, sp.end);
    }
    out
}

/// Packs sentences into passages of at most `budget` word pieces (one sentence of overlap).
pub fn passages(
    body: &str,
    sentences: &[Span],
    counter: &WordPieceCounter,
    budget: usize,
) -> Vec<PassageSpan> {
    let budget = budget.max(1);
    let n = sentences.len();
    let counts: Vec<usize> = sentences
        .iter()
        .map(|s| counter.count(&body[s.start..s.end]))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if counts[i] > budget {
            for (a, b) in split_long(body, sentences[i], counter, budget) {
                out.push(PassageSpan {
                    start: a,
                    end: b,
                    word_pieces: counter.count(&body[a..b]),
                    first_sentence: i,
                    last_sentence: i + 1,
                });
            }
            i += 1;
            continue;
        }
        let mut j = i;
        let mut total = 0;
        while j < n && total + counts[j] <= budget {
            total += counts[j];
            j += 1;
        }
        let (start, mut end) = (sentences[i].start, sentences[j - 1].end);
        let mut wp = counter.count(&body[start..end]);
        while wp > budget && j - 1 > i {
            j -= 1;
            end = sentences[j - 1].end;
            wp = counter.count(&body[start..end]);
        }
        out.push(PassageSpan {
            start,
            end,
            word_pieces: wp,
            first_sentence: i,
            last_sentence: j,
        });
        if j >= n {
            break;
        }
        i = if j - i >= 2 && counts[j - 1] + counts[j] <= budget {
            j - 1
        } else {
            j
        };
    }
    out
}
