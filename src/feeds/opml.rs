//! OPML, the subscription list feed readers import and export: every `<outline>` with an
//! `xmlUrl` is a feed, wherever it is nested; an enclosing outline without one is a folder, and
//! its name becomes the feed's category.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One feed of an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// `xmlUrl`, as written.
    pub url: String,
    /// `text` (or `title`).
    pub title: Option<String>,
    /// The innermost enclosing folder's name, else the first entry of its `category`
    /// attribute.
    pub category: Option<String>,
}

/// Why an OPML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpmlError {
    /// Not well-formed XML.
    #[error("malformed OPML at byte {0}: {1}")]
    Xml(u64, String),
    /// Well-formed, but its root is not `<opml>`.
    #[error("not an OPML document: the root element is <{0}>")]
    NotOpml(String),
}

/// True when `bytes` look like an OPML document (root element `opml`).
pub fn looks_like_opml(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = crate::ingest::decode_text(head);
    let mut r = Reader::from_str(&text);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return e.local_name().as_ref().eq_ignore_ascii_case(b"opml")
            }
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

fn attrs(e: &BytesStart) -> Vec<(String, String)> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let k = String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
            let raw = String::from_utf8_lossy(&a.value);
            let v = htmlize::unescape_attribute(raw.as_ref());
            (k, v.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

fn get<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// Every feed in the document, in document order (duplicates kept; the caller's ids fold them).
pub fn parse(bytes: &[u8]) -> Result<Vec<Outline>, OpmlError> {
    let text = crate::ingest::decode_text(bytes);
    let mut r = Reader::from_str(&text);
    let mut out = Vec::new();
    // One entry per open <outline>: the folder name it gives its children, if it is a folder.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut root_seen = false;
    loop {
        let ev = r
            .read_event()
            .map_err(|e| OpmlError::Xml(r.buffer_position(), e.to_string()))?;
        let (e, opens) = match ev {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                if e.local_name().as_ref().eq_ignore_ascii_case(b"outline") {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name();
        if !root_seen {
            root_seen = true;
            if !name.as_ref().eq_ignore_ascii_case(b"opml") {
                return Err(OpmlError::NotOpml(
                    String::from_utf8_lossy(name.as_ref()).into_owned(),
                ));
            }
            continue;
        }
        if !name.as_ref().eq_ignore_ascii_case(b"outline") {
            continue;
        }
        let a = attrs(&e);
        let title = get(&a, "text")
            .or_else(|| get(&a, "title"))
            .map(String::from);
        let folder = match get(&a, "xmlurl") {
            Some(url) => {
                let category = folders.iter().rev().find_map(|f| f.clone()).or_else(|| {
                    get(&a, "category").and_then(|c| {
                        c.split(',')
                            .map(|x| x.trim().trim_matches('/').trim())
                            .find(|x| !x.is_empty())
                            .map(String::from)
                    })
                });
                out.push(Outline {
                    url: url.to_string(),
                    title,
                    category,
                });
                None
            }
            None => title,
        };
        if opens {
            folders.push(folder);
        }
    }
    if !root_seen {
        return Err(OpmlError::NotOpml("nothing".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="Wikinews" title="Wikinews" type="rss" xmlUrl="https://en.wikinews.org/w/index.php?title=Special:NewsFeed&amp;feed=rss" htmlUrl="https://en.wikinews.org/"/>
    <outline text="Business">
      <outline text="Markets">
        <outline text="Stocks &amp; bonds" type="rss" xmlUrl="https://example.org/markets.xml"/>
      </outline>
      <outline text="Aviation" type="rss" xmlUrl="https://example.org/aviation.xml"></outline>
    </outline>
    <outline text="Tagged" xmlUrl="https://example.org/tagged.xml" category="/Science/Space,/Other"/>
    <outline text="A link, not a feed" htmlUrl="https://example.org/"/>
  </body>
</opml>"#;

    #[test]
    fn finds_every_feed_with_its_folder() {
        let got = parse(OPML.as_bytes()).unwrap();
        let rows: Vec<(&str, Option<&str>, Option<&str>)> = got
            .iter()
            .map(|o| (o.url.as_str(), o.title.as_deref(), o.category.as_deref()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "https://en.wikinews.org/w/index.php?title=Special:NewsFeed&feed=rss",
                    Some("Wikinews"),
                    None
                ),
                (
                    "https://example.org/markets.xml",
                    Some("Stocks & bonds"),
                    Some("Markets")
                ),
                (
                    "https://example.org/aviation.xml",
                    Some("Aviation"),
                    Some("Business")
                ),
                (
                    "https://example.org/tagged.xml",
                    Some("Tagged"),
                    Some("Science/Space")
                ),
            ]
        );
        assert!(looks_like_opml(OPML.as_bytes()));
    }

    #[test]
    fn refuses_what_is_not_opml() {
        assert!(matches!(
            parse(b"<rss><channel/></rss>"),
            Err(OpmlError::NotOpml(r)) if r == "rss"
        ));
        assert!(matches!(
            parse(b"<opml><body><outline></body></opml>"),
            Err(OpmlError::Xml(..))
        ));
        assert!(matches!(parse(b"   "), Err(OpmlError::NotOpml(_))));
        assert!(!looks_like_opml(b"{\"url\": \"https://example.org/rss\"}"));
        assert!(!looks_like_opml(b"<rss/>"));
        // An empty subscription list is a list.
        assert_eq!(
            parse(b"<opml version=\"1.0\"><body/></opml>").unwrap(),
            vec![]
        );
    }
}
