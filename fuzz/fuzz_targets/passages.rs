//! Any text through the segmenter and the passage packer with the bundled tokenizer: passages
//! in order, on char boundaries, inside the body, none over the word-piece budget unless it is a
//! single word that cannot be cut.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use newsdesk::text::{passages, segment, WordPieceCounter};

fn counter() -> &'static WordPieceCounter {
    static C: OnceLock<WordPieceCounter> = OnceLock::new();
    C.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/all-MiniLM-L6-v2");
        WordPieceCounter::from_model_dir(std::path::Path::new(dir)).expect("bundled tokenizer")
    })
}

fuzz_target!(|data: &[u8]| {
    let (budget, text) = match data.split_first() {
        Some((b, rest)) => (16 + (*b as usize % 112), String::from_utf8_lossy(rest)),
        None => return,
    };
    let spans = segment(&text);
    let c = counter();
    let mut prev_start = 0;
    for p in passages(&text, &spans, c, budget) {
        assert!(p.start >= prev_start && p.start < p.end && p.end <= text.len());
        assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
        let t = &text[p.start..p.end];
        assert!(
            c.count(t) <= budget || !t.trim().contains(char::is_whitespace),
            "passage over budget {budget}: {t:?}"
        );
        prev_start = p.start;
    }
});
