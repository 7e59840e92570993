//! Responses as plain values, and the one rule that turns an error answer into an [`Error`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, FsError, FsErrorCode, RateLimit, Result};
use crate::model::ErrorBody;

/// A received response: status, headers and the whole body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values as received (names compared case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with a status and a body and no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (builder style).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the status is `2xx`.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Decodes the body as JSON into `T`; a body that does not fit is a protocol error.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        decode_json(&self.body, what)
    }

    /// Turns this response into the [`Error`] its status and body describe. For a success
    /// status this is a protocol error ("unexpected status").
    #[must_use]
    pub fn into_error(self) -> Error {
        api_error(self.status, &self.headers, &self.body)
    }

    /// Like [`Response::into_error`], for filesystem endpoints: bodies with a `code` become
    /// [`Error::Filesystem`]. `path` fills in the error's path when the server gave none.
    #[must_use]
    pub fn into_fs_error(self, path: Option<&str>) -> Error {
        fs_error(self.status, &self.headers, &self.body, path)
    }
}

/// The first value of header `name` in `headers`, compared case-insensitively.
#[must_use]
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Decodes JSON, naming `what` in the error when it does not fit.
pub fn decode_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| Error::protocol(alloc::format!("malformed {what}: {e}")))
}

/// Checks a status against the accepted success codes; any other status becomes the error
/// the body describes (or a protocol error for an unexpected success code).
pub fn expect_status(resp: &Response, accepted: &[u16]) -> Result<()> {
    if accepted.contains(&resp.status) {
        return Ok(());
    }
    Err(api_error(resp.status, &resp.headers, &resp.body))
}

fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    let parsed: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !parsed.is_object() {
        return None;
    }
    serde_json::from_value(parsed).ok()
}

/// Builds the [`Error`] for an error status from its headers and body (spec §1.4): JSON with
/// `error`/`message` and rate-limit fields, JSON with an `errors` array, or plain text.
#[must_use]
pub fn api_error(status: u16, headers: &[(String, String)], body: &[u8]) -> Error {
    if (200..300).contains(&status) {
        return Error::protocol(alloc::format!("unexpected status {status}"));
    }
    let parsed = parse_error_body(body);
    let mut err = ApiError::new(status, String::new());
    let text = || {
        let t = String::from_utf8_lossy(body);
        let t = t.trim();
        (!t.is_empty()).then(|| truncate(t, 1024))
    };
    match parsed {
        Some(b) => {
            err.errors = b.errors.unwrap_or_default();
            err.message = b
                .message
                .filter(|m| !m.is_empty())
                .or_else(|| b.error.clone())
                .or_else(|| (!err.errors.is_empty()).then(|| err.errors.join("; ")))
                .unwrap_or_default();
            err.code = b.error;
            err.retry_after = b.retry_after_seconds.map(Duration::from_secs);
            err.upgrade_available = b.upgrade_available;
            err.upgrade_url = b.upgrade_url;
            if b.limit.is_some() || b.window_seconds.is_some() || b.current_count.is_some() {
                err.rate_limit = Some(RateLimit {
                    limit: b.limit,
                    window_seconds: b.window_seconds,
                    current_count: b.current_count,
                    ..RateLimit::default()
                });
            }
        }
        None => err.message = text().unwrap_or_default(),
    }
    if err.message.is_empty() {
        err.message = alloc::format!("API error (status {status})");
    }
    apply_rate_limit_headers(&mut err, headers);
    classify(err)
}

fn apply_rate_limit_headers(err: &mut ApiError, headers: &[(String, String)]) {
    let num = |name: &str| header(headers, name).and_then(|v| v.parse::<u64>().ok());
    if err.retry_after.is_none() {
        err.retry_after = num("retry-after").map(Duration::from_secs);
    }
    let (limit, remaining, reset) = (
        num("x-ratelimit-limit"),
        num("x-ratelimit-remaining"),
        num("x-ratelimit-reset"),
    );
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return;
    }
    let rl = err.rate_limit.get_or_insert_with(RateLimit::default);
    rl.limit = rl.limit.or(limit);
    rl.remaining = remaining;
    rl.reset_unix = reset;
}

fn classify(err: ApiError) -> Error {
    let status = err.status;
    let err = Box::new(err);
    match status {
        401 | 403 => Error::Unauthorized(err),
        404 => Error::NotFound(err),
        409 => Error::Conflict(err),
        429 => Error::RateLimited(err),
        _ => Error::Api(err),
    }
}

/// Builds the [`Error`] for a filesystem endpoint: a JSON body with a `code` becomes
/// [`Error::Filesystem`]; a `404` without one becomes `ENOENT`; anything else is handled as
/// by [`api_error`].
#[must_use]
pub fn fs_error(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    path: Option<&str>,
) -> Error {
    if (200..300).contains(&status) {
        return Error::protocol(alloc::format!("unexpected status {status}"));
    }
    let parsed = parse_error_body(body);
    let code = parsed.as_ref().and_then(|b| b.code.as_deref());
    let code = match (code, status) {
        (Some(c), _) => FsErrorCode::from_code(c),
        (None, 404) => FsErrorCode::NotFound,
        _ => return api_error(status, headers, body),
    };
    let message = parsed
        .as_ref()
        .and_then(|b| b.message.clone().or_else(|| b.error.clone()))
        .or_else(|| {
            let t = String::from_utf8_lossy(body);
            let t = t.trim();
            (!t.is_empty()).then(|| truncate(t, 1024))
        })
        .unwrap_or_else(|| String::from(code.as_str()));
    let mut err = FsError::new(status, code, message);
    err.path = parsed
        .and_then(|b| b.path)
        .or_else(|| path.map(String::from));
    Error::Filesystem(err)
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return String::from(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::from(&s[..end]);
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_body_and_headers_are_read() {
        let body = br#"{"error":"sprite_creation_rate_limited","message":"slow down","limit":10,"window_seconds":60,"retry_after_seconds":30}"#;
        let headers = alloc::vec![
            ("Retry-After".into(), "99".into()),
            ("X-RateLimit-Remaining".into(), "0".into()),
            ("X-RateLimit-Reset".into(), "1780000000".into()),
        ];
        let Error::RateLimited(e) = api_error(429, &headers, body) else {
            panic!("not rate limited");
        };
        assert_eq!(e.code.as_deref(), Some("sprite_creation_rate_limited"));
        assert_eq!(e.message, "slow down");
        assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
        let rl = e.rate_limit.unwrap();
        assert_eq!(rl.limit, Some(10));
        assert_eq!(rl.window_seconds, Some(60));
        assert_eq!(rl.remaining, Some(0));
        assert_eq!(rl.reset_unix, Some(1_780_000_000));
    }

    #[test]
    fn retry_after_header_used_when_body_has_none() {
        let headers = alloc::vec![("retry-after".into(), "7".into())];
        let e = api_error(429, &headers, b"");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.is_retryable());
    }

    #[test]
    fn errors_array_becomes_message() {
        let e = api_error(400, &[], br#"{"errors":["invalid sprite name format"]}"#);
        let Error::Api(a) = e else { panic!() };
        assert_eq!(a.message, "invalid sprite name format");
        assert_eq!(a.errors, ["invalid sprite name format"]);
    }

    #[test]
    fn plain_text_and_empty_bodies() {
        let e = api_error(500, &[], b"Failed to get checkpoint: not found\n");
        assert_eq!(
            e.api_error().unwrap().message,
            "Failed to get checkpoint: not found"
        );
        let e = api_error(502, &[], b"");
        assert_eq!(e.api_error().unwrap().message, "API error (status 502)");
        assert!(e.is_retryable());
    }

    #[test]
    fn statuses_are_classified() {
        assert!(matches!(
            api_error(401, &[], br#"{"error":"authentication failed"}"#),
            Error::Unauthorized(_)
        ));
        assert!(matches!(api_error(404, &[], b""), Error::NotFound(_)));
        assert!(matches!(api_error(409, &[], b"{}"), Error::Conflict(_)));
        assert!(!api_error(409, &[], b"{}").is_retryable());
    }

    #[test]
    fn fs_errors_keep_code_and_path() {
        let e = fs_error(
            404,
            &[],
            br#"{"error":"no such file","code":"ENOENT","path":"/x"}"#,
            None,
        );
        let Error::Filesystem(f) = &e else { panic!() };
        assert_eq!(f.code, FsErrorCode::NotFound);
        assert_eq!(f.path.as_deref(), Some("/x"));
        assert!(e.is_not_found());
        let e = fs_error(400, &[], br#"{"error":"x","code":"EWEIRD"}"#, Some("/y"));
        let Error::Filesystem(f) = &e else { panic!() };
        assert_eq!(f.code, FsErrorCode::Other("EWEIRD".into()));
        assert_eq!(f.path.as_deref(), Some("/y"));
    }
}
