//! ROUGE-1, ROUGE-2 and ROUGE-L (F1), written here to follow Google's `rouge-score` package
//! (the Python reference most papers use) with `use_stemmer=True`:
//!
//! * **Tokenisation**: lower-case (Unicode lower-casing), every run of characters other than
//!   ASCII `a-z0-9` is a separator, so `$11.1bn` gives `11`, `1bn` and `AOL's` gives `aol`, `s`.
//! * **Stemming**: tokens longer than 3 characters are stemmed. `rouge-score` uses NLTK's Porter
//!   stemmer; here the English stemmer of the `rust-stemmers` crate, which is **Porter2
//!   (Snowball English)**, the revised Porter algorithm. The two agree on most English words and
//!   differ on some (`generously`: Porter `gener`, Porter2 `generous`), so scores can differ
//!   slightly from `rouge-score`; EVAL.md gives the size of the difference on the BBC set.
//! * **ROUGE-N**: clipped n-gram overlap, `P = overlap / n-grams of the candidate`,
//!   `R = overlap / n-grams of the reference`, `F1 = 2PR / (P + R)` (0 when both are 0).
//! * **ROUGE-L**: the longest common subsequence of the two token sequences (the whole text as
//!   one sequence, `rouge-score`'s `rougeL`, not the per-sentence `rougeLsum`),
//!   `P = LCS / candidate tokens`, `R = LCS / reference tokens`, F1 as above.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

/// Precision, recall and F1 of one comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prf {
    /// Share of the candidate found in the reference.
    pub precision: f64,
    /// Share of the reference found in the candidate.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
}

impl Prf {
    fn new(hits: usize, candidate: usize, reference: usize) -> Prf {
        let precision = hits as f64 / candidate.max(1) as f64;
        let recall = hits as f64 / reference.max(1) as f64;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Prf {
            precision,
            recall,
            f1,
        }
    }
}

/// ROUGE-1/2/L F1 of one candidate against one reference, in [0, 1].
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct RougeScores {
    /// ROUGE-1 F1.
    pub rouge1: f64,
    /// ROUGE-2 F1.
    pub rouge2: f64,
    /// ROUGE-L F1.
    #[serde(rename = "rougeL")]
    pub rouge_l: f64,
}

impl RougeScores {
    /// Mean of many scores (all zero for none).
    pub fn mean(scores: &[RougeScores]) -> RougeScores {
        let n = scores.len().max(1) as f64;
        RougeScores {
            rouge1: scores.iter().map(|s| s.rouge1).sum::<f64>() / n,
            rouge2: scores.iter().map(|s| s.rouge2).sum::<f64>() / n,
            rouge_l: scores.iter().map(|s| s.rouge_l).sum::<f64>() / n,
        }
    }

    /// The same scores ×100, as ROUGE tables usually print them.
    pub fn percent(&self) -> RougeScores {
        RougeScores {
            rouge1: self.rouge1 * 100.0,
            rouge2: self.rouge2 * 100.0,
            rouge_l: self.rouge_l * 100.0,
        }
    }
}

/// The scorer: holds the stemmer.
pub struct Rouge {
    stemmer: Stemmer,
}

impl Default for Rouge {
    fn default() -> Self {
        Rouge {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl Rouge {
    /// Tokens as `rouge-score` makes them (see the module docs).
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                cur.push(c);
            } else if !cur.is_empty() {
                out.push(self.stem(std::mem::take(&mut cur)));
            }
        }
        if !cur.is_empty() {
            out.push(self.stem(cur));
        }
        out
    }

    fn stem(&self, token: String) -> String {
        if token.len() > 3 {
            self.stemmer.stem(&token).into_owned()
        } else {
            token
        }
    }

    /// ROUGE-1, -2 and -L F1 of `candidate` against `reference`.
    pub fn score(&self, candidate: &str, reference: &str) -> RougeScores {
        let c = self.tokens(candidate);
        let r = self.tokens(reference);
        RougeScores {
            rouge1: rouge_n(&c, &r, 1).f1,
            rouge2: rouge_n(&c, &r, 2).f1,
            rouge_l: rouge_l(&c, &r).f1,
        }
    }
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut m = HashMap::new();
    if n == 0 || tokens.len() < n {
        return m;
    }
    for w in tokens.windows(n) {
        *m.entry(w).or_insert(0) += 1;
    }
    m
}

/// ROUGE-N of token sequences: clipped n-gram overlap.
pub fn rouge_n(candidate: &[String], reference: &[String], n: usize) -> Prf {
    let c = ngrams(candidate, n);
    let r = ngrams(reference, n);
    let hits: usize = c
        .iter()
        .map(|(g, &k)| k.min(r.get(g).copied().unwrap_or(0)))
        .sum();
    Prf::new(hits, c.values().sum(), r.values().sum())
}

/// Length of the longest common subsequence (two-row dynamic programme).
pub fn lcs_len(a: &[String], b: &[String]) -> usize {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// ROUGE-L of token sequences: LCS-based precision, recall and F1.
pub fn rouge_l(candidate: &[String], reference: &[String]) -> Prf {
    if candidate.is_empty() || reference.is_empty() {
        return Prf::default();
    }
    Prf::new(
        lcs_len(candidate, reference),
        candidate.len(),
        reference.len(),
    )
}

/// The first `n` whitespace-separated words of `text`, joined by single spaces.
pub fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        Rouge::default().tokens(s)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn tokenises_like_rouge_score() {
        assert_eq!(
            toks("TimeWarner's $11.1bn (£600m) deal."),
            vec!["timewarn", "s", "11", "1bn", "600m", "deal"]
        );
        // Words of three characters or fewer are not stemmed.
        assert_eq!(toks("cats ran was"), vec!["cat", "ran", "was"]);
        // Non-ASCII letters separate words, as in rouge-score's [^a-z0-9]+ rule.
        assert_eq!(toks("café"), vec!["caf"]);
        assert!(toks("  -- !! ").is_empty());
    }

    #[test]
    fn rouge_n_by_hand() {
        // candidate: the cat sat on the mat (6 tokens); reference: the cat lay on the mat.
        // Unigrams: the×2, cat, on, mat shared → 5 of 6 each way.
        let c = toks("the cat sat on the mat");
        let r = toks("the cat lay on the mat");
        let p1 = rouge_n(&c, &r, 1);
        assert!(close(p1.precision, 5.0 / 6.0) && close(p1.recall, 5.0 / 6.0));
        // Bigrams: "the cat", "on the", "the mat" shared → 3 of 5.
        let p2 = rouge_n(&c, &r, 2);
        assert!(close(p2.f1, 3.0 / 5.0), "{p2:?}");
        // Clipping: "the the the" against "the cat": one hit, P = 1/3, R = 1/2.
        let p = rouge_n(&toks("the the the"), &toks("the cat"), 1);
        assert!(close(p.precision, 1.0 / 3.0) && close(p.recall, 0.5));
        assert!(close(p.f1, 0.4));
    }

    #[test]
    fn rouge_l_by_hand() {
        // LCS of "a b c d e" and "a x c y e z" is "a c e" = 3: P = 3/5, R = 3/6.
        let c = toks("a b c d e");
        let r = toks("a x c y e z");
        assert_eq!(lcs_len(&c, &r), 3);
        let l = rouge_l(&c, &r);
        assert!(close(l.precision, 0.6) && close(l.recall, 0.5));
        assert!(close(l.f1, 2.0 * 0.6 * 0.5 / 1.1));
        // Order matters for L but not for 1.
        let s = Rouge::default().score("b a", "a b");
        assert!(close(s.rouge1, 1.0) && close(s.rouge_l, 0.5) && close(s.rouge2, 0.0));
    }

    #[test]
    fn empty_inputs_score_zero() {
        let s = Rouge::default().score("", "the reference");
        assert_eq!(s, RougeScores::default());
        let s = Rouge::default().score("candidate", "");
        assert_eq!(s, RougeScores::default());
    }

    /// Values computed with Google's `rouge-score` 0.1.2 (`RougeScorer(['rouge1', 'rouge2',
    /// 'rougeL'], use_stemmer=True)`) on these pairs, outside the product.
    #[test]
    fn matches_rouge_score_package() {
        let cases: &[(&str, &str, [f64; 3])] = ROUGE_SCORE_CASES;
        let r = Rouge::default();
        for (cand, reference, want) in cases {
            let got = r.score(cand, reference);
            let got = [got.rouge1, got.rouge2, got.rouge_l];
            for k in 0..3 {
                assert!(
                    (got[k] - want[k]).abs() < 1e-6,
                    "{cand:?} vs {reference:?}: got {got:?}, rouge-score {want:?}"
                );
            }
        }
    }

    /// Where Porter and Porter2 part: Porter stems "quarterly" to "quarterli", Porter2 to
    /// "quarter", so here "quarterly" meets the reference's "quarter" and rouge-score's does not.
    /// ROUGE-1 by hand: candidate 17 tokens, reference 15; shared (clipped) `profit jump 76 to
    /// 1 13bn the quarter` = 8, F1 = 2·8 / (17 + 15) = 0.5. rouge-score (Porter) shares 7:
    /// 0.4375. ROUGE-2 and -L agree with rouge-score here.
    #[test]
    fn porter2_differs_from_porter_on_ly_words() {
        let r = Rouge::default();
        let s = r.score(
            "Quarterly profits at the media group jumped 76% to $1.13bn (£600m), from $639m a year earlier.",
            "Profits jumped 76% to $1.13bn in the quarter. Sales rose 2% to $11.1bn.",
        );
        assert!((s.rouge1 - 0.5).abs() < 1e-9, "{s:?}");
        assert!((s.rouge2 - 0.266666667).abs() < 1e-6, "{s:?}");
        assert!((s.rouge_l - 0.375).abs() < 1e-6, "{s:?}");
    }

    const ROUGE_SCORE_CASES: &[(&str, &str, [f64; 3])] = &[
    ("the cat sat on the mat", "the cat was sitting on a mat", [0.615384615, 0.181818182, 0.615384615]),
    ("SIDBI launched a new credit scheme for MSMEs in clusters on Monday.", "On Monday, SIDBI announced a credit scheme for micro and small enterprises in industrial clusters.", [0.666666667, 0.240000000, 0.518518519]),
    ("The ministry said exports of engineering goods rose sharply. Officials expect further growth.", "Engineering exports rose sharply, the ministry said, and officials expect growth to continue next year.", [0.714285714, 0.307692308, 0.428571429]),
    ("Running runners ran quickly through the running tracks.", "A runner runs on tracks; the runners were running.", [0.588235294, 0.000000000, 0.352941176]),
    ("Connected connections connecting", "connection connect connected", [1.000000000, 1.000000000, 1.000000000]),
    ];
}
