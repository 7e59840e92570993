//! Services: definitions, state, the create/update body, log events and signals (spec §9).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::serde_util::{nullable, opt_millis, opt_time, string_enum};
use super::Signal;

/// The body of `PUT /v1/sprites/{name}/services/{service_name}`.
///
/// Only `cmd` is required; empty lists, maps and `None`s are left out of the JSON.
///
/// ```
/// use sprites_core::model::ServiceRequest;
/// let req = ServiceRequest::new("python3").arg("-m").arg("http.server").http_port(8000);
/// assert_eq!(
///     serde_json::to_string(&req).unwrap(),
///     r#"{"cmd":"python3","args":["-m","http.server"],"http_port":8000}"#,
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// The executable (arguments go in `args`).
    #[serde(default, deserialize_with = "nullable")]
    pub cmd: String,
    /// Arguments.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub args: Vec<String>,
    /// Services that must start first.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub needs: Vec<String>,
    /// Route the sprite's URL to this port (at most one service per sprite may set it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
    /// Variables added to the base service environment.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

impl ServiceRequest {
    /// A request to run `cmd` with no arguments.
    #[must_use]
    pub fn new(cmd: impl Into<String>) -> Self {
        ServiceRequest {
            cmd: cmd.into(),
            ..ServiceRequest::default()
        }
    }

    /// Adds one argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds a service that must start first.
    #[must_use]
    pub fn need(mut self, service: impl Into<String>) -> Self {
        self.needs.push(service.into());
        self
    }

    /// Routes the sprite's URL to `port`.
    #[must_use]
    pub fn http_port(mut self, port: u16) -> Self {
        self.http_port = Some(port);
        self
    }

    /// Sets an environment variable.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Sets the working directory.
    #[must_use]
    pub fn dir(mut self, dir: impl Into<String>) -> Self {
        self.dir = Some(dir.into());
        self
    }
}

/// A service definition with its current state (list and get responses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The service name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The executable.
    #[serde(default, deserialize_with = "nullable")]
    pub cmd: String,
    /// Arguments.
    #[serde(default, deserialize_with = "nullable")]
    pub args: Vec<String>,
    /// Services that must start first.
    #[serde(default, deserialize_with = "nullable")]
    pub needs: Vec<String>,
    /// The port the sprite's URL routes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
    /// Variables added to the base service environment.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// The current state, when the server includes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ServiceState>,
}

impl Service {
    /// The state merged with the definition: name, command, arguments, needs and port come
    /// from the definition when the state lacks them; without a state the status is
    /// [`ServiceStatus::Stopped`].
    #[must_use]
    pub fn into_state(self) -> ServiceState {
        let mut state = self.state.unwrap_or_default();
        if state.name.is_empty() {
            state.name = self.name;
        }
        if state.cmd.is_empty() {
            state.cmd = self.cmd;
        }
        if state.args.is_empty() {
            state.args = self.args;
        }
        if state.needs.is_empty() {
            state.needs = self.needs;
        }
        state.http_port = state.http_port.or(self.http_port);
        state
    }
}

/// A service's runtime state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    /// The service name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Where the service is in its lifecycle.
    #[serde(default, deserialize_with = "nullable")]
    pub status: ServiceStatus,
    /// The process id while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// When the current run started.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// Why the service failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How many times it has been restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<u32>,
    /// When the next automatic restart is due.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub next_restart_at: Option<DateTime<Utc>>,
    /// The executable (from the definition; not part of the wire state object).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub cmd: String,
    /// Arguments (from the definition).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub args: Vec<String>,
    /// Services that must start first (from the definition).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub needs: Vec<String>,
    /// The port the sprite's URL routes to (from the definition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
}

impl ServiceState {
    /// Whether the service is running.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.status == ServiceStatus::Running
    }

    /// Whether the service failed.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.status == ServiceStatus::Failed
    }

    /// Whether the service is stopped.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.status == ServiceStatus::Stopped
    }

    /// The service name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why the service failed, if the server said.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

string_enum! {
    /// Where a service is in its lifecycle.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    pub enum ServiceStatus {
        /// Not running.
        #[default]
        Stopped = "stopped",
        /// Being started.
        Starting = "starting",
        /// Running.
        Running = "running",
        /// Being stopped.
        Stopping = "stopping",
        /// Exited with an error and not (yet) restarted.
        Failed = "failed",
    }

    /// Any other status string, kept as sent.
    catch_all Unknown(String);
}

/// One NDJSON line of a service stream (create, start, stop, restart, logs).
///
/// `log_type` is the wire `type`; [`ServiceLogEntry::kind`] gives it as a
/// [`ServiceLogKind`]. Which other fields are set depends on the kind (spec §9.1):
/// `data` for `stdout`/`stderr`/`error`, `exit_code` for `exit`/`stopped`, `log_files` for
/// `complete`.
///
/// ```
/// use sprites_core::model::{ServiceLogEntry, ServiceLogKind};
/// let e: ServiceLogEntry =
///     serde_json::from_str(r#"{"type":"exit","exit_code":1,"timestamp":1780420274555}"#).unwrap();
/// assert_eq!(e.kind(), ServiceLogKind::Exit);
/// assert_eq!(e.exit_code, Some(1));
/// assert_eq!(e.timestamp.unwrap().timestamp_millis(), 1780420274555);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLogEntry {
    /// The event type (wire `type`): `started`, `stdout`, `stderr`, `exit`, `error`,
    /// `stopping`, `stopped`, `complete`, or another string.
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub log_type: String,
    /// The log line (with its `\n`) or the error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// When the event happened. Wire: Unix milliseconds (RFC 3339 text is accepted).
    #[serde(default, with = "opt_millis", skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    /// The process's exit code, on `exit` and `stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// On `complete`: the log files by stream (`stdout`, `stderr`, `combined`) → path.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub log_files: BTreeMap<String, String>,
}

impl ServiceLogEntry {
    /// An event of `kind` with no other field set.
    #[must_use]
    pub fn new(kind: ServiceLogKind, timestamp: Option<DateTime<Utc>>) -> Self {
        ServiceLogEntry {
            log_type: String::from(kind.as_str()),
            timestamp,
            ..ServiceLogEntry::default()
        }
    }

    /// The event type as an enum.
    #[must_use]
    pub fn kind(&self) -> ServiceLogKind {
        ServiceLogKind::parse(&self.log_type)
    }

    /// Whether this is the `complete` line that ends a stream.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.kind() == ServiceLogKind::Complete
    }
}

string_enum! {
    /// The kind of a [`ServiceLogEntry`].
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub enum ServiceLogKind {
        /// The process started.
        Started = "started",
        /// A line of stdout (`data`).
        Stdout = "stdout",
        /// A line of stderr (`data`).
        Stderr = "stderr",
        /// The process exited during the watch window (`exit_code`).
        Exit = "exit",
        /// An error (`data`).
        Error = "error",
        /// The service is being stopped.
        Stopping = "stopping",
        /// The service stopped (`exit_code`).
        Stopped = "stopped",
        /// The stream ends (`log_files`).
        Complete = "complete",
    }

    /// Any other type, kept as sent.
    catch_all Unknown(String);
}

/// The body of `POST /v1/sprites/{name}/services/signal`: `{"name": "web", "signal": "HUP"}`.
///
/// ```
/// use sprites_core::model::{Signal, SignalServiceRequest};
/// let body = SignalServiceRequest::new("web", Signal::SIGTERM);
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"name":"web","signal":"TERM"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalServiceRequest {
    /// The service name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The signal, sent without `SIG`.
    pub signal: Signal,
}

impl SignalServiceRequest {
    /// A request to send `signal` to the service `name`.
    #[must_use]
    pub fn new(name: impl Into<String>, signal: Signal) -> Self {
        SignalServiceRequest {
            name: name.into(),
            signal,
        }
    }
}
