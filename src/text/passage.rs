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

    /// Byte offsets of the word pieces of `text` (no special tokens), in order.
    pub fn token_offsets(&self, text: &str) -> Vec<(usize, usize)> {
        match self.tok.encode(text, false) {
            Ok(e) => e.get_offsets().to_vec(),
            // Never expected (see `count`): fall back to whitespace-separated words.
            Err(_) => {
                let mut v = Vec::new();
                let mut start = None;
                for (i, c) in text.char_indices() {
                    match (c.is_whitespace(), start) {
                        (true, Some(s)) => {
                            v.push((s, i));
                            start = None;
                        }
                        (false, None) => start = Some(i),
                        _ => {}
                    }
                }
                if let Some(s) = start {
                    v.push((s, text.len()));
                }
                v
            }
        }
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

/// Splits an over-budget sentence into pieces of at most `budget` word pieces, in time linear
/// in its length: the sentence is tokenized once, and each piece ends at the furthest clause
/// mark (if the piece keeps at least a third of the budget), else word boundary, else token
/// boundary that stays within the budget.
fn split_long(
    body: &str,
    sp: Span,
    counter: &WordPieceCounter,
    budget: usize,
) -> Vec<(usize, usize)> {
    let toks: Vec<(usize, usize)> = counter
        .token_offsets(&body[sp.start..sp.end])
        .into_iter()
        .map(|(a, b)| (sp.start + a, sp.start + b))
        .collect();
    let (clause, words) = cut_points(body, sp.start, sp.end);
    // Tokens in body[pos..c]: those that start at or after pos and end at or before c.
    let tokens_between = |pos: usize, c: usize| {
        let a = toks.partition_point(|t| t.0 < pos);
        let b = toks.partition_point(|t| t.1 <= c);
        b.saturating_sub(a)
    };
    // The furthest cut in `cuts` within (pos, limit], found from a cursor that only moves on.
    fn furthest(cuts: &[usize], cursor: &mut usize, pos: usize, limit: usize) -> Option<usize> {
        while *cursor < cuts.len() && cuts[*cursor] <= limit {
            *cursor += 1;
        }
        (*cursor > 0 && cuts[*cursor - 1] > pos).then(|| cuts[*cursor - 1])
    }
    let (mut ci, mut wi) = (0usize, 0usize);
    let mut out = Vec::new();
    let mut pos = sp.start;
    let mut ti = 0usize;
    while pos < sp.end {
        while ti < toks.len() && toks[ti].0 < pos {
            ti += 1;
        }
        let rest = toks.len() - ti;
        // The rest fits when counted on its own too: a piece that starts inside a word can
        // tokenise into more pieces than it had inside the whole sentence.
        if rest <= 1 || (rest <= budget && counter.count(&body[pos..sp.end]) <= budget) {
            out.push((pos, sp.end));
            break;
        }
        // Cutting at the start of token ti + k keeps k tokens: `budget`, or one fewer than
        // the rest when the rest only overflows once counted on its own.
        let k = budget.min(rest - 1);
        let limit = toks[ti + k].0;
        let by_clause = furthest(&clause, &mut ci, pos, limit)
            .filter(|&c| tokens_between(pos, c) * 3 >= budget);
        let mut cut = by_clause
            .or_else(|| furthest(&words, &mut wi, pos, limit))
            .unwrap_or(limit);
        // Word pieces of a piece can differ from the whole sentence's by a token where a cut
        // falls inside a word; step back to earlier token boundaries until it fits.
        let mut back = ti + k;
        while counter.count(&body[pos..cut]) > budget && back > ti + 1 {
            back -= 1;
            cut = toks[back].0;
        }
        if cut <= pos {
            cut = pos + body[pos..].chars().next().map_or(1, char::len_utf8);
        }
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
