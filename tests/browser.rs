//! The web page in a real browser: a `newsdesk serve` process on a loopback port with the demo
//! corpus and both keys, driven by `tests/browser/e2e.mjs` (headless Debian Chromium through
//! playwright-core, axe-core for accessibility). Needs `/usr/bin/chromium`, node and
//! `npm ci` in tests/browser, so it runs only with NEWSDESK_BROWSER_TESTS=1 (`.ci/run` sets it
//! up); otherwise it says why it did not run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(port: u16) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(300) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

#[test]
fn web_page_end_to_end_in_chromium() {
    if std::env::var("NEWSDESK_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED web_page_end_to_end_in_chromium: set NEWSDESK_BROWSER_TESTS=1 (needs \
             /usr/bin/chromium, node and `npm ci` in tests/browser; .ci/run does this)"
        );
        return;
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        scripts.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {} first",
        scripts.display()
    );
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .arg("--data")
            .arg(data.path().join("data"))
            .args(["--log", "warn", "serve", "--read-key", "reader-key"])
            .args(["--api-key", "writer-key"])
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    assert!(wait_ready(port), "the server did not become ready");
    let status = Command::new("node")
        .arg(scripts.join("e2e.mjs"))
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["reader-key", "writer-key"])
        .arg(&out)
        .current_dir(&scripts)
        .status()
        .expect("cannot run node");
    eprintln!("screenshots and summary.json in {}", out.display());
    assert!(
        status.success(),
        "browser tests failed (see the lines above)"
    );
}
