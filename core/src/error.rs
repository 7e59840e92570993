//! One error taxonomy for the whole SDK.
//!
//! Every error says who is at fault:
//! - the server answered with an error status: [`Error::Api`], or one of the common cases
//!   pulled out for matching ([`Error::NotFound`], [`Error::Conflict`],
//!   [`Error::Unauthorized`], [`Error::RateLimited`]), all carrying an [`ApiError`];
//!   a filesystem endpoint's error: [`Error::Filesystem`] with its [`FsErrorCode`];
//!   an `{"type":"error"}` line inside a `200` stream: [`Error::Stream`];
//! - the peer broke the protocol: [`Error::Protocol`];
//! - an exec socket closed before any exit indication: [`Error::ClosedBeforeExit`];
//! - the caller misused the API: [`Error::InvalidArgument`];
//! - the transport failed: [`Error::Transport`];
//! - a deadline passed: [`Error::Timeout`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Anything that can go wrong talking to the Sprites API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered `404`.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// The server answered `409` (for example a duplicate sprite name).
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),
    /// The server answered `401` or `403`: the token is missing, wrong or lacks rights.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// The server answered `429`; [`ApiError::retry_after`] says when to try again.
    #[error("rate limited: {0}")]
    RateLimited(Box<ApiError>),
    /// Any other error status from the server.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A filesystem endpoint failed, with the POSIX-style code the server gave.
    #[error("{0}")]
    Filesystem(FsError),
    /// A `200` NDJSON stream carried an `{"type":"error"}` line.
    #[error("{message}")]
    Stream {
        /// The server's error text.
        message: String,
    },
    /// The peer sent something this protocol does not allow (malformed JSON, a frame with a
    /// bad layout, an over-long line, an unexpected status).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// An exec WebSocket closed before the server said how the process exited.
    #[error("{}", closed_before_exit_message(sprite, session_id.as_deref(), *close_code))]
    ClosedBeforeExit {
        /// The sprite the command ran in.
        sprite: String,
        /// The session id, when `session_info` had arrived.
        session_id: Option<String>,
        /// The WebSocket close code, when a close frame arrived.
        close_code: Option<u16>,
    },
    /// The caller asked for something that cannot be sent (an empty sprite name, a resize
    /// on a session without a TTY, ...). Nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The connection failed (DNS, TCP, TLS, HTTP, WebSocket transport).
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error, when the adapter has one.
        #[source]
        source: Option<Box<dyn core::error::Error + Send + Sync + 'static>>,
    },
    /// A deadline passed.
    #[error("timed out: {0}")]
    Timeout(String),
}

fn closed_before_exit_message(
    sprite: &str,
    session_id: Option<&str>,
    close_code: Option<u16>,
) -> String {
    use core::fmt::Write;
    let mut s = String::from("exec connection to sprite ");
    let _ = write!(s, "{sprite:?}");
    if let Some(id) = session_id {
        let _ = write!(s, " (session {id})");
    }
    s.push_str(" closed before the exit status arrived");
    if let Some(code) = close_code {
        let _ = write!(s, " (close code {code})");
    }
    s
}

impl Error {
    /// Builds an [`Error::Transport`] from a message and an optional source.
    pub fn transport(
        message: impl Into<String>,
        source: Option<Box<dyn core::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Error::Transport {
            message: message.into(),
            source,
        }
    }

    /// Builds an [`Error::Protocol`].
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::Protocol(message.into())
    }

    /// Builds an [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }

    /// The server's error details, for every variant that came from an error status.
    #[must_use]
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Unauthorized(e)
            | Error::RateLimited(e)
            | Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status the server answered with, when this error came from one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Filesystem(e) => Some(e.status),
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// Whether this is a "not found" answer (including a filesystem `ENOENT`).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound(_) => true,
            Error::Filesystem(e) => e.code == FsErrorCode::NotFound || e.status == 404,
            _ => false,
        }
    }

    /// How long the server asked us to wait before trying again, if it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// Whether trying the same request again may succeed: rate limits, `5xx` answers other
    /// than `501`, transport failures and timeouts. Whether a retry is *safe* also depends on
    /// the operation being idempotent; see [`crate::retry`].
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Transport { .. } | Error::Timeout(_) => true,
            Error::Api(e) => matches!(e.status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// An error answer from the server: status, machine code, message and rate-limit details.
///
/// Parsed from every error shape the API uses (spec §1.4): `{"error": ..., "message": ...}`
/// with optional rate-limit fields, `{"errors": [...]}`, and plain text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The `error` field: a machine code such as `sprite_creation_rate_limited`, or a text.
    pub code: Option<String>,
    /// The human-readable message: `message`, else `error`, else the `errors` joined, else
    /// the plain-text body, else `API error (status N)`.
    pub message: String,
    /// The `errors` array of validation errors, when the server sent one.
    pub errors: Vec<String>,
    /// When to retry: `retry_after_seconds` from the body, else the `Retry-After` header.
    pub retry_after: Option<Duration>,
    /// The rate-limit details from the body and the `X-RateLimit-*` headers.
    pub rate_limit: Option<RateLimit>,
    /// `upgrade_available` from the body.
    pub upgrade_available: Option<bool>,
    /// `upgrade_url` from the body.
    pub upgrade_url: Option<String>,
}

impl ApiError {
    /// An error with just a status and a message.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            ..ApiError::default()
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (status {}", self.message, self.status)?;
        if let Some(code) = &self.code {
            if *code != self.message {
                write!(f, ", code {code}")?;
            }
        }
        if let Some(after) = self.retry_after {
            write!(f, ", retry after {}s", after.as_secs())?;
        }
        f.write_str(")")
    }
}

/// Rate-limit details of a `429` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `limit` from the body, else `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: Unix seconds when the window resets.
    pub reset_unix: Option<u64>,
    /// `window_seconds` from the body.
    pub window_seconds: Option<u64>,
    /// `current_count` from the body (the concurrency cap).
    pub current_count: Option<u64>,
}

/// An error from a filesystem endpoint (`{"error": ..., "code": "ENOENT", "path": ...}`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FsError {
    /// The HTTP status.
    pub status: u16,
    /// The POSIX-style code.
    pub code: FsErrorCode,
    /// The server's message.
    pub message: String,
    /// The path the error is about, when the server (or the request) named one.
    pub path: Option<String>,
}

impl FsError {
    /// Builds a filesystem error.
    pub fn new(status: u16, code: FsErrorCode, message: impl Into<String>) -> Self {
        FsError {
            status,
            code,
            message: message.into(),
            path: None,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(path) = &self.path {
            write!(f, " {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The `code` of a filesystem error.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FsErrorCode {
    /// `ENOENT`: no such file or directory.
    NotFound,
    /// `EEXIST`: it already exists.
    AlreadyExists,
    /// `ENOTDIR`: a path component is not a directory.
    NotADirectory,
    /// `EISDIR`: it is a directory.
    IsADirectory,
    /// `EACCES`: permission denied.
    PermissionDenied,
    /// `ENOTEMPTY`: the directory is not empty.
    DirectoryNotEmpty,
    /// `EINVAL`: invalid argument.
    InvalidInput,
    /// `EIO`: I/O error.
    Io,
    /// Any other code, or none.
    Other(String),
}

impl FsErrorCode {
    /// Parses a code string such as `ENOENT`.
    #[must_use]
    pub fn from_code(code: &str) -> Self {
        match code {
            "ENOENT" => FsErrorCode::NotFound,
            "EEXIST" => FsErrorCode::AlreadyExists,
            "ENOTDIR" => FsErrorCode::NotADirectory,
            "EISDIR" => FsErrorCode::IsADirectory,
            "EACCES" => FsErrorCode::PermissionDenied,
            "ENOTEMPTY" => FsErrorCode::DirectoryNotEmpty,
            "EINVAL" => FsErrorCode::InvalidInput,
            "EIO" => FsErrorCode::Io,
            other => FsErrorCode::Other(other.into()),
        }
    }

    /// The code string as the server writes it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            FsErrorCode::NotFound => "ENOENT",
            FsErrorCode::AlreadyExists => "EEXIST",
            FsErrorCode::NotADirectory => "ENOTDIR",
            FsErrorCode::IsADirectory => "EISDIR",
            FsErrorCode::PermissionDenied => "EACCES",
            FsErrorCode::DirectoryNotEmpty => "ENOTEMPTY",
            FsErrorCode::InvalidInput => "EINVAL",
            FsErrorCode::Io => "EIO",
            FsErrorCode::Other(s) => s,
        }
    }
}

impl fmt::Display for FsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
