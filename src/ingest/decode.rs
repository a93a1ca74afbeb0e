//! Bytes → UTF-8 text: byte-order marks, UTF-16/32 with or without BOM, the encoding an XML
//! declaration names, and a statistical guess (chardetng) for undeclared legacy encodings.
//!
//! Everything after this step works on `&str`, so quick-xml never sees anything but UTF-8.

use encoding_rs::Encoding;

/// Decoded text plus what we had to assume to get it.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub text: String,
    /// Name of the encoding used, e.g. "UTF-8", "windows-1252", "UTF-32LE".
    pub encoding: &'static str,
    /// Problems worth telling the user about (bogus declared encoding, replaced bytes).
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

/// Finds a BOM; returns the encoding and the BOM length.
fn sniff_bom(b: &[u8]) -> Option<(Result<&'static Encoding, Wide>, usize)> {
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Some((Ok(encoding_rs::UTF_8), 3));
    }
    if b.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) {
        return Some((Err(Wide::Utf32Le), 4));
    }
    if b.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        return Some((Err(Wide::Utf32Be), 4));
    }
    if b.starts_with(&[0xFF, 0xFE]) {
        return Some((Err(Wide::Utf16Le), 2));
    }
    if b.starts_with(&[0xFE, 0xFF]) {
        return Some((Err(Wide::Utf16Be), 2));
    }
    None
}

/// UTF-16/32 without a BOM, recognised by the zero bytes around a leading ASCII character.
fn sniff_wide(b: &[u8]) -> Option<Wide> {
    if b.len() < 4 {
        return None;
    }
    let z = |i: usize| b[i] == 0;
    match (z(0), z(1), z(2), z(3)) {
        (false, true, true, true) => Some(Wide::Utf32Le),
        (true, true, true, false) => Some(Wide::Utf32Be),
        (false, true, false, true) => Some(Wide::Utf16Le),
        (true, false, true, false) => Some(Wide::Utf16Be),
        _ => None,
    }
}

fn decode_wide(b: &[u8], w: Wide) -> (String, bool) {
    match w {
        Wide::Utf16Le | Wide::Utf16Be => {
            let enc = if w == Wide::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            let (s, had_errors) = enc.decode_without_bom_handling(b);
            (s.into_owned(), had_errors)
        }
        Wide::Utf32Le | Wide::Utf32Be => {
            let mut out = String::with_capacity(b.len() / 4);
            let mut bad = !b.len().is_multiple_of(4);
            for c in b.chunks_exact(4) {
                let arr = [c[0], c[1], c[2], c[3]];
                let v = if w == Wide::Utf32Le {
                    u32::from_le_bytes(arr)
                } else {
                    u32::from_be_bytes(arr)
                };
                match char::from_u32(v) {
                    Some(ch) => out.push(ch),
                    None => {
                        bad = true;
                        out.push('\u{FFFD}');
                    }
                }
            }
            (out, bad)
        }
    }
}

fn wide_name(w: Wide) -> &'static str {
    match w {
        Wide::Utf16Le => "UTF-16LE",
        Wide::Utf16Be => "UTF-16BE",
        Wide::Utf32Le => "UTF-32LE",
        Wide::Utf32Be => "UTF-32BE",
    }
}

/// The `encoding="…"` of an XML declaration at the start of ASCII-compatible bytes.
pub(crate) fn declared_encoding(b: &[u8]) -> Option<String> {
    let head = &b[..b.len().min(512)];
    let mut i = 0;
    while i < head.len() && head[i].is_ascii_whitespace() {
        i += 1;
    }
    if !head[i..].starts_with(b"<?xml") {
        return None;
    }
    let end = head[i..].windows(2).position(|w| w == b"?>")? + i;
    let decl = &head[i..end];
    let pos = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[pos + 8..];
    let rest: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .collect();
    let rest = rest.strip_prefix(b"=")?;
    let rest: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .collect();
    let q = *rest.first()?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let close = rest[1..].iter().position(|&c| c == q)?;
    Some(
        String::from_utf8_lossy(&rest[1..1 + close])
            .trim()
            .to_string(),
    )
}

/// Decodes bytes of any supported encoding to UTF-8 text (BOM removed).
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    decode_with(bytes, None)
}

/// Like [`decode`], with the charset the transport declared (HTTP `Content-Type`). Precedence:
/// byte-order mark, then the transport's charset, then the XML declaration, then UTF-8, then a
/// guess. The transport's charset is overruled in two cases, each with a warning: a UTF-16/32
/// label on bytes that are evidently ASCII-compatible, and a legacy label on bytes that are valid
/// UTF-8 and declare UTF-8 themselves (servers that stamp every response ISO-8859-1); an unknown
/// label is ignored. When it says UTF-8 but the bytes are not, the XML declaration decides.
pub(crate) fn decode_with(bytes: &[u8], charset: Option<&str>) -> Decoded {
    let mut warnings = Vec::new();
    if let Some((enc, bom_len)) = sniff_bom(bytes) {
        let body = &bytes[bom_len..];
        return match enc {
            Ok(e) => {
                let (s, had_errors) = e.decode_without_bom_handling(body);
                if had_errors {
                    warnings.push(format!(
                        "invalid {} byte sequences were replaced with U+FFFD",
                        e.name()
                    ));
                }
                Decoded {
                    text: s.into_owned(),
                    encoding: e.name(),
                    warnings,
                }
            }
            Err(w) => {
                let (s, bad) = decode_wide(body, w);
                if bad {
                    warnings.push(format!(
                        "invalid {} code units were replaced with U+FFFD",
                        wide_name(w)
                    ));
                }
                Decoded {
                    text: s,
                    encoding: wide_name(w),
                    warnings,
                }
            }
        };
    }
    if let Some(w) = sniff_wide(bytes) {
        let (s, bad) = decode_wide(bytes, w);
        if bad {
            warnings.push(format!(
                "invalid {} code units were replaced with U+FFFD",
                wide_name(w)
            ));
        }
        return Decoded {
            text: s,
            encoding: wide_name(w),
            warnings,
        };
    }
    if let Some(label) = charset.map(|c| c.trim().trim_matches(['"', '\'']).to_string()) {
        if let Some(d) = decode_transport(bytes, &label, &mut warnings) {
            return d;
        }
    }
    if let Some(label) = declared_encoding(bytes) {
        match Encoding::for_label(label.as_bytes()) {
            // A UTF-16 label on bytes that are evidently ASCII-compatible is a lie; ignore it.
            Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {}
            Some(e) if e == encoding_rs::UTF_8 => {
                let (s, had_errors) = e.decode_without_bom_handling(bytes);
                if had_errors {
                    warnings.push(
                        "declared UTF-8 but has invalid byte sequences; replaced with U+FFFD"
                            .into(),
                    );
                }
                return Decoded {
                    text: s.into_owned(),
                    encoding: e.name(),
                    warnings,
                };
            }
            Some(e) => {
                let (s, had_errors) = e.decode_without_bom_handling(bytes);
                if had_errors {
                    warnings.push(format!(
                        "bytes invalid in the declared {} were replaced with U+FFFD",
                        e.name()
                    ));
                }
                return Decoded {
                    text: s.into_owned(),
                    encoding: e.name(),
                    warnings,
                };
            }
            None => warnings.push(format!(
                "unknown declared encoding {label:?}; guessed from the bytes"
            )),
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_string(),
            encoding: "UTF-8",
            warnings,
        };
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    let e = det.guess(None, true);
    let (s, _) = e.decode_without_bom_handling(bytes);
    if declared_encoding(bytes).is_none() {
        warnings.push(format!(
            "no encoding declared and not UTF-8; decoded as {} (guessed)",
            e.name()
        ));
    }
    Decoded {
        text: s.into_owned(),
        encoding: e.name(),
        warnings,
    }
}

/// Decodes with the transport's charset `label`, or `None` (with a warning) when the label is
/// overruled; see [`decode_with`].
fn decode_transport(bytes: &[u8], label: &str, warnings: &mut Vec<String>) -> Option<Decoded> {
    let Some(e) = Encoding::for_label(label.as_bytes()) else {
        warnings.push(format!(
            "unknown charset {label:?} declared by the server; ignored"
        ));
        return None;
    };
    if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
        warnings.push(format!(
            "the server declared {} but the bytes are ASCII-compatible; ignored",
            e.name()
        ));
        return None;
    }
    let own = declared_encoding(bytes).and_then(|l| Encoding::for_label(l.as_bytes()));
    if e == encoding_rs::UTF_8 {
        let (s, had_errors) = e.decode_without_bom_handling(bytes);
        if had_errors {
            if let Some(own) = own.filter(|o| *o != encoding_rs::UTF_8) {
                warnings.push(format!(
                    "the server declared UTF-8 but the bytes are not; decoded as {} as the \
                     document declares",
                    own.name()
                ));
                return None;
            }
            warnings.push(
                "declared UTF-8 by the server but has invalid byte sequences; replaced with U+FFFD"
                    .into(),
            );
        }
        return Some(Decoded {
            text: s.into_owned(),
            encoding: e.name(),
            warnings: std::mem::take(warnings),
        });
    }
    if own == Some(encoding_rs::UTF_8) && !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        warnings.push(format!(
            "the server declared {} but the document is UTF-8, as it declares; decoded as UTF-8",
            e.name()
        ));
        return None;
    }
    let (s, had_errors) = e.decode_without_bom_handling(bytes);
    if had_errors {
        warnings.push(format!(
            "bytes invalid in the {} the server declared were replaced with U+FFFD",
            e.name()
        ));
    }
    Some(Decoded {
        text: s.into_owned(),
        encoding: e.name(),
        warnings: std::mem::take(warnings),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>é</rss>";
        assert_eq!(decode(&utf16le(s, true)).text, s);
        assert_eq!(decode(&utf16le(s, false)).text, s);
        let mut be = vec![];
        for u in s.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&be).text, s);
    }

    #[test]
    fn utf32_with_and_without_bom() {
        let s = "<rss>₹1.5 crore</rss>";
        let mut le = vec![0xFF, 0xFE, 0, 0];
        let mut be = vec![];
        for c in s.chars() {
            le.extend_from_slice(&(c as u32).to_le_bytes());
            be.extend_from_slice(&(c as u32).to_be_bytes());
        }
        assert_eq!(decode(&le).text, s);
        assert_eq!(decode(&le).encoding, "UTF-32LE");
        assert_eq!(decode(&be).text, s);
    }

    #[test]
    fn declared_latin1_and_bogus() {
        let b = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xe9</a>";
        assert_eq!(
            decode(b).text,
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>café</a>"
        );
        let d = decode(b"<?xml version=\"1.0\" encoding=\"bogus\"?><rss/>");
        assert_eq!(d.text, "<?xml version=\"1.0\" encoding=\"bogus\"?><rss/>");
        assert!(d.warnings[0].contains("bogus"));
    }

    #[test]
    fn undeclared_windows_1252_is_guessed() {
        let d = decode(
            b"<rss><item><description>don\x92t stop, S\xe3o Paulo</description></item></rss>",
        );
        assert!(d.text.contains("don\u{2019}t"), "{}", d.text);
        assert!(d.text.contains("São Paulo"));
    }

    #[test]
    fn the_transport_charset_outranks_the_declaration_but_not_a_bom() {
        // Undeclared legacy bytes: the server's charset decides (a guess could pick another).
        let d = decode_with(
            b"<rss><title>\xa35 a month</title></rss>",
            Some("ISO-8859-15"),
        );
        assert_eq!(d.text, "<rss><title>£5 a month</title></rss>");
        assert_eq!(d.encoding, "ISO-8859-15");
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        // KOI8-R bytes declared by the server, a wrong declaration inside: the server wins.
        let d = decode_with(
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\xf0\xd2\xc1\xd7\xc4\xc1</a>",
            Some("\"koi8-r\""),
        );
        assert!(d.text.ends_with("<a>Правда</a>"), "{}", d.text);
        // A BOM outranks the server.
        let d = decode_with(b"\xEF\xBB\xBF<a>\xc2\xa3</a>", Some("iso-8859-1"));
        assert_eq!(d.text, "<a>£</a>");
    }

    #[test]
    fn a_wrong_transport_charset_is_overruled_with_a_warning() {
        // UTF-8 bytes that say so, stamped ISO-8859-1 by the server: read as UTF-8.
        let b = "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>£5</a>".as_bytes();
        let d = decode_with(b, Some("iso-8859-1"));
        assert!(d.text.ends_with("<a>£5</a>"), "{}", d.text);
        assert_eq!(d.encoding, "UTF-8");
        assert!(
            d.warnings[0].contains("declared windows-1252"),
            "{:?}",
            d.warnings
        );
        // The server says UTF-8, the bytes are Latin-1 and say so.
        let d = decode_with(
            b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>caf\xe9</a>",
            Some("utf-8"),
        );
        assert!(d.text.ends_with("<a>café</a>"), "{}", d.text);
        assert!(d.warnings[0].contains("not"), "{:?}", d.warnings);
        // UTF-16 on ASCII bytes, and an unknown label: ignored.
        let d = decode_with(b"<a>x</a>", Some("utf-16"));
        assert_eq!((d.text.as_str(), d.encoding), ("<a>x</a>", "UTF-8"));
        assert!(d.warnings[0].contains("ASCII-compatible"));
        let d = decode_with(b"<a>x</a>", Some("no-such-charset"));
        assert_eq!(d.text, "<a>x</a>");
        assert!(d.warnings[0].contains("unknown charset"));
    }
}
