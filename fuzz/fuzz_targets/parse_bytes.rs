//! Any bytes through format detection and every parser; every article's sentences must be valid
//! spans of its body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdesk::ingest::{detect_format, parse_bytes, Format, IngestOptions};
use newsdesk::text::sentences;

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions::default();
    let detected = detect_format(data);
    // Sniffed, and forced through each parser (first byte picks which), so every parser is fuzzed.
    let forced = match data.first().map(|b| b % 5) {
        Some(0) => Format::Feed,
        Some(1) => Format::NewsXml,
        Some(2) => Format::Wire,
        Some(3) => Format::Json,
        _ => Format::Jsonl,
    };
    for f in [detected, Some(forced)] {
        if let Ok(articles) = parse_bytes(data, f, &opts) {
            for a in &articles {
                for s in sentences(a) {
                    assert!(s.start < s.end && s.end <= a.body.len());
                    assert!(a.body.is_char_boundary(s.start) && a.body.is_char_boundary(s.end));
                }
            }
        }
    }
});
