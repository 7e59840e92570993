//! Exec sessions as the HTTP endpoints describe them, kill events, exit statuses, collected
//! output and port mappings (spec §5.9, §5.12).
//!
//! The exec WebSocket's own text messages (`session_info`, `exit`, `port_opened`) live with
//! the exec state machine in [`crate::exec`], not here.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use chrono::{DateTime, Utc};
use core::fmt;
use core::time::Duration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{nullable, opt_time, string_or_number, tagged_with_unknown, time};

/// An exec session as listed by `GET /v1/sprites/{name}/exec`.
///
/// The id is the process PID as a decimal string (a number is accepted); `created` is
/// RFC 3339 (Unix seconds are accepted; a missing or unreadable value gives the Unix epoch).
///
/// ```
/// use sprites_core::model::SessionInfo;
/// let s: SessionInfo = serde_json::from_str(
///     r#"{"id":15,"command":"sleep 120","created":1780420274,"is_active":false,"tty":false}"#,
/// ).unwrap();
/// assert_eq!(s.id(), "15");
/// assert_eq!(s.created.timestamp(), 1780420274);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session id (the process PID, as a string).
    #[serde(default, alias = "session_id", deserialize_with = "string_or_number")]
    pub id: String,
    /// The command line (the live API shows the resolved executable path and arguments).
    /// `cmd` is accepted too.
    #[serde(default, alias = "cmd", deserialize_with = "nullable")]
    pub command: String,
    /// The working directory. `cwd` is accepted too.
    #[serde(default, alias = "cwd", skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// When the session started. `created_at` is accepted too.
    #[serde(default, alias = "created_at", with = "time")]
    pub created: DateTime<Utc>,
    /// Whether the session had I/O recently (not whether a client is attached).
    #[serde(default, deserialize_with = "nullable")]
    pub is_active: bool,
    /// When the session last had I/O.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<DateTime<Utc>>,
    /// Whether the session has a PTY.
    #[serde(default, deserialize_with = "nullable")]
    pub tty: bool,
    /// Recent throughput.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_second: Option<f64>,
}

impl SessionInfo {
    /// How recent the last activity must be for [`SessionInfo::is_session_active`].
    pub const ACTIVE_WINDOW: Duration = Duration::from_secs(5 * 60);

    /// The session id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The command line.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Whether the session counts as active at `now`: the server flags it active and its
    /// last activity is less than five minutes before `now` (the Go SDK's heuristic).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use sprites_core::model::SessionInfo;
    /// let s = SessionInfo {
    ///     is_active: true,
    ///     last_activity: Some(Utc.with_ymd_and_hms(2026, 8, 4, 0, 0, 0).unwrap()),
    ///     ..SessionInfo::default()
    /// };
    /// assert!(s.is_session_active(Utc.with_ymd_and_hms(2026, 8, 4, 0, 4, 0).unwrap()));
    /// assert!(!s.is_session_active(Utc.with_ymd_and_hms(2026, 8, 4, 0, 6, 0).unwrap()));
    /// ```
    #[must_use]
    pub fn is_session_active(&self, now: DateTime<Utc>) -> bool {
        self.is_active
            && self
                .get_activity_age(now)
                .is_some_and(|age| age < Self::ACTIVE_WINDOW)
    }

    /// How long before `now` the last activity was; `None` without a last activity.
    /// An activity time after `now` gives zero.
    #[must_use]
    pub fn get_activity_age(&self, now: DateTime<Utc>) -> Option<Duration> {
        let last = self.last_activity?;
        Some((now - last).to_std().unwrap_or(Duration::ZERO))
    }
}

/// The answer of `GET /v1/sprites/{name}/exec`.
///
/// The live shape is `{"count": n, "sessions": [...]}`, which is what this serializes; the
/// docs' bare array is accepted too (then `count` is the array's length).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListSessionsResponse {
    /// How many sessions the server counted.
    pub count: u64,
    /// The sessions.
    pub sessions: Vec<SessionInfo>,
}

impl Serialize for ListSessionsResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            count: u64,
            sessions: &'a [SessionInfo],
        }
        Wire {
            count: self.count,
            sessions: &self.sessions,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ListSessionsResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bare(Vec<SessionInfo>),
            Wrapped {
                #[serde(default)]
                count: Option<u64>,
                #[serde(default, deserialize_with = "nullable")]
                sessions: Vec<SessionInfo>,
            },
        }
        let (count, sessions) = match Option::<Raw>::deserialize(d)? {
            None => (None, Vec::new()),
            Some(Raw::Bare(sessions)) => (None, sessions),
            Some(Raw::Wrapped { count, sessions }) => (count, sessions),
        };
        let count = count.unwrap_or_else(|| u64::try_from(sessions.len()).unwrap_or(u64::MAX));
        Ok(ListSessionsResponse { count, sessions })
    }
}

/// One NDJSON line of `POST /v1/sprites/{name}/exec/{session_id}/kill`.
///
/// ```
/// use sprites_core::model::KillEvent;
/// let e: KillEvent = serde_json::from_str(r#"{"type":"complete","exit_code":143}"#).unwrap();
/// assert_eq!(e, KillEvent::Complete { exit_code: 143 });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KillEvent {
    /// A signal was sent.
    Signal {
        /// What the server did, e.g. `Signaling SIGTERM to process group 1847`.
        message: String,
        /// The signal name as the server wrote it (e.g. `SIGTERM`).
        signal: Option<String>,
        /// The process (group) signalled.
        pid: Option<i64>,
    },
    /// The process did not exit in time; the server escalates.
    Timeout {
        /// The server's text.
        message: String,
    },
    /// The process exited.
    Exited {
        /// The server's text.
        message: String,
    },
    /// The process was killed.
    Killed {
        /// The server's text.
        message: String,
    },
    /// The kill failed.
    Error {
        /// The server's text.
        message: String,
    },
    /// The final line, with the process's exit code (`143` after `TERM`).
    Complete {
        /// The exit code.
        exit_code: i32,
    },
    /// A line with any other `type`, kept whole.
    Unknown(serde_json::Value),
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "KillEvent", tag = "type", rename_all = "lowercase")]
#[allow(dead_code)] // only a serde description of `KillEvent`
enum KillEventWire {
    Signal {
        #[serde(default, deserialize_with = "nullable")]
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<i64>,
    },
    Timeout {
        #[serde(default, deserialize_with = "nullable")]
        message: String,
    },
    Exited {
        #[serde(default, deserialize_with = "nullable")]
        message: String,
    },
    Killed {
        #[serde(default, deserialize_with = "nullable")]
        message: String,
    },
    Error {
        #[serde(default, deserialize_with = "nullable")]
        message: String,
    },
    Complete {
        #[serde(default, deserialize_with = "nullable")]
        exit_code: i32,
    },
    #[serde(skip)]
    Unknown(serde_json::Value),
}

tagged_with_unknown!(
    KillEvent via KillEventWire,
    Unknown,
    ["signal", "timeout", "exited", "killed", "error", "complete"]
);

/// How a command ended: its exit code (`128 + N` after signal `N`).
///
/// ```
/// use sprites_core::model::ExitStatus;
/// assert!(ExitStatus::new(0).success());
/// assert_eq!(ExitStatus::new(143).code(), 143);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExitStatus {
    /// The exit code.
    pub code: i32,
}

impl ExitStatus {
    /// An exit status with this code.
    #[must_use]
    pub fn new(code: i32) -> Self {
        ExitStatus { code }
    }

    /// Whether the code is 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// The exit code.
    #[must_use]
    pub fn code(&self) -> i32 {
        self.code
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit status: {}", self.code)
    }
}

/// The collected result of a finished command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit code.
    pub status: i32,
    /// Everything written to stdout (in TTY mode: the merged terminal output).
    pub stdout: Vec<u8>,
    /// Everything written to stderr (empty in TTY mode).
    pub stderr: Vec<u8>,
}

impl Output {
    /// Whether the exit code is 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// stdout as text, invalid UTF-8 replaced by `U+FFFD`.
    #[must_use]
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text, invalid UTF-8 replaced by `U+FFFD`.
    #[must_use]
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The exit status.
    #[must_use]
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::new(self.status)
    }
}

/// Options for starting a command (kept from the 0.1 crate).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOptions {
    /// Allocate a PTY.
    #[serde(default)]
    pub tty: bool,
    /// Whether stdin will be sent.
    #[serde(default)]
    pub stdin: bool,
    /// Initial PTY columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<u16>,
    /// Initial PTY rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u16>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Environment; when non-empty it replaces the sprite's default environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Seconds the process may keep running after the client disconnects (`0` = forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_run_after_disconnect: Option<u32>,
}

/// A local port forwarded to a port inside a sprite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortMapping {
    /// The port to listen on locally.
    pub local_port: u16,
    /// The port inside the sprite.
    pub remote_port: u16,
}

impl PortMapping {
    /// A mapping from `local_port` to `remote_port`.
    #[must_use]
    pub fn new(local_port: u16, remote_port: u16) -> Self {
        PortMapping {
            local_port,
            remote_port,
        }
    }
}

impl From<(u16, u16)> for PortMapping {
    fn from((local_port, remote_port): (u16, u16)) -> Self {
        PortMapping::new(local_port, remote_port)
    }
}
