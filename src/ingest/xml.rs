//! A streaming walk over XML with quick-xml that hands back one small element tree per record
//! (`<item>`, `<entry>`, or a news record such as `<root>…</root>`) as soon as it closes, so a
//! feed or export of any size is held one record at a time.
//!
//! Entities: the five XML ones, numeric references, entities declared in an internal DTD subset,
//! and — leniently, because real feeds use them without a DTD — every HTML named entity. An
//! unknown entity is kept as written; a bare `&` is kept as text. Structural errors (mismatched or
//! unclosed tags, unterminated CDATA, truncation) are errors with a line, column and byte offset.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

use super::IngestError;

/// Deepest element nesting accepted; deeper input is rejected rather than risking the stack.
pub const MAX_DEPTH: usize = 256;

/// Most entities an internal DTD subset may declare.
pub const MAX_DTD_ENTITIES: usize = 1_024;

/// Longest replacement text of one declared entity, in bytes.
pub const MAX_ENTITY_BYTES: usize = 65_536;

/// Most text that references to declared entities may add to one document, in bytes: a small
/// document declaring a large entity and referencing it millions of times is refused instead
/// of expanding to gigabytes.
pub const MAX_ENTITY_EXPANSION_BYTES: usize = 1_048_576;

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Qualified name as written, lowercased ("dc:date", "content:encoded", "title").
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub content: Vec<Content>,
}

#[derive(Debug, Clone)]
pub(crate) enum Content {
    Text(String),
    Elem(Node),
}

impl Node {
    pub fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key || k.rsplit(':').next() == Some(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn children(&self) -> impl Iterator<Item = &Node> {
        self.content.iter().filter_map(|c| match c {
            Content::Elem(n) => Some(n),
            Content::Text(_) => None,
        })
    }

    pub fn has_elements(&self) -> bool {
        self.children().next().is_some()
    }

    /// All character data below this node, elements separated by a space.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.text_into(&mut out);
        out
    }

    fn text_into(&self, out: &mut String) {
        for c in &self.content {
            match c {
                Content::Text(t) => out.push_str(t),
                Content::Elem(n) => {
                    if !out.is_empty() && !out.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                    n.text_into(out);
                }
            }
        }
    }

    /// The content as an HTML fragment: character data is either already HTML source (escaped
    /// HTML in RSS descriptions, CDATA) when the node has no child elements, or, for inline XHTML,
    /// the children are serialised back with their text escaped.
    pub fn inner_html(&self) -> String {
        if !self.has_elements() {
            return self.text();
        }
        let mut out = String::new();
        for c in &self.content {
            serialize(c, &mut out);
        }
        out
    }
}

fn escape_into(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(ch),
        }
    }
}

fn serialize(c: &Content, out: &mut String) {
    match c {
        Content::Text(t) => escape_into(t, out),
        Content::Elem(n) => {
            let name = n.local();
            out.push('<');
            out.push_str(name);
            for (k, v) in &n.attrs {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_into(&v.replace('"', "&quot;"), out);
                out.push('"');
            }
            out.push('>');
            for cc in &n.content {
                serialize(cc, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// How records are recognised.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// RSS/RDF/Atom: records are `<item>` and `<entry>`.
    Feed,
    /// News-record XML: `<item>`/`<entry>`, or any element whose children look like article fields.
    Records,
}

/// Line and column (1-based) of a byte offset.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let mut p = pos;
    while !text.is_char_boundary(p) {
        p -= 1;
    }
    let before = &text[..p];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn xml_error(text: &str, pos: usize, msg: String) -> IngestError {
    let (line, column) = line_col(text, pos);
    IngestError::Xml {
        line,
        column,
        byte: pos,
        message: msg,
    }
}

/// Simple internal entity declarations: `<!ENTITY name "value">`, within the entity limits.
fn dtd_entities(doctype: &str, map: &mut HashMap<String, String>) -> Result<(), IngestError> {
    let mut rest = doctype;
    while let Some(p) = rest.find("<!ENTITY") {
        rest = &rest[p + 8..];
        let t = rest.trim_start();
        if t.starts_with('%') {
            continue;
        }
        let name: String = t.chars().take_while(|c| !c.is_whitespace()).collect();
        let after = t[name.len()..].trim_start();
        let q = match after.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => continue,
        };
        if let Some(end) = after[1..].find(q) {
            if end > MAX_ENTITY_BYTES {
                return Err(IngestError::TooLarge(format!(
                    "the XML entity {name:?} is {end} bytes long; the limit is {MAX_ENTITY_BYTES}"
                )));
            }
            map.insert(name, after[1..1 + end].to_string());
            if map.len() > MAX_DTD_ENTITIES {
                return Err(IngestError::TooLarge(format!(
                    "the XML document declares more than {MAX_DTD_ENTITIES} entities"
                )));
            }
        }
    }
    Ok(())
}

fn resolve_entity(name: &str, dtd: &HashMap<String, String>) -> String {
    match name {
        "lt" => return "<".into(),
        "gt" => return ">".into(),
        "amp" => return "&".into(),
        "apos" => return "'".into(),
        "quot" => return "\"".into(),
        _ => {}
    }
    if let Some(num) = name.strip_prefix('#') {
        let v = if let Some(h) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(h, 16).ok()
        } else {
            num.parse::<u32>().ok()
        };
        return match v.and_then(char::from_u32) {
            Some('\0') | None => "\u{FFFD}".into(),
            Some(c) => c.to_string(),
        };
    }
    if let Some(v) = dtd.get(name) {
        return v.clone();
    }
    let lit = format!("&{name};");
    let un = htmlize::unescape(lit.as_str());
    un.into_owned()
}

fn push_text(stack: &mut [Node], s: &str) {
    if let Some(top) = stack.last_mut() {
        if let Some(Content::Text(t)) = top.content.last_mut() {
            t.push_str(s);
        } else {
            top.content.push(Content::Text(s.to_string()));
        }
    }
}

/// Field names that make an element look like a news record in [`Mode::Records`].
fn looks_like_record(n: &Node) -> bool {
    use super::fields::{field_kind, FieldKind};
    let mut kinds = Vec::new();
    for c in n.children() {
        if let Some(k) = field_kind(&c.name) {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
    let has_core = kinds
        .iter()
        .any(|k| matches!(k, FieldKind::Title | FieldKind::Body));
    has_core && kinds.len() >= 2
}

/// Walks the document, calling `on_record` with each record element as it closes (and the name
/// of its parent). Returns the root element with the records taken out (feed metadata lives there).
pub(crate) fn walk(
    text: &str,
    mode: Mode,
    mut on_record: impl FnMut(Node),
) -> Result<Node, IngestError> {
    let mut reader = Reader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.allow_dangling_amp = true;
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }
    let mut dtd = HashMap::new();
    let mut expanded = 0usize;
    let mut stack: Vec<Node> = Vec::new();
    let mut scopes: NsScopes = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let pos = reader.error_position() as usize;
                return Err(xml_error(text, pos, e.to_string()));
            }
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e)
                if mode == Mode::Feed && root.is_some() && stack.is_empty() =>
            {
                let _ = e;
                return Err(xml_error(
                    text,
                    reader.buffer_position() as usize,
                    "a second root element after the first one closed".into(),
                ));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(xml_error(
                        text,
                        reader.buffer_position() as usize,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                stack.push(start_node(&e, &mut scopes));
            }
            Event::Empty(e) => {
                let node = start_node(&e, &mut scopes);
                scopes.pop();
                close(node, &mut stack, &mut root, mode, &mut on_record);
            }
            Event::End(_) => {
                let node = stack.pop().expect("quick-xml checks end names");
                scopes.pop();
                close(node, &mut stack, &mut root, mode, &mut on_record);
            }
            Event::Text(t) => {
                if !stack.is_empty() {
                    let s = t.decode().map_err(|e| {
                        xml_error(text, reader.buffer_position() as usize, e.to_string())
                    })?;
                    push_text(&mut stack, &s);
                } else {
                    // Text outside the root element is not XML (whitespace is fine).
                    let s = t.decode().unwrap_or_default();
                    if !s.trim().is_empty() {
                        let pos = reader.buffer_position() as usize - t.len();
                        return Err(xml_error(
                            text,
                            pos,
                            format!(
                                "text outside the root element: {:?}",
                                s.trim().chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                }
            }
            Event::CData(c) => {
                if !stack.is_empty() {
                    let s = c.decode().map_err(|e| {
                        xml_error(text, reader.buffer_position() as usize, e.to_string())
                    })?;
                    push_text(&mut stack, &s);
                }
            }
            Event::GeneralRef(r) => {
                if !stack.is_empty() {
                    let name = r.decode().unwrap_or_default();
                    let v = resolve_entity(&name, &dtd);
                    if dtd.contains_key(&*name) {
                        expanded += v.len();
                        if expanded > MAX_ENTITY_EXPANSION_BYTES {
                            return Err(IngestError::TooLarge(format!(
                                "XML entity references expand to more than \
                                 {MAX_ENTITY_EXPANSION_BYTES} bytes"
                            )));
                        }
                    }
                    push_text(&mut stack, &v);
                }
            }
            Event::DocType(d) => {
                let s = d.decode().unwrap_or_default();
                dtd_entities(&s, &mut dtd)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(xml_error(
            text,
            text.len(),
            format!("document ends inside <{}> (truncated?)", open.name),
        ));
    }
    root.ok_or(IngestError::Empty)
}

/// Conventional prefixes for the namespaces whose elements we map, so `<a10:link>` bound to the
/// Atom namespace reads as `atom:link` whatever prefix the feed chose.
const KNOWN_NS: &[(&str, &str)] = &[
    ("http://www.w3.org/2005/atom", "atom"),
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://purl.org/dc/terms/", "dcterms"),
    ("http://purl.org/rss/1.0/modules/content/", "content"),
    ("http://search.yahoo.com/mrss/", "media"),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"),
    ("http://rssnamespace.org/feedburner/ext/1.0", "feedburner"),
    ("http://www.w3.org/1999/xhtml", "xhtml"),
];

/// Namespace bindings in scope: (prefix, uri) per open element, innermost last.
type NsScopes = Vec<Vec<(String, String)>>;

fn start_node(e: &quick_xml::events::BytesStart, scopes: &mut NsScopes) -> Node {
    let written = String::from_utf8_lossy(e.name().as_ref()).to_lowercase();
    let mut attrs = Vec::new();
    let mut decls = Vec::new();
    for a in e.attributes().with_checks(false).flatten() {
        let k = String::from_utf8_lossy(a.key.as_ref()).to_lowercase();
        let raw = String::from_utf8_lossy(&a.value);
        let v = htmlize::unescape_attribute(raw.as_ref()).into_owned();
        if let Some(prefix) = k.strip_prefix("xmlns:") {
            decls.push((prefix.to_string(), v.trim().to_lowercase()));
        }
        attrs.push((k, v));
    }
    scopes.push(decls);
    let name = match written.split_once(':') {
        Some((prefix, local)) => {
            let uri = scopes
                .iter()
                .rev()
                .flat_map(|s| s.iter())
                .find(|(p, _)| p == prefix)
                .map(|(_, u)| u.as_str());
            match uri.and_then(|u| KNOWN_NS.iter().find(|(k, _)| *k == u)) {
                Some((_, canon)) => format!("{canon}:{local}"),
                None => written.clone(),
            }
        }
        None => written.clone(),
    };
    Node {
        name,
        attrs,
        content: Vec::new(),
    }
}

fn close(
    node: Node,
    stack: &mut [Node],
    root: &mut Option<Node>,
    mode: Mode,
    on_record: &mut impl FnMut(Node),
) {
    let local = node.local().to_string();
    let is_record =
        local == "item" || local == "entry" || (mode == Mode::Records && looks_like_record(&node));
    if is_record {
        if stack.is_empty() {
            // the root itself is the record (a single news record file)
            on_record(node.clone());
            let mut shell = node;
            shell.content.clear();
            root.get_or_insert(shell);
        } else {
            on_record(node);
        }
        return;
    }
    match stack.last_mut() {
        Some(parent) => parent.content.push(Content::Elem(node)),
        None => {
            if root.is_none() {
                *root = Some(node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(xml: &str, mode: Mode) -> Result<(Vec<Node>, Node), IngestError> {
        let mut v = Vec::new();
        let root = walk(xml, mode, |n| v.push(n))?;
        Ok((v, root))
    }

    #[test]
    fn items_entities_and_cdata() {
        let xml = r#"<?xml version="1.0"?><rss><channel><title>T &amp; Co</title>
            <item><title>A &nbsp;&#8217;b&#x2019; &unknown; & bare</title><description><![CDATA[<p>x</p>]]></description></item>
            </channel></rss>"#;
        let (recs, root) = records(xml, Mode::Feed).unwrap();
        assert_eq!(recs.len(), 1);
        let title = recs[0]
            .children()
            .find(|c| c.name == "title")
            .unwrap()
            .text();
        assert_eq!(title, "A \u{a0}\u{2019}b\u{2019} &unknown; & bare");
        assert_eq!(
            recs[0]
                .children()
                .find(|c| c.name == "description")
                .unwrap()
                .inner_html(),
            "<p>x</p>"
        );
        assert_eq!(root.name, "rss");
        let ch = root.children().next().unwrap();
        assert_eq!(ch.children().next().unwrap().text(), "T & Co");
    }

    #[test]
    fn namespace_prefixes_are_canonical() {
        let xml = r#"<rss xmlns:a10="http://www.w3.org/2005/Atom" xmlns:x="http://purl.org/dc/elements/1.1/"><channel><item><a10:link href="http://e.com/5"/><x:creator>Jo</x:creator><zz:thing/></item></channel></rss>"#;
        let (recs, _) = records(xml, Mode::Feed).unwrap();
        let names: Vec<&str> = recs[0].children().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["atom:link", "dc:creator", "zz:thing"]);
    }

    #[test]
    fn dtd_entity() {
        let xml =
            r#"<!DOCTYPE rss [<!ENTITY co "Company">]><rss><item><title>&co;</title></item></rss>"#;
        let (recs, _) = records(xml, Mode::Feed).unwrap();
        assert_eq!(recs[0].children().next().unwrap().text(), "Company");
    }

    #[test]
    fn xhtml_content_serialised() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>a &lt; b</p></div></content></entry></feed>"#;
        let (recs, _) = records(xml, Mode::Feed).unwrap();
        let c = recs[0].children().next().unwrap();
        assert_eq!(
            c.inner_html(),
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>a &lt; b</p></div>"#
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = records("<rss>\n<channel>\n<item></channel></rss>", Mode::Feed)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
        let e = records("<rss><channel><item><title>x</title>", Mode::Feed)
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
        let e = records("<rss><item><title><![CD", Mode::Feed)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("malformed XML"), "{e}");
        assert!(matches!(
            records("<!-- only a comment -->", Mode::Feed),
            Err(IngestError::Empty)
        ));
    }

    #[test]
    fn deep_nesting_is_refused_not_crashed() {
        let xml = "<a>".repeat(10_000);
        assert!(records(&xml, Mode::Records).is_err());
    }
}
