//! Regression tests on the harder real-world and edge-case feeds in fixtures/feeds/ (see the
//! README there for provenance and licences).

use newsdesk::ingest::{parse_document, Format, IngestError, IngestOptions, Parsed};

fn parse(rel: &str) -> Result<Parsed, IngestError> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feeds")
        .join(rel);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    parse_document(&bytes, None, &IngestOptions::default())
}

fn ok(rel: &str) -> Parsed {
    parse(rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn dates(p: &Parsed) -> Vec<String> {
    p.articles
        .iter()
        .map(|a| a.published.map(|d| d.to_rfc3339()).unwrap_or_default())
        .collect()
}

/// Every item of a well-formed real feed has a title, a link and a date; bodies are clean.
fn assert_complete(p: &Parsed, n: usize) {
    assert_eq!(p.articles.len(), n);
    for a in &p.articles {
        assert!(!a.title.is_empty(), "{a:?}");
        assert!(
            a.url.as_deref().is_some_and(|u| u.starts_with("http")),
            "{a:?}"
        );
        assert!(a.published.is_some(), "{a:?}");
        assert!(
            !a.body.contains("<p>") && !a.body.contains("&amp;") && !a.body.contains("&lt;"),
            "{}",
            a.body
        );
    }
}

#[test]
fn zone_names_z_and_missing_seconds() {
    let p = ok("feed-rs/rss_2.0_example_2.xml");
    assert_complete(&p, 1);
    assert_eq!(dates(&p), vec!["2019-08-01T16:15:00-04:00"]);
    let p = ok("feed-rs/rss_2.0_ilgiornale.xml");
    assert_complete(&p, 1);
    assert_eq!(dates(&p), vec!["2022-11-15T20:15:04+00:00"]);
}

#[test]
fn declared_latin1() {
    let p = ok("feed-rs/rss_0.91_encoding_1.xml");
    assert_eq!(p.encoding, "windows-1252");
    assert_eq!(p.articles.len(), 1);
    let p = ok("feed-rs/rss_1.0_iso8859.xml");
    assert_complete(&p, 1);
    let a = &p.articles[0];
    assert_eq!(
        a.title,
        "Digitalministerium: Neue Glasfaserförderung mit Schnellkasse"
    );
    assert_eq!(a.body, "Ab April soll es wieder Förderung für den Ausbau von Glasfaser geben. Das Bundesdigitalministerium will es diesmal besser machen. (Infrastruktur, Glasfaser)");
    assert_eq!(a.author.as_deref(), Some("Achim Sawall"));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2023-01-25T19:03:02+01:00"
    );
    assert_eq!(a.source.as_deref(), Some("golem.de"));
}

#[test]
fn atom_html_content_and_offsets() {
    let p = ok("feed-rs/atom_example_6.xml");
    assert_eq!(p.format, Format::Feed);
    assert_complete(&p, 4);
    assert_eq!(
        dates(&p),
        vec![
            "2020-01-19T16:08:59+11:00",
            "2017-07-07T21:47:46+10:00",
            "2017-06-16T18:49:36+10:00",
            "2017-06-15T16:44:26+10:00"
        ]
    );
}

#[test]
fn bom_and_foreign_atom_prefix() {
    let p = ok("feedjira/a10.xml");
    assert_complete(&p, 5);
    let a = &p.articles[0];
    assert_eq!(a.title, "Title 5");
    assert_eq!(a.url.as_deref(), Some("http://www.example.com/5"));
    assert_eq!(a.author.as_deref(), Some("John Doe"));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2020-05-14T10:00:18+00:00"
    );
}

#[test]
fn xhtml_with_escaped_markup_in_pre() {
    let p = ok("feedjira/AtomEscapedHTMLInPreTag.xml");
    assert_eq!(p.articles.len(), 1);
    assert_eq!(p.articles[0].title, "Test entry");
    assert_eq!(p.articles[0].body, "This is escaped html:\n\n<b>test<b>");
}

#[test]
fn two_digit_year_and_colonless_time() {
    let p = ok("rss-parser/heraldsun.rss");
    assert_eq!(p.articles.len(), 2);
    assert_eq!(p.articles[0].source.as_deref(), Some("Another Site"));
    assert_eq!(
        p.articles[0].category.as_deref(),
        Some("Business/Industries/Publishing/Publishers/Nonfiction/")
    );
    assert_eq!(
        newsdesk::ingest::parse_date("03 Apr 02 1500 GMT", IngestOptions::default().default_tz)
            .unwrap()
            .to_rfc3339(),
        "2002-04-03T15:00:00+00:00"
    );
}

#[test]
fn undeclared_latin1_and_portuguese_dates() {
    let p = ok("rss-parser/uolNoticias.rss");
    assert_eq!(p.encoding, "windows-1252");
    assert_complete(&p, 15);
    assert_eq!(dates(&p)[0], "2018-09-24T19:42:40-03:00");
    assert!(p.articles.iter().any(|a| a.title.contains('ç')
        || a.title.contains('ã')
        || a.body.contains('ç')
        || a.body.contains('ã')));
    assert!(p.articles.iter().all(|a| !a.title.contains('\u{FFFD}')));
}

#[test]
fn instant_article_content_encoded() {
    let p = ok("rss-parser/instant-article.rss");
    assert_complete(&p, 1);
    assert!(!p.articles[0].body.is_empty());
    assert!(!p.articles[0].body.contains('<'));
}

#[test]
fn livemint_cdata_links_and_dates() {
    let p = ok("rsparser/livemint.xml");
    assert_complete(&p, 25);
    assert_eq!(p.articles[0].source.as_deref(), Some("livemint.com"));
    for a in &p.articles {
        assert!(
            a.url
                .as_deref()
                .unwrap()
                .starts_with("https://www.livemint.com/"),
            "{:?}",
            a.url
        );
        assert!(!a.url.as_deref().unwrap().ends_with(' '));
    }
}

#[test]
fn utf16_and_utf32_documents() {
    for (f, enc) in [
        ("feedparser/encoding__utf-16be.xml", "UTF-16BE"),
        ("feedparser/encoding__utf-16le-bom.xml", "UTF-16LE"),
        ("feedparser/encoding__utf-32le-bom.xml", "UTF-32LE"),
    ] {
        let p = ok(f);
        assert_eq!(p.encoding, enc, "{f}");
        assert_eq!(p.format, Format::Feed);
        assert!(p.articles.is_empty());
    }
}

#[test]
fn legacy_encodings_declared_and_guessed() {
    let p = ok("feedparser/encoding__euc-kr-item.xml");
    assert_eq!(p.articles[0].body, "\u{b144}");
    let p = ok("feedparser/encoding__demoronize-1.xml");
    assert_eq!(p.articles[0].body, "don\u{2019}t");
    let p = ok("feedparser/illformed__chardet__shiftjis.xml");
    assert_eq!(p.encoding, "Shift_JIS");
    assert_eq!(p.articles[0].title, "DrecomRSSに記事投稿が反映されない…");
    let p = ok("feedparser/encoding__bozo_bogus_encoding.xml");
    assert!(p.warnings.iter().any(|w| w.contains("bogus")));
}

#[test]
fn image_only_item_is_skipped_with_a_warning() {
    let p = ok("feedparser/encoding__encoding_attribute_crash.xml");
    assert!(p.articles.is_empty());
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("item 1 has neither a title nor any text")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn doctype_with_parameter_entities() {
    let p = ok("feedparser/wellformed__rdf__doctype_contains_entity_decl.xml");
    assert!(p.articles.is_empty());
}

#[test]
fn rss_090_092_and_atom_link_in_rss() {
    let p = ok("rss-crate/rss090.xml");
    assert_eq!(p.articles.len(), 5);
    assert!(p
        .articles
        .iter()
        .all(|a| a.url.is_some() && !a.title.is_empty()));
    // 22 items, one of them exactly repeated; items without a title get one from their text
    let p = ok("rss-crate/rss092.xml");
    assert_eq!(p.articles.len(), 21);
    assert!(p.warnings.iter().any(|w| w.contains("duplicate item")));
    assert!(p
        .articles
        .iter()
        .all(|a| !a.title.is_empty() && a.title.chars().count() <= 120));
    let p = ok("rss-crate/rss2_with_atom.xml");
    assert_complete(&p, 3);
}

#[test]
fn malformed_feeds_give_clear_errors() {
    let cases = [
        ("feed-rs/rss_2.0_invalid_1.xml", "malformed XML at line 19"),
        (
            "feedjira/InvalidDateFormat.xml",
            "document ends inside <rss> (truncated?)",
        ),
        (
            "feedparser/illformed__aaa_illformed.xml",
            "malformed XML at line 6",
        ),
        (
            "feedparser/illformed__rss_incomplete_cdata.xml",
            "CDATA not closed",
        ),
        (
            "feedparser/illformed__rss_empty_document.xml",
            "empty document",
        ),
    ];
    for (f, want) in cases {
        let e = parse(f)
            .err()
            .unwrap_or_else(|| panic!("{f} should fail"))
            .to_string();
        assert!(e.contains(want), "{f}: {e}");
    }
}
