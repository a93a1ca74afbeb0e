//! Compressed request bodies: `Content-Encoding: gzip` (or `x-gzip`) and `deflate` (zlib, as
//! HTTP defines it) are inflated before the handler sees the body, on the blocking pool, and
//! never past the body limit (`--max-body-bytes`), which applies to the inflated bytes: a small
//! body that inflates past it (a "zip bomb") is refused 413 after at most one byte more than the
//! limit was produced. Any other coding is refused 415; a stream that does not inflate, 400.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::read::MultiGzDecoder;
use flate2::{Decompress, FlushDecompress, Status};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{ApiError, AppState};
use crate::error::Error;

/// The content codings newsdesk inflates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// What a `Content-Encoding` header asks for: `None` for no coding (absent, empty or
/// `identity`), one coding, or a 415.
fn coding(value: Option<&HeaderValue>) -> Result<Option<Coding>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let unsupported = |what: &str| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!(
                "{what}; send the body uncompressed, or with Content-Encoding: gzip or deflate"
            ),
        )
    };
    let text = value
        .to_str()
        .map_err(|_| unsupported("the Content-Encoding header is not readable text"))?;
    let codings: Vec<String> = text
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    match codings.as_slice() {
        [] => Ok(None),
        [one] => match one.as_str() {
            "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
            "deflate" => Ok(Some(Coding::Deflate)),
            other => Err(unsupported(&format!(
                "the content coding {other:?} is not supported"
            ))),
        },
        _ => Err(unsupported("a body may carry one content coding at most")),
    }
}

/// Inflates `compressed` to at most `limit` bytes: more is a 413, a broken or truncated stream
/// a 400.
fn inflate(compressed: &[u8], coding: Coding, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    let read = match coding {
        // The gzip reader checks the trailer (CRC and length): a truncated body is an error.
        Coding::Gzip => MultiGzDecoder::new(compressed)
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map(drop)
            .map_err(|e| e.to_string()),
        Coding::Deflate => inflate_zlib(compressed, limit, &mut out),
    };
    if let Err(e) = read {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_compressed_body",
            format!(
                "the body is not a valid {} stream ({e}); compress it whole, or send it plain",
                coding.name()
            ),
        ));
    }
    if out.len() > limit {
        return Err(too_large(limit));
    }
    Ok(out)
}

/// A zlib stream into `out`, stopping once it holds more than `limit` bytes; a stream that
/// ends before its end marker (and checksum) is an error, as the plain zlib reader would not
/// say.
fn inflate_zlib(input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let mut z = Decompress::new(true);
    let mut buf = vec![0u8; 64 * 1024];
    while out.len() <= limit {
        let room = (limit + 1 - out.len()).min(buf.len());
        let (was_in, was_out) = (z.total_in(), z.total_out());
        let status = z
            .decompress(
                &input[was_in as usize..],
                &mut buf[..room],
                FlushDecompress::None,
            )
            .map_err(|e| e.to_string())?;
        out.extend_from_slice(&buf[..(z.total_out() - was_out) as usize]);
        if status == Status::StreamEnd {
            return Ok(());
        }
        if z.total_in() == was_in && z.total_out() == was_out {
            return Err("the stream ends before its end marker".into());
        }
    }
    Ok(())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the request body inflates to more than the server's limit of {limit} bytes \
             (--max-body-bytes applies to the decompressed body)"
        ),
    )
}

/// Route layer: passes plain bodies through, inflates gzip and deflate ones (the handler sees
/// the plain body with no `Content-Encoding`), refuses the rest.
pub async fn request_body(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match inflate_request(&st, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn inflate_request(st: &AppState, req: Request) -> Result<Request, ApiError> {
    let Some(coding) = coding(req.headers().get(header::CONTENT_ENCODING))? else {
        return Ok(req);
    };
    let limit = st.settings().max_body_bytes;
    let (mut parts, body) = req.into_parts();
    // The compressed body is held to the same limit: it is never larger than what it inflates
    // to, except for data that does not compress at all.
    let compressed: Bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<LengthLimitError>() {
                too_large(limit)
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("the request body could not be read: {e}"),
                )
            }
        })?
        .to_bytes();
    let plain = st
        .blocking(move || Ok::<_, Error>(inflate(&compressed, coding, limit)))
        .await??;
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(plain.len()));
    Ok(Request::from_parts(parts, Body::from(plain)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn header(v: &str) -> HeaderValue {
        HeaderValue::from_str(v).unwrap()
    }

    #[test]
    fn codings_are_read_case_blind_and_identity_is_no_coding() {
        assert_eq!(coding(None).unwrap(), None);
        assert_eq!(coding(Some(&header("identity"))).unwrap(), None);
        assert_eq!(coding(Some(&header("GZip"))).unwrap(), Some(Coding::Gzip));
        assert_eq!(coding(Some(&header("x-gzip"))).unwrap(), Some(Coding::Gzip));
        assert_eq!(
            coding(Some(&header(" deflate , identity"))).unwrap(),
            Some(Coding::Deflate)
        );
        for bad in ["br", "zstd", "gzip, gzip", "compress"] {
            let e = coding(Some(&header(bad))).unwrap_err();
            assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{bad}");
            assert_eq!(e.code, "unsupported_encoding", "{bad}");
        }
    }

    #[test]
    fn both_codings_round_trip() {
        let text = b"Prices rose in March, the bureau said.".repeat(50);
        assert_eq!(inflate(&gzip(&text), Coding::Gzip, 1 << 20).unwrap(), text);
        assert_eq!(
            inflate(&zlib(&text), Coding::Deflate, 1 << 20).unwrap(),
            text
        );
        // Concatenated gzip members are one body.
        let mut two = gzip(b"first half, ");
        two.extend(gzip(b"second half"));
        assert_eq!(
            inflate(&two, Coding::Gzip, 1 << 20).unwrap(),
            b"first half, second half"
        );
    }

    #[test]
    fn a_bomb_stops_one_byte_past_the_limit() {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        let e = inflate(&bomb, Coding::Gzip, 1024 * 1024).unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.code, "payload_too_large");
        // Exactly at the limit is accepted.
        let at = gzip(&vec![b'a'; 4096]);
        assert_eq!(inflate(&at, Coding::Gzip, 4096).unwrap().len(), 4096);
        assert!(inflate(&at, Coding::Gzip, 4095).is_err());
        let zbomb = zlib(&vec![0u8; 10 * 1024 * 1024]);
        let e = inflate(&zbomb, Coding::Deflate, 1024 * 1024).unwrap_err();
        assert_eq!(e.code, "payload_too_large");
        let at = zlib(&vec![b'a'; 4096]);
        assert_eq!(inflate(&at, Coding::Deflate, 4096).unwrap().len(), 4096);
        assert!(inflate(&at, Coding::Deflate, 4095).is_err());
    }

    #[test]
    fn broken_streams_are_the_clients_fault() {
        let good = gzip(&b"A whole article body. ".repeat(100));
        let truncated = &good[..good.len() / 2];
        let z = zlib(&b"A whole article body. ".repeat(100));
        let zlib_half = z[..z.len() - 6].to_vec();
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 0xff;
        for (name, body, c) in [
            ("not gzip", &b"plain text, no gzip header"[..], Coding::Gzip),
            ("truncated", truncated, Coding::Gzip),
            ("corrupt", &flipped[..], Coding::Gzip),
            ("not zlib", &b"plain"[..], Coding::Deflate),
            ("truncated zlib", &zlib_half[..], Coding::Deflate),
        ] {
            let e = inflate(body, c, 1 << 20).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{name}");
            assert_eq!(e.code, "invalid_compressed_body", "{name}");
        }
    }
}
