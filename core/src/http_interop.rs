//! Conversions to and from the `http` crate's types (feature `http`).

use alloc::string::String;
use bytes::Bytes;

use crate::error::Error;
use crate::request::{Method, Request};
use crate::response::Response;

impl From<Method> for http::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Get => http::Method::GET,
            Method::Head => http::Method::HEAD,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Delete => http::Method::DELETE,
        }
    }
}

impl TryFrom<Request> for http::Request<Bytes> {
    type Error = Error;

    /// Builds an `http::Request`; fails only on a URL or header value `http` rejects.
    fn try_from(req: Request) -> Result<Self, Error> {
        let mut builder = http::Request::builder()
            .method(http::Method::from(req.method))
            .uri(req.url.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.as_str());
        }
        builder
            .body(req.body)
            .map_err(|e| Error::invalid_argument(alloc::format!("cannot build request: {e}")))
    }
}

impl<B: Into<Bytes>> From<http::Response<B>> for Response {
    fn from(resp: http::Response<B>) -> Self {
        let (parts, body) = resp.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    String::from(name.as_str()),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        Response {
            status: parts.status.as_u16(),
            headers,
            body: body.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Endpoint, PathAndQuery};

    #[test]
    fn request_converts_with_headers_and_body() {
        let ep = Endpoint::new("https://api.sprites.dev", "t").unwrap();
        let mut req = ep.http_request(Method::Put, &PathAndQuery::v1().lit("sprites").seg("a b"));
        req.body = Bytes::from_static(b"{}");
        let h: http::Request<Bytes> = req.try_into().unwrap();
        assert_eq!(h.method(), http::Method::PUT);
        assert_eq!(h.uri(), "https://api.sprites.dev/v1/sprites/a%20b");
        assert_eq!(h.headers()["authorization"], "Bearer t");
        assert_eq!(h.body().as_ref(), b"{}");
    }

    #[test]
    fn response_converts_with_headers() {
        let h = http::Response::builder()
            .status(429)
            .header("Retry-After", "5")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let r = Response::from(h);
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("5"));
    }
}
