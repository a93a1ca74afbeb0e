//! Offsets are exact: for every sentence and passage, `body[start..end]` is its text — checked
//! over the seeds, every feed fixture, and random input (proptest).

use newsdesk::ingest::{parse_bytes, Article, IngestOptions};
use newsdesk::text::{html_to_text, passages, segment, sentences, Span, WordPieceCounter};
use proptest::prelude::*;
use std::sync::OnceLock;

fn counter() -> &'static WordPieceCounter {
    static C: OnceLock<WordPieceCounter> = OnceLock::new();
    C.get_or_init(|| {
        WordPieceCounter::from_model_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/all-MiniLM-L6-v2"
        )))
        .unwrap()
    })
}

/// Spans are in order, disjoint, on char boundaries, non-empty and trimmed.
fn check_spans(text: &str, spans: &[Span]) {
    let mut prev_end = 0;
    for s in spans {
        assert!(
            s.start < s.end && s.end <= text.len(),
            "{s:?} in {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{s:?}"
        );
        assert!(s.start >= prev_end, "overlap at {s:?}");
        let t = &text[s.start..s.end];
        assert_eq!(t.trim(), t, "untrimmed span {t:?}");
        prev_end = s.end;
    }
}

/// Segments cover every non-whitespace character of the text.
fn check_coverage(text: &str, spans: &[Span]) {
    let mut covered = vec![false; text.len()];
    for s in spans {
        covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
    }
    for (i, ch) in text.char_indices() {
        assert!(
            ch.is_whitespace() || covered[i],
            "byte {i} ({ch:?}) not in any segment"
        );
    }
}

fn check_article(a: &Article, budget: usize) {
    let s = sentences(a);
    check_spans(&a.body, &s);
    let p = passages(&a.body, &s, counter(), budget);
    for x in &p {
        assert!(x.start < x.end && x.end <= a.body.len());
        assert!(a.body.is_char_boundary(x.start) && a.body.is_char_boundary(x.end));
        assert!(x.word_pieces <= budget, "{} > {budget}", x.word_pieces);
        assert_eq!(x.word_pieces, counter().count(&a.body[x.start..x.end]));
        assert!(x.first_sentence < x.last_sentence && x.last_sentence <= s.len());
        assert!(x.start >= s[x.first_sentence].start && x.end <= s[x.last_sentence - 1].end);
    }
    if !s.is_empty() {
        assert_eq!(p.first().unwrap().start, s[0].start);
        assert_eq!(p.last().unwrap().end, s.last().unwrap().end);
    }
}

fn fixture_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack =
        vec![std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.file_name().unwrap().to_string_lossy().ends_with(".md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn offsets_exact_on_seeds_and_fixtures() {
    let mut n = 0;
    for f in fixture_files() {
        let bytes = std::fs::read(&f).unwrap();
        let Ok(articles) = parse_bytes(&bytes, None, &IngestOptions::default()) else {
            continue;
        };
        for a in &articles {
            check_spans(&a.body, &segment(&a.body));
            check_coverage(&a.body, &segment(&a.body));
            for budget in [128, 32] {
                check_article(a, budget);
            }
            n += 1;
        }
    }
    assert!(n > 150, "only {n} articles checked");
}

fn news_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            Just("Mr. ".to_string()),
            Just("Rs. 5 ".to_string()),
            Just("U.S. ".to_string()),
            Just("₹1.5 crore. ".to_string()),
            Just("$11.1bn ".to_string()),
            Just("\"Yes,\" he said. ".to_string()),
            Just("(ANI) ".to_string()),
            Just("New Delhi, Mar 18 (KNN) ".to_string()),
            Just("\n\n".to_string()),
            Just("\n".to_string()),
            Just("... ".to_string()),
            Just("वाक्य है। ".to_string()),
            Just("晴れ。".to_string()),
            Just("J. P. Morgan ".to_string()),
            Just("1. ".to_string()),
            "[A-Za-z]{1,12}[ .,!?;:]{0,2} ".prop_map(|s| s),
            "[\\PC]{1,8}".prop_map(|s| s),
            "[ \\t\\n.!?\"'()\\[\\]]{1,4}".prop_map(|s| s),
        ],
        0..60,
    );
    pieces.prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn segment_offsets_on_random_text(text in news_text()) {
        let spans = segment(&text);
        check_spans(&text, &spans);
        check_coverage(&text, &spans);
    }

    #[test]
    fn sentences_and_passages_on_random_wire_copy(text in news_text(), budget in 4usize..160) {
        if let Ok(articles) = parse_bytes(text.as_bytes(), Some(newsdesk::ingest::Format::Wire), &IngestOptions::default()) {
            for a in &articles {
                check_article(a, budget);
            }
        }
    }

    #[test]
    fn html_to_text_never_loses_plain_words(words in prop::collection::vec("[A-Za-z0-9]{1,10}", 1..30), tags in prop::collection::vec(prop_oneof![Just("<p>"), Just("</p>"), Just("<br/>"), Just("<b>"), Just("</b>"), Just("<div class=\"x\">"), Just("&nbsp;"), Just(" ")], 1..30)) {
        let mut html = String::new();
        for (i, w) in words.iter().enumerate() {
            html.push_str(tags[i % tags.len()]);
            html.push_str(w);
            html.push(' ');
        }
        let text = html_to_text(&html);
        let got: Vec<&str> = text.split_whitespace().collect();
        prop_assert_eq!(got, words.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// Hostile bodies: one "sentence" of 200 KB without punctuation, one 40 KB word without any
/// space, a run of combining marks, and right-to-left marks between words. Every byte stays in
/// some passage and every passage fits the budget (the splitter tokenizes such a sentence once,
/// instead of re-counting the rest of it at every cut).
#[test]
fn unpunctuated_and_spaceless_bodies_split_within_budget() {
    let words = [
        "cluster", "export", "MSME", "credit", "SIDBI", "portal", "₹", "crore",
    ];
    let long: String = (0..30_000)
        .map(|i| words[i % words.len()])
        .collect::<Vec<_>>()
        .join(" ");
    let blob: String = "abcdefghij".repeat(4_000);
    let marks = format!("a{}", "\u{0301}".repeat(10_000));
    let rtl: String = (0..5_000).map(|i| format!("word{i}\u{200F} ")).collect();
    for body in [long, blob, marks, rtl] {
        let a: Article =
            serde_json::from_value(serde_json::json!({"id": "x", "title": "t", "body": body}))
                .unwrap();
        for budget in [128, 16] {
            check_article(&a, budget);
        }
    }
}

/// Found by the `passages` fuzz target: the last piece of an over-long sentence started inside
/// a word and tokenised, on its own, into more word pieces than the budget.
#[test]
fn fuzz_regression_last_piece_counted_on_its_own() {
    let raw: &[u8] =
        b"JJJ\x1fJJJJJooooooooooooooooooooooooooooooJJJJJJ\x00qJJJJ\x09\x00\x00\x0aaJJJ`";
    let text = String::from_utf8_lossy(raw).into_owned();
    let spans = newsdesk::text::segment(&text);
    for budget in [16, 17, 20] {
        for p in passages(&text, &spans, counter(), budget) {
            let t = &text[p.start..p.end];
            assert!(counter().count(t) <= budget, "{budget}: {t:?}");
        }
    }
}
