//! Running commands: `Command` (like `std::process::Command`), `Child` and its pipes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::runtime::Runtime;
use super::sprite::Sprite;
use crate::error::{Error, Result};
use crate::exec::url::CommandSpec;
use crate::model::{ExitStatus, Output};

/// A command to run in a sprite, configured like `std::process::Command`.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let output = sprite
///     .command("npm")
///     .arg("install")
///     .current_dir("/app")
///     .env("NODE_ENV", "production")
///     .output()
///     .await?;
/// if output.success() {
///     println!("stdout: {}", output.stdout_str());
/// }
/// # Ok(()) }
/// ```
pub struct Command<R: Runtime> {
    sprite: Sprite<R>,
    spec: CommandSpec,
    timeout: Option<Duration>,
}

impl<R: Runtime> fmt::Debug for Command<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("sprite", &self.sprite.name())
            .field("argv", &self.spec.argv)
            .field("dir", &self.spec.dir)
            .field("tty", &self.spec.tty)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Command<R> {
    pub(super) fn new(sprite: Sprite<R>, program: &str) -> Self {
        Command {
            sprite,
            spec: CommandSpec::new([program]),
            timeout: None,
        }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.spec.argv.push(arg.into());
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.spec.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable. Any `env` replaces the sprite's whole default
    /// environment (include `PATH` if the command needs it).
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.env.push((key.into(), value.into()));
        self
    }

    /// Sets environment variables.
    #[must_use]
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.spec
            .env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the working directory (default `/home/sprite`).
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<String>) -> Self {
        self.spec.dir = Some(dir.into());
        self
    }

    /// Runs the command under a pseudo-terminal (stdout and stderr merged; the session
    /// survives disconnects by default).
    #[must_use]
    pub fn tty(mut self, tty: bool) -> Self {
        self.spec.tty = tty;
        self
    }

    /// The initial terminal size (with [`Command::tty`]).
    #[must_use]
    pub fn tty_size(mut self, rows: u16, cols: u16) -> Self {
        self.spec.rows = Some(rows);
        self.spec.cols = Some(cols);
        self
    }

    /// Whether the command gets a stdin pipe (default: only with [`Command::spawn`] and a TTY;
    /// `output()` closes stdin at once).
    #[must_use]
    pub fn stdin(mut self, open: bool) -> Self {
        self.spec.stdin = open;
        self
    }

    /// A deadline for the whole command; when it passes the session is killed and the call
    /// fails with [`Error::Timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many seconds the process may keep running after the connection drops (`0`:
    /// forever). Server default: 10 s without a TTY, forever with one.
    #[must_use]
    pub fn max_run_after_disconnect(mut self, seconds: u32) -> Self {
        self.spec.max_run_after_disconnect = Some(Duration::from_secs(u64::from(seconds)));
        self
    }

    /// The wire description of this command.
    #[must_use]
    pub fn spec(&self) -> &CommandSpec {
        &self.spec
    }

    /// Runs the command to completion and collects its output. A non-zero exit code is not
    /// an error ([`Output::success`] says it), as with `std::process::Command::output`.
    pub async fn output(&self) -> Result<Output> {
        Err(Error::invalid_argument("exec is being wired"))
    }

    /// Runs the command to completion and returns its exit status (output discarded).
    pub async fn status(&self) -> Result<ExitStatus> {
        Err(Error::invalid_argument("exec is being wired"))
    }

    /// Runs the command and collects stdout and stderr interleaved in arrival order (in
    /// [`Output::stdout`]; [`Output::stderr`] stays empty).
    pub async fn combined_output(&self) -> Result<Output> {
        Err(Error::invalid_argument("exec is being wired"))
    }

    /// Starts the command and returns a handle with its pipes.
    pub async fn spawn(self) -> Result<Child<R>> {
        Err(Error::invalid_argument("exec is being wired"))
    }
}

/// A command that attaches to a running session.
pub struct AttachCommand<R: Runtime> {
    sprite: Sprite<R>,
    session_id: String,
}

impl<R: Runtime> fmt::Debug for AttachCommand<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachCommand")
            .field("sprite", &self.sprite.name())
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl<R: Runtime> AttachCommand<R> {
    pub(super) fn new(sprite: Sprite<R>, session_id: &str) -> Self {
        AttachCommand {
            sprite,
            session_id: String::from(session_id),
        }
    }

    /// Attaches and returns a handle with the session's pipes.
    pub async fn spawn(self) -> Result<Child<R>> {
        Err(Error::invalid_argument("exec is being wired"))
    }
}

/// A running command.
pub struct Child<R: Runtime> {
    _sprite: Sprite<R>,
}

impl<R: Runtime> fmt::Debug for Child<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child").finish_non_exhaustive()
    }
}

/// The write end of a child's stdin.
#[derive(Debug)]
pub struct ChildStdin {
    _private: (),
}

/// The read end of a child's stdout.
#[derive(Debug)]
pub struct ChildStdout {
    _private: (),
}

/// The read end of a child's stderr.
#[derive(Debug)]
pub struct ChildStderr {
    _private: (),
}

/// A stream of `port_opened` / `port_closed` events of a child.
#[derive(Debug)]
pub struct PortEvents {
    _buffer: Vec<()>,
}
