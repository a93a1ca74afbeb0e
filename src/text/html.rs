//! HTML → clean text, and whitespace normalisation for plain text.
//!
//! A small forgiving tokenizer (tags, comments, raw-text elements), not a DOM: feeds carry
//! fragments, often broken, and all we need is the words in order with paragraph structure.
//! Block elements become paragraph breaks ("\n\n"), `<br>` a line break ("\n"), scripts, styles
//! and other non-content elements are dropped, entities are decoded with `htmlize`, and runs of
//! whitespace (including `&nbsp;` and `&#13;`) collapse to one space. A `<` that does not open a
//! tag is kept as text, so no word is lost.

/// C1 control characters in text almost always are windows-1252 bytes that were mislabelled
/// as Latin-1 (`don\u{92}t`); read them as windows-1252 did (`don’t`), as browsers do.
fn c1_to_cp1252(c: char) -> Option<char> {
    let b = c as u32;
    if !(0x80..=0x9f).contains(&b) {
        return None;
    }
    let byte = [b as u8];
    let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
    let c = s.chars().next();
    c.filter(|d| !d.is_control())
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Brk {
    None,
    Space,
    Line,
    Para,
}

struct Out {
    s: String,
    pending: Brk,
}

impl Out {
    fn brk(&mut self, b: Brk) {
        if b > self.pending {
            self.pending = b;
        }
    }

    fn push_text(&mut self, t: &str, pre: bool) {
        for ch in t.chars() {
            let ch = match ch {
                '\u{a0}' | '\u{2007}' | '\u{202f}' => ' ',
                '\u{200b}' | '\u{feff}' | '\u{ad}' => continue,
                '\u{80}'..='\u{9f}' => match c1_to_cp1252(ch) {
                    Some(c) => c,
                    None => continue,
                },
                c if c.is_control() && !c.is_whitespace() => continue,
                c => c,
            };
            if ch == '\n' && pre {
                self.brk(Brk::Line);
            } else if ch.is_whitespace() {
                self.brk(Brk::Space);
            } else {
                if !self.s.is_empty() {
                    match self.pending {
                        Brk::Para => self.s.push_str("\n\n"),
                        Brk::Line => self.s.push('\n'),
                        Brk::Space => self.s.push(' '),
                        Brk::None => {}
                    }
                }
                self.pending = Brk::None;
                self.s.push(ch);
            }
        }
    }
}

const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "hr",
    "address",
    "form",
    "fieldset",
    "details",
    "summary",
    "center",
    "caption",
    "body",
    "html",
    "title",
    "legend",
];
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "select",
    "textarea",
];

fn ci_find(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Parses a tag starting at `<`; returns (name lowercased, is_end, is_self_closing, end index).
fn parse_tag(s: &str, i: usize) -> Option<(String, bool, bool, usize)> {
    let b = s.as_bytes();
    let mut j = i + 1;
    let is_end = b.get(j) == Some(&b'/');
    if is_end {
        j += 1;
    }
    if !b.get(j)?.is_ascii_alphabetic() {
        return None;
    }
    let name_start = j;
    while j < b.len()
        && (b[j].is_ascii_alphanumeric() || b[j] == b':' || b[j] == b'-' || b[j] == b'_')
    {
        j += 1;
    }
    let name = s[name_start..j].to_ascii_lowercase();
    // attributes: scan to '>' honouring quotes
    let mut quote: Option<u8> = None;
    while j < b.len() {
        let c = b[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                // only a quote right after '=' (possibly spaced) opens a value
                let prev = s[..j].trim_end();
                if prev.ends_with('=') {
                    quote = Some(c);
                }
            }
            None if c == b'>' => {
                let self_closing = j > 0 && b[j - 1] == b'/';
                return Some((name, is_end, self_closing, j + 1));
            }
            None if c == b'<' => return None,
            None => {}
        }
        j += 1;
    }
    None
}

/// Converts an HTML fragment or document to clean text with "\n\n" between paragraphs.
pub fn html_to_text(html: &str) -> String {
    let mut out = Out {
        s: String::with_capacity(html.len() / 2),
        pending: Brk::None,
    };
    let mut i = 0;
    let mut text_start = 0;
    let mut pre_depth = 0usize;
    let b = html.as_bytes();
    let flush = |out: &mut Out, from: usize, to: usize, pre: bool| {
        if from < to {
            let raw = &html[from..to];
            if raw.contains('&') {
                out.push_text(&htmlize::unescape(raw), pre);
            } else {
                out.push_text(raw, pre);
            }
        }
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &html[i..];
        if let Some(after) = rest.strip_prefix("<!--") {
            flush(&mut out, text_start, i, pre_depth > 0);
            i = match after.find("-->") {
                Some(p) => i + 4 + p + 3,
                None => b.len(),
            };
            text_start = i;
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            flush(&mut out, text_start, i, pre_depth > 0);
            let end = rest.find("]]>").map(|p| i + p).unwrap_or(b.len());
            out.push_text(&html[i + 9..end], pre_depth > 0);
            i = (end + 3).min(b.len());
            text_start = i;
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            flush(&mut out, text_start, i, pre_depth > 0);
            i = rest.find('>').map(|p| i + p + 1).unwrap_or(b.len());
            text_start = i;
            continue;
        }
        let Some((name, is_end, self_closing, end)) = parse_tag(html, i) else {
            i += 1; // a literal '<'
            continue;
        };
        flush(&mut out, text_start, i, pre_depth > 0);
        i = end;
        text_start = i;
        if !is_end && !self_closing && SKIP.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = match ci_find(&html[i..], &close) {
                Some(p) => {
                    let after = i + p;
                    html[after..]
                        .find('>')
                        .map(|q| after + q + 1)
                        .unwrap_or(b.len())
                }
                None => b.len(),
            };
            text_start = i;
            out.brk(Brk::Space);
            continue;
        }
        match name.as_str() {
            "br" => out.brk(Brk::Line),
            "td" | "th" | "img" => out.brk(Brk::Space),
            n if BLOCK.contains(&n) => {
                out.brk(Brk::Para);
                if n == "pre" {
                    if is_end {
                        pre_depth = pre_depth.saturating_sub(1);
                    } else if !self_closing {
                        pre_depth += 1;
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut out, text_start, b.len(), pre_depth > 0);
    out.s
}

/// True when a string evidently carries HTML markup (tags like `<p>`, `</div>`, `<br/>`).
pub fn looks_like_html(s: &str) -> bool {
    let mut count = 0;
    let mut i = 0;
    while let Some(p) = s[i..].find('<') {
        let at = i + p;
        if let Some((name, _, _, end)) = parse_tag(s, at) {
            if BLOCK.contains(&name.as_str())
                || matches!(
                    name.as_str(),
                    "br" | "a"
                        | "span"
                        | "b"
                        | "i"
                        | "em"
                        | "strong"
                        | "img"
                        | "font"
                        | "u"
                        | "sup"
                        | "sub"
                )
            {
                count += 1;
                if count >= 1 {
                    return true;
                }
            }
            i = end;
        } else {
            i = at + 1;
        }
    }
    false
}

/// Normalises plain text: CRLF → LF, no-break and odd spaces → space, runs of spaces collapsed,
/// lines trimmed, blank-line runs → one paragraph break. With `join_wrapped`, lines inside a
/// paragraph are treated as hard wrapping and joined with a space — except a line that starts
/// with a list bullet — and a text with no blank lines at all is read as one paragraph per line.
pub fn normalize_plain(text: &str, join_wrapped: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let clean_line = |l: &str| -> String {
        let mut s = String::with_capacity(l.len());
        let mut space = false;
        for ch in l.chars() {
            let ch = match ch {
                '\u{a0}' | '\u{2007}' | '\u{202f}' | '\t' => ' ',
                '\u{200b}' | '\u{feff}' | '\u{ad}' => continue,
                '\u{80}'..='\u{9f}' => match c1_to_cp1252(ch) {
                    Some(c) => c,
                    None => continue,
                },
                c if c.is_control() => continue,
                c => c,
            };
            if ch.is_whitespace() {
                space = true;
            } else {
                if space && !s.is_empty() {
                    s.push(' ');
                }
                space = false;
                s.push(ch);
            }
        }
        s
    };
    let lines: Vec<String> = text.split('\n').map(clean_line).collect();
    let has_blank = lines
        .iter()
        .skip_while(|l| l.is_empty())
        .any(|l| l.is_empty());
    let mut paras: Vec<Vec<String>> = vec![Vec::new()];
    for l in lines {
        if l.is_empty() {
            if !paras.last().unwrap().is_empty() {
                paras.push(Vec::new());
            }
        } else if join_wrapped && !has_blank {
            paras.last_mut().unwrap().push(l);
            paras.push(Vec::new());
        } else {
            paras.last_mut().unwrap().push(l);
        }
    }
    let is_bullet = |l: &str| {
        let t = l.trim_start();
        t.starts_with(['-', '*', '•', '–', '—', '·', '▪', '►'])
            || t.split_once(['.', ')']).is_some_and(|(n, rest)| {
                !n.is_empty()
                    && n.len() <= 3
                    && n.chars().all(|c| c.is_ascii_alphanumeric())
                    && rest.starts_with(' ')
            })
    };
    let mut out = String::with_capacity(text.len());
    for p in paras.into_iter().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        for (k, l) in p.iter().enumerate() {
            if k > 0 {
                if join_wrapped && !is_bullet(l) {
                    out.push(' ');
                } else {
                    out.push('\n');
                }
            }
            out.push_str(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_entities_scripts() {
        let h = "<p><span style=\"font-size:14px\"><strong>New Delhi, Mar 18 (KNN)</strong> The NICDC &amp; DPIIT met.&nbsp;</span></p>&#13;\n&#13;\n<p>Second&#8217;s para<br/>line two</p><script>var x = '<p>';</script><style>p{}</style><!-- c -->";
        let t = html_to_text(h);
        assert_eq!(
            t,
            "New Delhi, Mar 18 (KNN) The NICDC & DPIIT met.\n\nSecond\u{2019}s para\nline two"
        );
    }

    #[test]
    fn literal_angle_brackets_are_text() {
        assert_eq!(
            html_to_text("a < b and c<d, 3 <= 4"),
            "a < b and c<d, 3 <= 4"
        );
        assert_eq!(html_to_text("x &lt;p&gt; y"), "x <p> y");
        assert_eq!(html_to_text("<p>unclosed <b"), "unclosed <b");
    }

    #[test]
    fn c1_controls_read_as_windows_1252() {
        assert_eq!(
            html_to_text("don\u{92}t \u{93}quoted\u{94} \u{81}x"),
            "don\u{2019}t \u{201c}quoted\u{201d} x"
        );
        assert_eq!(normalize_plain("don\u{92}t", false), "don\u{2019}t");
    }

    #[test]
    fn lists_and_tables() {
        assert_eq!(
            html_to_text(
                "<ul><li>One</li><li>Two</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
            ),
            "One\n\nTwo\n\na b"
        );
    }

    #[test]
    fn plain_normalisation() {
        assert_eq!(
            normalize_plain("a  b\r\n\r\n\r\n c\td ", false),
            "a b\n\nc d"
        );
        assert_eq!(
            normalize_plain("The state\ngovernment said.\n- one\n- two\n\nNext", true),
            "The state government said.\n- one\n- two\n\nNext"
        );
        assert_eq!(
            normalize_plain("Line one.\nLine two.", true),
            "Line one.\n\nLine two."
        );
        let once = normalize_plain("A\n\nB\nC", false);
        assert_eq!(normalize_plain(&once, false), once);
    }
}
