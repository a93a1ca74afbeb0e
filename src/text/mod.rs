//! Text: clean HTML to text, split articles into sentences and sentences into passages.
//!
//! Every span is a pair of byte offsets into the article body (`&body[start..end]` is the text):
//! nothing here copies text, so citations point at exactly what the article says.

pub mod calendar;
pub mod dateline;
mod html;
mod passage;
mod segment;

use crate::article::Article;
pub use crate::article::Span;

pub use html::{html_to_text, looks_like_html, normalize_plain};
pub use passage::{passages, PassageSpan, TextError, WordPieceCounter, DEFAULT_BUDGET};
pub use segment::segment;

/// Boilerplate ranges of an article: the ones ingest recorded, or — for an article built
/// elsewhere — the dateline and closing credit found in the body now.
fn boilerplate(article: &Article) -> Vec<(usize, usize)> {
    let body = &article.body;
    let valid = |r: &std::ops::Range<usize>| {
        r.start < r.end
            && r.end <= body.len()
            && body.is_char_boundary(r.start)
            && body.is_char_boundary(r.end)
    };
    let mut v: Vec<(usize, usize)> = article
        .boilerplate
        .iter()
        .filter(|r| valid(r))
        .map(|r| (r.start, r.end))
        .collect();
    if v.is_empty() && article.boilerplate.is_empty() {
        if let Some(d) = dateline::parse_dateline(body) {
            v.push((d.start, d.end));
        }
        if let Some(r) = dateline::trailing_credit(body) {
            v.push((r.start, r.end));
        }
    }
    v
}

/// The sentences of an article, with datelines and agency credits (`(ANI)`, `(KNN Bureau)`)
/// kept out: the lead sentence starts after the dateline and the last one ends before the credit.
pub fn sentences(article: &Article) -> Vec<Span> {
    let body = &article.body;
    let bp = boilerplate(article);
    let mut out = Vec::new();
    for sp in segment(body) {
        let (mut s, mut e) = (sp.start, sp.end);
        for &(bs, be) in &bp {
            if bs <= s && be >= e {
                s = e; // wholly boilerplate
            } else if bs <= s && be > s {
                s = be;
            } else if bs < e && be >= e {
                e = bs;
            }
        }
        if s >= e {
            continue;
        }
        let t = &body[s..e];
        let s2 = s + (t.len() - t.trim_start().len());
        let e2 = e - (t.len() - t.trim_end().len());
        if s2 < e2 && body[s2..e2].chars().any(char::is_alphanumeric) {
            out.push(Span { start: s2, end: e2 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(body: &str) -> Article {
        Article {
            id: "t".into(),
            title: "t".into(),
            body: body.into(),
            source: None,
            url: None,
            author: None,
            category: None,
            published: None,
            date_inferred: false,
            dateline: None,
            boilerplate: Vec::new(),
        }
    }

    #[test]
    fn dateline_and_credit_stay_out_of_sentences() {
        let a = article("New Delhi [India], September 25 (ANI): SIDBI has launched a scheme. It is new.\n\n\"We will grow,\" he added. (ANI)");
        let s: Vec<&str> = sentences(&a).iter().map(|s| s.text(&a.body)).collect();
        assert_eq!(
            s,
            vec![
                "SIDBI has launched a scheme.",
                "It is new.",
                "\"We will grow,\" he added."
            ]
        );
    }

    #[test]
    fn recorded_boilerplate_is_used() {
        let mut a = article("Intro words. Then the story.");
        a.boilerplate = std::iter::once(0..12).collect();
        let s: Vec<&str> = sentences(&a).iter().map(|s| s.text(&a.body)).collect();
        assert_eq!(s, vec!["Then the story."]);
    }
}
