//! The synonym table that maps the field names of feeds and CMS exports onto [`Article`] fields,
//! and the conversion of one record (an XML element tree) into an article.

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use super::date::parse_date;
use super::xml::Node;
use super::{finish_article, Article, IngestOptions};
use crate::text::{html_to_text, normalize_plain};

/// Which article field a source field feeds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FieldKind {
    Title,
    /// Full text (`content:encoded`, `fulldesc`, `body`, …).
    Body,
    /// Teaser text (`description`, `summary`, …): the body when there is no full text.
    Summary,
    Published,
    Updated,
    Link,
    Id,
    Author,
    Category,
    Source,
}

/// Field name (lowercased, qualified as written) → (kind, rank); a lower rank wins.
const SYNONYMS: &[(&str, FieldKind, u8)] = {
    use FieldKind::*;
    &[
        ("title", Title, 0),
        ("headline", Title, 1),
        ("dc:title", Title, 2),
        ("heading", Title, 3),
        ("newstitle", Title, 4),
        ("news_title", Title, 4),
        ("content:encoded", Body, 0),
        ("fulldesc", Body, 0),
        ("full_desc", Body, 0),
        ("body", Body, 1),
        ("articlebody", Body, 1),
        ("article_body", Body, 1),
        ("fulltext", Body, 2),
        ("full_text", Body, 2),
        ("bodytext", Body, 2),
        ("body_text", Body, 2),
        ("story", Body, 2),
        ("storytext", Body, 2),
        ("text", Body, 3),
        ("content", Body, 3),
        ("xhtml:body", Body, 3),
        ("article", Body, 4),
        ("description", Summary, 0),
        ("summary", Summary, 1),
        ("dc:description", Summary, 2),
        ("abstract", Summary, 3),
        ("shortdesc", Summary, 4),
        ("short_desc", Summary, 4),
        ("teaser", Summary, 4),
        ("excerpt", Summary, 4),
        ("intro", Summary, 4),
        ("standfirst", Summary, 4),
        ("synopsis", Summary, 4),
        ("lead", Summary, 5),
        ("itunes:summary", Summary, 6),
        ("media:description", Summary, 7),
        ("published", Published, 0),
        ("pubdate", Published, 0),
        ("pub_date", Published, 0),
        ("publishdate", Published, 0),
        ("publish_date", Published, 0),
        ("datepublished", Published, 0),
        ("date_published", Published, 0),
        ("published_at", Published, 0),
        ("publishedat", Published, 0),
        ("dc:date", Published, 1),
        ("date", Published, 1),
        ("dcterms:issued", Published, 2),
        ("issued", Published, 2),
        ("dcterms:created", Published, 3),
        ("created", Published, 3),
        ("created_at", Published, 3),
        ("dc:created", Published, 3),
        ("datetime", Published, 4),
        ("posted", Published, 4),
        ("timestamp", Published, 5),
        ("updated", Updated, 0),
        ("modified", Updated, 1),
        ("dcterms:modified", Updated, 2),
        ("dc:modified", Updated, 2),
        ("lastmod", Updated, 3),
        ("last_modified", Updated, 3),
        ("updated_at", Updated, 3),
        ("datemodified", Updated, 3),
        ("atom:updated", Updated, 4),
        ("lastbuilddate", Updated, 5),
        ("link", Link, 0),
        ("url", Link, 1),
        ("permalink", Link, 1),
        ("canonical", Link, 1),
        ("canonical_url", Link, 1),
        ("weburl", Link, 2),
        ("web_url", Link, 2),
        ("feedburner:origlink", Link, 2),
        ("atom:link", Link, 3),
        ("atom:title", Title, 5),
        ("atom:summary", Summary, 2),
        ("atom:content", Body, 3),
        ("atom:published", Published, 1),
        ("atom:id", Id, 3),
        ("atom:category", Category, 4),
        ("guid", Id, 0),
        ("id", Id, 0),
        ("articleid", Id, 1),
        ("article_id", Id, 1),
        ("newsid", Id, 1),
        ("news_id", Id, 1),
        ("storyid", Id, 1),
        ("story_id", Id, 1),
        ("uuid", Id, 1),
        ("uid", Id, 2),
        ("dc:identifier", Id, 2),
        ("author", Author, 0),
        ("dc:creator", Author, 0),
        ("creator", Author, 1),
        ("byline", Author, 1),
        ("dcterms:creator", Author, 1),
        ("writer", Author, 2),
        ("reporter", Author, 2),
        ("atom:author", Author, 2),
        ("itunes:author", Author, 3),
        ("category", Category, 0),
        ("section", Category, 1),
        ("dc:subject", Category, 2),
        ("subject", Category, 3),
        ("categories", Category, 3),
        ("media:category", Category, 4),
        ("source", Source, 0),
        ("publisher", Source, 1),
        ("dc:publisher", Source, 1),
        ("sitename", Source, 2),
        ("site_name", Source, 2),
        ("site", Source, 2),
        ("provider", Source, 3),
    ]
};

/// Kind and rank of a field name, if it is one we map.
pub(crate) fn field_rank(name: &str) -> Option<(FieldKind, u8)> {
    SYNONYMS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, k, r)| (*k, *r))
}

pub(crate) fn field_kind(name: &str) -> Option<FieldKind> {
    field_rank(name).map(|(k, _)| k)
}

/// Children of a record of the given kind, best rank first (document order within a rank).
fn fields_of(rec: &Node, kind: FieldKind) -> Vec<&Node> {
    let mut v: Vec<(u8, usize, &Node)> = rec
        .children()
        .enumerate()
        .filter_map(|(i, c)| match field_rank(&c.name) {
            Some((k, r)) if k == kind => Some((r, i, c)),
            _ => None,
        })
        .collect();
    v.sort_by_key(|(r, i, _)| (*r, *i));
    v.into_iter().map(|(_, _, n)| n).collect()
}

/// One line of clean text from a title-like field (HTML and entities removed).
pub(crate) fn clean_line(s: &str) -> String {
    let t = html_to_text(s);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text of a field for display: Atom `type="text"` is literal; everything else may carry HTML.
fn field_text(n: &Node) -> String {
    match n.attr("type") {
        Some("text") | Some("text/plain") => {
            n.text().split_whitespace().collect::<Vec<_>>().join(" ")
        }
        _ => clean_line(&n.inner_html()),
    }
}

fn field_body(n: &Node) -> String {
    match n.attr("type") {
        Some("text") | Some("text/plain") => normalize_plain(&n.text(), false),
        _ => html_to_text(&n.inner_html()),
    }
}

/// `"jdoe@example.com (Jane Doe)"` → `"Jane Doe"`; Atom `<author><name>` → its name.
fn author_of(n: &Node) -> Option<String> {
    if let Some(name) = n.children().find(|c| c.local() == "name") {
        let s = clean_line(&name.text());
        return (!s.is_empty()).then_some(s);
    }
    let s = clean_line(&n.text());
    if s.is_empty() {
        return None;
    }
    if s.contains('@') {
        if let (Some(o), Some(c)) = (s.find('('), s.rfind(')')) {
            if o < c {
                let inner = s[o + 1..c].trim();
                if !inner.is_empty() {
                    return Some(inner.to_string());
                }
            }
        }
    }
    Some(s)
}

/// Host of an absolute http(s) URL, without `www.`.
pub(crate) fn host_of(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?.split(':').next()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty() && host.contains('.')).then_some(host)
}

/// Canonical form of a URL for ids: lowercase scheme and host, no fragment, no default port, no
/// tracking parameters (`utm_*`, `fbclid`, `gclid`), no trailing slash on a non-root path.
pub fn canonical_url(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let scheme = scheme.to_lowercase();
    let rest = rest.split('#').next().unwrap_or("");
    let (hostport, path_q) = match rest.find(['/', '?']) {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    let mut host = hostport.to_lowercase();
    if (scheme == "http" && host.ends_with(":80")) || (scheme == "https" && host.ends_with(":443"))
    {
        host.truncate(host.rfind(':').unwrap());
    }
    let (path, query) = match path_q.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_q, None),
    };
    let mut path = path.to_string();
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    if path == "/" {
        path.clear();
    }
    let mut out = format!("{scheme}://{host}{path}");
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                let k = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
                !(k.is_empty()
                    || k.starts_with("utm_")
                    || k == "fbclid"
                    || k == "gclid"
                    || k == "mc_cid"
                    || k == "mc_eid")
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

/// Stable id from parts: the first 32 hex digits of SHA-256 over the parts joined by U+001F.
pub fn hash_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0x1f]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())[..32].to_string()
}

/// Id rule: the record's own id, else the canonical URL's hash, else a hash of title+date+body.
pub(crate) fn make_id(
    own: Option<&str>,
    url: Option<&str>,
    title: &str,
    published: Option<&DateTime<FixedOffset>>,
    body: &str,
) -> String {
    if let Some(id) = own.map(str::trim).filter(|s| !s.is_empty()) {
        return id.to_string();
    }
    if let Some(u) = url.map(str::trim).filter(|s| !s.is_empty()) {
        return hash_id(&["url", &canonical_url(u)]);
    }
    let d = published.map(|d| d.to_rfc3339()).unwrap_or_default();
    hash_id(&["text", title, &d, body])
}

fn resolve_url(link: &str, base: Option<&str>) -> String {
    let link = link.trim();
    if link.contains("://") || link.starts_with("mailto:") {
        return link.to_string();
    }
    let Some(base) = base.filter(|b| b.contains("://")) else {
        return link.to_string();
    };
    if let Some(rest) = link.strip_prefix("//") {
        let scheme = base.split("://").next().unwrap_or("https");
        return format!("{scheme}://{rest}");
    }
    let (scheme, after) = base.split_once("://").unwrap();
    let host = after.split('/').next().unwrap_or("");
    if link.starts_with('/') {
        format!("{scheme}://{host}{link}")
    } else {
        let dir = match after.rfind('/') {
            Some(p) if p > host.len() => &after[..=p],
            _ => &after[..host.len()],
        };
        let sep = if dir.ends_with('/') { "" } else { "/" };
        format!("{scheme}://{dir}{sep}{link}")
    }
}

/// What the enclosing feed says about all its items.
#[derive(Debug, Default, Clone)]
pub(crate) struct FeedMeta {
    pub title: Option<String>,
    pub link: Option<String>,
}

impl FeedMeta {
    /// Reads `<channel>`/`<feed>` title and link from the root left after records were taken out.
    pub fn from_root(root: &Node) -> FeedMeta {
        let chan = if root.local() == "feed" || root.local() == "channel" {
            Some(root)
        } else {
            root.children()
                .find(|c| c.local() == "channel" || c.local() == "feed")
        };
        let mut m = FeedMeta::default();
        if let Some(ch) = chan {
            m.title = ch
                .children()
                .find(|c| c.local() == "title")
                .map(field_text)
                .filter(|s| !s.is_empty());
            m.link = link_of(ch);
        }
        m
    }
}

/// The record's link: RSS `<link>` text, Atom `<link rel="alternate" href>`, `guid isPermaLink`.
fn link_of(rec: &Node) -> Option<String> {
    for n in fields_of(rec, FieldKind::Link) {
        if let Some(href) = n.attr("href") {
            let rel = n.attr("rel").unwrap_or("alternate");
            if rel == "alternate" && !href.trim().is_empty() {
                return Some(href.trim().to_string());
            }
            continue;
        }
        let t = n.text();
        let t = t.trim();
        if !t.is_empty() && !t.contains(char::is_whitespace) {
            return Some(t.to_string());
        }
    }
    // a guid that is a permalink
    for n in rec.children().filter(|c| c.name == "guid") {
        let t = n.text();
        let t = t.trim();
        if n.attr("ispermalink") != Some("false")
            && (t.starts_with("http://") || t.starts_with("https://"))
        {
            return Some(t.to_string());
        }
    }
    None
}

/// Converts one record into an article. `Err` carries the reason a record was skipped.
pub(crate) fn record_to_article(
    rec: &Node,
    meta: &FeedMeta,
    opts: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Result<Article, String> {
    let mut title = fields_of(rec, FieldKind::Title)
        .into_iter()
        .map(field_text)
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let mut body = String::new();
    for kind in [FieldKind::Body, FieldKind::Summary] {
        if let Some(b) = fields_of(rec, kind)
            .into_iter()
            .map(field_body)
            .find(|s| !s.trim().is_empty())
        {
            body = b;
            break;
        }
    }
    let link = link_of(rec).map(|l| resolve_url(&l, meta.link.as_deref()));
    if title.is_empty() && body.is_empty() {
        return Err(match &link {
            Some(l) => format!("has neither a title nor any text (link {l})"),
            None => "has neither a title nor any text".into(),
        });
    }
    let mut published = None;
    let mut bad_dates = Vec::new();
    for kind in [FieldKind::Published, FieldKind::Updated] {
        for n in fields_of(rec, kind) {
            let raw = n.text();
            if raw.trim().is_empty() {
                continue;
            }
            match parse_date(&raw, opts.default_tz) {
                Some(d) => {
                    published = Some(d);
                    break;
                }
                None => bad_dates.push(raw.trim().to_string()),
            }
        }
        if published.is_some() {
            break;
        }
    }
    if published.is_none() {
        if let Some(b) = bad_dates.first() {
            warnings.push(format!(
                "unreadable date {b:?} in {:?}; left empty",
                short(&title)
            ));
        }
    }
    let own_id = fields_of(rec, FieldKind::Id)
        .into_iter()
        .map(|n| n.text().trim().to_string())
        .find(|s| !s.is_empty())
        .or_else(|| {
            rec.attr("rdf:about")
                .or_else(|| rec.attr("about"))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        });
    let author = {
        let v: Vec<String> = fields_of(rec, FieldKind::Author)
            .into_iter()
            .filter_map(author_of)
            .collect();
        let best_rank = fields_of(rec, FieldKind::Author)
            .first()
            .and_then(|n| field_rank(&n.name))
            .map(|r| r.1);
        let mut same: Vec<String> = Vec::new();
        for (n, a) in fields_of(rec, FieldKind::Author).into_iter().zip(v) {
            if field_rank(&n.name).map(|r| r.1) == best_rank && !same.contains(&a) {
                same.push(a);
            }
        }
        (!same.is_empty()).then(|| same.join(", "))
    };
    let category = fields_of(rec, FieldKind::Category)
        .into_iter()
        .find_map(|n| {
            let s = n
                .attr("label")
                .or_else(|| n.attr("term"))
                .map(clean_line)
                .unwrap_or_else(|| clean_line(&n.text()));
            (!s.is_empty()).then_some(s)
        })
        .or_else(|| opts.feed_category.clone());
    let source = fields_of(rec, FieldKind::Source)
        .into_iter()
        .find_map(|n| {
            let s = clean_line(&n.text());
            if !s.is_empty() {
                Some(s)
            } else {
                n.attr("url").and_then(host_of)
            }
        })
        .or_else(|| opts.feed_source.clone())
        .or_else(|| meta.link.as_deref().and_then(host_of))
        .or_else(|| meta.title.clone())
        .or_else(|| link.as_deref().and_then(host_of))
        .or_else(|| opts.source_hint.clone());
    let date_inferred = false;
    if title.is_empty() {
        title = super::title_from_body(&body);
    }
    let id = make_id(
        own_id.as_deref(),
        link.as_deref(),
        &title,
        published.as_ref(),
        &body,
    );
    let mut a = Article {
        id,
        title,
        body,
        source,
        url: link,
        author,
        category,
        published,
        date_inferred,
        dateline: None,
        boilerplate: Vec::new(),
    };
    finish_article(&mut a, opts);
    Ok(a)
}

pub(crate) fn short(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls() {
        assert_eq!(
            canonical_url("HTTPS://WWW.Example.com:443/a/b/?utm_source=x&id=3#frag"),
            "https://www.example.com/a/b?id=3"
        );
        assert_eq!(canonical_url("http://example.com/"), "http://example.com");
        assert_eq!(hash_id(&["url", "a"]).len(), 32);
        assert_ne!(hash_id(&["ab", "c"]), hash_id(&["a", "bc"]));
    }

    #[test]
    fn relative_links() {
        assert_eq!(
            resolve_url("/news/1", Some("https://knnindia.co.in/home")),
            "https://knnindia.co.in/news/1"
        );
        assert_eq!(
            resolve_url("x.html", Some("https://a.in/dir/feed.xml")),
            "https://a.in/dir/x.html"
        );
        assert_eq!(
            host_of("https://www.livemint.com/news"),
            Some("livemint.com".into())
        );
    }
}
