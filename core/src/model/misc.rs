//! Error bodies (spec §1.4) and the port-proxy handshake messages (spec §7).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::serde_util::{nullable, string_list};

/// A JSON error body, in any of the shapes the API uses (spec §1.4).
///
/// Every field is optional and left out when `None`, so one type writes each shape: the
/// edge's `{"error": "..."}` and its rate-limit form, the validation form
/// `{"errors": [...]}`, and the filesystem form `{"error", "code", "path"}`. The SDK turns a
/// response into an [`Error`](crate::Error) with [`crate::response::api_error`]; this type is
/// for producing bodies (the emulator) and for reading one directly.
///
/// ```
/// use sprites_core::model::ErrorBody;
/// let body = ErrorBody::validation(["invalid sprite name format"]);
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"errors":["invalid sprite name format"]}"#,
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A machine code (`sprite_creation_rate_limited`) or a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Validation errors. Non-string items are read as their JSON text.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub errors: Option<Vec<String>>,
    /// A filesystem error code (`ENOENT`, `EEXIST`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The filesystem path the error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The rate limit's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// The rate limit's window, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    /// When to try again, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// The current count against a concurrency limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_count: Option<u64>,
    /// Whether a plan upgrade would lift the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_available: Option<bool>,
    /// Where to upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_url: Option<String>,
}

impl ErrorBody {
    /// The simple shape: `{"error": "<text>"}`.
    #[must_use]
    pub fn error(text: impl Into<String>) -> Self {
        ErrorBody {
            error: Some(text.into()),
            ..ErrorBody::default()
        }
    }

    /// The validation shape: `{"errors": ["<text>", ...]}`.
    #[must_use]
    pub fn validation<I, S>(errors: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ErrorBody {
            errors: Some(errors.into_iter().map(Into::into).collect()),
            ..ErrorBody::default()
        }
    }

    /// The filesystem shape: `{"error": "<text>", "code": "ENOENT", "path": "/x"}`.
    #[must_use]
    pub fn filesystem(
        text: impl Into<String>,
        code: impl Into<String>,
        path: Option<String>,
    ) -> Self {
        ErrorBody {
            error: Some(text.into()),
            code: Some(code.into()),
            path,
            ..ErrorBody::default()
        }
    }
}

/// The first text frame a client sends on the proxy socket: `{"host": "localhost", "port": 8080}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProxyConnect {
    /// The host inside the sprite; empty means `localhost`.
    #[serde(default, deserialize_with = "nullable")]
    pub host: String,
    /// The port (1–65535).
    #[serde(default, deserialize_with = "nullable")]
    pub port: u16,
}

impl ProxyConnect {
    /// A request to connect to `host:port`.
    #[must_use]
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ProxyConnect {
            host: host.into(),
            port,
        }
    }

    /// The host to dial: `host`, or `localhost` when it is empty.
    #[must_use]
    pub fn target_host(&self) -> &str {
        if self.host.is_empty() {
            "localhost"
        } else {
            &self.host
        }
    }
}

/// The server's reply on the proxy socket: `{"status": "connected", "target": "localhost:8080"}`.
/// Any status other than `connected` is a failure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProxyReply {
    /// `connected` on success.
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    /// The `host:port` connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl ProxyReply {
    /// The status string of a successful handshake.
    pub const CONNECTED: &'static str = "connected";

    /// A successful reply naming the target.
    #[must_use]
    pub fn connected(target: impl Into<String>) -> Self {
        ProxyReply {
            status: String::from(Self::CONNECTED),
            target: Some(target.into()),
        }
    }

    /// Whether the handshake succeeded.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.status == Self::CONNECTED
    }
}
