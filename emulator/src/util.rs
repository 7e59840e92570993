//! Small helpers: query parsing, JSON bodies, NDJSON streams, time formats.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};

/// Compares two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        let y = b.get(i % b.len().max(1)).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0
}

/// A query string split into keys, each with its values in order (repeated keys kept).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(BTreeMap<String, Vec<String>>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.entry(decode(k)).or_default().push(decode(v));
        }
        Self(map)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    pub(crate) fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A boolean parameter: `true`/`1`/`false`/`0`; absent gives `None`.
    pub(crate) fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some("true" | "1" | "yes" | "") => Ok(Some(true)),
            Some("false" | "0" | "no") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!("invalid {key}: {other}"))),
        }
    }

    /// An unsigned integer parameter.
    pub(crate) fn u64(&self, key: &str) -> ApiResult<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid {key}: {v}"))),
        }
    }

    /// A Go duration parameter (`10s`, `1m30s`, `0`), also accepting `1.5s` and bare seconds.
    pub(crate) fn duration(&self, key: &str) -> ApiResult<Option<Duration>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => parse_duration(v)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("invalid {key}: {v}"))),
        }
    }
}

fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses a Go duration string (`300ms`, `1h2m3.5s`, `0`), or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_end);
        let value: f64 = num.parse().ok()?;
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = next;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// Decodes a JSON request body, mapping failures to `400 {"errors":[..]}`.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_slice(b"{}")
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// The sending half of an NDJSON response; each `line` is one JSON object, flushed at once.
#[derive(Debug, Clone)]
pub(crate) struct NdjsonTx(mpsc::Sender<Bytes>);

impl NdjsonTx {
    /// Sends one line; returns false when the client has gone.
    pub(crate) async fn line<T: serde::Serialize + ?Sized>(&self, value: &T) -> bool {
        let mut bytes = serde_json::to_vec(value).unwrap_or_default();
        bytes.push(b'\n');
        self.0.send(Bytes::from(bytes)).await.is_ok()
    }
}

/// A `200 application/x-ndjson` streaming response and the sender that feeds it.
pub(crate) fn ndjson_response() -> (NdjsonTx, Response) {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    (NdjsonTx(tx), resp)
}

/// Turns a process exit status into the wire exit code (128+N for signal deaths).
pub(crate) fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code & 0xff,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

/// Resolves a signal name (`TERM`, `SIGTERM`, `term`, `15`) to a nix signal.
pub(crate) fn parse_signal(name: &str) -> Option<nix::sys::signal::Signal> {
    let parsed = sprites_core::model::Signal::parse(name);
    if let Some(n) = parsed.as_i32() {
        return nix::sys::signal::Signal::try_from(n).ok();
    }
    let upper = parsed.name();
    upper.parse().ok()
}

/// Decodes base64url (RFC 4648 §5), with or without padding.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// Removes a directory tree without ever crossing into another filesystem: a directory on
/// a different device (a mount point, such as a sprite's overlay or its bound `/dev`) is left
/// alone, so a forgotten mount can never lead to deleting the host's files.
pub(crate) fn remove_tree(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return std::fs::remove_file(path);
    }
    remove_dir_on(path, meta.dev())
}

fn remove_dir_on(dir: &std::path::Path, dev: u64) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let m = std::fs::symlink_metadata(entry.path())?;
        if m.is_dir() {
            if m.dev() != dev {
                return Err(std::io::Error::other(format!(
                    "refusing to remove {}: it is a mount point",
                    entry.path().display()
                )));
            }
            remove_dir_on(&entry.path(), dev)?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    std::fs::remove_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("bogus"), None);
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn repeated_query_keys_keep_order() {
        let q = Query::parse(Some("cmd=echo&cmd=a+b&cmd=%2F&tty=true"));
        assert_eq!(q.all("cmd"), ["echo", "a b", "/"]);
        assert_eq!(q.bool("tty").ok().flatten(), Some(true));
    }

    #[test]
    fn remove_tree_removes_nested_content() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path().join("x");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/f"), "x").expect("write");
        std::os::unix::fs::symlink("/etc", root.join("a/link")).expect("symlink");
        remove_tree(&root).expect("remove");
        assert!(!root.exists());
        assert!(std::path::Path::new("/etc").exists());
    }

    #[test]
    fn base64url_decodes() {
        assert_eq!(
            base64url_decode("b3JnL3h4eC95eXk").as_deref(),
            Some(&b"org/xxx/yyy"[..])
        );
        assert_eq!(base64url_decode("Pz8-").as_deref(), Some(&b"??>"[..]));
        assert_eq!(base64url_decode("a+b"), None);
    }

    #[test]
    fn signal_names_resolve() {
        assert_eq!(
            parse_signal("TERM"),
            Some(nix::sys::signal::Signal::SIGTERM)
        );
        assert_eq!(
            parse_signal("sigwinch"),
            Some(nix::sys::signal::Signal::SIGWINCH)
        );
        assert_eq!(parse_signal("BOGUS"), None);
    }
}
