//! Requests as plain values: method, URL, headers, body.
//!
//! An [`Endpoint`] holds what every request needs (base URL, token, user agent). Operations
//! in [`crate::ops`] and the exec URL builders turn it into a [`Request`] that an adapter
//! sends as it is. WebSocket upgrades are requests too, with a `ws://` or `wss://` URL.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::fmt::Write;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, Result};

/// The HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET` (also the method of every WebSocket upgrade).
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method name as sent on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request ready to send. Its `Debug` output hides the `Authorization` value.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL, query included (`https://…`, or `wss://…` for WebSocket upgrades).
    pub url: String,
    /// Header names (lower-case) and values, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body; empty for none.
    pub body: Bytes,
}

impl Request {
    /// The first value of header `name` (lower-case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `GET https://host/v1/sprites/x`: method and URL without the query (which may carry
    /// user data), for error messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let url = self.url.split('?').next().unwrap_or_default();
        alloc::format!("{} {url}", self.method)
    }

    /// Whether the URL is a WebSocket URL.
    #[must_use]
    pub fn is_websocket(&self) -> bool {
        self.url.starts_with("ws://") || self.url.starts_with("wss://")
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(&'static str, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut m = f.debug_map();
                for (name, value) in self.0 {
                    if name.eq_ignore_ascii_case("authorization") {
                        m.entry(name, &"<redacted>");
                    } else {
                        m.entry(name, value);
                    }
                }
                m.finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &Headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A bearer token. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    /// The token itself, for the one place that must send it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A validated base URL: `http` or `https`, no trailing `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    http: String,
    ws: String,
}

impl BaseUrl {
    /// The production API.
    pub const DEFAULT: &'static str = "https://api.sprites.dev";

    /// Parses a base URL. Trailing `/` are removed; the scheme must be `http` or `https`.
    pub fn parse(url: &str) -> Result<Self> {
        let trimmed = url.trim().trim_end_matches('/');
        let ws = if let Some(rest) = trimmed.strip_prefix("https://") {
            ["wss://", rest].concat()
        } else if let Some(rest) = trimmed.strip_prefix("http://") {
            ["ws://", rest].concat()
        } else {
            return Err(Error::invalid_argument(alloc::format!(
                "base url {trimmed:?} must start with http:// or https://"
            )));
        };
        let host = ws.split_once("://").map_or("", |(_, h)| h);
        if host.is_empty() || host.contains(['?', '#', ' ']) {
            return Err(Error::invalid_argument(alloc::format!(
                "base url {trimmed:?} has no valid host"
            )));
        }
        Ok(BaseUrl {
            http: trimmed.to_owned(),
            ws,
        })
    }

    /// The HTTP form, e.g. `https://api.sprites.dev`.
    #[must_use]
    pub fn http(&self) -> &str {
        &self.http
    }

    /// The WebSocket form, e.g. `wss://api.sprites.dev`.
    #[must_use]
    pub fn ws(&self) -> &str {
        &self.ws
    }
}

/// Everything a request needs besides the operation: where, who, and as what client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL.
    pub base: BaseUrl,
    /// The bearer token.
    pub token: Token,
    /// The `User-Agent` value; defaults to `sprites-rs/<version>`.
    pub user_agent: String,
}

impl Endpoint {
    /// An endpoint with the default user agent.
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Self> {
        Ok(Endpoint {
            base: BaseUrl::parse(base_url)?,
            token: Token::new(token),
            user_agent: default_user_agent(),
        })
    }

    /// Starts an HTTP request to `path` (which starts with `/v1/`), with the standard headers.
    #[must_use]
    pub fn http_request(&self, method: Method, path: &PathAndQuery) -> Request {
        self.build(method, self.base.http(), path)
    }

    /// Starts a WebSocket upgrade request to `path`, with the standard headers.
    #[must_use]
    pub fn ws_request(&self, path: &PathAndQuery) -> Request {
        self.build(Method::Get, self.base.ws(), path)
    }

    fn build(&self, method: Method, base: &str, path: &PathAndQuery) -> Request {
        let mut url = String::with_capacity(base.len() + path.0.len());
        url.push_str(base);
        url.push_str(&path.0);
        Request {
            method,
            url,
            headers: alloc::vec![
                ("authorization", ["Bearer ", self.token.expose()].concat()),
                ("user-agent", self.user_agent.clone()),
            ],
            body: Bytes::new(),
        }
    }
}

/// `sprites-rs/<version>`.
#[must_use]
pub fn default_user_agent() -> String {
    ["sprites-rs/", crate::VERSION].concat()
}

/// Characters left as they are in a path segment or query component: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Builds `/v1/…?…` with every path segment and query component percent-encoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathAndQuery(String);

impl PathAndQuery {
    /// Starts at `/v1`.
    #[must_use]
    pub fn v1() -> Self {
        PathAndQuery(String::from("/v1"))
    }

    /// Appends a literal segment (not encoded; for fixed path words).
    #[must_use]
    pub fn lit(mut self, segment: &str) -> Self {
        self.0.push('/');
        self.0.push_str(segment);
        self
    }

    /// Appends a caller-supplied segment, percent-encoded (so `/`, `?`, `#`, spaces and
    /// non-ASCII cannot change the path).
    #[must_use]
    pub fn seg(mut self, segment: &str) -> Self {
        self.0.push('/');
        let _ = write!(self.0, "{}", utf8_percent_encode(segment, COMPONENT));
        self
    }

    /// Appends one `key=value` pair to the query, both percent-encoded. Repeated keys stay
    /// in the order they are added.
    #[must_use]
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.push_query(key, value);
        self
    }

    /// Appends a pair when `value` is `Some`.
    #[must_use]
    pub fn query_opt(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.push_query(key, v);
        }
        self
    }

    /// Appends one pair in place.
    pub fn push_query(&mut self, key: &str, value: &str) {
        self.0.push(if self.0.contains('?') { '&' } else { '?' });
        let _ = write!(
            self.0,
            "{}={}",
            utf8_percent_encode(key, COMPONENT),
            utf8_percent_encode(value, COMPONENT)
        );
    }

    /// The encoded path and query.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a caller-supplied name (sprite, service, session, checkpoint) is not empty.
pub fn require_name(kind: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(alloc::format!(
            "{kind} must not be empty"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_trims_slashes_and_derives_ws() {
        let b = BaseUrl::parse("https://api.sprites.dev//").unwrap();
        assert_eq!(b.http(), "https://api.sprites.dev");
        assert_eq!(b.ws(), "wss://api.sprites.dev");
        let b = BaseUrl::parse("http://127.0.0.1:8787/").unwrap();
        assert_eq!(b.ws(), "ws://127.0.0.1:8787");
    }

    #[test]
    fn base_url_rejects_other_schemes() {
        assert!(matches!(
            BaseUrl::parse("ftp://x"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(BaseUrl::parse("https://").is_err());
    }

    #[test]
    fn path_segments_and_query_are_encoded() {
        let p = PathAndQuery::v1()
            .lit("sprites")
            .seg("a/b c?#é")
            .query("cmd", "echo")
            .query("cmd", "a&b=c")
            .query("env", "K=V");
        assert_eq!(
            p.as_str(),
            "/v1/sprites/a%2Fb%20c%3F%23%C3%A9?cmd=echo&cmd=a%26b%3Dc&env=K%3DV"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let e = Endpoint::new("https://x.test", "tok-123").unwrap();
        let r = e.http_request(Method::Get, &PathAndQuery::v1().lit("sprites"));
        assert_eq!(r.header("authorization"), Some("Bearer tok-123"));
        let dbg = alloc::format!("{r:?} {e:?}");
        assert!(!dbg.contains("tok-123"), "{dbg}");
    }
}
