//! Exec URLs: new sessions, attaching, and the kill fallback (spec §5.1, §5.6, §5.12).
//!
//! ```
//! use sprites_core::exec::url::{exec_request, CommandSpec};
//! use sprites_core::request::Endpoint;
//!
//! let endpoint = Endpoint::new("https://api.sprites.dev", "token").unwrap();
//! let spec = CommandSpec::new(["echo", "hi there"]).env("PATH", "/usr/bin");
//! let request = exec_request(&endpoint, "my-sprite", &spec).unwrap();
//! assert_eq!(
//!     request.url,
//!     "wss://api.sprites.dev/v1/sprites/my-sprite/exec\
//!      ?cmd=echo&cmd=hi%20there&env=PATH%3D%2Fusr%2Fbin&stdin=false"
//! );
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use crate::error::{Error, Result};
use crate::model::Signal;
use crate::request::{require_name, Endpoint, Method, PathAndQuery, Request};
use crate::time::format_go_duration;

/// What to run: argv (with argv\[0\]), environment, directory, TTY, stdin and how long the
/// process may outlive a disconnect.
///
/// Built with [`CommandSpec::new`] and the builder methods; sent by [`exec_request`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandSpec {
    /// The full argv, argv\[0\] included (`cmd`, repeated).
    pub argv: Vec<String>,
    /// The executable to run (`path`); the server defaults to argv\[0\].
    pub path: Option<String>,
    /// Environment pairs (`env=KEY=VALUE`, repeated). If any is given it replaces the whole
    /// default environment, so include `PATH`.
    pub env: Vec<(String, String)>,
    /// Working directory (`dir`); the server defaults to `/home/sprite`.
    pub dir: Option<String>,
    /// Allocate a pseudo-terminal (`tty=true`).
    pub tty: bool,
    /// Initial terminal rows (`rows`, sent only with a TTY).
    pub rows: Option<u16>,
    /// Initial terminal columns (`cols`, sent only with a TTY).
    pub cols: Option<u16>,
    /// Whether input will be sent (`stdin=true|false`, always sent).
    pub stdin: bool,
    /// How long the process may keep running after the client disconnects
    /// (`max_run_after_disconnect`, a Go duration; zero means forever). `None` leaves the
    /// server default: forever with a TTY, 10 s without.
    pub max_run_after_disconnect: Option<Duration>,
}

impl CommandSpec {
    /// A command from its argv (argv\[0\] first), with no stdin and no TTY.
    pub fn new(argv: impl IntoIterator<Item = impl Into<String>>) -> Self {
        CommandSpec {
            argv: argv.into_iter().map(Into::into).collect(),
            ..CommandSpec::default()
        }
    }

    /// Sets the executable path.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Adds one environment variable.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory.
    #[must_use]
    pub fn dir(mut self, dir: impl Into<String>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Asks for (or not) a pseudo-terminal.
    #[must_use]
    pub fn tty(mut self, tty: bool) -> Self {
        self.tty = tty;
        self
    }

    /// Sets the initial terminal size (used with a TTY).
    #[must_use]
    pub fn size(mut self, rows: u16, cols: u16) -> Self {
        self.rows = Some(rows);
        self.cols = Some(cols);
        self
    }

    /// Says whether input will be sent.
    #[must_use]
    pub fn stdin(mut self, stdin: bool) -> Self {
        self.stdin = stdin;
        self
    }

    /// Sets how long the process may outlive a disconnect (zero: forever).
    #[must_use]
    pub fn max_run_after_disconnect(mut self, d: Duration) -> Self {
        self.max_run_after_disconnect = Some(d);
        self
    }
}

/// The WebSocket upgrade request that starts `spec` in `sprite`:
/// `/v1/sprites/{name}/exec?cmd=..&cmd=..&path=..&env=K%3DV&dir=..&tty=true&rows=..&cols=..
/// &stdin=true&max_run_after_disconnect=10s`, in that key order.
///
/// Errors ([`Error::InvalidArgument`], nothing built): an empty sprite name, an empty argv
/// or argv\[0\], an empty environment key or one containing `=`.
pub fn exec_request(endpoint: &Endpoint, sprite: &str, spec: &CommandSpec) -> Result<Request> {
    let path = command_path(sprite, spec, true)?;
    Ok(endpoint.ws_request(&path))
}

/// The HTTP request of `POST /v1/sprites/{name}/exec` (spec §5.11): the same `cmd`, `path`,
/// `env` and `dir` parameters as [`exec_request`], `stdin=true` when a body follows, and no
/// TTY parameters (HTTP exec has no terminal). The body is added by the caller.
pub fn http_exec_request(
    endpoint: &Endpoint,
    sprite: &str,
    spec: &CommandSpec,
    stdin: bool,
) -> Result<Request> {
    let spec = CommandSpec {
        tty: false,
        stdin,
        max_run_after_disconnect: None,
        ..spec.clone()
    };
    let path = command_path(sprite, &spec, false)?;
    Ok(endpoint.http_request(Method::Post, &path))
}

/// Validates `spec` and builds `/v1/sprites/{name}/exec?cmd=..`; `with_session` adds the
/// WebSocket-only parameters (`tty`, `rows`, `cols`, `max_run_after_disconnect`).
fn command_path(sprite: &str, spec: &CommandSpec, with_session: bool) -> Result<PathAndQuery> {
    require_name("sprite name", sprite)?;
    let Some(program) = spec.argv.first() else {
        return Err(Error::invalid_argument("command argv must not be empty"));
    };
    if program.is_empty() {
        return Err(Error::invalid_argument("command argv[0] must not be empty"));
    }
    if let Some((key, _)) = spec
        .env
        .iter()
        .find(|(k, _)| k.is_empty() || k.contains('='))
    {
        return Err(Error::invalid_argument(alloc::format!(
            "environment key {key:?} must be non-empty and contain no '='"
        )));
    }

    let mut path = exec_path(sprite);
    for arg in &spec.argv {
        path.push_query("cmd", arg);
    }
    if let Some(p) = &spec.path {
        path.push_query("path", p);
    }
    for (k, v) in &spec.env {
        path.push_query("env", &[k.as_str(), "=", v.as_str()].concat());
    }
    if let Some(dir) = &spec.dir {
        path.push_query("dir", dir);
    }
    if with_session && spec.tty {
        path.push_query("tty", "true");
        if let Some(rows) = spec.rows {
            path.push_query("rows", &rows.to_string());
        }
        if let Some(cols) = spec.cols {
            path.push_query("cols", &cols.to_string());
        }
    }
    path.push_query("stdin", bool_str(spec.stdin));
    if with_session {
        if let Some(d) = spec.max_run_after_disconnect {
            path.push_query("max_run_after_disconnect", &format_go_duration(d));
        }
    }
    Ok(path)
}

/// Which URL form attaches to an existing session (spec §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttachForm {
    /// `/v1/sprites/{name}/exec/{id}`.
    Path,
    /// `/v1/sprites/{name}/exec?id={id}`, understood by every server version.
    Legacy,
}

impl AttachForm {
    /// Picks the form from the most recent `Sprite-Version` header value, as Go does: the
    /// path form for a release semver (`0.1.0`, `v1.2.3`), an `-rcN` pre-release with
    /// N ≥ 30, or a `dev` pre-release (`1.0.0-dev`, `0.0.1-rc29-dev-abc123`); the legacy form
    /// for no value, anything unparsable (the bare string `dev` included), an `-rcN` with
    /// N ≤ 29, or any other pre-release. The version needs three numeric parts; a leading
    /// `v` and `+build` metadata are allowed.
    ///
    /// ```
    /// use sprites_core::exec::url::AttachForm;
    /// assert_eq!(AttachForm::for_version(Some("v0.0.1-rc31")), AttachForm::Path);
    /// assert_eq!(AttachForm::for_version(Some("dev")), AttachForm::Legacy);
    /// assert_eq!(AttachForm::for_version(None), AttachForm::Legacy);
    /// ```
    #[must_use]
    pub fn for_version(sprite_version: Option<&str>) -> Self {
        match sprite_version.map(supports_path_attach) {
            Some(true) => AttachForm::Path,
            _ => AttachForm::Legacy,
        }
    }

    /// The form to retry with after this form's upgrade failed with HTTP `status`: the path
    /// form answered `404` → the legacy form, once. `None`: do not retry.
    ///
    /// (Go retries only when the 404 had an empty body; any 404 is retried here, which costs
    /// one extra request when the session really is gone. Go also forces TTY framing for the
    /// retry; an [`ExecSession`](super::ExecSession) built with
    /// [`ExecConfig::attach`](super::ExecConfig::attach) learns the framing from
    /// `session_info` instead.)
    #[must_use]
    pub fn retry_after_status(self, status: u16) -> Option<Self> {
        match (self, status) {
            (AttachForm::Path, 404) => Some(AttachForm::Legacy),
            _ => None,
        }
    }
}

/// The WebSocket upgrade request that attaches to session `session_id` of `sprite`, in
/// `form`. Errors ([`Error::InvalidArgument`]): an empty sprite name or session id.
pub fn attach_request(
    endpoint: &Endpoint,
    sprite: &str,
    session_id: &str,
    form: AttachForm,
) -> Result<Request> {
    require_name("sprite name", sprite)?;
    require_name("session id", session_id)?;
    let path = match form {
        AttachForm::Path => exec_path(sprite).seg(session_id),
        AttachForm::Legacy => exec_path(sprite).query("id", session_id),
    };
    Ok(endpoint.ws_request(&path))
}

/// The HTTP request that signals a session when the upgrade did not advertise in-band
/// signals: `POST /v1/sprites/{name}/exec/{id}/kill?signal=SIGTERM&timeout=0s` (send and
/// return without waiting for the exit). The response is an NDJSON stream; `410 Gone`
/// means the process had already exited.
pub fn kill_request(
    endpoint: &Endpoint,
    sprite: &str,
    session_id: &str,
    signal: &Signal,
) -> Result<Request> {
    use crate::ops::StreamOperation;
    crate::ops::KillSession {
        sprite: String::from(sprite),
        session_id: String::from(session_id),
        signal: Some(signal.clone()),
        timeout: Some(Duration::ZERO),
    }
    .request(endpoint)
}

fn exec_path(sprite: &str) -> PathAndQuery {
    PathAndQuery::v1().lit("sprites").seg(sprite).lit("exec")
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Whether a `Sprite-Version` value is new enough for the path attach form.
fn supports_path_attach(version: &str) -> bool {
    let v = version.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(core, _build)| core);
    let (numbers, pre) = match v.split_once('-') {
        Some((n, p)) => (n, Some(p)),
        None => (v, None),
    };
    let mut parts = numbers.split('.');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !(numeric(parts.next()) && numeric(parts.next()) && numeric(parts.next())) {
        return false;
    }
    if parts.next().is_some() {
        return false;
    }
    let Some(pre) = pre else {
        return true;
    };
    let mut idents = pre.split(['-', '.']);
    if idents.clone().any(|id| id.eq_ignore_ascii_case("dev")) {
        return true;
    }
    let first = idents.next().unwrap_or("");
    let Some(rest) = first.strip_prefix("rc") else {
        return false;
    };
    // `rc31` and `rc.31` are both seen in the wild for semver pre-releases.
    let digits = if rest.is_empty() {
        idents.next().unwrap_or("")
    } else {
        rest
    };
    digits.parse::<u32>().is_ok_and(|n| n >= 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_parser_rejects_malformed_cores() {
        for v in [
            "",
            "v",
            "1",
            "1.2",
            "1.2.3.4",
            "1..3",
            "a.b.c",
            "1.2.x-rc40",
            "-rc40",
        ] {
            assert!(!supports_path_attach(v), "{v:?}");
        }
    }

    #[test]
    fn version_parser_accepts_build_metadata_and_rc_dot() {
        assert!(supports_path_attach("1.2.3+abc"));
        assert!(supports_path_attach("0.0.1-rc.30"));
        assert!(!supports_path_attach("0.0.1-rc.29"));
    }
}
