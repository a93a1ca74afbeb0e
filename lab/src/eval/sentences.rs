//! `newsdesk-lab eval sentences FILE`: sentence-boundary precision, recall and F1 of
//! [`newsdesk::text::segment`] against gold segmentations, side by side with the Unicode UAX #29
//! sentence breaker (unicode-segmentation).
//!
//! Input: JSONL, one document a line, `{id, body, sentences: [..]}` where every gold sentence is a
//! substring of `body`, in order. A boundary is the end offset of a sentence (trailing whitespace
//! excluded). Set `NEWSDESK_EVAL_VERBOSE=1` to print every missed and spurious boundary.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;
use unicode_segmentation::UnicodeSegmentation;

use newsdesk::text::segment;

#[derive(Deserialize)]
struct GoldDoc {
    #[serde(default)]
    id: String,
    body: String,
    sentences: Vec<String>,
}

/// Boundary counts for one system.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Score {
    pub true_pos: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            0.0
        } else {
            self.true_pos as f64 / self.predicted as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.gold == 0 {
            0.0
        } else {
            self.true_pos as f64 / self.gold as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, gold: &BTreeSet<usize>, pred: &BTreeSet<usize>) {
        self.gold += gold.len();
        self.predicted += pred.len();
        self.true_pos += gold.intersection(pred).count();
    }
}

/// End offsets of the gold sentences, located in order in the body.
fn gold_boundaries(doc: &GoldDoc) -> anyhow::Result<BTreeSet<usize>> {
    let mut pos = 0;
    let mut out = BTreeSet::new();
    for s in &doc.sentences {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        let at = doc.body[pos..].find(s).with_context(|| {
            format!(
                "document {}: gold sentence not found in body: {s:?}",
                doc.id
            )
        })? + pos;
        pos = at + s.len();
        out.insert(pos);
    }
    Ok(out)
}

/// UAX #29 sentence boundaries, trailing whitespace excluded.
pub fn uax29_boundaries(text: &str) -> BTreeSet<usize> {
    text.split_sentence_bound_indices()
        .filter_map(|(i, s)| {
            let t = s.trim_end();
            (!t.trim().is_empty()).then_some(i + t.len())
        })
        .collect()
}

/// newsdesk's boundaries.
pub fn newsdesk_boundaries(text: &str) -> BTreeSet<usize> {
    segment(text).into_iter().map(|s| s.end).collect()
}

/// Scores both systems over a gold file: (newsdesk, uax29, documents).
pub fn score_file(file: &Path, verbose: bool) -> anyhow::Result<(Score, Score, usize)> {
    let raw =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut nd = Score::default();
    let mut ux = Score::default();
    let mut docs = 0;
    for (i, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: GoldDoc = serde_json::from_str(line)
            .with_context(|| format!("{}: line {}", file.display(), i + 1))?;
        let gold = gold_boundaries(&doc)?;
        let pred = newsdesk_boundaries(&doc.body);
        nd.add(&gold, &pred);
        ux.add(&gold, &uax29_boundaries(&doc.body));
        docs += 1;
        if verbose {
            let ctx = |p: usize| {
                let mut a = p.saturating_sub(50);
                while !doc.body.is_char_boundary(a) {
                    a -= 1;
                }
                let mut b = (p + 30).min(doc.body.len());
                while !doc.body.is_char_boundary(b) {
                    b += 1;
                }
                format!("{:?} | {:?}", &doc.body[a..p], &doc.body[p..b])
            };
            for p in gold.difference(&pred) {
                eprintln!("MISS {} {}", doc.id, ctx(*p));
            }
            for p in pred.difference(&gold) {
                eprintln!("SPURIOUS {} {}", doc.id, ctx(*p));
            }
        }
    }
    if docs == 0 {
        bail!("{}: no documents", file.display());
    }
    Ok((nd, ux, docs))
}

/// Runs the evaluation: a table on stdout, then one JSON line
/// `{"newsdesk": {"precision", "recall", "f1"}, "uax29": {…}}`.
pub fn run_eval_sentences(file: &Path, verbose: bool) -> anyhow::Result<()> {
    let (nd, ux, docs) = score_file(file, verbose)?;
    println!(
        "sentence boundaries: {} documents, {} gold boundaries ({})",
        docs,
        nd.gold,
        file.display()
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "system", "precision", "recall", "f1", "predicted", "correct"
    );
    for (name, s) in [("newsdesk", nd), ("uax29", ux)] {
        println!(
            "{:<10} {:>9.4} {:>9.4} {:>9.4} {:>9} {:>9}",
            name,
            s.precision(),
            s.recall(),
            s.f1(),
            s.predicted,
            s.true_pos
        );
    }
    let j = |s: Score| serde_json::json!({"precision": round4(s.precision()), "recall": round4(s.recall()), "f1": round4(s.f1())});
    println!("{}", serde_json::json!({"newsdesk": j(nd), "uax29": j(ux)}));
    Ok(())
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_a_small_gold_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("g.jsonl");
        let doc = serde_json::json!({"id": "d", "body": "Mr. Rao came. He left.\n\nNext para.", "sentences": ["Mr. Rao came.", "He left.", "Next para."]});
        std::fs::write(&f, format!("{doc}\n")).unwrap();
        let (nd, ux, n) = score_file(&f, false).unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            nd,
            Score {
                true_pos: 3,
                predicted: 3,
                gold: 3
            }
        );
        // UAX #29 breaks after "Mr." too
        assert_eq!(ux.true_pos, 3);
        assert_eq!(ux.predicted, 4);
        assert!((nd.f1() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn newsdesk_fixture_is_segmented_perfectly_and_beats_uax29() {
        let f = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/sentences/newsdesk-gold.jsonl"
        ));
        let (nd, ux, n) = score_file(f, false).unwrap();
        assert_eq!(n, 13);
        assert_eq!(
            (nd.true_pos, nd.predicted),
            (nd.gold, nd.gold),
            "newsdesk {nd:?}"
        );
        assert!(ux.f1() < nd.f1(), "uax29 {ux:?}");
    }

    #[test]
    fn missing_gold_sentence_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("g.jsonl");
        std::fs::write(&f, r#"{"id":"d","body":"A b.","sentences":["C d."]}"#).unwrap();
        assert!(score_file(&f, false).is_err());
    }
}
