//! Any text through the date parser and the dateline reader: no panic; a dateline's span lies
//! inside the text on char boundaries; a parsed date is a real calendar date.
#![no_main]

use chrono::{Datelike, FixedOffset};
use libfuzzer_sys::fuzz_target;
use newsdesk::ingest::parse_date;
use newsdesk::text::dateline::{parse_dateline, trailing_credit};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ist = FixedOffset::east_opt(19_800).unwrap();
    if let Some(d) = parse_date(&text, ist) {
        assert!((1..=12).contains(&d.month()) && (1..=31).contains(&d.day()));
    }
    if let Some(m) = parse_dateline(&text) {
        assert!(m.start <= m.end && m.end <= text.len());
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        if let Some(month) = m.month {
            assert!((1..=12).contains(&month));
        }
    }
    if let Some(r) = trailing_credit(&text) {
        assert!(r.start <= r.end && r.end <= text.len());
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    }
});
