//! Error responses in the shapes of spec §1.4.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to the client.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// `{"error": msg}` with the given status (edge simple error).
    Simple(StatusCode, String),
    /// `400 {"errors": [..]}` (edge validation error).
    Validation(Vec<String>),
    /// `{"error","code","path"}` (filesystem error).
    Fs {
        status: StatusCode,
        message: String,
        code: &'static str,
        path: String,
    },
    /// A plain-text agent error.
    Text(StatusCode, String),
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::Simple(StatusCode::NOT_FOUND, what.into())
    }

    pub(crate) fn sprite_not_found() -> Self {
        Self::not_found("sprite not found")
    }

    pub(crate) fn bad_request(msg: impl Into<String>) -> Self {
        Self::Validation(vec![msg.into()])
    }

    pub(crate) fn conflict(msg: impl Into<String>) -> Self {
        Self::Simple(StatusCode::CONFLICT, msg.into())
    }

    pub(crate) fn internal(msg: impl Into<String>) -> Self {
        Self::Simple(StatusCode::INTERNAL_SERVER_ERROR, msg.into())
    }

    /// A filesystem error from an `io::Error`, with the spec's errno code.
    pub(crate) fn fs(err: &std::io::Error, path: &str) -> Self {
        let (status, code) = match err.kind() {
            std::io::ErrorKind::NotFound => (StatusCode::NOT_FOUND, "ENOENT"),
            std::io::ErrorKind::AlreadyExists => (StatusCode::CONFLICT, "EEXIST"),
            std::io::ErrorKind::PermissionDenied => (StatusCode::FORBIDDEN, "EACCES"),
            std::io::ErrorKind::NotADirectory => (StatusCode::BAD_REQUEST, "ENOTDIR"),
            std::io::ErrorKind::IsADirectory => (StatusCode::BAD_REQUEST, "EISDIR"),
            std::io::ErrorKind::DirectoryNotEmpty => (StatusCode::CONFLICT, "ENOTEMPTY"),
            std::io::ErrorKind::InvalidInput => (StatusCode::BAD_REQUEST, "EINVAL"),
            _ => match err.raw_os_error() {
                Some(nix::libc::ELOOP) => (StatusCode::BAD_REQUEST, "EINVAL"),
                Some(nix::libc::EXDEV) => (StatusCode::BAD_REQUEST, "EINVAL"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "EIO"),
            },
        };
        Self::Fs {
            status,
            message: format!("{}: {}", path, strip_os_suffix(err)),
            code,
            path: path.to_string(),
        }
    }

    /// A filesystem error with an explicit code.
    pub(crate) fn fs_code(status: StatusCode, code: &'static str, path: &str, msg: &str) -> Self {
        Self::Fs {
            status,
            message: format!("{path}: {msg}"),
            code,
            path: path.to_string(),
        }
    }
}

fn strip_os_suffix(err: &std::io::Error) -> String {
    let text = err.to_string().to_lowercase();
    match text.find(" (os error") {
        Some(idx) => text.get(..idx).unwrap_or(&text).to_string(),
        None => text,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Simple(status, msg) => json_response(status, &json!({ "error": msg })),
            Self::Validation(errors) => {
                json_response(StatusCode::BAD_REQUEST, &json!({ "errors": errors }))
            }
            Self::Fs {
                status,
                message,
                code,
                path,
            } => json_response(
                status,
                &json!({ "error": message, "code": code, "path": path }),
            ),
            Self::Text(status, msg) => {
                let mut resp = (status, msg).into_response();
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                resp
            }
        }
    }
}

/// A JSON response with `application/json` (the agent layer's content type).
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A JSON response with the edge layer's `application/json; charset=utf-8`.
pub(crate) fn edge_json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut resp = json_response(status, value);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, private, must-revalidate"),
    );
    resp
}
