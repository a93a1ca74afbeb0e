//! `newsdesk parse`: one JSON object per article, clear per-file errors, exit status.

use std::process::Command;

fn newsdesk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn parse_seeds_with_sentences_and_passages() {
    let out = newsdesk()
        .args(["parse", "--sentences", "--passages", "fixtures/seeds/"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "README.md is not an article? {lines:#?}");
    let knn = lines.iter().find(|v| v["id"] == "45506").expect("KNN seed");
    assert_eq!(knn["published"], "2026-03-18T16:42:48+05:30");
    let body = knn["body"].as_str().unwrap();
    for key in ["sentences", "passages"] {
        for s in knn[key].as_array().unwrap() {
            let (a, b) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            assert!(a < b && b <= body.len());
        }
    }
    let first = &knn["sentences"][0];
    let (a, b) = (
        first["start"].as_u64().unwrap() as usize,
        first["end"].as_u64().unwrap() as usize,
    );
    assert!(body[a..b].starts_with("The National Industrial Corridor Development Corporation"));
    assert!(knn["passages"][0]["word_pieces"].as_u64().unwrap() <= 128);
}

#[test]
fn bad_file_gets_one_line_and_nonzero_exit_while_others_go_on() {
    let out = newsdesk()
        .args([
            "parse",
            "fixtures/feeds/feedparser/illformed__aaa_illformed.xml",
            "fixtures/feeds/feedjira/a10.xml",
            "no/such/file.xml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        5,
        "the good feed's items are still printed"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().any(|l| l.starts_with("newsdesk parse: fixtures/feeds/feedparser/illformed__aaa_illformed.xml: malformed XML at line 6")), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("no/such/file.xml: no such file or directory")),
        "{stderr}"
    );
}

#[test]
fn stdin_and_globs() {
    use std::io::Write;
    let mut child = newsdesk()
        .args(["parse", "--sentences", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"MUMBAI, March 2 (PTI): Tata Steel Ltd. said on Monday it would invest Rs. 500 crore. The plan is new. (PTI)").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dateline"]["place"], "MUMBAI");
    assert_eq!(v["sentences"].as_array().unwrap().len(), 2);
    let out = newsdesk()
        .args(["parse", "fixtures/feeds/rss-crate/rss09*.xml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        5 + 21
    );
}
