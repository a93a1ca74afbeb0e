//! The fuzz targets of fuzz/ as quick random loops in the normal test suite: arbitrary bytes and
//! mutated fixtures through the parser, arbitrary strings through the segmenter and HTML cleaner.
//! No input may panic; every span must stay on char boundaries.

use newsdesk::ingest::{detect_format, parse_bytes, IngestOptions};
use newsdesk::text::{html_to_text, segment, sentences};
use proptest::prelude::*;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"));
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::metadata(&p).unwrap().len() < 12_000 {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// What the `parse_bytes` fuzz target does with one input.
fn exercise_parser(data: &[u8]) {
    let _ = detect_format(data);
    if let Ok(articles) = parse_bytes(data, None, &IngestOptions::default()) {
        for a in &articles {
            for s in sentences(a) {
                assert!(
                    a.body.is_char_boundary(s.start)
                        && a.body.is_char_boundary(s.end)
                        && s.start < s.end
                );
            }
            let _ = serde_json::to_string(a).unwrap();
        }
    }
}

/// What the `segment` fuzz target does with one input.
fn exercise_segmenter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for s in segment(&text) {
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end) && s.start < s.end);
    }
    let _ = html_to_text(&text);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if data.is_empty() {
            break;
        }
        let n = data.len();
        match m {
            Mutation::Flip(i, b) => data[i % n] ^= b,
            Mutation::Insert(i, bytes) => {
                let at = i % (n + 1);
                data.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(i, len) => {
                let a = i % n;
                let b = (a + len).min(n);
                data.drain(a..b);
            }
            Mutation::Truncate(i) => data.truncate(i % n),
        }
    }
    data
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b"<".to_vec()),
        Just(b"</item>".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"&#x1F600;".to_vec()),
        Just(b"&bogus;".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\xe2\x82".to_vec()),
        Just(b"<item><title>".to_vec()),
        Just(b"New Delhi [India], September 25 (ANI): ".to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 0usize..64).prop_map(|(i, l)| Mutation::Delete(i, l)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parser_survives_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..600)) {
        exercise_parser(&data);
    }

    #[test]
    fn parser_survives_mutated_fixtures(pick in any::<prop::sample::Index>(), muts in prop::collection::vec(mutation(), 1..6)) {
        let fx = fixtures();
        let base = fx[pick.index(fx.len())].clone();
        exercise_parser(&apply(base, &muts));
    }

    #[test]
    fn segmenter_survives_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..800)) {
        exercise_segmenter(&data);
    }

    #[test]
    fn segmenter_survives_arbitrary_unicode(text in "\\PC{0,400}") {
        exercise_segmenter(text.as_bytes());
    }
}

#[test]
fn deeply_nested_and_huge_inputs_do_not_crash() {
    exercise_parser("<a>".repeat(100_000).as_bytes());
    exercise_parser(
        format!(
            "<rss><channel><item><title>{}</title></item></channel></rss>",
            "x".repeat(1_000_000)
        )
        .as_bytes(),
    );
    exercise_segmenter(". ".repeat(50_000).as_bytes());
    exercise_segmenter("a".repeat(200_000).as_bytes());
}
