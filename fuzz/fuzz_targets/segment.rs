//! Any text through the segmenter and the HTML cleaner: spans in order, trimmed, on char
//! boundaries, covering every non-whitespace character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdesk::text::{html_to_text, segment};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let spans = segment(&text);
    let mut prev = 0;
    let mut covered = vec![false; text.len()];
    for s in &spans {
        assert!(s.start >= prev && s.start < s.end && s.end <= text.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        let t = &text[s.start..s.end];
        assert_eq!(t.trim(), t);
        covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
        prev = s.end;
    }
    for (i, c) in text.char_indices() {
        assert!(c.is_whitespace() || covered[i], "byte {i} not covered");
    }
    let _ = html_to_text(&text);
});
