//! `newsdesk embed`'s body: one JSON array of 384 floats per input line, in order.

use newsdesk::cli::embed::embed_stream;
use newsdesk::embed::{cosine, default_model_dir, Embedder};
use std::io::Cursor;
use std::sync::OnceLock;

fn embedder() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(|| Embedder::load(&default_model_dir()).unwrap())
}

fn run(jsonl: bool, input: &str) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut out = Vec::new();
    embed_stream(embedder(), jsonl, Cursor::new(input.as_bytes()), &mut out)?;
    let text = String::from_utf8(out).unwrap();
    Ok(text
        .lines()
        .map(|l| serde_json::from_str::<Vec<f32>>(l).unwrap())
        .collect())
}

#[test]
fn plain_lines_one_vector_each_in_order_including_empty_lines() {
    let input =
        "SIDBI opens a cluster office in Pune.\r\n\nThe monsoon session of Parliament began.\n";
    let got = run(false, input).unwrap();
    assert_eq!(got.len(), 3);
    let e = embedder();
    let want = [
        "SIDBI opens a cluster office in Pune.",
        "",
        "The monsoon session of Parliament began.",
    ];
    for (v, t) in got.iter().zip(want) {
        assert_eq!(v.len(), 384);
        assert!(cosine(v, &e.embed_query(t).unwrap()) > 0.99999, "{t:?}");
    }
}

#[test]
fn jsonl_strings_with_escapes_and_blank_lines() {
    let input = "\"line one\\nstill one\"\n\n\"\\u20b91,500 crore\"\n";
    let got = run(true, input).unwrap();
    assert_eq!(got.len(), 2);
    let e = embedder();
    assert!(cosine(&got[0], &e.embed_query("line one\nstill one").unwrap()) > 0.99999);
    assert!(cosine(&got[1], &e.embed_query("₹1,500 crore").unwrap()) > 0.99999);
}

#[test]
fn jsonl_rejects_a_non_string_line_naming_it() {
    let err = run(true, "\"ok\"\n{\"text\": 1}\n").unwrap_err();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
}

#[test]
fn more_lines_than_one_chunk() {
    let input: String = (0..600).map(|i| format!("headline number {i}\n")).collect();
    let got = run(false, &input).unwrap();
    assert_eq!(got.len(), 600);
    let e = embedder();
    assert!(cosine(&got[599], &e.embed_query("headline number 599").unwrap()) > 0.99999);
}
