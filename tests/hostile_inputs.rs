//! A hostile client against `serve` on a real loopback socket with a write key: each bad input
//! gets its status within a time bound, `/health` answers throughout, and a canary document and
//! the answer to a fixed question are byte-identical before and after.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use newsdesk::cli::serve::{serve_listener, ServeSettings};
use newsdesk::engine::EngineConfig;
use newsdesk::http::server::ServerLimits;
use newsdesk::http::HttpSettings;

const KEY: &str = "hostile-test-write-key";
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_BODY: usize = 8 * 1024 * 1024;

/// One raw HTTP/1.1 exchange on a fresh connection; `None` when the server closed the
/// connection without an answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    // The server may answer (413, 431) and close before it has read everything we send.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut body = raw[head_end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Some((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 4 + size..];
    }
    out
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        r.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

fn auth() -> String {
    format!("Bearer {KEY}")
}

fn post_doc(content_type: &str, body: &[u8]) -> Vec<u8> {
    let a = auth();
    request(
        "POST",
        "/v1/documents",
        &[("Content-Type", content_type), ("Authorization", &a)],
        body,
    )
}

fn post_encoded(path: &str, content_type: &str, encoding: &str, body: &[u8]) -> Vec<u8> {
    let a = auth();
    request(
        "POST",
        path,
        &[
            ("Content-Type", content_type),
            ("Content-Encoding", encoding),
            ("Authorization", &a),
        ],
        body,
    )
}

fn post_json(path: &str, body: &str) -> Vec<u8> {
    request(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One hostile input: what is sent, the status that must come back (and the error code, where
/// the API gives one), and how long it may take.
struct Case {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    code: Option<&'static str>,
    within: Duration,
}

fn case(name: &'static str, request: Vec<u8>, status: u16, code: Option<&'static str>) -> Case {
    Case {
        name,
        request,
        status,
        code,
        within: Duration::from_secs(20),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    use flate2::write::ZlibEncoder;
    let mut e = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The article sent gzip-compressed, and a question only it answers.
const GZ_ID: &str = "gz";
const GZ_BODY: &str = "The keeper of the Skerryvore lighthouse logged a gale of 120 knots on \
    Tuesday night. It was the strongest wind recorded at the rock since the light was built.";
const GZ_QUESTION: &str = "What did the keeper of the Skerryvore lighthouse log?";

fn article_json(id: &str, title: &str, body: &str, extra: &str) -> String {
    serde_json::json!({"id": id, "title": title, "body": body})
        .to_string()
        .trim_end_matches('}')
        .to_string()
        + extra
        + "}"
}

fn cases() -> Vec<Case> {
    let long_sentence = "The cluster reported steady orders this quarter. ";
    let ok_body = long_sentence.repeat(4);
    let billion_laughs = {
        let mut x =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY e0 \"lol\">\n");
        for i in 1..=10 {
            let p = i - 1;
            x.push_str(&format!(
                "<!ENTITY e{i} \"&e{p};&e{p};&e{p};&e{p};&e{p};&e{p};&e{p};&e{p};&e{p};&e{p};\">\n"
            ));
        }
        x.push_str("]>\n<rss><channel><title>t</title><item><title>laughs</title><description>&e10;</description></item></channel></rss>");
        x
    };
    let many_entities = {
        let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n");
        for i in 0..2_000 {
            x.push_str(&format!("<!ENTITY x{i} \"v\">\n"));
        }
        x.push_str("]>\n<rss><channel><item><title>t</title><description>&x1;</description></item></channel></rss>");
        x
    };
    let huge_entity = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY big \"{}\">\n]>\n<rss><channel><item><title>t</title><description>&big;</description></item></channel></rss>",
        "a".repeat(100_000)
    );
    let quadratic = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY big \"{}\">\n]>\n<rss><channel><item><title>t</title><description>{}</description></item></channel></rss>",
        "a ".repeat(30_000),
        "&big;".repeat(100)
    );
    let external_entity = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n<rss><channel><item><title>External entity</title><description>Before &xxe; after.</description></item></channel></rss>";
    let deep_xml = format!("<rss>{}</rss>", "<a>".repeat(50_000));
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let jsonl_100k: String = (0..100_000)
        .map(|i| format!("{{\"id\":\"flood-{i}\",\"title\":\"t{i}\",\"body\":\"b\"}}\n"))
        .collect();
    let png = {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend((0..4_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        b
    };
    let mut invalid_utf8 = b"Title line\n\nA body with a broken byte \xff\xfe here.".to_vec();
    invalid_utf8.extend_from_slice(b" More text follows.");
    let combining = format!("Z{}", "\u{0301}".repeat(10_000));
    let rtl = "\u{202E}\u{200F}";
    let unpunctuated = "word ".repeat(6_000);
    let spaceless = "x".repeat(30_000);
    let huge_question = format!("{{\"question\":\"{}\"}}", "what ".repeat(200_000));
    let gzip_bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
    assert!(gzip_bomb.len() < 64 * 1024);
    let gzipped_article = gzip(article_json("broken-gz", "t", &ok_body, "").as_bytes());
    let corrupt_gzip = {
        let mut b = gzipped_article.clone();
        let mid = b.len() / 2;
        for x in &mut b[mid..mid + 8] {
            *x ^= 0x5a;
        }
        b
    };
    let a = auth();
    let too_many_headers = {
        let mut h =
            String::from("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for i in 0..300 {
            h.push_str(&format!("X-H{i}: v\r\n"));
        }
        h.push_str("\r\n");
        h.into_bytes()
    };
    let huge_header = format!(
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "h".repeat(200_000)
    )
    .into_bytes();

    vec![
        // Content types and bodies.
        case(
            "png with its own type",
            post_doc("image/png", &png),
            415,
            None,
        ),
        case(
            "png sniffed",
            post_doc("application/octet-stream", &png),
            400,
            Some("invalid_document"),
        ),
        case(
            "png as text/plain",
            post_doc("text/plain", &png),
            400,
            Some("invalid_document"),
        ),
        case(
            "empty body",
            post_doc("application/json", b""),
            400,
            Some("empty_body"),
        ),
        case(
            "truncated json",
            post_doc("application/json", br#"[{"title":"a","body":"b"#),
            400,
            Some("malformed_json"),
        ),
        case(
            "gzip-compressed body",
            post_encoded(
                "/v1/documents",
                "application/json",
                "gzip",
                &gzip(article_json(GZ_ID, "Gale at Skerryvore", GZ_BODY, "").as_bytes()),
            ),
            200,
            None,
        ),
        case(
            "deflate-compressed body",
            post_encoded(
                "/v1/documents",
                "application/json",
                "deflate",
                &zlib(article_json("zz", "t", &ok_body, "").as_bytes()),
            ),
            200,
            None,
        ),
        case(
            "gzip-compressed question",
            post_encoded(
                "/v1/ask",
                "application/json",
                "gzip",
                &gzip(br#"{"question":"What did SIDBI announce?","k":3}"#),
            ),
            200,
            None,
        ),
        case(
            "gzip bomb: 10 MB of zeros in a few KB",
            post_encoded("/v1/documents", "application/json", "gzip", &gzip_bomb),
            413,
            Some("payload_too_large"),
        ),
        case(
            "corrupt gzip stream",
            post_encoded("/v1/documents", "application/json", "gzip", &corrupt_gzip),
            400,
            Some("invalid_compressed_body"),
        ),
        case(
            "truncated gzip stream",
            post_encoded(
                "/v1/documents",
                "application/json",
                "gzip",
                &gzipped_article[..gzipped_article.len() - 10],
            ),
            400,
            Some("invalid_compressed_body"),
        ),
        case(
            "plain body labelled gzip",
            post_encoded(
                "/v1/documents",
                "application/json",
                "gzip",
                article_json("plain-gz", "t", &ok_body, "").as_bytes(),
            ),
            400,
            Some("invalid_compressed_body"),
        ),
        case(
            "unknown content encoding",
            post_encoded("/v1/documents", "application/json", "br", b"\x1b\x00\x00"),
            415,
            Some("unsupported_encoding"),
        ),
        case(
            "truncated xml",
            post_doc(
                "application/rss+xml",
                b"<rss><channel><item><title>a</title><descr",
            ),
            400,
            Some("invalid_document"),
        ),
        case(
            "nested entities are not expanded recursively (billion laughs)",
            post_doc("application/rss+xml", billion_laughs.as_bytes()),
            200,
            None,
        ),
        case(
            "one 60 KB entity referenced 100 times",
            post_doc("application/rss+xml", quadratic.as_bytes()),
            413,
            Some("document_too_large"),
        ),
        case(
            "2000 declared entities",
            post_doc("application/rss+xml", many_entities.as_bytes()),
            413,
            Some("document_too_large"),
        ),
        case(
            "100 KB entity",
            post_doc("application/rss+xml", huge_entity.as_bytes()),
            413,
            Some("document_too_large"),
        ),
        case(
            "external entity is not fetched",
            post_doc("application/rss+xml", external_entity.as_bytes()),
            200,
            None,
        ),
        case(
            "50k nested elements",
            post_doc("application/xml", deep_xml.as_bytes()),
            400,
            None,
        ),
        case(
            "100k nested arrays",
            post_doc("application/json", deep_json.as_bytes()),
            400,
            Some("malformed_json"),
        ),
        case(
            "100k-item JSONL",
            post_doc("application/x-ndjson", jsonl_100k.as_bytes()),
            413,
            Some("document_too_large"),
        ),
        case(
            "body over --max-body-bytes",
            post_doc("application/json", &vec![b' '; MAX_BODY + 1]),
            413,
            None,
        ),
        case(
            "NUL bytes in a JSON body",
            post_doc(
                "application/json",
                article_json("nul", "Nul\u{0}title", &format!("{ok_body}\u{0}\u{0}"), "")
                    .as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "invalid UTF-8 as text",
            post_doc("text/plain", &invalid_utf8),
            200,
            None,
        ),
        case(
            "10k combining marks",
            post_doc(
                "application/json",
                article_json("zalgo", "Zalgo", &format!("{ok_body}{combining}"), "").as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "RTL overrides in the title",
            post_doc(
                "application/json",
                article_json("rtl", &format!("{rtl}Mirror{rtl}"), &ok_body, "").as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "far-future date",
            post_doc(
                "application/json",
                article_json(
                    "future",
                    "Future",
                    &ok_body,
                    r#","published":"9999-12-31T00:00:00Z""#,
                )
                .as_bytes(),
            ),
            422,
            Some("invalid_document"),
        ),
        case(
            "year-0 date",
            post_doc(
                "application/json",
                article_json(
                    "year0",
                    "Year zero",
                    &ok_body,
                    r#","published":"0000-01-01""#,
                )
                .as_bytes(),
            ),
            422,
            Some("invalid_document"),
        ),
        case(
            "600-byte id",
            post_doc(
                "application/json",
                article_json(&"i".repeat(600), "Long id", &ok_body, "").as_bytes(),
            ),
            422,
            Some("invalid_document"),
        ),
        case(
            "3000-byte title",
            post_doc(
                "application/json",
                article_json("longtitle", &"T".repeat(3_000), &ok_body, "").as_bytes(),
            ),
            413,
            Some("document_too_large"),
        ),
        case(
            "1.2 MB body",
            post_doc(
                "application/json",
                article_json("longbody", "Long body", &long_sentence.repeat(25_000), "").as_bytes(),
            ),
            413,
            Some("document_too_large"),
        ),
        case(
            "unknown fields in an article",
            post_doc(
                "application/json",
                article_json(
                    "extra",
                    "Extra fields",
                    &ok_body,
                    r#","colour":"blue","nested":{"a":[1,2]}"#,
                )
                .as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "path characters in an id",
            post_doc(
                "application/json",
                article_json("../../etc/passwd", "Path id", &ok_body, "").as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "30k words without a sentence end",
            post_doc(
                "application/json",
                article_json("unpunct", "Unpunctuated", &unpunctuated, "").as_bytes(),
            ),
            200,
            None,
        ),
        case(
            "30 KB without a space",
            post_doc(
                "application/json",
                article_json("spaceless", "Spaceless", &spaceless, "").as_bytes(),
            ),
            200,
            None,
        ),
        // Questions, queries and their parameters.
        case(
            "1 MB question",
            post_json("/v1/ask", &huge_question),
            400,
            None,
        ),
        case(
            "k = 0",
            post_json(
                "/v1/ask",
                r#"{"question":"What did SIDBI announce?","k":0}"#,
            ),
            400,
            None,
        ),
        case(
            "k = 1e6",
            post_json("/v1/search", r#"{"query":"SIDBI","k":1000000}"#),
            400,
            None,
        ),
        case(
            "k as a string",
            post_json("/v1/search", r#"{"query":"SIDBI","k":"ten"}"#),
            400,
            Some("invalid_request"),
        ),
        case(
            "negative k",
            post_json("/v1/ask", r#"{"question":"SIDBI?","k":-1}"#),
            400,
            Some("invalid_request"),
        ),
        case(
            "unknown field in a question",
            post_json("/v1/ask", r#"{"question":"SIDBI?","colour":"blue"}"#),
            400,
            Some("invalid_request"),
        ),
        case(
            "empty query",
            post_json("/v1/search", r#"{"query":"   "}"#),
            400,
            None,
        ),
        case(
            "brief max_words huge",
            post_json("/v1/brief", r#"{"topic":"MSME","max_words":100000000}"#),
            400,
            None,
        ),
        case(
            "ask as text/plain",
            request(
                "POST",
                "/v1/ask",
                &[("Content-Type", "text/plain")],
                br#"{"question":"SIDBI?"}"#,
            ),
            415,
            None,
        ),
        case(
            "malformed question JSON",
            post_json("/v1/ask", r#"{"question":"#),
            400,
            None,
        ),
        case(
            "summarize over its text limit",
            post_json(
                "/v1/summarize",
                &format!("{{\"text\":\"{}\"}}", long_sentence.repeat(5_000)),
            ),
            400,
            Some("text_too_long"),
        ),
        case(
            "summarize with 1000 short sentences",
            post_json(
                "/v1/summarize",
                &format!("{{\"text\":\"{}\"}}", "Prices rose. ".repeat(1_000)),
            ),
            400,
            Some("text_too_long"),
        ),
        case(
            "summarize with both id and text",
            post_json("/v1/summarize", r#"{"article_id":"x","text":"y"}"#),
            400,
            None,
        ),
        // Keys.
        case(
            "post without a key",
            request(
                "POST",
                "/v1/documents",
                &[("Content-Type", "application/json")],
                article_json("nokey", "t", &ok_body, "").as_bytes(),
            ),
            401,
            None,
        ),
        case(
            "post with a wrong key",
            request(
                "POST",
                "/v1/documents",
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", "Bearer not-the-key"),
                ],
                article_json("badkey", "t", &ok_body, "").as_bytes(),
            ),
            401,
            None,
        ),
        case(
            "key with a Basic scheme",
            request(
                "POST",
                "/v1/documents",
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", &format!("Basic {KEY}")),
                ],
                article_json("basic", "t", &ok_body, "").as_bytes(),
            ),
            401,
            None,
        ),
        case(
            "key as a prefix of the real one",
            request(
                "DELETE",
                "/v1/documents/nul",
                &[("Authorization", &a[..a.len() - 3])],
                b"",
            ),
            401,
            None,
        ),
        case(
            "feed subscription without a key",
            post_json("/v1/feeds", r#"{"url":"https://example.org/feed.xml"}"#),
            401,
            None,
        ),
        // Methods, paths and the protocol itself.
        case(
            "odd method",
            request("AAAAAAAAAAAAAAAAAAAAAAAA", "/v1/ask", &[], b""),
            405,
            None,
        ),
        case(
            "PATCH a read route",
            request("PATCH", "/v1/ask", &[], b""),
            405,
            None,
        ),
        case(
            "unknown path",
            request("GET", "/v1/../../etc/passwd", &[], b""),
            404,
            None,
        ),
        case(
            "NUL in the path",
            request("GET", "/v1/documents/a%00b", &[], b""),
            404,
            None,
        ),
        case(
            "id longer than any stored",
            request(
                "GET",
                &format!("/v1/documents/{}", "x".repeat(4_000)),
                &[],
                b"",
            ),
            404,
            None,
        ),
        case(
            "garbage request line",
            b"HELLO THERE\r\n\r\n".to_vec(),
            400,
            None,
        ),
        case("200 KB header", huge_header, 431, None),
        case("300 headers", too_many_headers, 431, None),
    ]
}

fn health_ok(addr: SocketAddr) -> bool {
    matches!(
        exchange(addr, &request("GET", "/health", &[], b"")),
        Some((200, _))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_inputs_get_clean_answers_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(demo.path().join("seeds")).unwrap();
    for p in seed_paths() {
        let p = std::path::PathBuf::from(p);
        std::fs::copy(&p, demo.path().join("seeds").join(p.file_name().unwrap())).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = ServeSettings {
        addr,
        http: HttpSettings {
            api_key: Some(KEY.to_string()),
            max_body_bytes: MAX_BODY,
            ..HttpSettings::default()
        },
        engine: EngineConfig::new(dir.path().join("data")),
        demo: Some(demo.path().to_path_buf()),
        feeds: newsdesk::feeds::FeedSettings::default(),
        shutdown_grace: Duration::from_secs(5),
        server: ServerLimits {
            header_read_timeout: HEADER_TIMEOUT,
            max_header_bytes: 16_384,
            max_connections: 64,
        },
    };
    tokio::spawn(serve_listener(listener, settings));

    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        while !matches!(
            exchange(addr, &request("GET", "/ready", &[], b"")),
            Some((200, _))
        ) {
            assert!(started.elapsed() < Duration::from_secs(300), "never ready");
            std::thread::sleep(Duration::from_millis(200));
        }
        let question = post_json(
            "/v1/ask",
            r#"{"question":"What did SIDBI announce?","k":3}"#,
        );
        let (s, answer_before) = exchange(addr, &question).unwrap();
        assert_eq!(s, 200);
        let v: serde_json::Value = serde_json::from_slice(&answer_before).unwrap();
        assert_eq!(v["answered"], true, "{v}");
        let canary_id = v["answer"][0]["citation"]["article_id"]
            .as_str()
            .unwrap()
            .to_string();
        let canary = request("GET", &format!("/v1/documents/{canary_id}"), &[], b"");
        let (s, canary_before) = exchange(addr, &canary).unwrap();
        assert_eq!(s, 200);

        // /health is polled all along; every poll must answer 200.
        let stop = Arc::new(AtomicBool::new(false));
        let (polls, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let poller = {
            let (stop, polls, failures) = (stop.clone(), polls.clone(), failures.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !health_ok(addr) {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    polls.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };

        let cases = cases();
        assert!(cases.len() >= 40, "{} cases", cases.len());
        let mut wrong = Vec::new();
        let mut stored: Vec<String> = Vec::new();
        // Refusals first: after them the store must be exactly as it was, so the answer to the
        // fixed question is byte-identical. Then the inputs that are odd but valid articles.
        let (refused, accepted): (Vec<&Case>, Vec<&Case>) =
            cases.iter().partition(|c| c.status != 200);
        let mut checked_after_refusals = false;
        for c in refused.into_iter().chain(accepted) {
            if c.status == 200 && !checked_after_refusals {
                checked_after_refusals = true;
                let (_, answer) = exchange(addr, &question).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&answer_before),
                    String::from_utf8_lossy(&answer),
                    "the refused inputs changed the answer"
                );
            }
            let t = Instant::now();
            let got = exchange(addr, &c.request);
            let took = t.elapsed();
            let ok = match &got {
                Some((s, body)) => {
                    *s == c.status && c.code.is_none_or(|code| error_code(body) == code)
                }
                None => false,
            };
            if let Some((200, body)) = &got {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                    for id in v["ids"].as_array().into_iter().flatten() {
                        stored.extend(id.as_str().map(str::to_string));
                    }
                }
            }
            let summary = got.as_ref().map(|(s, b)| {
                (
                    *s,
                    String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned(),
                )
            });
            if !ok || took > c.within {
                wrong.push(format!(
                    "{}: expected {} {:?} within {:?}, got {:?} after {:?}",
                    c.name, c.status, c.code, c.within, summary, took
                ));
            }
            assert!(health_ok(addr), "/health failed after {}", c.name);
        }

        // Slow headers: a client that trickles its request line is cut off after the header
        // read timeout, with nothing served.
        let t = Instant::now();
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        for b in b"GET /health HTTP/1.1\r\nHost: l" {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(150));
        }
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let cut = t.elapsed();
        if cut > HEADER_TIMEOUT * 4 || parse_response(&buf).is_some_and(|(s, _)| s == 200) {
            wrong.push(format!("slow headers: served or held for {cut:?}"));
        }
        // An idle keep-alive connection is closed after the same timeout.
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let t = Instant::now();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let idle = t.elapsed();
        if !buf.starts_with(b"HTTP/1.1 200") || idle > HEADER_TIMEOUT * 4 {
            wrong.push(format!("idle keep-alive: held for {idle:?}"));
        }
        // Connections that never send anything cannot lock the door: past the cap they wait
        // in the backlog and are dropped at the header timeout, and /health answers after.
        let silent: Vec<TcpStream> = (0..80).map(|_| TcpStream::connect(addr).unwrap()).collect();
        let t = Instant::now();
        if !health_ok(addr) || t.elapsed() > HEADER_TIMEOUT * 6 {
            wrong.push(format!(
                "/health behind 80 silent connections took {:?}",
                t.elapsed()
            ));
        }
        drop(silent);

        stop.store(true, Ordering::Relaxed);
        poller.join().unwrap();
        assert!(polls.load(Ordering::Relaxed) > 10);
        assert_eq!(
            failures.load(Ordering::Relaxed),
            0,
            "/health failed during the run"
        );

        // Metric labels come from a fixed set: the odd method left no label of its own.
        let (_, metrics) = exchange(addr, &request("GET", "/metrics", &[], b"")).unwrap();
        let metrics = String::from_utf8_lossy(&metrics);
        assert!(!metrics.contains("AAAAAAAA"), "odd method became a label");
        // The external entity was not resolved: nothing from /etc/passwd was stored.
        assert!(!String::from_utf8_lossy(
            &exchange(addr, &post_json("/v1/search", r#"{"query":"root","k":5}"#))
                .unwrap()
                .1
        )
        .contains("/bin/"));

        // Remove what the accepted cases stored, then check the canary.
        assert!(
            wrong.is_empty(),
            "{} of {} cases wrong:\n{}",
            wrong.len(),
            cases.len() + 3,
            wrong.join("\n")
        );
        // The gzip-compressed article was stored as sent and answers its own question.
        let gz = request("GET", &format!("/v1/documents/{GZ_ID}"), &[], b"");
        let (s, doc) = exchange(addr, &gz).unwrap();
        assert_eq!(s, 200);
        let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(doc["body"], GZ_BODY);
        let ask = serde_json::json!({"question": GZ_QUESTION, "k": 3}).to_string();
        let (s, answer) = exchange(addr, &post_json("/v1/ask", &ask)).unwrap();
        assert_eq!(s, 200);
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["answered"], true, "{answer}");
        assert_eq!(
            answer["answer"][0]["citation"]["article_id"], GZ_ID,
            "{answer}"
        );
        for id in &stored {
            let path = format!(
                "/v1/documents/{}",
                id.replace('%', "%25").replace('/', "%2F")
            );
            let del = request("DELETE", &path, &[("Authorization", &auth())], b"");
            assert!(
                matches!(exchange(addr, &del), Some((200 | 204, _))),
                "delete {id}"
            );
        }
        let (_, canary_after) = exchange(addr, &canary).unwrap();
        assert_eq!(canary_before, canary_after, "canary document changed");
        // The accepted articles were deleted again: the answer quotes the same sentences with
        // the same citations (BM25 keeps a deleted document's term statistics until its
        // segment merges, so scores may move in the last digits).
        let (_, answer_after) = exchange(addr, &question).unwrap();
        let quoted = |b: &[u8]| {
            let v: serde_json::Value = serde_json::from_slice(b).unwrap();
            let a = v["answer"].as_array().unwrap().iter();
            a.map(|s| (s["text"].clone(), s["citation"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            quoted(&answer_before),
            quoted(&answer_after),
            "answer changed"
        );
    })
    .await
    .unwrap();
}
